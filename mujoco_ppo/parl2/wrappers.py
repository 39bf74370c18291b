"""PARL's wrappers that Gymnasium has no counterpart of: two of wrap_deepmind's (Atari) and
the reward scaling of wrap_rms's VecNormalizeEnv (MuJoCo). env_utils.py applies them; env_state.py
saves and restores their fields."""
import gymnasium as gym
import numpy as np


class EpisodicLife(gym.Wrapper):
    """A lost life ends the episode for the learner; reset() continues the game with a no-op
    step unless the game itself is over."""

    def __init__(self, env):
        super().__init__(env)
        self.lives, self.game_over = 0, True

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.game_over = terminated or truncated
        lives = self.env.unwrapped.ale.lives()
        if 0 < lives < self.lives:  # lives == 0 is the game's own end
            terminated = True
        self.lives = lives
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs):
        if self.game_over:
            obs, info = self.env.reset(**kwargs)
        else:
            obs, _, _, _, info = self.env.step(0)
        self.lives = self.env.unwrapped.ale.lives()
        return obs, info


class FireReset(gym.Wrapper):
    """Press FIRE (then action 2) after a reset, for games that wait for it (Breakout)."""

    def reset(self, **kwargs):
        self.env.reset(**kwargs)
        for action in (1, 2):
            obs, _, terminated, truncated, info = self.env.step(action)
            if terminated or truncated:
                obs, info = self.env.reset(**kwargs)
        return obs, info


class EpisodeNormalizeReward(gym.wrappers.NormalizeReward):
    """Rewards divided by the running standard deviation of the discounted return, that return
    restarting from 0 at every episode end, time-limit truncation included, as PARL's
    VecNormalizeEnv does:

        R_t = gamma * R_{t-1} + r_t,   r_t / sqrt(Var[R] + epsilon),   R = 0 after a done.

    Gymnasium's NormalizeReward instead multiplies R by (1 - terminated) before adding r_t, so on
    a task that only truncates (HalfCheetah) its R never restarts and its spread is much smaller.
    """

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.discounted_reward = self.discounted_reward * self.gamma + float(reward)
        if self._update_running_mean:
            self.return_rms.update(self.discounted_reward)
        normalized = reward / np.sqrt(self.return_rms.var + self.epsilon)
        if terminated or truncated:
            self.discounted_reward = np.array([0.0])
        return obs, normalized, terminated, truncated, info

    def reset(self, **kwargs):
        self.discounted_reward = np.array([0.0])
        return self.env.reset(**kwargs)
