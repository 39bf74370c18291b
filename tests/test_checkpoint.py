"""Checkpoints, --resume, signals and failures of train.py, on real MuJoCo (InvertedPendulum)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import (
    ROOT,
    TEST_ENVS,
    assert_no_traceback,
    assert_one_sentence,
    read_progress,
    run_train,
    without_timings,
)

pytestmark = pytest.mark.e2e

RUN = ["--env", "InvertedPendulum-v4", "--seed", 4, "--test_every_steps", 500,
       "--num_workers", 2, "--checkpoint_every", 3]


@pytest.fixture(scope="module")
def reference(trained_run):
    """An uninterrupted run of 3000 steps."""
    return trained_run(*RUN, "--train_total_steps", 3000)


def latest_iteration(run_dir):
    try:
        with open(os.path.join(run_dir, "checkpoints", "latest")) as f:
            return int(f.read().strip().split("_")[1])
    except (FileNotFoundError, IndexError, ValueError):
        return 0


def test_stop_and_resume_gives_the_uninterrupted_run(reference, tmp_path):
    out = tmp_path / "run"
    assert run_train(*RUN, "--train_total_steps", 1500, "--output_dir", out).returncode == 0
    proc = run_train("--resume", out, "--train_total_steps", 3000)
    assert proc.returncode == 0, proc.stderr
    assert without_timings(read_progress(out)) == without_timings(read_progress(reference))
    assert "Resumed" in (out / "train.log").read_text()


def test_kill_9_after_a_checkpoint_then_resume(reference, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(ROOT, "train.py"), *map(str, RUN),
               "--train_total_steps", 3000, "--output_dir", str(out)]
    proc = subprocess.Popen(list(map(str, command)), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, OMP_NUM_THREADS="1"))
    deadline = time.time() + 120
    while latest_iteration(out) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = latest_iteration(out)
    assert saved >= 6, "no checkpoint before the kill"
    before = read_progress(out)
    assert len(before) >= saved  # rows past the checkpoint may exist; resume drops them

    resumed = run_train("--resume", out)
    assert resumed.returncode == 0, resumed.stderr
    after = read_progress(out)
    assert after[:saved] == before[:saved]  # the history up to the checkpoint, untouched
    assert f"from iteration {saved}," in (out / "train.log").read_text()
    assert without_timings(after) == without_timings(read_progress(reference))


@pytest.mark.parametrize("to_group", [False, True], ids=["process", "process_group"])
def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path, to_group):
    """SIGTERM to train.py alone, or to its whole process group (as `timeout`, schedulers and
    `kill -- -PGID` send it: the sampling workers get it too and must leave the stop to
    train.py), ends the run at the iteration under way with a checkpoint, and no process of
    the group is left."""
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(ROOT, "train.py"), *map(str, RUN),
               "--train_total_steps", 200000, "--output_dir", str(out)]
    proc = subprocess.Popen(list(map(str, command)), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while not (out / "progress.csv").exists() or len(read_progress(out)) < 2:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    if to_group:
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    rows = read_progress(out)
    assert latest_iteration(out) == int(rows[-1]["iteration"])
    assert f"--resume {out}" in stderr and "--resume" not in stdout  # stderr, as every failure
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.killpg(proc.pid, 0)  # a worker of the group still alive
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("sampling workers outlived train.py")


def test_resume_refusals(reference, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((reference / "config.json").read_text())
    cases = [
        (["--resume", tmp_path / "missing"], "does not exist"),
        (["--resume", tmp_path], "has no config.json"),
        (["--resume", empty], "no checkpoint"),
        (["--resume", reference], "already finished at"),
        (["--resume", reference, "--train_total_steps", 9000, "--gamma", 0.9, "--lam", 0.5],
         "--gamma 0.9 (the run has 0.995); --lam 0.5 (the run has 0.98)"),
        (["--resume", reference, "--train_total_steps", 9000, "--num_workers", 3],
         "--num_workers 3 (the run has 2)"),
    ]
    for args, phrase in cases:
        proc = run_train(*args)
        assert_one_sentence(proc, 2, phrase)


def test_corrupt_checkpoints_are_refused_and_left_alone(reference, tmp_path):
    out = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(reference), str(out)], check=True)
    every = list((out / "checkpoints").glob("iter_*/arrays.safetensors"))
    for arrays in every:
        arrays.write_bytes(b"not a checkpoint")
    proc = run_train("--resume", out, "--train_total_steps", 9000)
    assert proc.returncode == 2 and "no intact checkpoint" in proc.stderr
    assert len(every) == 2 and all(a.read_bytes() == b"not a checkpoint" for a in every)


def test_checkpoints_hold_no_pickles(reference):
    latest = latest_iteration(reference)
    folder = reference / "checkpoints" / f"iter_{latest:06d}"
    assert sorted(os.listdir(folder)) == ["arrays.safetensors", "state.json"]
    state = json.loads((folder / "state.json").read_text())
    assert state["counters"]["iteration"] == latest
    assert len(state["workers"]) == 2
    assert len([d for d in os.listdir(reference / "checkpoints") if d.startswith("iter_")]) == 2


def test_nan_reward_stops_with_the_iteration_named_and_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "nan"
    proc = run_train("--env", "faulty_envs:NaNRewardPendulum-v0", "--num_workers", 1,
                     "--checkpoint_every", 1, "--train_total_steps", 5000, "--seed", 1,
                     "--output_dir", out, env=TEST_ENVS, timeout=300)
    assert proc.returncode == 1
    assert_no_traceback(proc.stderr)
    failed = int(proc.stderr.split("iteration ")[1].split()[0])
    assert "training diverged" in proc.stderr and "non-finite" in proc.stderr
    assert latest_iteration(out) == failed - 1
    assert int(read_progress(out)[-1]["iteration"]) == failed - 1
