"""PARL 2.x's PPO in process: rollout storage's GAE pinned to hand-computed values, the Atari
wrappers on real ALE Breakout, parl.algorithms.PPO itself doing the learning, the shared Atari
trunk, observation normalisation and environment state."""
import gymnasium as gym
import numpy as np
import pytest

from mujoco_ppo.parl2.env_utils import make_env
from mujoco_ppo.parl2.storage import RolloutStorage
from mujoco_ppo.parl2.wrappers import EpisodicLife

pytestmark = pytest.mark.unit

SPACES = (gym.spaces.Box(-1, 1, (1,)), gym.spaces.Discrete(2))


def _filled_storage(rewards, values, dones):
    """A 3-step, 2-environment rollout; arrays are [step, env]."""
    storage = RolloutStorage(3, 2, *SPACES)
    for t in range(3):
        storage.append(np.zeros((2, 1)), np.zeros(2), np.zeros(2), rewards[t], dones[t], values[t])
    return storage


def test_gae_and_returns_by_hand():
    # env 0: an episode ends after step 1 (dones[2] = 1: obs[2] starts a new one); bootstrap 2.0.
    # env 1: the rollout's last step ends an episode (next done = 1): its bootstrap 4.0 is unused.
    rewards = np.array([[1, 0], [2, 0], [3, 1]], np.float32)
    values = np.array([[0.5, 0], [1.0, 0], [1.5, 0]], np.float32)
    dones = np.array([[0, 0], [0, 0], [1, 0]], np.float32)
    storage = _filled_storage(rewards, values, dones)
    adv, ret = storage.compute_returns(np.array([[2.0], [4.0]]), np.array([0.0, 1.0]),
                                       gamma=0.5, gae_lambda=0.5)
    # env 0, gamma = lambda = 0.5:
    #   t=2: delta = 3 + 0.5*2.0 - 1.5 = 2.5                        A = 2.5
    #   t=1: next step starts a new episode: delta = 2 - 1.0 = 1.0   A = 1.0
    #   t=0: delta = 1 + 0.5*1.0 - 0.5 = 1.0,  A = 1.0 + 0.25*1.0 = 1.25
    # env 1: t=2: delta = 1 (terminal) -> 1; t=1: 0 + 0.25*1 = 0.25; t=0: 0.25*0.25 = 0.0625
    np.testing.assert_allclose(adv, [[1.25, 0.0625], [1.0, 0.25], [2.5, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(ret, [[1.75, 0.0625], [2.0, 0.25], [4.0, 1.0]], rtol=1e-6)


def test_lambda_one_returns_are_discounted_sums_to_the_episode_end_or_the_bootstrap():
    rewards = np.array([[1, 1], [1, 1], [1, 1]], np.float32)
    values = np.array([[5, 3], [-2, 7], [9, 1]], np.float32)
    dones = np.array([[0, 0], [0, 1], [0, 0]], np.float32)
    storage = _filled_storage(rewards, values, dones)
    _, ret = storage.compute_returns(np.array([10.0, 10.0]), np.array([0.0, 0.0]),
                                     gamma=0.9, gae_lambda=1.0)
    # env 0 never ends: R_t = sum of 0.9^k rewards + 0.9^(3-t) * 10
    # env 1 ends after step 0: R_0 = 1; from step 1: 1 + 0.9 + 0.81 * 10
    np.testing.assert_allclose(ret[:, 0], [1 + .9 + .81 + .729 * 10, 1 + .9 + .81 * 10, 1 + 9],
                               rtol=1e-6)
    np.testing.assert_allclose(ret[:, 1], [1, 1 + .9 + .81 * 10, 1 + 9], rtol=1e-6)


def test_sample_batch_flattens_step_major_in_learn_order():
    storage = _filled_storage(np.arange(6, dtype=np.float32).reshape(3, 2),
                              np.zeros((3, 2)), np.zeros((3, 2)))
    storage.compute_returns(np.zeros(2), np.zeros(2), gamma=0.0, gae_lambda=0.0)
    obs, actions, logprobs, adv, ret, values = storage.sample_batch(np.array([3, 0]))
    np.testing.assert_array_equal(adv, [3.0, 0.0])  # index 3 = step 1, env 1
    assert obs.shape == (2, 1) and obs.dtype == np.float32


@pytest.mark.parametrize("env_id", ["BreakoutNoFrameskip-v4", "ALE/Breakout-v5"])
def test_atari_wrappers_shape_dtype_and_frame_stack(env_id):
    env = make_env(env_id, "atari")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert env.observation_space.shape == (4, 84, 84)
    assert env.unwrapped._frameskip == 1  # frame skip (with max-pooling) is the wrapper's
    # after a reset every frame of the stack is the first frame; each step shifts in one frame
    assert all(np.array_equal(obs[0], frame) for frame in obs)
    previous = obs
    for _ in range(5):
        obs, *_ = env.step(env.action_space.sample())
        np.testing.assert_array_equal(obs[:3], previous[1:])
        previous = obs
    assert obs[3].any()  # a real grey frame, not padding
    env.close()


def test_atari_rewards_clipped_lives_episodic_and_returns_whole_games():
    env = make_env("BreakoutNoFrameskip-v4", "atari")
    env.reset(seed=1)
    env.action_space.seed(1)  # random play scores no point in some games: this one scores
    life_ends = game_return = steps = 0
    clipped = []
    while True:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        clipped.append(reward)
        steps += 1
        if "episode" in info:
            game_return = info["episode"]["r"]
            break
        if terminated:
            life_ends += 1
            lives = env.unwrapped.ale.lives()
            env.reset()  # continues the game: the lives stay
            assert env.unwrapped.ale.lives() == lives
        assert steps < 20000
    assert set(clipped) <= {0.0, 1.0}  # Breakout scores are positive: clipped to 1
    assert life_ends == 4  # five lives: four episodes end on a lost life, the fifth with the game
    assert game_return >= sum(clipped) > 0  # raw points (1, 4 or 7 a brick) against clipped
    assert isinstance(env.env.env.env, EpisodicLife) or any(
        isinstance(w, EpisodicLife) for w in _wrappers(env))
    env.close()


def _wrappers(env):
    while isinstance(env, gym.Wrapper):
        yield env
        env = env.env


def test_ppo_learn_of_parl_itself_does_the_updates(tmp_path, monkeypatch):
    import parl.algorithms

    from mujoco_ppo.parl2 import train_loop

    calls = []
    original = parl.algorithms.PPO.learn

    def counting_learn(self, *args, **kwargs):
        calls.append(type(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(parl.algorithms.PPO, "learn", counting_learn)
    status = train_loop.main(["--env", "CartPole-v1", "--seed", "1", "--env_num", "2",
                              "--step_nums", "16", "--num_minibatches", "4", "--update_epochs",
                              "3", "--train_total_steps", "64", "--output_dir",
                              str(tmp_path / "out")])
    assert status == 0
    assert calls == [parl.algorithms.PPO] * (2 * 3 * 4)  # 2 updates x 3 epochs x 4 minibatches
    assert parl.algorithms.PPO.__module__ == "parl.algorithms.paddle.ppo"


def test_atari_model_shares_its_trunk_without_changing_ppo_learn_or_sample():
    """value(obs) then policy(obs) runs the CNN once: parl.algorithms.PPO's learn gives the
    losses and the updated weights of PARL's two-pass model, and sample the same values and
    actions; a policy call on another tensor (predict) does not reuse the trunk."""
    import paddle
    from parl.algorithms import PPO

    from mujoco_ppo.parl2.model import AtariModel

    obs_space, act_space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), gym.spaces.Discrete(4)
    rng = np.random.default_rng(0)
    obs = paddle.to_tensor(rng.integers(0, 256, (16, 4, 84, 84)).astype("float32"))
    batch = (obs, paddle.to_tensor(rng.integers(0, 4, 16)), paddle.to_tensor(rng.normal(size=16)),
             paddle.to_tensor(rng.normal(size=16)), paddle.to_tensor(-np.log(4) + 0.1 * rng.normal(size=16)),
             paddle.to_tensor(rng.normal(size=16)))
    batch = tuple(x.astype("float32") if x.dtype == paddle.float64 else x for x in batch)
    results = {}
    for share in (True, False):
        paddle.seed(3)
        model = AtariModel(obs_space, act_space)
        model.share_trunk = share
        ppo = PPO(model, clip_param=0.1, value_loss_coef=0.5, entropy_coef=0.01,
                  initial_lr=2.5e-4, max_grad_norm=0.5)
        before = model.fc.weight.numpy().copy()
        losses = [ppo.learn(*batch) for _ in range(2)]
        assert np.abs(model.fc.weight.numpy() - before).max() > 1e-5  # the steps moved it
        with paddle.no_grad():
            paddle.seed(4)
            value, action, logprob, _ = ppo.sample(obs)
            other = paddle.to_tensor(obs.numpy())  # another tensor: no reuse
            assert model._left_by_value is None
            model.value(obs)
            np.testing.assert_allclose(model.policy(other).numpy(), model.policy(obs).numpy(),
                                       rtol=1e-5, atol=1e-6)
        results[share] = (np.array(losses), {k: v.numpy() for k, v in model.state_dict().items()},
                          value.numpy(), action.numpy(), logprob.numpy())
    (shared_losses, shared_w, *shared_sample), (two_losses, two_w, *two_sample) = results[True], results[False]
    np.testing.assert_allclose(shared_losses, two_losses, rtol=1e-4, atol=1e-6)
    for name in two_w:
        np.testing.assert_allclose(shared_w[name], two_w[name], rtol=1e-4, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(shared_sample[0], two_sample[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(shared_sample[1], two_sample[1])


def test_mujoco_observations_normalised_with_frozen_statistics_in_evaluation():
    from mujoco_ppo.parl2.env_utils import obs_rms
    train_env = make_env("InvertedPendulum-v4", "mujoco")
    eval_env = make_env("InvertedPendulum-v4", "mujoco", evaluation=True)
    obs, _ = train_env.reset(seed=0)
    for _ in range(50):
        obs, reward, terminated, truncated, _ = train_env.step(train_env.action_space.sample())
        if terminated or truncated:
            obs, _ = train_env.reset()
        assert obs.dtype == np.float32 and np.all(np.abs(obs) <= 10.0)
    assert obs_rms(train_env).count > 50  # reset and step observations both counted
    eval_env.reset(seed=0)
    count = obs_rms(eval_env).count
    eval_env.step(eval_env.action_space.sample())
    assert obs_rms(eval_env).count == count  # frozen
    train_env.close()
    eval_env.close()


def test_a_rollout_that_does_not_fit_in_memory_is_refused():
    from mujoco_ppo.errors import UserError
    from mujoco_ppo.parl2.storage import check_rollout_fits, step_bytes
    frames, actions = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), gym.spaces.Discrete(4)
    assert step_bytes(frames, actions) == 4 * 84 * 84 + 4 + 6 * 4  # frames stay uint8
    storage = RolloutStorage(16, 8, frames, actions)
    held = sum(a.nbytes for a in (storage.obs, storage.actions, storage.logprobs,
                                  storage.rewards, storage.dones, storage.values))
    assert held + 2 * storage.rewards.nbytes == 16 * 8 * step_bytes(frames, actions)
    atari = {"env_num": 8, "step_nums": 128}
    check_rollout_fits(atari, frames, actions, 8 * 128 * step_bytes(frames, actions))
    with pytest.raises(UserError, match="at most --step_nums 127 fits"):
        check_rollout_fits(atari, frames, actions, 8 * 128 * step_bytes(frames, actions) - 1)


@pytest.mark.parametrize("env_id, kind", [("CartPole-v1", "classic"),
                                          ("InvertedPendulum-v4", "mujoco"),
                                          ("ALE/Breakout-v5", "atari")])
def test_env_state_restored_mid_episode_continues_identically(env_id, kind):
    from mujoco_ppo.parl2 import env_state
    original, copy = make_env(env_id, kind), make_env(env_id, kind)
    original.reset(seed=3)
    copy.reset(seed=99)
    actions = np.random.default_rng(0)
    for _ in range(20):
        _, _, terminated, truncated, _ = original.step(original.action_space.sample())
        if terminated or truncated:
            original.reset()
    env_state.restore(copy, "env", *env_state.capture(original, "env"))
    for _ in range(60):  # sticky actions (v5) and resets draw from the restored streams
        action = (actions.integers(original.action_space.n) if kind != "mujoco"
                  else actions.uniform(-1, 1, original.action_space.shape))
        a, b = original.step(action), copy.step(action)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
        assert [a[4]["episode"][k] for k in "rl"] == [b[4]["episode"][k] for k in "rl"] \
            if "episode" in a[4] else "episode" not in b[4]
        if a[2] or a[3]:
            np.testing.assert_array_equal(original.reset()[0], copy.reset()[0])


class _ConstantRewards(gym.Env):
    """Never terminates; step t of the whole stream rewards REWARDS[t]."""
    observation_space, action_space = gym.spaces.Box(-1, 1, (1,)), gym.spaces.Box(-1, 1, (1,))
    REWARDS = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0, 2.0]

    def reset(self, seed=None, options=None):
        self.t = getattr(self, "t", 0)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(1, np.float32), self.REWARDS[self.t - 1], False, False, {}


def _parl_vec_normalize_rewards(rewards, episode_len, gamma, epsilon=1e-8):
    """PARL's VecNormalizeEnv reward rule written out: ret = gamma * ret + r, the running mean
    and variance of ret (count starting at 1e-4, var at 1) updated with it, r / sqrt(var + eps),
    and ret = 0 after every done."""
    ret, mean, var, count, out = 0.0, 0.0, 1.0, 1e-4, []
    for t, r in enumerate(rewards):
        ret = gamma * ret + r
        delta, total = ret - mean, count + 1
        mean, var = mean + delta / total, (var * count + delta ** 2 * count / total) / total
        count = total
        out.append(r / np.sqrt(var + epsilon))
        if (t + 1) % episode_len == 0:
            ret = 0.0
    return out


def test_parl_reward_rule_restarts_the_return_at_truncation():
    from mujoco_ppo.parl2.env_utils import RETURN_RESETS
    gamma, episode_len = 0.9, 3  # episodes truncated by the time limit after 3 steps
    streams = {}
    for rule, wrapper in RETURN_RESETS.items():
        env = wrapper(gym.wrappers.TimeLimit(_ConstantRewards(), episode_len), gamma=gamma)
        env.reset(seed=0)
        streams[rule], returns = [], []
        for _ in _ConstantRewards.REWARDS:
            _, reward, terminated, truncated, _ = env.step(np.zeros(1))
            streams[rule].append(reward)
            returns.append(float(env.discounted_reward[0]))
            if terminated or truncated:
                env.reset()
        if rule == "episode_end":  # restarted after steps 3 and 6
            assert returns[2] == returns[5] == 0.0
            assert returns[3] == pytest.approx(-1.0) and returns[6] == pytest.approx(2.0)
        else:  # Gymnasium's: truncation does not restart it
            assert returns[3] == pytest.approx(gamma * (gamma * 1 + 2) * gamma + 3 * gamma - 1)
    np.testing.assert_allclose(streams["episode_end"],
                               _parl_vec_normalize_rewards(_ConstantRewards.REWARDS, episode_len,
                                                           gamma), rtol=1e-12)
    assert not np.allclose(streams["termination"], streams["episode_end"])


def test_runs_made_before_the_return_reset_flag_resume_with_gymnasiums_rule(tmp_path):
    import json
    import shutil

    from mujoco_ppo.parl2.config import parse_args
    run = shutil.copytree("results/parl2/runs/Hopper-v4/parl2/seed0", tmp_path / "run",
                          ignore=shutil.ignore_patterns("checkpoints"))
    config = json.loads((run / "config.json").read_text())
    config["args"].pop("return_reset", None)  # as config.json was before the flag
    (run / "config.json").write_text(json.dumps(config))
    assert parse_args(["--resume", str(run)]).return_reset == "termination"
    assert parse_args(["--env", "Hopper-v4"]).return_reset == "episode_end"


def test_evaluation_gets_a_copy_of_the_training_statistics_as_they_are_at_the_evaluation():
    """PARL hands its evaluation environment the training environment's RunningMeanStd itself;
    here it gets a copy at each evaluation: the same values then (what the evaluation uses), and
    neither the evaluation nor later training steps change the copy."""
    from mujoco_ppo.parl2.env_utils import obs_rms
    from mujoco_ppo.parl2.parallel_env import ParallelEnv
    from mujoco_ppo.parl2.train_loop import freeze_eval_statistics

    envs = ParallelEnv("InvertedPendulum-v4", "mujoco", "episode_end", [0])
    eval_env = make_env("InvertedPendulum-v4", "mujoco", evaluation=True)
    envs.reset()
    for _ in range(30):
        envs.step(np.zeros((1, 1), np.float32))
    eval_env.reset(seed=1)
    freeze_eval_statistics(envs, eval_env)
    training, evaluation = obs_rms(envs.workers[0].env), obs_rms(eval_env)
    assert evaluation is not training and evaluation.count == training.count
    np.testing.assert_array_equal(evaluation.mean, training.mean)
    np.testing.assert_array_equal(evaluation.var, training.var)
    mean, count = evaluation.mean.copy(), evaluation.count
    eval_env.step(np.zeros(1, np.float32))
    envs.step(np.zeros((1, 1), np.float32))
    assert evaluation.count == count and training.count == count + 1
    np.testing.assert_array_equal(evaluation.mean, mean)
    envs.close()
    eval_env.close()
