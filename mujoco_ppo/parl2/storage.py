"""PARL 2.x's RolloutStorage (examples/PPO/storage.py): one rollout of ``step_nums`` steps from
``env_num`` environments, and its GAE advantages and returns.

``dones[t]`` marks that ``obs[t]`` is the first observation of a new episode (the previous step
ended one), as in PARL and cleanrl. For t < T-1, with m_{t+1} = 1 - dones[t+1]:

    delta_t = r_t + gamma * V(s_{t+1}) * m_{t+1} - V(s_t)
    A_t     = delta_t + gamma * lambda * m_{t+1} * A_{t+1}          (GAE, Schulman et al. 2016)
    R_t     = A_t + V(s_t)                                           (the value target)

and at t = T-1 the bootstrap value V(s_T) of the observation after the rollout, masked by its
own done flag, takes the place of V(s_{t+1}), m_{t+1}, with A_T = 0.
"""
import numpy as np

from ..errors import UserError
from .config import DEFAULTS

# per step of one environment, besides its observation and action: logprob, reward, done and
# value, and the advantage and return compute_returns adds (float32 each)
SCALARS_PER_STEP = 6


def _obs_dtype(obs_space):
    # Atari frames stay uint8 (a quarter of PARL's float32 memory); the model divides by 255.
    return np.uint8 if obs_space.dtype == np.uint8 else np.float32


def step_bytes(obs_space, act_space):
    """Bytes a RolloutStorage holds for one step of one environment."""
    obs = np.prod(obs_space.shape, dtype=np.int64) * np.dtype(_obs_dtype(obs_space)).itemsize
    action = np.prod(act_space.shape, dtype=np.int64) * 4
    return int(obs + action + SCALARS_PER_STEP * 4)


def check_rollout_fits(config, obs_space, act_space, memory):
    """UserError, before anything is allocated, for a rollout of --env_num x --step_nums steps
    that needs more than ``memory`` bytes (None: unknown, not checked)."""
    per_step = step_bytes(obs_space, act_space)
    needed = config["env_num"] * config["step_nums"] * per_step
    if memory is not None and needed > memory:
        raise UserError(f"a rollout of --env_num {config['env_num']} x --step_nums "
                        f"{config['step_nums']} steps needs about {needed / 2**30:.1f} GiB "
                        f"({per_step} bytes a step) and this machine has {memory / 2**30:.1f} "
                        f"GiB available; at most --step_nums "
                        f"{memory // (config['env_num'] * per_step)} fits.")


class RolloutStorage:
    def __init__(self, step_nums, env_num, obs_space, act_space):
        self.step_nums = step_nums
        self.obs_shape, self.act_shape = obs_space.shape, act_space.shape
        self.obs = np.zeros((step_nums, env_num) + obs_space.shape, dtype=_obs_dtype(obs_space))
        self.actions = np.zeros((step_nums, env_num) + act_space.shape, dtype=np.float32)
        self.logprobs = np.zeros((step_nums, env_num), dtype=np.float32)
        self.rewards = np.zeros((step_nums, env_num), dtype=np.float32)
        self.dones = np.zeros((step_nums, env_num), dtype=np.float32)
        self.values = np.zeros((step_nums, env_num), dtype=np.float32)
        self.cur_step = 0

    def append(self, obs, action, logprob, reward, done, value):
        """One step of every environment; ``done`` flags that ``obs`` starts an episode."""
        t = self.cur_step
        self.obs[t], self.actions[t], self.logprobs[t] = obs, action, logprob
        self.rewards[t], self.dones[t], self.values[t] = reward, done, value
        self.cur_step = (t + 1) % self.step_nums

    def compute_returns(self, value, done, gamma=DEFAULTS.gamma, gae_lambda=DEFAULTS.gae_lambda):
        """GAE advantages and returns (module docstring); ``value`` and ``done`` belong to the
        observation that follows the rollout."""
        advantages = np.zeros_like(self.rewards)
        next_advantage = np.zeros(self.rewards.shape[1], dtype=np.float32)
        next_value = np.asarray(value, dtype=np.float32).reshape(-1)
        next_nonterminal = 1.0 - np.asarray(done, dtype=np.float32)
        for t in reversed(range(self.step_nums)):
            delta = self.rewards[t] + gamma * next_value * next_nonterminal - self.values[t]
            next_advantage = delta + gamma * gae_lambda * next_nonterminal * next_advantage
            advantages[t] = next_advantage
            next_value, next_nonterminal = self.values[t], 1.0 - self.dones[t]
        self.advantages, self.returns = advantages, advantages + self.values
        return self.advantages, self.returns

    def sample_batch(self, idx):
        """The steps ``idx`` of the flattened rollout: (obs, actions, logprobs, advantages,
        returns, values)."""
        flat = lambda x, shape=(): x.reshape((-1,) + shape)[idx]  # noqa: E731
        return (flat(self.obs, self.obs_shape).astype(np.float32),
                flat(self.actions, self.act_shape), flat(self.logprobs), flat(self.advantages),
                flat(self.returns), flat(self.values))
