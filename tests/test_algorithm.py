"""PPO (mujoco_ppo/parl1/algorithm.py) and its Gaussian: log-probability, KL and entropy against
SciPy and closed forms, the clipped and KLPEN objectives, a sync leaving ratio 1 and KL 0, the
frozen copy staying frozen."""
import math

import numpy as np
import paddle
import pytest
from scipy.stats import multivariate_normal

from mujoco_ppo.parl1.algorithm import PPO, clip_objective, klpen_objective
from mujoco_ppo.parl1.distributions import gaussian_kl, gaussian_logprob
from mujoco_ppo.parl1.model import MujocoModel

pytestmark = pytest.mark.unit


def t(x):
    return paddle.to_tensor(np.asarray(x, dtype="float32"))


def test_logprob_is_the_gaussian_log_density_without_the_2pi_constant():
    rng = np.random.default_rng(0)
    means, actions = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    logvars = np.array([-1.0, 0.3, 0.7])
    ours = gaussian_logprob(t(actions), t(means), t(logvars)).numpy()
    for i in range(4):
        full = multivariate_normal(means[i], np.diag(np.exp(logvars))).logpdf(actions[i])
        assert ours[i] == pytest.approx(full + 0.5 * 3 * math.log(2 * math.pi), abs=1e-5)


def test_logprob_by_hand():
    # One dimension, logvar 0: -0.5*(a-mu)^2 = -0.5*4 = -2.
    assert gaussian_logprob(t([[3.0]]), t([[1.0]]), t([0.0])).numpy()[0] == pytest.approx(-2.0)


def closed_form_kl(mu0, logvar0, mu1, logvar1):
    """KL(N0 || N1) for diagonal Gaussians, summed per dimension in the textbook form."""
    var0, var1 = np.exp(logvar0), np.exp(logvar1)
    return np.sum(0.5 * (logvar1 - logvar0) + (var0 + (mu0 - mu1) ** 2) / (2 * var1) - 0.5, axis=-1)


def test_kl_matches_the_closed_form_per_sample():
    rng = np.random.default_rng(1)
    old_mu, mu = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    old_lv, lv = rng.normal(size=4) * 0.5, rng.normal(size=4) * 0.5
    ours = gaussian_kl(t(old_mu), t(old_lv), t(mu), t(lv)).numpy()
    np.testing.assert_allclose(ours, closed_form_kl(old_mu, old_lv, mu, lv), rtol=1e-5)


def test_kl_matches_a_monte_carlo_estimate():
    old_mu, mu = np.array([0.2, -0.4]), np.array([0.5, 0.1])
    old_lv, lv = np.array([-1.0, -0.5]), np.array([-0.7, -1.2])
    rng = np.random.default_rng(2)
    x = old_mu + np.exp(old_lv / 2) * rng.normal(size=(400000, 2))
    log_old = multivariate_normal(old_mu, np.diag(np.exp(old_lv))).logpdf(x)
    log_new = multivariate_normal(mu, np.diag(np.exp(lv))).logpdf(x)
    mc = np.mean(log_old - log_new)
    ours = gaussian_kl(t([old_mu]), t(old_lv), t([mu]), t(lv)).numpy()[0]
    assert ours == pytest.approx(mc, rel=0.02)


def test_kl_of_a_distribution_with_itself_is_zero():
    mu, lv = t([[0.3, -0.2]]), t([-1.0, 0.5])
    assert gaussian_kl(mu, lv, mu, lv).numpy()[0] == pytest.approx(0.0, abs=1e-7)


def gradient_of(loss_fn, ratio):
    r = t(ratio)
    r.stop_gradient = False
    loss = loss_fn(r)
    loss.backward()
    return float(loss), r.grad.numpy()


def test_clip_objective_value_and_where_its_gradient_vanishes():
    eps = 0.2
    # ratio:          inside, above, below, inside, above, below
    ratio = np.array([1.1, 1.5, 0.5, 0.9, 1.5, 0.5])
    adv = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    loss, grad = gradient_of(lambda r: clip_objective(r, t(adv), eps), ratio)
    # min(A r, A clip(r)): 1.1, 1.2, 0.5, -0.9, -1.5, -0.8
    assert loss == pytest.approx(-np.mean([1.1, 1.2, 0.5, -0.9, -1.5, -0.8]), abs=1e-6)
    n = len(ratio)
    expected = np.array([-1, 0, -1, 1, 1, 0]) / n
    # A > 0: clipped (zero gradient) only above 1+eps; A < 0: only below 1-eps.
    np.testing.assert_allclose(grad, expected, atol=1e-7)


def test_klpen_objective_by_hand():
    ratio, adv = np.array([1.2, 0.8]), np.array([2.0, -1.0])
    loss, grad = gradient_of(lambda r: klpen_objective(r, t(adv), t(0.05), 1.5), ratio)
    assert loss == pytest.approx(-(2.4 - 0.8) / 2 + 1.5 * 0.05, abs=1e-6)
    np.testing.assert_allclose(grad, -adv / 2, atol=1e-7)  # never clipped


def make_ppo(obs_dim=4, act_dim=2):
    model = MujocoModel(obs_dim, act_dim)
    return PPO(model, act_dim=act_dim, policy_lr=model.policy_lr, value_lr=model.value_lr)


def batch(n=64, obs_dim=4, act_dim=2, seed=3):
    rng = np.random.default_rng(seed)
    return (t(rng.normal(size=(n, obs_dim))), t(rng.uniform(-1, 1, size=(n, act_dim))),
            t(rng.normal(size=n)))


@pytest.mark.parametrize("beta", [None, 2.0])
def test_right_after_sync_the_ratio_is_one_and_the_loss_is_minus_the_mean_advantage(beta):
    alg = make_ppo()
    alg.sync_old_policy()
    obs, actions, adv = batch()
    loss, kl, clip_fraction = alg.policy_loss(obs, actions, adv, beta)
    assert float(loss) == pytest.approx(-float(adv.mean()), abs=1e-5)
    assert float(kl) == pytest.approx(0.0, abs=1e-7)
    assert float(clip_fraction) == 0.0


def test_policy_learn_moves_the_policy_but_not_the_frozen_copy():
    alg = make_ppo()
    alg.sync_old_policy()
    before = alg.old_policy_model.fc1.weight.numpy().copy()
    obs, actions, adv = batch()
    losses = [alg.policy_learn(obs, actions, adv)[0] for _ in range(5)]
    np.testing.assert_array_equal(alg.old_policy_model.fc1.weight.numpy(), before)
    assert not np.allclose(alg.model.policy_model.fc1.weight.numpy(), before)
    assert losses[-1] < losses[0]
    assert float(alg.policy_loss(obs, actions, adv)[1]) > 0.0


def test_value_learn_reduces_the_squared_error():
    alg = make_ppo()
    obs, _, targets = batch(n=256)
    losses = [alg.value_learn(obs, targets) for _ in range(30)]
    assert losses[-1] < 0.8 * losses[0]
    direct = float(paddle.mean(paddle.square(alg.value_predict(obs) - targets)))
    assert direct < losses[0]


def test_gaussian_entropy_and_mode():
    from mujoco_ppo.parl1.distributions import DiagGaussian
    means, logvars = np.array([[0.3, -0.2], [1.0, 0.5]]), np.array([-1.0, 0.4])
    expected = multivariate_normal(np.zeros(2), np.diag(np.exp(logvars))).entropy()
    ours = DiagGaussian.entropy((t(means), t(logvars))).numpy()
    np.testing.assert_allclose(ours, [expected, expected], rtol=1e-5)
    np.testing.assert_array_equal(DiagGaussian.mode((t(means), t(logvars))).numpy(),
                                  means.astype("float32"))
