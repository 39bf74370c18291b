"""The surrogate objectives of PARL 1.x's PPO by name (named apart from the model code, so that
flags are checked before Paddle is imported): PARL's two, and the two other rows of the PPO
paper's comparison of objectives (its Table 1), and TRPO."""
CLIP, KLPEN = "CLIP", "KLPEN"  # clipped ratio; KL penalty with PARL's adaptive beta
KLFIXED, NONE = "KLFIXED", "NONE"  # KL penalty with beta held at --beta; no clip, no penalty
TRPO = "TRPO"  # one natural-gradient step within a KL radius (--max_kl) instead of 20 Adam steps
LOSS_TYPES = (CLIP, KLPEN, KLFIXED, NONE, TRPO)
