"""MujocoModel (mujoco_ppo/parl1/model.py): layer sizes and learning rates, the initialisation,
the NumPy policy equal to Paddle's forward pass, the sampling statistics."""
import math

import numpy as np
import paddle
import pytest

from mujoco_ppo.parl1.algorithm import PPO
from mujoco_ppo.parl1.model import MujocoModel
from mujoco_ppo.parl1.numpy_policy import NumpyPolicy

pytestmark = pytest.mark.unit


def layer_widths(net):
    return [net.fc1.weight.shape[1], net.fc2.weight.shape[1], net.fc3.weight.shape[1],
            net.fc4.weight.shape[1]]


@pytest.mark.parametrize("env_obs, act, policy, value", [
    # HalfCheetah: 17 obs + time feature, 6 actions.
    (17, 6, [180, 103, 60, 6], [180, 30, 5, 1]),
    # Hopper: 11 obs + time feature, 3 actions: sqrt(120*30) = 60, sqrt(120*5) = 24.49.
    (11, 3, [120, 60, 30, 3], [120, 24, 5, 1]),
])
def test_network_sizes_and_learning_rates(env_obs, act, policy, value):
    model = MujocoModel(env_obs + 1, act)
    assert model.policy_model.fc1.weight.shape[0] == env_obs + 1
    assert layer_widths(model.policy_model) == policy
    assert layer_widths(model.value_model) == value
    assert model.policy_lr == pytest.approx(9e-4 / math.sqrt(policy[1]))
    assert model.value_lr == pytest.approx(1e-2 / math.sqrt(value[1]))


def test_halfcheetah_learning_rates_match_the_spec_figures():
    model = MujocoModel(18, 6)
    assert model.policy_lr == pytest.approx(8.87e-5, abs=5e-8)  # spec: 3 figures
    assert model.value_lr == pytest.approx(1.83e-3, abs=5e-6)


def test_logvars_start_at_minus_one_and_means_are_tanh_bounded():
    model = MujocoModel(18, 6)
    np.testing.assert_array_equal(model.policy_model.logvars.numpy(), -np.ones(6, "float32"))
    means, logvars = model.policy(paddle.to_tensor(np.full((4, 18), 50.0, "float32")))
    assert means.shape == [4, 6] and logvars.shape == [6]
    assert np.all(np.abs(means.numpy()) <= 1.0)
    assert model.value(paddle.to_tensor(np.zeros((4, 18), "float32"))).shape == [4]


def test_biases_start_at_zero_and_weights_are_xavier_uniform():
    model = MujocoModel(18, 6)
    fc1 = model.policy_model.fc1
    np.testing.assert_array_equal(fc1.bias.numpy(), 0.0)
    limit = math.sqrt(6.0 / (18 + 180))
    weights = fc1.weight.numpy()
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() > 0.9 * limit  # uniform over the whole range


def test_numpy_policy_is_the_paddle_forward_pass():
    model = MujocoModel(18, 6)
    obs = np.random.default_rng(0).normal(size=(7, 18)).astype("float32")
    alg = PPO(model, act_dim=6, policy_lr=model.policy_lr, value_lr=model.value_lr)
    expected = alg.predict(paddle.to_tensor(obs)).numpy()  # PARL's predict: the policy means
    np.testing.assert_allclose(NumpyPolicy(model.policy_model).outputs(obs), expected, atol=1e-6)


def test_sampling_is_mean_plus_exp_half_logvar_noise():
    model = MujocoModel(5, 2)
    policy = NumpyPolicy(model.policy_model)
    obs = np.tile(np.linspace(-1, 1, 5, dtype="float32"), (20000, 1))
    samples = policy.sample(obs, np.random.default_rng(0))
    np.testing.assert_allclose(samples.mean(axis=0), policy.outputs(obs[:1])[0], atol=0.02)
    np.testing.assert_allclose(samples.std(axis=0), math.exp(-0.5), rtol=0.03)
