"""Real tasks with an injected fault, for the tests of how training fails or what is refused.

``faulty_envs:NaNRewardPendulum-v0`` is InvertedPendulum-v4 whose reward becomes NaN from the
600th step the environment instance takes; ``ShiftedActionsCartPole-v0`` is CartPole-v1 with
the actions 5 and 6; ``MatrixAction-v0`` takes a (2, 2) action (train.py imports this module
through Gymnasium's ``module:EnvId`` syntax when tests/ is on PYTHONPATH)."""
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


class ShiftedActions(gym.ActionWrapper):
    """CartPole whose actions are Discrete(2, start=5): 5 and 6 push the cart; any other
    action is refused."""

    def __init__(self, env, start=5):
        super().__init__(env)
        self.action_space = gym.spaces.Discrete(env.action_space.n, start=start)

    def action(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        return action - self.action_space.start


gym.register("ShiftedActionsCartPole-v0",
             entry_point=lambda **kwargs: ShiftedActions(gym.make("CartPole-v1", **kwargs)))


class MatrixActionEnv(gym.Env):
    """A one-step task whose action is a (2, 2) matrix."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,))
    action_space = gym.spaces.Box(-1.0, 1.0, (2, 2))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, True, False, {}


gym.register("MatrixAction-v0", entry_point=MatrixActionEnv)


def _raise_in_constructor(**kwargs):
    raise RuntimeError("broken on purpose")


gym.register("RaisingConstructor-v0", entry_point=_raise_in_constructor)
