"""scripts/ablate.py (grid runs, resuming, aggregate) and compare_parl.py on PARL-format logs."""
import csv
import os
import subprocess
import sys

from helpers import ROOT, read_progress

ABLATE = os.path.join(ROOT, "scripts", "ablate.py")
GRID = ["--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "KLFIXED", "--beta", "0.5",
        "--seeds", "0", "1", "--steps", "1000", "--jobs", "2"]


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_grid_runs_skips_finished_runs_and_aggregates(tmp_path):
    grid = tmp_path / "grid"
    first = run(ABLATE, "run", grid, *GRID)
    assert first.returncode == 0, first.stderr
    assert "4 runs, 4 to run" in first.stdout
    run_dir = grid / "runs" / "InvertedPendulum-v4" / "KLFIXED_beta0.5" / "seed1"
    rows = read_progress(run_dir)
    assert int(rows[-1]["steps"]) >= 1000 and rows[-1]["beta"] == "0.5"

    again = run(ABLATE, "run", grid, *GRID)
    assert "4 runs, 0 to run" in again.stdout  # nothing is run twice

    agg = run(ABLATE, "aggregate", grid, "--smooth", 500)
    assert agg.returncode == 0, agg.stderr
    with open(grid / "summary.csv", newline="") as f:
        summary = list(csv.DictReader(f))
    assert sorted(r["setting"] for r in summary) == ["CLIP", "KLFIXED beta=0.5"]
    assert max(float(r["normalised"]) for r in summary) == 1.0
    assert all(r["seeds"] == "2" for r in summary)
    assert (grid / "summary.md").read_text().count("| InvertedPendulum-v4 |") == 2
    assert (grid / "curves_InvertedPendulum-v4.png").exists()


def test_a_killed_run_is_resumed_from_its_checkpoint(tmp_path):
    grid = tmp_path / "grid"
    args = ["--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "--seeds", "0", "--jobs", "1"]
    assert run(ABLATE, "run", grid, *args, "--steps", 600).returncode == 0
    longer = run(ABLATE, "run", grid, *args, "--steps", 1200)  # as if killed at 600
    assert longer.returncode == 0, longer.stderr
    assert "resume  InvertedPendulum-v4/CLIP_clip_epsilon0.2/seed0" in longer.stdout
    run_dir = grid / "runs" / "InvertedPendulum-v4" / "CLIP_clip_epsilon0.2" / "seed0"
    assert "Resumed" in (run_dir / "train.log").read_text()
    assert int(read_progress(run_dir)[-1]["steps"]) >= 1200


def test_compare_parl_reads_parl_text_logs(tmp_path):
    grid = tmp_path / "grid"
    assert run(ABLATE, "run", grid, "--env", "Hopper-v4", "--loss_type", "KLPEN", "--seeds", "0",
               "--steps", 600, "--jobs", 1).returncode == 0
    parl_log = tmp_path / "parl.log"
    parl_log.write_text(
        "[02-14 11:06:52 MainThread @logger.py:224] Argv: train.py --env Hopper-v2 --loss_type KLPEN\n"
        + "".join(f"[02-14 11:07:{i:02d} MainThread @train.py:180] Steps {i * 100}, "
                  f"Evaluate reward: {1000.0 + i}\n" for i in range(1, 20)))
    run_dir = grid / "runs" / "Hopper-v4" / "KLPEN_kl_targ0.003" / "seed0"
    proc = run(os.path.join(ROOT, "scripts", "compare_parl.py"), run_dir, "--parl_log", parl_log,
               "--window", 200, "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "c.png").exists()
    bad = run(os.path.join(ROOT, "scripts", "compare_parl.py"), run_dir, "--parl_log",
              tmp_path / "missing.log")
    assert bad.returncode != 0 and "cannot read" in bad.stderr and "Traceback" not in bad.stderr
