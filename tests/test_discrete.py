"""Discrete action spaces: the categorical distribution's formulas, the categorical policy and
its NumPy copy, discrete environments and the Box2D tasks, every objective on a real batch."""
import math

import gymnasium as gym
import numpy as np
import paddle
import pytest
from scipy.special import log_softmax as scipy_log_softmax

from helpers import eval_rewards, read_progress, run_python, run_train

from mujoco_ppo.envs.make import make_env, space_dims
from mujoco_ppo.errors import UserError
from mujoco_ppo.parl1.build import build_agent
from mujoco_ppo.parl1.data import build_train_data
from mujoco_ppo.parl1.distributions import Categorical
from mujoco_ppo.parl1.local_workers import EpisodeSampler
from mujoco_ppo.parl1.model import MujocoModel, policy_sizes
from mujoco_ppo.parl1.numpy_policy import NumpyPolicy
from mujoco_ppo.parl1.objectives import LOSS_TYPES
from mujoco_ppo.parl1.scaler import Scaler


def t(x, dtype="float32"):
    return paddle.to_tensor(np.asarray(x, dtype=dtype))


@pytest.mark.unit
def test_logprob_by_hand():
    # logits (0, ln 2, ln 5): probabilities 1/8, 2/8, 5/8
    logits = t([[0.0, math.log(2.0), math.log(5.0)]] * 3)
    logp = Categorical.logprob(t([0, 1, 2], "int64"), (logits,)).numpy()
    np.testing.assert_allclose(logp, np.log([1 / 8, 2 / 8, 5 / 8]), rtol=1e-6)


@pytest.mark.unit
def test_logprob_is_stable_for_large_logits():
    logp = Categorical.logprob(t([0, 1], "int64"), (t([[1000.0, 0.0], [1000.0, 0.0]]),)).numpy()
    np.testing.assert_allclose(logp, [0.0, -1000.0], atol=1e-4)


@pytest.mark.unit
def test_kl_matches_the_closed_form_and_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    old, new = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    old_log, new_log = scipy_log_softmax(old, axis=1), scipy_log_softmax(new, axis=1)
    closed = np.sum(np.exp(old_log) * (old_log - new_log), axis=1)
    ours = Categorical.kl((t(old),), (t(new),)).numpy()
    np.testing.assert_allclose(ours, closed, rtol=1e-5)
    # Monte Carlo: E_{a ~ old}[log old(a) - log new(a)] for the first row
    draws = rng.choice(5, size=400000, p=np.exp(old_log[0]))
    assert ours[0] == pytest.approx(np.mean(old_log[0][draws] - new_log[0][draws]), rel=0.02)
    assert Categorical.kl((t(old),), (t(old),)).numpy() == pytest.approx(np.zeros(4), abs=1e-6)


@pytest.mark.unit
def test_entropy_pinned():
    # uniform over 4: ln 4; probabilities (1/8, 2/8, 5/8): -sum p ln p
    logits = t([[0.3, 0.3, 0.3, 0.3], [0.0, math.log(2.0), math.log(5.0), -1e9]])
    expected = [math.log(4.0), -sum(p * math.log(p) for p in (1 / 8, 2 / 8, 5 / 8))]
    np.testing.assert_allclose(Categorical.entropy((logits,)).numpy(), expected, rtol=1e-6)


@pytest.mark.unit
def test_categorical_model_sizes_logits_without_tanh_and_no_logvars():
    model = MujocoModel(5, 3, discrete=True)
    h1, h2, h3, lr = policy_sizes(5, 3)  # n_actions in place of act_dim
    policy = model.policy_model
    assert [policy.fc1.weight.shape, policy.fc2.weight.shape, policy.fc3.weight.shape,
            policy.fc4.weight.shape] == [[5, h1], [h1, h2], [h2, h3], [h3, 3]]
    assert model.policy_lr == pytest.approx(lr)
    assert not hasattr(policy, "logvars")
    assert all("logvars" not in name for name in model.state_dict())
    policy.fc4.bias.set_value(np.array([4.0, 0.0, -4.0], dtype="float32"))
    (logits,) = model.policy(t(np.zeros((2, 5))))
    np.testing.assert_allclose(logits.numpy(), [[4.0, 0.0, -4.0]] * 2, atol=1e-6)  # no tanh


@pytest.mark.unit
def test_numpy_copy_equals_paddle_and_samples_the_softmax():
    model = MujocoModel(6, 4, discrete=True)
    obs = np.random.default_rng(1).normal(size=(7, 6)).astype("float32") * 3
    numpy_policy = NumpyPolicy(model.policy_model)
    (logits,) = model.policy(t(obs))
    np.testing.assert_allclose(numpy_policy.outputs(obs), logits.numpy(), atol=1e-6)
    # the arg-max action of evaluation, in NumPy and in the algorithm's predict
    agent = build_agent({}, 6, 4, discrete=True)
    agent.alg.model.set_state_dict(model.state_dict())
    np.testing.assert_array_equal(agent.policy_predict(obs), logits.numpy().argmax(axis=1))
    np.testing.assert_array_equal(agent.alg.predict(t(obs)).numpy(), logits.numpy().argmax(axis=1))
    # sampling frequencies follow softmax(logits) (binomial std < 0.0016 for 100k draws)
    many = np.repeat(obs[:1], 100000, axis=0)
    actions = numpy_policy.sample(many, np.random.default_rng(2))
    assert actions.dtype.kind == "i" and set(np.unique(actions)) <= set(range(4))
    probs = np.exp(scipy_log_softmax(logits.numpy()[0].astype(np.float64)))
    np.testing.assert_allclose(np.bincount(actions, minlength=4) / len(many), probs, atol=0.008)


class MultiDiscreteActions(gym.ActionWrapper):
    def __init__(self, env):
        super().__init__(env)
        self.action_space = gym.spaces.MultiDiscrete([2, 2])

    def action(self, action):
        return int(action[0])


gym.register("MultiDiscreteCartPole-v0",
             entry_point=lambda **kw: MultiDiscreteActions(gym.make("CartPole-v1", **kw)))


@pytest.mark.unit
def test_discrete_envs_are_accepted_and_other_spaces_refused_in_one_sentence():
    for env_id, n_actions in [("CartPole-v1", 2), ("Acrobot-v1", 3), ("LunarLander-v3", 4)]:
        env = make_env(env_id, 0)
        assert space_dims(env) == (env.observation_space.shape[0] + 1, n_actions, True)
        env.close()
    with pytest.raises(UserError) as refusal:
        make_env("MultiDiscreteCartPole-v0")
    message = str(refusal.value)
    assert "MultiDiscrete action space" in message and "Discrete one" in message
    assert message.count(". ") == 0 and message.endswith(".")
    import faulty_envs  # noqa: F401  (registers MatrixAction-v0)
    with pytest.raises(UserError, match=r"has a Box\(2, 2\) action space; this package needs a "
                                        r"flat \(1-D\) one"):
        make_env("MatrixAction-v0")


@pytest.mark.unit
@pytest.mark.parametrize("loss_type", LOSS_TYPES)
def test_every_objective_learns_on_a_real_cartpole_batch(loss_type):
    """One sampled batch, its advantages, one policy_learn and one value_learn per objective:
    integer actions reach the categorical log-probability and the update moves the policy."""
    paddle.seed(0)
    sampler = EpisodeSampler("CartPole-v1", [0])
    try:
        obs_dim, act_dim, discrete = space_dims(sampler.env)
        agent = build_agent({"loss_type": loss_type}, obs_dim, act_dim, discrete,
                            rng=np.random.default_rng(0))
        scaler = Scaler(obs_dim)
        sampler.collect(agent, scaler, 2)  # the scaler's warm-up
        trajectories = sampler.collect(agent, scaler, 3)
    finally:
        sampler.close()
    obs, actions, advantages, targets = build_train_data(trajectories, agent, 0.99, 0.95)
    assert actions.dtype == np.int64 and actions.ndim == 1
    before = agent.numpy_policy().outputs(obs)
    loss, kl, _ = agent.policy_learn(obs, actions, advantages)
    assert np.isfinite([loss, kl, agent.value_learn(obs, targets)]).all() and kl > 0.0
    assert not np.allclose(agent.numpy_policy().outputs(obs), before)


@pytest.mark.e2e
@pytest.mark.parametrize("env_id", ["LunarLander-v3", "BipedalWalker-v3"])
def test_box2d_tasks_train(env_id, tmp_path):
    """Box2D (requirements.txt) installs and its tasks train: discrete LunarLander, continuous
    BipedalWalker, a few iterations each, then evaluate.py on the checkpoint (with a video of
    LunarLander)."""
    out = tmp_path / env_id
    proc = run_train("--env", env_id, "--loss_type", "TRPO", "--train_total_steps", 1500,
                     "--episodes_per_batch", 2, "--test_every_steps", 500, "--seed", 0,
                     "--output_dir", out)
    assert proc.returncode == 0, proc.stderr
    rows = read_progress(out)
    assert int(rows[-1]["steps"]) >= 1500 and eval_rewards(out)
    # LunarLander's video: a Box2D task takes no MuJoCo camera argument
    video = ["--video", str(tmp_path / "episode.mp4")] if env_id == "LunarLander-v3" else []
    evaluation = run_python("evaluate.py", "--checkpoint", out, "--episodes", 1, *video,
                            timeout=300)
    assert evaluation.returncode == 0, evaluation.stderr
    assert f"{env_id}, checkpoint" in evaluation.stdout
    if video:
        assert (tmp_path / "episode.mp4").stat().st_size > 0
