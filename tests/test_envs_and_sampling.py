"""Environments and PARL 1.x's sampling: id mapping and refusals, the action map, one worker
equal to PARL's serial loop, parallel workers running whole episodes, a dead worker reported."""
import numpy as np
import paddle
import pytest

from mujoco_ppo.envs.make import make_env, map_action, resolve_env_id
from mujoco_ppo.errors import SamplingError, UserError
from mujoco_ppo.parl1.agent import MujocoAgent
from mujoco_ppo.parl1.algorithm import PPO
from mujoco_ppo.parl1.episodes import run_evaluate_episode
from mujoco_ppo.parl1.local_workers import EpisodeSampler
from mujoco_ppo.parl1.model import MujocoModel
from mujoco_ppo.parl1.scaler import Scaler
from mujoco_ppo.parl1.workers import default_num_workers

pytestmark = pytest.mark.unit

ENV = "InvertedPendulum-v4"  # 4 obs, 1 action in [-3, 3]; episodes end when the pole falls


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


def test_action_mapping_onto_the_bounds():
    low, high = np.array([-3.0, 0.0]), np.array([3.0, 10.0])
    np.testing.assert_allclose(map_action(np.array([-1.0, -1.0]), low, high), [-3.0, 0.0])
    np.testing.assert_allclose(map_action(np.array([0.0, 0.5]), low, high), [0.0, 7.5])
    np.testing.assert_allclose(map_action(np.array([1.0, 1.0]), low, high), [3.0, 10.0])
    np.testing.assert_allclose(map_action(np.array([1.5, -2.0]), low, high), [3.0, 0.0])


@pytest.mark.parametrize("cores, episodes, workers", [(2, 5, 5), (2, 10, 2), (4, 6, 6),
                                                      (8, 5, 5), (1, 5, 1), (2, 4, 2)])
def test_default_workers_share_the_episodes_evenly_over_every_core(cores, episodes, workers):
    assert default_num_workers(cores, episodes) == workers


def make_agent(seed=0, init_logvar=-1.0):
    paddle.seed(seed)
    model = MujocoModel(5, 1, init_logvar)
    alg = PPO(model, act_dim=1, policy_lr=model.policy_lr, value_lr=model.value_lr)
    return MujocoAgent(alg, rng=np.random.default_rng(seed))


def parl_serial_batch(env, agent, scaler, episodes):
    """PARL's run_train_episode / collect_trajectories, written out step by step."""
    scale, offset = scaler.get()
    trajectories, unscaled_all = [], []
    for _ in range(episodes):
        obs, _ = env.reset()
        step, observes, actions, rewards = 0.0, [], [], []
        while True:
            raw = np.append(obs, step)
            unscaled_all.append(raw)
            scaled = ((raw - offset) * scale).astype("float32")
            action = np.clip(agent.policy_sample(scaled[None, :]), -1.0, 1.0)[0]
            observes.append(scaled)
            actions.append(action)
            low, high = env.action_space.low, env.action_space.high
            obs, reward, terminated, truncated, _ = env.step(
                np.clip(low + (action + 1.0) * (high - low) / 2.0, low, high))
            rewards.append(reward)
            step += 1e-3
            if terminated or truncated:
                break
        trajectories.append((np.array(observes), np.array(actions), np.array(rewards)))
    scaler.update(np.array(unscaled_all))
    return trajectories


def test_one_worker_is_exactly_parls_serial_loop():
    scalers = [Scaler(5), Scaler(5)]
    for scaler in scalers:  # non-trivial statistics, so that scaling is exercised
        scaler.update(np.random.default_rng(1).normal(size=(50, 5)))
    sampler = EpisodeSampler(ENV, [7])
    try:
        ours = sampler.collect(make_agent(seed=3), scalers[0], 4)
    finally:
        sampler.close()
    reference = parl_serial_batch(make_env(ENV, 7), make_agent(seed=3), scalers[1], 4)
    assert len(ours) == 4
    for mine, (obs, actions, rewards) in zip(ours, reference):
        np.testing.assert_array_equal(mine["obs"], obs)
        np.testing.assert_array_equal(mine["actions"], actions)
        np.testing.assert_array_equal(mine["rewards"], rewards)
    np.testing.assert_array_equal(scalers[0].means, scalers[1].means)
    np.testing.assert_array_equal(scalers[0].vars, scalers[1].vars)
    assert scalers[0].count == scalers[1].count


def test_parallel_workers_run_whole_episodes_and_update_the_scaler_once():
    agent = make_agent(init_logvar=2.0)  # wide noise: actions get clipped
    scaler = Scaler(5)
    sampler = EpisodeSampler(ENV, [11, 12, 13])
    try:
        batch = sampler.collect(agent, scaler, 5)
    finally:
        sampler.close()
    assert len(batch) == 5
    lengths = [len(t["rewards"]) for t in batch]
    assert scaler.count == sum(lengths)
    for t in batch:
        n = len(t["rewards"])
        assert t["obs"].shape == (n, 5) and t["actions"].shape == (n, 1)
        np.testing.assert_allclose(t["obs"][:, -1], np.arange(n) * 1e-3, atol=1e-6)  # own clock
        # An empty scaler has mean 0 and scale 1/0.3: obs are scaled by 1/0.3, time untouched.
        assert np.abs(t["actions"]).max() == 1.0  # clipped, and the clip was needed
    # Episodes 0 and 3 come from worker 0, 1 and 4 from worker 1, 2 from worker 2: their
    # starting states are different draws.
    assert len({t["obs"][0, 0] for t in batch}) == 5


def test_a_worker_that_dies_is_reported_not_waited_for():
    sampler = EpisodeSampler(ENV, [1, 2])
    try:
        sampler.children[0].process.kill()
        sampler.children[0].process.join()
        with pytest.raises(SamplingError, match="died"):
            sampler.collect(make_agent(), Scaler(5), 2)
    finally:
        sampler.close()


def test_evaluation_uses_the_policy_mean():
    env = make_env(ENV, seed=2)
    agent = make_agent()
    scaler = Scaler(5)
    returns = []
    for _ in range(2):
        env.reset(seed=3)
        returns.append(run_evaluate_episode(env, agent, scaler))
    assert returns[0] == returns[1]  # no sampling noise


def test_mujoco_warnings_become_python_warnings_and_write_no_log_file(tmp_path, monkeypatch):
    import mujoco

    monkeypatch.chdir(tmp_path)
    with pytest.warns(RuntimeWarning, match="MuJoCo: compiler attribute 'settotalmass'"):
        mujoco.MjModel.from_xml_string(
            '<mujoco><compiler settotalmass="2"/><worldbody><body><freejoint/>'
            '<geom size=".1"/></body></worldbody></mujoco>')
    assert list(tmp_path.iterdir()) == []
