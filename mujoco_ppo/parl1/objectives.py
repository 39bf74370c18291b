"""The surrogate objectives by name (--loss_type).

Plain values, importable without Paddle: train.py checks its flags against them before Paddle
loads.
"""
# PARL's two, and the two other rows of the PPO paper's comparison of objectives (its Table 1).
CLIP, KLPEN = "CLIP", "KLPEN"  # clipped ratio; KL penalty with PARL's adaptive beta
KLFIXED, NONE = "KLFIXED", "NONE"  # KL penalty with beta held at --beta; no clip, no penalty
TRPO = "TRPO"  # one natural-gradient step within a KL radius (--max_kl) instead of 20 Adam steps
LOSS_TYPES = (CLIP, KLPEN, KLFIXED, NONE, TRPO)

