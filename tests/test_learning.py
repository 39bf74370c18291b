"""Short runs on real physics (MuJoCo, classic control) that must learn, through the command line
as a user runs it."""
import pytest

from helpers import eval_rewards, read_progress, run_train


@pytest.mark.parametrize("loss_type", ["CLIP", "KLPEN", "TRPO"])
def test_inverted_pendulum_learns(loss_type, tmp_path):
    out = tmp_path / loss_type
    proc = run_train("--env", "InvertedPendulum-v4", "--loss_type", loss_type,
                     "--train_total_steps", 20000, "--test_every_steps", 2500, "--seed", 0,
                     "--output_dir", out)
    assert proc.returncode == 0, proc.stderr
    rewards = eval_rewards(out)
    untrained = rewards[0]
    assert untrained < 50  # the untrained policy lets the pole fall within a few steps
    # Seeds 0-3 of CLIP and KLPEN reach 440 to 1000 here (an episode is capped at 1000 steps);
    # TRPO seeds 0 and 1 reach 1000 and 686.
    assert max(rewards[1:]) >= max(300.0, 20 * untrained), rewards


def test_hopper_train_reward_rises(tmp_path):
    out = tmp_path / "hopper"
    proc = run_train("--env", "Hopper-v4", "--train_total_steps", 40000,
                     "--test_every_steps", 10000, "--seed", 0, "--output_dir", out)
    assert proc.returncode == 0, proc.stderr
    train = [float(row["train_reward"]) for row in read_progress(out)]
    first, last = sum(train[:5]) / 5, sum(train[-5:]) / 5
    assert last > 2 * first + 50, (first, last)


@pytest.mark.parametrize("loss_type", ["CLIP", "KLPEN", "TRPO"])
def test_cartpole_reaches_the_500_cap(loss_type, tmp_path):
    """The categorical policy on CartPole-v1: evaluation (arg-max actions) reaches the 500-step
    cap within 20k steps (seeds 0-3 of each objective reach it by 13k), and the training reward
    (sampled actions) climbs from about 20 to several hundred (seed 0: 399 to 500)."""
    out = tmp_path / loss_type
    proc = run_train("--env", "CartPole-v1", "--loss_type", loss_type,
                     "--train_total_steps", 20000, "--test_every_steps", 2000, "--seed", 0,
                     "--output_dir", out)
    assert proc.returncode == 0, proc.stderr
    rewards = eval_rewards(out)
    assert rewards[0] < 200 and max(rewards) == 500.0, rewards
    train = [float(row["train_reward"]) for row in read_progress(out)]
    assert max(train[-5:]) >= 250.0, train
