"""scripts/ablate.py (grid runs, resuming, aggregate) and compare_parl.py on PARL-format logs."""
import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, assert_no_traceback, read_progress, run_python, run_train

from mujoco_ppo.run.run_lock import holder_pid

pytestmark = pytest.mark.e2e

ABLATE = os.path.join(ROOT, "scripts", "ablate.py")
GRID = ["--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "KLFIXED", "--beta", "0.5",
        "--seeds", "0", "1", "--steps", "1000", "--jobs", "2"]


def test_grid_runs_skips_finished_runs_and_aggregates(tmp_path):
    grid = tmp_path / "grid"
    first = run_python(ABLATE, "run", grid, *GRID)
    assert first.returncode == 0, first.stderr
    assert "4 runs, 4 to run" in first.stdout
    run_dir = grid / "runs" / "InvertedPendulum-v4" / "KLFIXED_beta0.5" / "seed1"
    rows = read_progress(run_dir)
    assert int(rows[-1]["steps"]) >= 1000 and rows[-1]["beta"] == "0.5"

    again = run_python(ABLATE, "run", grid, *GRID)
    assert "4 runs, 0 to run" in again.stdout  # nothing is run twice

    agg = run_python(ABLATE, "aggregate", grid, "--smooth", 500)
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
    assert run_python(ABLATE, "run", grid, *args, "--steps", 600).returncode == 0
    longer = run_python(ABLATE, "run", grid, *args, "--steps", 1200)  # as if killed at 600
    assert longer.returncode == 0, longer.stderr
    assert "resume  InvertedPendulum-v4/CLIP_clip_epsilon0.2/seed0" in longer.stdout
    run_dir = grid / "runs" / "InvertedPendulum-v4" / "CLIP_clip_epsilon0.2" / "seed0"
    assert "Resumed" in (run_dir / "train.log").read_text()
    assert int(read_progress(run_dir)[-1]["steps"]) >= 1200


def test_compare_parl_reads_parl_text_logs(tmp_path):
    grid = tmp_path / "grid"
    assert run_python(ABLATE, "run", grid, "--env", "Hopper-v4", "--loss_type", "KLPEN",
                      "--seeds", "0", "--steps", 600, "--jobs", 1).returncode == 0
    parl_log = tmp_path / "parl.log"
    parl_log.write_text(
        "[02-14 11:06:52 MainThread @logger.py:224] Argv: train.py --env Hopper-v2 --loss_type KLPEN\n"
        + "".join(f"[02-14 11:07:{i:02d} MainThread @train.py:180] Steps {i * 100}, "
                  f"Evaluate reward: {1000.0 + i}\n" for i in range(1, 20)))
    run_dir = grid / "runs" / "Hopper-v4" / "KLPEN_kl_targ0.003" / "seed0"
    proc = run_python("scripts/compare_parl.py", run_dir, "--parl_log", parl_log, "--window", 200,
                      "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "c.png").exists()
    bad = run_python("scripts/compare_parl.py", run_dir, "--parl_log", tmp_path / "missing.log")
    assert bad.returncode != 0 and "cannot read" in bad.stderr
    assert_no_traceback(bad.stderr)


TWO_RUNS = ["--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "--seeds", "0", "1"]
SETTING = os.path.join("runs", "InvertedPendulum-v4", "CLIP_clip_epsilon0.2")


def start_grid_runner(grid, *args):
    """ablate.py run, returned once it has said what there is to do."""
    proc = subprocess.Popen([sys.executable, ABLATE, "run", str(grid), *TWO_RUNS, *map(str, args)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if " to run, " in line:
            return proc
    raise AssertionError(proc.stderr.read())


def run_files(run_dir):
    return {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}


def end(proc):
    """Nothing of a test left running, whatever it asserted."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def test_a_run_finished_while_the_grid_runner_waited_is_not_redone(tmp_path):
    """Hostile case: a grid runner decided each run's status once at its start, and later gave
    --overwrite to a run that a second grid runner had finished meanwhile."""
    grid = tmp_path / "grid"
    first = start_grid_runner(grid, "--steps", 600, "--jobs", 1)
    try:
        first.send_signal(signal.SIGSTOP)
        second = run_python(ABLATE, "run", grid, *TWO_RUNS, "--steps", 600, "--jobs", 1)
        assert second.returncode == 2 and second.stderr.strip().splitlines() == [
            f"ablate.py: error: {grid} is being run by process {first.pid}; one grid runner per "
            f"grid (wait for it to end, or stop it first)."]
        seed1 = grid / SETTING / "seed1"  # finished by hand instead
        by_hand = run_train("--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "--seed", 1,
                            "--train_total_steps", 600, "--output_dir", seed1)
        assert by_hand.returncode == 0, by_hand.stderr
        finished = run_files(seed1)
        first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
        assert "   done  InvertedPendulum-v4/CLIP_clip_epsilon0.2/seed1  (meanwhile)" in out
        assert run_files(seed1) == finished
    finally:
        end(first)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_grid_runner_stops_its_runs_each_keeping_a_checkpoint(tmp_path, signum):
    """Hostile case: kill <ablate.py pid> ended it with 143 and no sentence, its train.py runs
    and their workers running on as orphans."""
    grid = tmp_path / "grid"
    proc = start_grid_runner(grid, "--steps", 100000, "--jobs", 2)
    run_dirs = [grid / SETTING / f"seed{seed}" for seed in (0, 1)]
    try:
        while not all((d / "progress.csv").exists() and read_progress(d) for d in run_dirs):
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        trainers = [holder_pid(d) for d in run_dirs]
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=300)
    finally:
        end(proc)
        orphans = [pid for pid in map(holder_pid, run_dirs) if pid]
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
    assert not orphans
    assert proc.returncode == 128 + signum and "Traceback" not in err
    kept = [f"seed{seed} keeps iter_{len(read_progress(d)):06d}" for seed, d in enumerate(run_dirs)]
    assert err.strip().splitlines() == [
        f"ablate.py: stopped by signal {signum}; the runs under way stopped "
        f"(InvertedPendulum-v4/CLIP_clip_epsilon0.2/{kept[0]}; "
        f"InvertedPendulum-v4/CLIP_clip_epsilon0.2/{kept[1]}); run the same command again to "
        f"continue the grid."]
    for pid, run_dir in zip(trainers, run_dirs):
        assert holder_pid(run_dir) is None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
