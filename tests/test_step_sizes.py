"""scripts/step_sizes.py: medians of each run's logged KL and clip fraction, by setting."""
import csv
import os

import pytest

from synthetic_runs import write_run

from mujoco_ppo.analysis.step_sizes import main, setting_medians

pytestmark = pytest.mark.unit


def with_columns(run_dir, kl, clip_fraction):
    """Give the run's progress.csv rows these kl and clip_fraction values, row by row."""
    path = os.path.join(run_dir, "progress.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0])
    for row, k, c in zip(rows, kl, clip_fraction):
        row["kl"], row["clip_fraction"] = k, c
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_medians_over_iterations_then_over_seeds(tmp_path, capsys):
    steps, evals = [1000, 2000, 3000], {3000: 10.0}
    runs = []
    for seed, kl in enumerate([(0.001, 0.002, 0.009), (0.004, 0.005, 0.006), (0.01, 0.02, 0.03)]):
        run = write_run(tmp_path / f"clip{seed}", steps, evals, seed=seed)
        with_columns(run, kl, (0.1, 0.2, 0.3))
        runs.append(run)
    trpo = write_run(tmp_path / "trpo", steps, evals, loss_type="TRPO")
    with_columns(trpo, (0.01, 0.01, 0.02), ("", "", ""))  # TRPO logs no clip fraction
    table = dict((label, (seeds, medians)) for label, seeds, medians
                 in setting_medians(runs + [trpo]))
    # per run 0.002, 0.005, 0.02: their median 0.005
    assert table["HalfCheetah-v4 CLIP"] == (3, {"kl": 0.005, "clip_fraction": 0.2})
    assert table["HalfCheetah-v4 TRPO"] == (1, {"kl": 0.01, "clip_fraction": None})
    out = tmp_path / "steps.csv"
    assert main(runs + [trpo, "--out", str(out)]) == 0
    assert "| HalfCheetah-v4 TRPO | 1 | 0.0100 | — |" in capsys.readouterr().out
    assert list(csv.reader(open(out)))[1] == ["HalfCheetah-v4 CLIP", "3", "0.005", "0.2"]
