import numpy as np
import paddle
import pytest

from mujoco_ppo.agent import MujocoAgent
from mujoco_ppo.algorithm import PPO
from mujoco_ppo.envs import make_env, map_action, resolve_env_id
from mujoco_ppo.errors import UserError
from mujoco_ppo.model import MujocoModel
from mujoco_ppo.sampling import collect_trajectories, run_evaluate_episode, run_train_episode
from mujoco_ppo.scaler import Scaler


@pytest.mark.parametrize("name, expected", [
    ("HalfCheetah-v2", "HalfCheetah-v4"), ("Hopper-v3", "Hopper-v4"),
    ("HalfCheetah-v4", "HalfCheetah-v4"), ("Walker2d-v5", "Walker2d-v5"),
])
def test_env_ids(name, expected):
    resolved, note = resolve_env_id(name)
    assert resolved == expected
    assert (note is not None) == (name != expected)
    if note:
        assert expected in note and "mujoco-py" in note


def test_unknown_env_id_names_the_closest_known_ids():
    with pytest.raises(UserError, match="HalfCheetah-v4"):
        resolve_env_id("HalfCheeta-v4")


def test_discrete_action_space_is_refused():
    with pytest.raises(UserError, match="Discrete action space"):
        make_env("CartPole-v1")


def test_action_mapping_onto_the_bounds():
    low, high = np.array([-3.0, 0.0]), np.array([3.0, 10.0])
    np.testing.assert_allclose(map_action(np.array([-1.0, -1.0]), low, high), [-3.0, 0.0])
    np.testing.assert_allclose(map_action(np.array([0.0, 0.5]), low, high), [0.0, 7.5])
    np.testing.assert_allclose(map_action(np.array([1.0, 1.0]), low, high), [3.0, 10.0])
    np.testing.assert_allclose(map_action(np.array([1.5, -2.0]), low, high), [3.0, 0.0])


class WideNoiseAgent(MujocoAgent):
    """The real agent with a policy whose noise is far wider than [-1, 1]."""

    def policy_sample(self, obs):
        return super().policy_sample(obs) * 10.0


def make_agent(env, agent_cls=MujocoAgent):
    obs_dim, act_dim = env.observation_space.shape[0] + 1, env.action_space.shape[0]
    model = MujocoModel(obs_dim, act_dim)
    alg = PPO(model, act_dim=act_dim, policy_lr=model.policy_lr, value_lr=model.value_lr)
    return agent_cls(alg, rng=np.random.default_rng(0))


def test_train_episode_clips_actions_and_appends_the_time_feature():
    env = make_env("InvertedPendulum-v4", seed=0)  # action bounds [-3, 3]
    agent = make_agent(env, WideNoiseAgent)
    scaler = Scaler(5)
    episode = run_train_episode(env, agent, scaler)
    n = len(episode["rewards"])
    assert episode["obs"].shape == (n, 5) and episode["actions"].shape == (n, 1)
    assert np.abs(episode["actions"]).max() == 1.0  # clipped, and the clip was needed
    # An empty scaler has mean 0 and scale 1/0.3 on the env columns; the time column is raw.
    np.testing.assert_allclose(episode["obs"][:, -1], np.arange(n) * 1e-3, atol=1e-6)
    np.testing.assert_allclose(episode["unscaled_obs"][:, :4] / 0.3, episode["obs"][:, :4],
                               rtol=1e-5, atol=1e-6)


def test_collect_trajectories_updates_the_scaler_once_from_all_unscaled_obs():
    env = make_env("InvertedPendulum-v4", seed=1)
    agent = make_agent(env)
    scaler = Scaler(5)
    trajectories = collect_trajectories(env, agent, scaler, episodes=3)
    assert len(trajectories) == 3 and scaler.count == sum(len(t["rewards"]) for t in trajectories)
    assert all("unscaled_obs" not in t for t in trajectories)


def test_evaluation_uses_the_policy_mean():
    env = make_env("InvertedPendulum-v4", seed=2)
    agent = make_agent(env)
    scaler = Scaler(5)
    paddle.seed(0)
    returns = []
    for _ in range(2):
        env.reset(seed=3)
        returns.append(run_evaluate_episode(env, agent, scaler))
    assert returns[0] == returns[1]  # no sampling noise
