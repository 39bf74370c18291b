"""A real MuJoCo task with an injected fault, for the tests of how training fails.

``faulty_envs:NaNRewardPendulum-v0`` is InvertedPendulum-v4 whose reward becomes NaN from the
600th step the environment instance takes (train.py imports this module through Gymnasium's
``module:EnvId`` syntax when tests/ is on PYTHONPATH)."""
import gymnasium as gym


class NaNRewardAfter(gym.Wrapper):
    def __init__(self, env, after):
        super().__init__(env)
        self.after, self.steps = after, 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        return obs, float("nan") if self.steps >= self.after else reward, terminated, truncated, info


def _make(**kwargs):
    return NaNRewardAfter(gym.make("InvertedPendulum-v4", **kwargs), after=600)


gym.register("NaNRewardPendulum-v0", entry_point=_make)
