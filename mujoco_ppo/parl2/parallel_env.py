"""PARL's ParallelEnv for PARL 2.x's PPO: its environments stepped in this process, or on an xparl
cluster, one actor each (EnvWorker, PARL's LocalEnv and RemoteEnv)."""
import numpy as np

from . import env_state
from .config import DEFAULTS
from .env_utils import make_env, obs_rms


class EnvWorker:
    """One environment of a ParallelEnv (PARL's LocalEnv, or its RemoteEnv as an xparl actor):
    it resets itself when an episode ends and reports the finished episode's raw return."""

    def __init__(self, env_id, kind, return_reset, seed):
        self.env, self.seed = make_env(env_id, kind, return_reset=return_reset), seed

    def reset(self):
        """The first observation, from the environment's own seed."""
        return self.env.reset(seed=self.seed)[0]

    def step(self, action):
        """(next observation, reward, done, return of the episode that ended or None); after an
        episode's end the next observation is the new episode's first (PARL's convention)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        episode_return = float(info["episode"]["r"]) if "episode" in info else None
        if terminated or truncated:
            obs, _ = self.env.reset()
        return obs, reward, terminated or truncated, episode_return

    def obs_rms(self):
        """(mean, var, count) of the observation normalisation, or None (not MuJoCo)."""
        rms = obs_rms(self.env)
        return None if rms is None else (rms.mean, rms.var, rms.count)

    def get_state(self, prefix="env"):
        return env_state.capture(self.env, prefix)

    def set_state(self, captured, prefix="env"):
        env_state.restore(self.env, prefix, *captured)

    def close(self):
        self.env.close()


class ParallelEnv:
    """``env_num`` environments (PARL's ParallelEnv): EnvWorkers in this process, stepped in
    turn, or on an xparl cluster (``xparl_addr``), stepped at once, one actor each."""

    def __init__(self, env_id, kind, return_reset, seeds, xparl_addr=None,
                 xparl_timeout=DEFAULTS.xparl_timeout):
        if xparl_addr:
            from ..xparl.actors import RemoteActors
            self.remote = RemoteActors(xparl_addr, env_id, seeds, xparl_timeout,
                                       worker=EnvWorker, worker_args=(kind, return_reset))
        else:
            self.remote, self.workers = None, [EnvWorker(env_id, kind, return_reset, seed)
                                               for seed in seeds]
        self.env_num = len(seeds)
        self.episode_returns = []  # raw returns of the episodes finished since the last take

    def _call_all(self, doing, method, args):
        """``method`` of every environment, environment i with args[i]; their results."""
        if self.remote:
            return self.remote._call_all(doing, method, args)
        return [getattr(worker, method)(*a) for worker, a in zip(self.workers, args)]

    def reset(self):
        return np.stack(self._call_all("resetting", "reset", [()] * self.env_num))

    def step(self, actions):
        """(next observations, rewards, dones) of one step of every environment."""
        results = self._call_all("stepping", "step", [(action,) for action in actions])
        obs, rewards, dones, returns = zip(*results)
        self.episode_returns += [r for r in returns if r is not None]
        return np.stack(obs), np.asarray(rewards, np.float32), np.asarray(dones, np.float32)

    def take_episode_returns(self):
        returns, self.episode_returns = self.episode_returns, []
        return returns

    def first_obs_rms(self):
        """The first environment's observation statistics (PARL evaluates with them)."""
        return self._call_all("reading its statistics", "obs_rms", [()])[0]

    def get_state(self):
        return self._call_all("saving its state", "get_state",
                              [(f"env{i}",) for i in range(self.env_num)])

    def set_state(self, states):
        self._call_all("restoring its state", "set_state",
                       [(state, f"env{i}") for i, state in enumerate(states)])

    def close(self):
        if self.remote:
            self.remote.close()
        else:
            for worker in self.workers:
                worker.close()
