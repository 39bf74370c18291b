"""From sampled trajectories to training arrays (PARL examples/PPO/train.py, build_train_data).

Per trajectory, with rewards r_t already scaled by (1 - gamma) so that values stay near the
reward scale whatever the horizon:

    value target   G_t = sum_k gamma^k r_{t+k}                  (discounted sum)
    TD residual    d_t = r_t + gamma * V(s_{t+1}) - V(s_t),   V(s_T) = 0
    advantage      A_t = sum_k (gamma*lam)^k d_{t+k}             (GAE, arXiv:1506.02438 eq. 16)
    normalised     A_t <- (A_t - mean(A)) / (std(A) + 1e-6)      (within the trajectory)

The two sums are PARL's own ``parl.utils.rl_utils`` functions.
"""
import numpy as np
from parl.utils.rl_utils import calc_discount_sum_rewards, calc_gae


def trajectory_targets(rewards, values, gamma, lam):
    """(normalised advantages, value targets) of one trajectory, both float32 of length T."""
    scaled_rewards = np.asarray(rewards, dtype="float64") * (1.0 - gamma)
    targets = calc_discount_sum_rewards(scaled_rewards, gamma)
    advantages = calc_gae(scaled_rewards, np.asarray(values, dtype="float64"), 0.0, gamma, lam)
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-6)
    return advantages.astype("float32"), targets.astype("float32")


def build_train_data(trajectories, agent, gamma, lam):
    """Concatenated (obs, actions, advantages, value targets) of a batch. Values come from the
    value net as it is before this batch's value update."""
    obs = np.concatenate([t["obs"] for t in trajectories])
    values = agent.value_predict(obs)
    advantages, targets = [], []
    start = 0
    for trajectory in trajectories:
        end = start + len(trajectory["rewards"])
        adv, tgt = trajectory_targets(trajectory["rewards"], values[start:end], gamma, lam)
        advantages.append(adv)
        targets.append(tgt)
        start = end
    actions = np.concatenate([t["actions"] for t in trajectories])
    return obs, actions, np.concatenate(advantages), np.concatenate(targets)
