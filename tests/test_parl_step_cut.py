"""scripts/parl_step_cut.py's copy of PARL 2.2.1's step count (CompatWrapper): the cuts of a
stream of fixed-length episodes land where PARL's count puts them, worked out by hand."""
import gymnasium as gym
import pytest

from helpers import script

pytestmark = pytest.mark.unit


class FallsAfter(gym.Env):
    """Reward 1 a step; terminates after ``length`` steps of each episode."""
    observation_space = gym.spaces.Box(-1, 1, (1,))
    action_space = gym.spaces.Box(-1, 1, (1,))

    def __init__(self, length):
        self.length, self.t = length, 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self.observation_space.sample() * 0, {}

    def step(self, action):
        self.t += 1
        done = self.t == self.length
        return self.observation_space.sample() * 0, 1.0, done, False, (
            {"episode": {"r": float(self.t)}} if done else {})


def returns(env, episodes):
    """Each episode's return as PARL's evaluation loop takes it (info["episode"]["r"])."""
    found = []
    for _ in range(episodes):
        env.reset()
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(env.action_space.sample())
            done = terminated or truncated
        found.append((info["episode"]["r"], env.cut))
    return found


def test_the_count_runs_across_episodes_and_cuts_at_every_1000th_step():
    env = script("parl_step_cut").parl_step_count(FallsAfter(400))
    # count 400, 800, then 1000 at the 3rd episode's 200th step: cut, count 0; and again
    assert returns(env, 7) == [(400, False), (400, False), (200, True),
                               (400, False), (400, False), (200, True), (400, False)]


def test_an_episode_ending_on_the_1000th_step_is_not_a_cut_and_restarts_the_count():
    env = script("parl_step_cut").parl_step_count(FallsAfter(500))
    assert returns(env, 4) == [(500, False), (500, False), (500, False), (500, False)]
    assert env.count == 0
