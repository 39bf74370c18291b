"""From trajectories to training arrays (mujoco_ppo/parl1/data.py): discounted sums with (1-γ)
scaling, GAE by hand, advantages normalised per trajectory."""
import numpy as np
import pytest

from mujoco_ppo.parl1.data import build_train_data, trajectory_targets

pytestmark = pytest.mark.unit


def test_value_targets_are_discounted_sums_of_rewards_scaled_by_one_minus_gamma():
    gamma = 0.5
    _, targets = trajectory_targets([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], gamma, lam=1.0)
    # scaled rewards 0.5, 1.0, 1.5
    assert targets.tolist() == pytest.approx([0.5 + 0.5 * 1.0 + 0.25 * 1.5, 1.0 + 0.5 * 1.5, 1.5])


def test_gae_by_hand_before_normalisation():
    gamma, lam = 0.9, 0.5
    rewards = np.array([10.0, 0.0, 20.0])
    values = np.array([0.5, 0.2, 1.0])
    r = rewards * (1 - gamma)  # 1.0, 0.0, 2.0
    d = [r[0] + gamma * values[1] - values[0],
         r[1] + gamma * values[2] - values[1],
         r[2] + gamma * 0.0 - values[2]]  # V after the last step is 0
    raw = np.array([d[0] + gamma * lam * d[1] + (gamma * lam) ** 2 * d[2],
                    d[1] + gamma * lam * d[2],
                    d[2]])
    advantages, _ = trajectory_targets(rewards, values, gamma, lam)
    expected = (raw - raw.mean()) / (raw.std() + 1e-6)
    np.testing.assert_allclose(advantages, expected, rtol=1e-5)


class FixedValues:
    """Stands in for the agent's value net: V(s) = first observation column."""

    def value_predict(self, obs):
        return obs[:, 0].astype("float32")


def test_batch_assembly_normalises_advantages_per_trajectory():
    rng = np.random.default_rng(0)
    trajectories = []
    for length, reward_scale in ((50, 1.0), (20, 100.0)):
        trajectories.append({
            "obs": rng.normal(size=(length, 3)).astype("float32"),
            "actions": rng.uniform(-1, 1, size=(length, 2)).astype("float32"),
            "rewards": rng.normal(size=length) * reward_scale,
        })
    obs, actions, adv, targets = build_train_data(trajectories, FixedValues(), 0.99, 0.95)
    assert obs.shape == (70, 3) and actions.shape == (70, 2)
    assert adv.dtype == np.float32 and targets.dtype == np.float32
    for part in (adv[:50], adv[50:]):
        assert part.mean() == pytest.approx(0.0, abs=1e-5)
        assert part.std() == pytest.approx(1.0, abs=1e-4)
    second_adv, second_targets = trajectory_targets(
        trajectories[1]["rewards"], trajectories[1]["obs"][:, 0], 0.99, 0.95)
    np.testing.assert_allclose(adv[50:], second_adv, rtol=1e-6)
    np.testing.assert_allclose(targets[50:], second_targets, rtol=1e-6)
