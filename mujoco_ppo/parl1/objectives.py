"""The surrogate objectives by name, and the defaults of the settings that build_agent reads.

Plain values, importable without Paddle: train.py checks its flags against them before Paddle
loads, and its parser's defaults of these flags are AGENT_DEFAULTS (a test holds them equal).
"""
# PARL's two, and the two other rows of the PPO paper's comparison of objectives (its Table 1).
CLIP, KLPEN = "CLIP", "KLPEN"  # clipped ratio; KL penalty with PARL's adaptive beta
KLFIXED, NONE = "KLFIXED", "NONE"  # KL penalty with beta held at --beta; no clip, no penalty
TRPO = "TRPO"  # one natural-gradient step within a KL radius (--max_kl) instead of 20 Adam steps
LOSS_TYPES = (CLIP, KLPEN, KLFIXED, NONE, TRPO)

# PARL's defaults for loss_type and kl_targ, PARL's fixed values for clip_epsilon and beta, then
# TRPO's (--loss_type TRPO only).
AGENT_DEFAULTS = {
    "loss_type": CLIP,
    "kl_targ": 0.003,
    "clip_epsilon": 0.2,
    "beta": 1.0,
    "max_kl": 0.01,
    "cg_iters": 10,
    "cg_damping": 0.1,
    "ls_backtrack_ratio": 0.5,
    "ls_max_tries": 10,
}
