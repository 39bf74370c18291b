"""A run directory is never damaged: one writer per run, damaged checkpoints skipped
for the newest intact one, torn rows dropped on resume, full disks and bad files met with one
sentence. Real train.py runs on InvertedPendulum; in-process checks where a subprocess would
only add Paddle's import time."""
import contextlib
import copy
import dataclasses
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from helpers import (
    ROOT,
    assert_no_traceback,
    assert_one_sentence,
    popen_train,
    read_progress,
    resume_command,
    run_python,
    run_train,
    tmpfs,
    without_timings,
)

from mujoco_ppo.algorithms import load_run_config, split_algo
from mujoco_ppo.cli import shortest_path
from mujoco_ppo.errors import UserError, WriteFailed
from mujoco_ppo.grid.plan import DEFAULTS as GRID_DEFAULTS
from mujoco_ppo.grid.plan import has_history, run_status
from mujoco_ppo.grid.runner import command_for
from mujoco_ppo.parl1.checkpoint import REQUIRED_ARRAYS, STATE_SCHEMA
from mujoco_ppo.parl1.spec import PROGRESS_COLUMNS
from mujoco_ppo.parl1.workers import WORKER_RESIDENT_BYTES, check_workers_fit, default_num_workers
from mujoco_ppo.run import checkpoint
from mujoco_ppo.run.run_lock import RunLock, holder_pid
from mujoco_ppo.run.run_log import ProgressCSV, complete_rows, prepare_output_dir
from mujoco_ppo.run.train_log import make_logger

RUN = ["--env", "InvertedPendulum-v4", "--seed", 3, "--num_workers", 1, "--test_every_steps",
       500, "--checkpoint_every", 3]


@pytest.fixture(scope="module")
def small_run(trained_run):
    """A finished run of 400 steps, its two newest checkpoints kept."""
    return trained_run(*RUN, "--train_total_steps", 400)


@pytest.fixture
def run_copy(small_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(small_run, out)
    return out


def checkpoint_dirs(run_dir):
    return [Path(path) for _, path in
            checkpoint.Checkpointer(os.path.join(run_dir, "checkpoints"), STATE_SCHEMA,
                                    REQUIRED_ARRAYS).checkpoints()]


def wait_for_rows(out, proc, rows):
    deadline = time.time() + 120
    while not (out / "progress.csv").exists() or len(read_progress(out)) < rows:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)


def wait_until_stuck(out, proc, quiet=3.0):
    """Returns once the run has written no row for ``quiet`` seconds (an iteration of the runs
    that use it takes well under a second): with a sampling worker stopped, the iteration under
    way, or at the latest the next one or its checkpoint, waits for that worker. Without this, a
    stop signal can land after the stopped worker's last part in an iteration and before the
    loop's next check, and the run stops cleanly instead (seen once on an idle CI machine)."""
    rows, since = len(read_progress(out)), time.time()
    while time.time() - since < quiet:
        assert proc.poll() is None, "the run ended while one of its workers was stopped"
        now = len(read_progress(out))
        if now != rows:
            rows, since = now, time.time()
        time.sleep(0.05)


def finished(proc, timeout=120):
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def assert_says_what_is_kept(result, out):
    assert (f"holds its {len(read_progress(out))} finished iterations and checkpoint "
            f"{checkpoint_dirs(out)[0].name} is kept; continue with: {resume_command(out)}\n"
            in result.stderr), result.stderr


@pytest.mark.unit
@pytest.mark.parametrize("name", ["hopper1", "my runs/hopper 1"])
def test_the_resume_command_ends_the_sentence_and_pastes_as_it_is(tmp_path, capsys, name):
    """Hostile case: "... continue with: .venv/bin/python train.py --resume runs/x." took the
    full stop with the path (double-click, or a copy of the line's end), naming no directory."""
    from mujoco_ppo.parl1.train_loop import RUNS
    from mujoco_ppo.run.run_ending import failure_sentence, report_stop

    run_dir = tmp_path / name
    run_dir.mkdir(parents=True)

    class OneCheckpoint:
        def intact_checkpoints(self):
            return [(7, str(run_dir / "checkpoints" / "iter_000007"))]

        def load_newest_intact(self, unfit=None):  # no progress.csv: no rows reach it
            raise UserError("progress.csv holds none of its rows")

    kind = dataclasses.replace(RUNS, checkpointer=lambda _: OneCheckpoint())
    assert report_stop(2, 700, str(run_dir), None, kind) == 130
    stopped = capsys.readouterr().err.strip()
    failed, status = failure_sentence(KeyboardInterrupt(), str(run_dir), kind)
    assert status == 130
    for sentence in (stopped, failed):
        assert sentence.endswith(f"checkpoint iter_000007 is kept; continue with: "
                                 f"{shlex.quote(shortest_path(sys.executable))} train.py "
                                 f"--resume {shlex.quote(str(run_dir))}")
        pasted = shlex.split(sentence.split("continue with: ")[1])
        assert pasted[1:] == ["train.py", "--resume", str(run_dir)] and os.path.isdir(pasted[-1])
    # without a checkpoint the sentence ends as sentences do
    kind = dataclasses.replace(RUNS, checkpointer=lambda _: type(
        "NoCheckpoint", (), {"intact_checkpoints": lambda self: [],
                             "load_newest_intact": OneCheckpoint.load_newest_intact})())
    assert failure_sentence(KeyboardInterrupt(), str(run_dir), kind)[0].endswith(
        "no checkpoint was saved yet (a new run starts over).")


# --- one process per run directory -------------------------------------------------------

@pytest.mark.e2e
def test_a_locked_run_is_refused_naming_the_pid_and_left_alone(run_copy):
    before = (run_copy / "progress.csv").read_text()
    lock = RunLock(run_copy)
    try:
        assert holder_pid(run_copy) == os.getpid()
        resumed = run_train("--resume", run_copy, "--train_total_steps", 800)
        assert_one_sentence(resumed, 2, f"being written by process {os.getpid()}")
        fresh = run_train(*RUN, "--train_total_steps", 800, "--output_dir", run_copy, "--overwrite")
        assert_one_sentence(fresh, 2, f"being written by process {os.getpid()}")
        status, note = run_status(str(run_copy), 800)
        assert status == "busy" and str(os.getpid()) in note
    finally:
        lock.close()
    assert (run_copy / "progress.csv").read_text() == before
    assert holder_pid(run_copy) is None


@pytest.mark.e2e
def test_the_kernel_releases_the_lock_of_a_killed_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time;"
                               "from mujoco_ppo.run.run_lock import RunLock; RunLock(sys.argv[2]);"
                               "print('locked', flush=True); time.sleep(60)", ROOT, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(UserError, match=f"process {holder.pid}"):
        RunLock(tmp_path)
    holder.kill()
    holder.wait()
    RunLock(tmp_path).close()  # no stale lock after kill -9


# --- damaged checkpoints: the newest intact one is used, nothing is overwritten ------------

def flip_tensor_bytes(path):
    """Overwrite bytes inside the tensor data of a safetensors file, its header intact."""
    data = bytearray(path.read_bytes())
    data[-16:-8] = bytes(b ^ 0xFF for b in data[-16:-8])
    path.write_bytes(bytes(data))


@pytest.mark.e2e
def test_corrupted_tensor_data_is_detected_by_its_checksum(run_copy):
    newest = checkpoint_dirs(run_copy)[0]
    checkpoint.load(newest, STATE_SCHEMA, REQUIRED_ARRAYS)
    flip_tensor_bytes(newest / "arrays.safetensors")
    with pytest.raises(UserError, match="arrays.safetensors is damaged: its sha256 differs"):
        checkpoint.load(newest, STATE_SCHEMA, REQUIRED_ARRAYS)


@pytest.mark.e2e
def test_resume_skips_a_damaged_checkpoint_and_drops_a_torn_row(small_run, run_copy):
    """Newest checkpoint corrupted, and a torn row after the last: the resume starts from the
    older checkpoint, saying so, and writes exactly the rows of the undamaged run."""
    newest, older = checkpoint_dirs(run_copy)
    flip_tensor_bytes(newest / "arrays.safetensors")
    with open(run_copy / "progress.csv", "a") as f:
        f.write("3")
    proc = run_train("--resume", run_copy, "--train_total_steps", 400)
    assert proc.returncode == 0, proc.stderr
    assert "skipped a damaged checkpoint" in proc.stderr and older.name in proc.stderr
    assert f"from iteration {int(older.name[len('iter_'):])}," in proc.stdout
    rows = read_progress(run_copy)
    assert [int(r["iteration"]) for r in rows] == list(range(1, len(rows) + 1))
    assert without_timings(rows) == without_timings(read_progress(small_run))


@pytest.mark.unit
def test_progress_csv_is_cut_to_its_complete_rows_up_to_the_checkpoint(tmp_path):
    path = tmp_path / "progress.csv"
    csv_file = ProgressCSV(str(path), (), PROGRESS_COLUMNS)
    for i in range(1, 5):
        csv_file.write({"iteration": i, "steps": 10 * i, "episodes": i})
    csv_file.close()
    with open(path, "a") as f:
        f.write("3,,\n5,50")  # a short row, then a torn one
    ProgressCSV(str(path), complete_rows(str(path), 3, PROGRESS_COLUMNS), PROGRESS_COLUMNS).close()
    assert [r["iteration"] for r in read_progress(tmp_path)] == ["1", "2", "3"]
    # fewer rows than the checkpoint: all kept
    ProgressCSV(str(path), complete_rows(str(path), 9, PROGRESS_COLUMNS), PROGRESS_COLUMNS).close()
    assert [r["iteration"] for r in read_progress(tmp_path)] == ["1", "2", "3"]
    path.write_text("iteration,steps,episodes\n1,10,1\n2,20,2\n3,30,3\n")  # an older version's
    ProgressCSV(str(path), complete_rows(str(path), 2, PROGRESS_COLUMNS), PROGRESS_COLUMNS).close()
    assert [(r["iteration"], r["steps"], r["sps"]) for r in read_progress(tmp_path)] == [
        ("1", "10", ""), ("2", "20", "")]


def write_rows(path, iterations, tail=""):
    csv_file = ProgressCSV(str(path), (), PROGRESS_COLUMNS)
    for i in iterations:
        csv_file.write({"iteration": i, "steps": 10 * i, "episodes": i})
    csv_file.close()
    with open(path, "a") as f:
        f.write(tail)


@pytest.mark.unit
def test_only_a_torn_last_row_is_dropped_and_only_past_the_checkpoint(tmp_path):
    """Hostile case: a damaged row in the middle cut progress.csv there, losing the intact rows
    after it."""
    path = tmp_path / "progress.csv"
    write_rows(path, range(1, 6), tail="6,6")  # torn while it was written
    assert len(complete_rows(str(path), math.inf, PROGRESS_COLUMNS)) == 5
    assert len(complete_rows(str(path), 5, PROGRESS_COLUMNS)) == 5
    lines = path.read_bytes().splitlines(keepends=True)
    for number, damaged in [(3, lines[2].replace(b",", b";", 1)), (3, b"\xff" + lines[2]),
                            (3, lines[2].replace(b"20", b"2O", 1)), (4, b"9" + lines[3]),
                            (1, lines[0].replace(b"kl,", b"kl;")),
                            (1, lines[0].replace(b"\r\n", b",\r\n"))]:
        path.write_bytes(b"".join(lines[:number - 1]) + damaged + b"".join(lines[number:]))
        with pytest.raises(UserError, match=f"progress.csv line {number} is damaged"):
            complete_rows(str(path), math.inf, PROGRESS_COLUMNS)
    write_rows(path, range(1, 6))
    path.write_text(path.read_text().replace("5,50,5", "5,50"))  # the checkpoint's row
    with pytest.raises(UserError, match="line 6 is damaged"):
        complete_rows(str(path), 5, PROGRESS_COLUMNS)
    # no checkpoint: taken as torn
    assert len(complete_rows(str(path), math.inf, PROGRESS_COLUMNS)) == 4


def run_files(run_dir):
    """{path: bytes} of every file of a run but its lock."""
    return {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}


@pytest.mark.e2e
def test_resume_continues_from_the_newest_checkpoint_the_rows_reach(small_run, run_copy):
    """Hostile case: progress.csv cut short of the newest checkpoint (as a crash of an older
    version or an editor leaves it). --resume went on from that checkpoint without a word, the
    rows jumping over the missing iterations, and rotation then removed the older checkpoint,
    the only one the rows agreed with."""
    newest, older = checkpoint_dirs(run_copy)
    reached = int(older.name[len("iter_"):])
    lines = (run_copy / "progress.csv").read_text().splitlines(keepends=True)
    (run_copy / "progress.csv").write_text("".join(lines[:1 + reached]))
    assert run_status(str(run_copy), 400)[0] == "resume"  # the grid's runner: not done
    proc = run_train("--resume", run_copy, "--train_total_steps", 800)
    assert proc.returncode == 0, proc.stderr
    assert (f"skipped checkpoint {newest.name} (left as it is): {run_copy / 'progress.csv'} "
            f"holds {reached} of its {int(newest.name[len('iter_'):])} iterations' rows; using "
            f"{older.name}." in proc.stderr), proc.stderr
    assert f"from iteration {reached}," in proc.stdout
    rows = read_progress(run_copy)
    assert [int(row["iteration"]) for row in rows] == list(range(1, len(rows) + 1))
    original = read_progress(small_run)
    assert len(rows) > len(original)
    assert without_timings(rows[:len(original)]) == without_timings(original)  # none lost
    kept = checkpoint_dirs(run_copy)
    assert len(kept) == 2
    for path in kept:  # each one the rows agree with
        counters = checkpoint.load(path, STATE_SCHEMA, REQUIRED_ARRAYS)[1]["counters"]
        assert int(rows[counters["iteration"] - 1]["steps"]) == counters["steps"]


@pytest.mark.e2e
@pytest.mark.parametrize("progress", ["deleted", "empty", "header only"])
def test_resume_refuses_rows_that_reach_no_checkpoint(run_copy, progress):
    """Hostile case: with progress.csv emptied or deleted, --resume went on from the newest
    checkpoint and the new progress.csv began at its iteration."""
    path = run_copy / "progress.csv"
    header = path.read_text().splitlines(keepends=True)[0]
    path.unlink() if progress == "deleted" else path.write_text(
        "" if progress == "empty" else header)
    before = run_files(run_copy)
    proc = run_train("--resume", run_copy, "--train_total_steps", 800)
    assert_one_sentence(proc, 2, f"no checkpoint in {run_copy / 'checkpoints'} fits the run's "
                                 f"rows ({checkpoint_dirs(run_copy)[0].name}: {path} holds 0 of")
    assert "nothing was changed" in proc.stderr
    assert run_files(run_copy) == before


@pytest.mark.e2e
@pytest.mark.parametrize("line, old, new", [(11, ",", ";"), (1, ",kl,", ",kl;")])
def test_resume_refuses_a_damaged_row_or_header_naming_its_line(run_copy, line, old, new):
    """Hostile case: one damaged byte on a middle line cut progress.csv there on --resume; on
    the header, every row went. Nothing of the run may change, train.log included."""
    path = run_copy / "progress.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines))
    before = {p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file() and p.name != ".lock"}
    proc = run_train("--resume", run_copy, "--train_total_steps", 800)
    assert_one_sentence(proc, 2, f"progress.csv line {line} is damaged")
    assert {p: p.read_bytes() for p in run_copy.rglob("*")
            if p.is_file() and p.name != ".lock"} == before
    assert run_status(str(run_copy), 800)[0] == "resume"  # train.py refuses, as above
    for checkpoint_dir in checkpoint_dirs(run_copy):
        shutil.rmtree(checkpoint_dir)
    status, note = run_status(str(run_copy), 800)
    assert status == "kept" and f"line {line} is damaged" in note


@pytest.mark.e2e
def test_no_intact_checkpoint_is_one_sentence_for_train_and_evaluate(run_copy):
    for path in checkpoint_dirs(run_copy):
        (path / "state.json").write_text("{")
    proc = run_train("--resume", run_copy, "--train_total_steps", 800)
    assert_one_sentence(proc, 2, "no intact checkpoint")
    proc = run_python("evaluate.py", "--checkpoint", run_copy)
    assert_one_sentence(proc, 2, "no intact checkpoint")


@pytest.mark.e2e
def test_the_grid_runner_never_overwrites_a_run_with_rows_or_checkpoints(run_copy, tmp_path):
    run_dir = tmp_path / "grid" / "runs" / "r"
    shutil.copytree(run_copy, run_dir)
    newest = checkpoint_dirs(run_dir)[0]
    (newest / "state.json").write_text((newest / "state.json").read_text()[:40])  # truncated
    command, status, note = command_for(str(tmp_path / "grid"), "r", [], {
        **GRID_DEFAULTS, "steps": 800, "jobs": 1})
    assert status == "resume" and "--overwrite" not in command and "--resume" in command
    assert "state.json" in note

    for path in checkpoint_dirs(run_dir):
        shutil.rmtree(path)
    assert run_status(str(run_dir), 800)[0] == "kept"  # rows, no checkpoint
    assert run_status(str(run_dir), 400)[0] == "done"  # rows reached the steps
    (run_dir / "progress.csv").write_text((run_dir / "progress.csv").read_text()
                                          .splitlines()[0] + "\n")
    assert run_status(str(run_dir), 800)[0] == "start"  # nothing worth keeping


@pytest.mark.e2e
def test_a_grid_with_a_damaged_run_leaves_it_untouched(run_copy, tmp_path):
    grid = tmp_path / "grid"
    run_dir = grid / "runs" / "InvertedPendulum-v4" / "CLIP_clip_epsilon0.2" / "seed3"
    shutil.copytree(run_copy, run_dir)
    for path in checkpoint_dirs(run_dir):
        (path / "state.json").write_text("[]")
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}
    proc = run_python("scripts/ablate.py", "run", grid, "--env", "InvertedPendulum-v4",
                      "--loss_type", "CLIP", "--seeds", 3, "--steps", 800, "--jobs", 1)
    assert proc.returncode == 1
    assert_no_traceback(proc.stderr)
    assert "   kept  InvertedPendulum-v4/CLIP_clip_epsilon0.2/seed3" in proc.stdout
    assert {p: p.read_bytes() for p in run_dir.rglob("*")
            if p.is_file() and p.name != ".lock"} == before


@pytest.mark.e2e
def test_checkpoints_are_rotated_by_iteration_number_past_999999(small_run, tmp_path):
    arrays, state = checkpoint.load(checkpoint_dirs(small_run)[0], STATE_SCHEMA, REQUIRED_ARRAYS)
    state = {k: v for k, v in state.items() if k not in ("sha256", "checksum")}
    saver = checkpoint.Checkpointer(str(tmp_path), STATE_SCHEMA, REQUIRED_ARRAYS)
    for iteration in (999_998, 999_999, 1_000_000, 1_000_001):
        saver.save(iteration, arrays, {**state, "counters": {**state["counters"],
                                                             "iteration": iteration}})
    assert sorted(os.listdir(tmp_path)) == ["iter_1000000", "iter_1000001", "latest"]
    assert (tmp_path / "latest").read_text().strip() == "iter_1000001"
    path, _, loaded, skipped = saver.load_newest_intact()
    assert path.endswith("iter_1000001") and loaded["counters"]["iteration"] == 1_000_001
    assert skipped == []


@pytest.mark.e2e
def test_rotation_counts_only_intact_checkpoints(small_run, tmp_path):
    """Hostile case: an empty checkpoints/iter_999999 was kept as one of the two newest and an
    intact checkpoint deleted in its place."""
    arrays, state = checkpoint.load(checkpoint_dirs(small_run)[0], STATE_SCHEMA, REQUIRED_ARRAYS)
    state = {k: v for k, v in state.items() if k not in ("sha256", "checksum")}
    (tmp_path / "iter_999999").mkdir()
    saver = checkpoint.Checkpointer(str(tmp_path), STATE_SCHEMA, REQUIRED_ARRAYS)
    for iteration in (1, 2, 3):
        saver.save(iteration, arrays, {**state, "counters": {**state["counters"],
                                                             "iteration": iteration}})
    assert sorted(os.listdir(tmp_path)) == ["iter_000002", "iter_000003", "iter_999999", "latest"]
    assert [os.path.basename(path) for _, path in saver.intact_checkpoints()] == [
        "iter_000003", "iter_000002"]


@pytest.mark.e2e
def test_rotation_leaves_the_checkpoints_past_a_resume_alone(small_run, tmp_path):
    """Hostile case: resumed from iteration 20 (its rows ended there) with iter_000030 on disk,
    the run's next checkpoint removed iter_000020 and kept iter_000030, which no row reaches."""
    arrays, state = checkpoint.load(checkpoint_dirs(small_run)[0], STATE_SCHEMA, REQUIRED_ARRAYS)
    state = {k: v for k, v in state.items() if k not in ("sha256", "checksum")}
    saver = checkpoint.Checkpointer(str(tmp_path), STATE_SCHEMA, REQUIRED_ARRAYS)
    for iteration in (20, 30, 21):
        saver.save(iteration, arrays, {**state, "counters": {**state["counters"],
                                                             "iteration": iteration}})
    assert sorted(os.listdir(tmp_path)) == ["iter_000020", "iter_000021", "iter_000030", "latest"]
    saver.save(24, arrays, {**state, "counters": {**state["counters"], "iteration": 24}})
    assert sorted(os.listdir(tmp_path)) == ["iter_000021", "iter_000024", "iter_000030", "latest"]


@pytest.mark.e2e
def test_the_sentence_a_run_ends_with_names_its_newest_intact_checkpoint(run_copy):
    """An empty checkpoints/iter_999999 is no checkpoint to continue from: the failure and stop
    sentences name the newest one that --resume would load."""
    from mujoco_ppo.parl1.train_loop import RUNS
    from mujoco_ppo.run.run_ending import what_is_kept

    newest = os.path.basename(checkpoint_dirs(run_copy)[0])
    os.mkdir(os.path.join(run_copy, "checkpoints", "iter_999999"))
    said = what_is_kept(str(run_copy), RUNS)
    assert f"checkpoint {newest} is kept" in said and "iter_999999" not in said


# --- files that parse but hold the wrong thing ------------------------------------------------

def reseal(state):
    """state.json content with its checksum recomputed, as if written so by a bug."""
    return checkpoint.with_checksum(state)


def variants(document, schema_keys):
    """(what, changed document) for each key deleted and each value's type changed."""
    for key in schema_keys:
        without = copy.deepcopy(document)
        del without[key]
        yield f"no {key}", without
        changed = copy.deepcopy(document)
        value = changed[key]
        changed[key] = [value] if not isinstance(value, list) else {"a": value}
        yield f"{key} of type {type(changed[key]).__name__}", changed


@pytest.mark.e2e
def test_every_damaged_field_of_state_json_is_one_sentence_naming_it(run_copy):
    path = checkpoint_dirs(run_copy)[0]
    state = json.loads((path / "state.json").read_text())
    body = {k: v for k, v in state.items() if k != "checksum"}
    cases = list(variants(body, list(body)))
    cases += [(f"counters: {what}", {**body, "counters": counters})
              for what, counters in variants(body["counters"], list(body["counters"]))]
    assert len(cases) >= 2 * (len(body) + 5)
    for what, changed in cases:
        (path / "state.json").write_text(json.dumps(reseal(changed)))
        with pytest.raises(UserError, match="state.json") as error:
            checkpoint.load(str(path), STATE_SCHEMA, REQUIRED_ARRAYS)
        assert "\n" not in str(error.value), what
    for content in (b"\x00\xff binary", b"[1, 2]"):
        (path / "state.json").write_bytes(content)
        with pytest.raises(UserError, match="state.json"):
            checkpoint.load(str(path), STATE_SCHEMA, REQUIRED_ARRAYS)
    (path / "arrays.safetensors").unlink()
    with pytest.raises(UserError, match="arrays.safetensors is missing"):
        checkpoint.load(str(path), STATE_SCHEMA, REQUIRED_ARRAYS)


@pytest.mark.e2e
def test_every_damaged_field_of_config_json_is_exit_2_naming_it(run_copy):
    config = json.loads((run_copy / "config.json").read_text())
    cases = [(what, changed) for what, changed in variants(config, list(config))
             if what not in ("no discrete", "no physics")]  # older runs lack them (Box, Gymnasium)
    cases += [(f"args: {what}", {**config, "args": args})
              for what, args in variants(config["args"], list(config["args"]))
              if not what.startswith("no ")]  # a flag missing takes its default (older runs)
    cases += [("binary", None), ("a list", [1, 2])]
    for what, changed in cases:
        if changed is None:
            (run_copy / "config.json").write_bytes(b"\x00\xff\xfe")
        else:
            (run_copy / "config.json").write_text(json.dumps(changed))
        proc = run_train("--resume", run_copy, "--train_total_steps", 800)
        assert_one_sentence(proc, 2, "config.json"), what


@pytest.mark.e2e
def test_resume_refuses_bad_paths_with_one_sentence(run_copy, tmp_path):
    cases = [(tmp_path / "nonexistent", "does not exist"), ("/etc/passwd", "is a file")]
    for path, phrase in cases:
        assert_one_sentence(run_train("--resume", path), 2, phrase)
    shutil.rmtree(run_copy / "checkpoints")
    (run_copy / "checkpoints").write_text("")
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "checkpoints is a file")


@pytest.mark.e2e
def test_latest_being_a_directory_is_one_sentence(run_copy):
    os.remove(run_copy / "checkpoints" / "latest")
    os.mkdir(run_copy / "checkpoints" / "latest")
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "latest is not a file")


def edit_every_checkpoint(run_dir, edit):
    """Apply ``edit`` to each checkpoint's state.json content, resealed."""
    for path in checkpoint_dirs(run_dir):
        state = json.loads((path / "state.json").read_text())
        edit(state)
        (path / "state.json").write_text(json.dumps(reseal(state)))


@pytest.mark.e2e
def test_random_streams_and_counters_out_of_their_bounds_are_refused(run_copy):
    path = checkpoint_dirs(run_copy)[0]
    state = json.loads((path / "state.json").read_text())
    rng = state["agent_rng"]
    cases = [("'agent_rng.bit_generator' should be 'PCG64'", {**rng, "bit_generator": "MT19937"}),
             ("'agent_rng.state.state' is missing", {**rng, "state": {}}),
             ("'agent_rng.uinteger' should be a whole number in [0, 4294967296)",
              {**rng, "uinteger": 2**40}),
             ("'agent_rng.has_uint32' should be 0 or 1", {**rng, "has_uint32": True})]
    for phrase, changed in cases:
        (path / "state.json").write_text(json.dumps(reseal({**state, "agent_rng": changed})))
        with pytest.raises(UserError, match=re.escape(phrase)):
            checkpoint.load(str(path), STATE_SCHEMA, REQUIRED_ARRAYS)
    # format 1, before checksums, is checked against the same schema
    old = {k: v for k, v in state.items() if k not in ("sha256", "checksum")}
    (path / "state.json").write_text(json.dumps({**old, "format": 1,
                                                 "agent_rng": {**rng, "state": {}}}))
    with pytest.raises(UserError, match="'agent_rng.state.state' is missing"):
        checkpoint.load(str(path), STATE_SCHEMA, REQUIRED_ARRAYS)


@pytest.mark.e2e
def test_negative_or_inconsistent_counters_are_refused_and_nothing_is_written(run_copy):
    rows = (run_copy / "progress.csv").read_text()
    edit_every_checkpoint(run_copy, lambda state: state["counters"].update(iteration=-5))
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "'counters.iteration' should be a non-negative whole number, not -5")
    edit_every_checkpoint(run_copy, lambda state: state["counters"].update(iteration=3,
                                                                           episodes=7))
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "its counters.episodes is 7, and 3 iterations of --episodes_per_batch "
                        "5 make 15")
    assert (run_copy / "progress.csv").read_text() == rows
    assert not list(run_copy.glob("checkpoints/iter_-*"))


@pytest.mark.e2e
def test_a_directory_for_progress_csv_or_a_looping_checkpoints_link_is_one_sentence(run_copy):
    progress = run_copy / "progress.csv"
    progress.unlink()
    progress.mkdir()
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "progress.csv is a directory, not a regular file")
    shutil.rmtree(run_copy / "checkpoints")
    (run_copy / "checkpoints").symlink_to("checkpoints")
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "checkpoints is unreadable (Too many levels of symbolic links)")
    fresh = run_copy.parent / "fresh"
    fresh.mkdir()
    (fresh / "checkpoints").symlink_to("checkpoints")
    with pytest.raises(UserError, match=r"already holds a run \(checkpoints\)"):
        prepare_output_dir(fresh, overwrite=False)
    prepare_output_dir(fresh, overwrite=True)
    assert not os.path.lexists(fresh / "checkpoints")


@pytest.mark.e2e
def test_a_checkpoint_of_another_environment_is_refused(run_copy, tmp_path):
    other = tmp_path / "other"
    proc = run_train("--env", "InvertedDoublePendulum-v4", "--seed", 1, "--num_workers", 1,
                     "--train_total_steps", 100, "--output_dir", other)
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(run_copy / "checkpoints")
    shutil.copytree(other / "checkpoints", run_copy / "checkpoints")
    assert_one_sentence(run_train("--resume", run_copy, "--train_total_steps", 800), 2,
                        "does not fit this run's model")
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", run_copy), 2,
                        "does not fit this run's model")


@pytest.mark.e2e
def test_evaluate_refusals(small_run):
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", small_run, "--seed", -1), 2,
                        "--seed must be in")
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", small_run / "config.json"), 2,
                        "is a file")


# --- workers ----------------------------------------------------------------------------------

@pytest.mark.unit
def test_workers_are_bounded_by_the_batch_the_cores_and_the_memory():
    assert default_num_workers(2, 5) == 5 and default_num_workers(2, 10) == 2
    assert default_num_workers(2, 1009) == 2  # a prime batch: one per core, not 1009
    assert default_num_workers(1, 7) == 1
    check_workers_fit(5, 5, 1 * 2**30)
    with pytest.raises(UserError, match="more than --episodes_per_batch 5"):
        check_workers_fit(1000, 5, 64 * 2**30)
    with pytest.raises(UserError, match="at most 15 workers fit"):
        check_workers_fit(100, 1009, 14 * WORKER_RESIDENT_BYTES)


@pytest.mark.e2e
def test_too_many_workers_are_refused_before_any_is_spawned():
    proc = run_train("--num_workers", 1000)
    assert_one_sentence(proc, 2, "more than --episodes_per_batch 5")
    from mujoco_ppo.run.machine import available_memory
    memory = available_memory()
    if memory is None or memory > 999 * WORKER_RESIDENT_BYTES:
        pytest.skip("this machine holds the most workers a batch may have (1,000)")
    proc = run_train("--episodes_per_batch", 1000, "--num_workers", 1000)
    assert_one_sentence(proc, 2, "workers fit")


@pytest.mark.e2e
def test_orphaned_workers_exit_silently(tmp_path):
    """kill -9 of train.py while its workers run HalfCheetah's 1000-step episodes: each finds
    the parent gone when it sends its episodes back, and exits without a word."""
    out = tmp_path / "run"
    proc = popen_train("--env", "HalfCheetah-v4", "--seed", 3, "--num_workers", 3,
                       "--episodes_per_batch", 3, "--train_total_steps", 10**6, "--output_dir",
                       out, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out / "progress.csv").exists() or len(read_progress(out)) < 1:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.2)  # into the next batch's episodes
    proc.kill()
    stderr = proc.communicate(timeout=60)[1]  # EOF once the orphaned workers have exited too
    assert "Traceback" not in stderr and "Error" not in stderr, stderr


# --- signals and write failures ---------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.parametrize("signum, delay", [(signal.SIGTERM, 0.3), (signal.SIGINT, 0.3),
                                           (signal.SIGTERM, 2.5)])
def test_a_signal_during_start_up_is_one_sentence(tmp_path, signum, delay):
    out = tmp_path / "run"
    proc = popen_train(*RUN, "--train_total_steps", 10**6, "--output_dir", out,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert_one_sentence(result, 128 + signum, f"signal {signum}")
    if (out / "progress.csv").exists():  # the sentence says what is kept, and it is there
        says_checkpoint = "is kept" in stderr or "is saved" in stderr  # failed / stopped cleanly
        assert says_checkpoint or "no checkpoint was saved yet" in stderr, stderr
        saved = [p for p in (out / "checkpoints").glob("iter_*") if p.suffix != ".tmp"]
        assert says_checkpoint == bool(saved), stderr


FORKED_CHILD_AT_EXIT = """
import multiprocessing, sys, time
from mujoco_ppo.run.signals import StopRequest, accept_stop_signals

if __name__ == "__main__":
    accept_stop_signals()
    if sys.argv[2] == "loop":
        StopRequest()
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(5,))
    child.start()
    time.sleep(0.5)
    child.terminate()  # as multiprocessing does to a daemonic child when its parent exits
    child.join()
    print(child.exitcode)
"""


@pytest.mark.e2e
@pytest.mark.parametrize("handler", ["start-up", "loop"])
def test_a_forked_child_ends_quietly_on_sigterm(handler):
    """Hostile case: PARL's heartbeat server is a process forked from train.py, which
    multiprocessing ends with SIGTERM when train.py exits; it must not raise the run's
    Interrupted (and print its traceback) but end by the signal."""
    proc = subprocess.run([sys.executable, "-c", FORKED_CHILD_AT_EXIT, ROOT, handler],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.split() == [str(-signal.SIGTERM)]


@pytest.fixture
def tiny_tmpfs(tmp_path):
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    with tmpfs(mount, "4m"):
        yield mount


@pytest.mark.e2e
def test_logger_write_failures_raise_naming_the_file(tiny_tmpfs):
    subprocess.run(["dd", "if=/dev/zero", f"of={tiny_tmpfs / 'filler'}", "bs=64k"],
                   capture_output=True)
    log = tiny_tmpfs / "train.log"
    logger = make_logger(str(log))
    with pytest.raises(WriteFailed, match=f"{log} .No space left on device"):
        logger.info("x" * 10000)


@pytest.mark.e2e
def test_a_full_disk_is_one_sentence_and_resume_continues(tiny_tmpfs, small_run):
    out = tiny_tmpfs / "run"
    proc = popen_train(*RUN, "--train_total_steps", 400, "--output_dir", out,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(checkpoint_dirs(out)) < 1:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.02)
    filler = tiny_tmpfs / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    stdout, stderr = proc.communicate(timeout=120)
    failed = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert_one_sentence(failed, 1, "No space left on device")
    assert str(out) in stderr and "is kept" in stderr
    filler.unlink()
    resumed = run_train("--resume", out)
    assert resumed.returncode == 0, resumed.stderr
    assert without_timings(read_progress(out)) == without_timings(read_progress(small_run))


@pytest.mark.e2e
def test_a_read_only_file_system_is_one_sentence(tiny_tmpfs):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    proc = run_train(*RUN, "--output_dir", tiny_tmpfs / "run")
    assert_one_sentence(proc, 1, "Read-only file system")
    assert str(tiny_tmpfs / "run") in proc.stderr


@pytest.mark.e2e
def test_a_full_disk_under_tensorboard_is_one_sentence_and_ends_the_workers(tmp_path):
    """Hostile case: TensorBoard's file fills its disk. The events it could not write stay
    buffered, so closing it fails again: that must not hide the sentence, nor leave the
    workers (which ignore SIGTERM) running, which would keep train.py from exiting."""
    out = tmp_path / "run"
    first = run_train("--env", "InvertedPendulum-v4", "--seed", 3, "--num_workers", 2,
                      "--checkpoint_every", 3, "--train_total_steps", 300, "--output_dir", out)
    assert first.returncode == 0, first.stderr
    with tmpfs(out / "tensorboard", "8k"):
        proc = popen_train("--resume", out, "--train_total_steps", 10**6,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        result = finished(proc)  # stderr's end: the workers have exited too
    assert_one_sentence(result, 1, f"cannot write {out / 'tensorboard'} (No space left on device)")
    assert_says_what_is_kept(result, out)


@pytest.mark.e2e
def test_train_log_holds_what_parl_printed_at_import(small_run):
    log = (small_run / "train.log").read_text()
    assert "train.py --env InvertedPendulum-v4" in log.split("Argv: ")[1].splitlines()[0]
    assert "PARL_BACKEND" in log


@pytest.mark.e2e
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_sentence_goes_to_stderr(tmp_path, signum):
    """SIGHUP (the terminal closed) stops the run as SIGINT and SIGTERM do: after the
    iteration under way, with a checkpoint, and one sentence naming the interpreter."""
    out = tmp_path / "run"
    proc = popen_train(*RUN, "--train_total_steps", 10**6, "--output_dir", out,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_rows(out, proc, 1)
    proc.send_signal(signum)
    result = finished(proc)
    assert_one_sentence(result, 128 + signum, f"stopped by signal {signum}")
    assert_says_what_is_kept(result, out)
    assert checkpoint_dirs(out)[0].name == f"iter_{len(read_progress(out)):06d}"
    assert "--resume" not in result.stdout


@pytest.mark.e2e
def test_two_stop_signals_mid_run_say_what_is_kept(tmp_path):
    """Hostile case: a second Ctrl-C 0.3 s after the first, while the run saves its checkpoint
    or ends its workers, is one sentence saying what is kept."""
    out = tmp_path / "run"
    proc = popen_train("--env", "InvertedPendulum-v4", "--seed", 3, "--num_workers", 3,
                       "--checkpoint_every", 3, "--train_total_steps", 10**6, "--output_dir", out,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_rows(out, proc, 4)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    result = finished(proc)
    assert_one_sentence(result, 130, "by signal 2")
    assert_says_what_is_kept(result, out)


@pytest.mark.e2e
@pytest.mark.parametrize("ending, status, phrase", [
    ("deadline", 1, "within --worker_timeout 3 s (it is stopped, stuck, or that slow)"),
    (signal.SIGTERM, 143, "interrupted by signal 15")])
def test_a_stopped_worker_ends_the_run_with_one_sentence(tmp_path, ending, status, phrase):
    """Hostile case: a local sampling worker stopped (SIGSTOP) mid-run. Its deadline ends the
    run, or a stop signal does once the workers have had their grace; the worker is killed."""
    out = tmp_path / "run"
    proc = popen_train("--env", "InvertedPendulum-v4", "--seed", 3, "--num_workers", 2,
                       "--checkpoint_every", 2, "--train_total_steps", 10**6, "--output_dir", out,
                       "--worker_timeout", 3 if ending == "deadline" else 300,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_rows(out, proc, 3)
    worker, = [child for child in psutil.Process(proc.pid).children()
               if "spawn_main" in " ".join(child.cmdline())]
    worker.suspend()
    if ending != "deadline":
        wait_until_stuck(out, proc)
        proc.send_signal(ending)
    result = finished(proc, timeout=60)
    assert_one_sentence(result, status, phrase)
    assert_says_what_is_kept(result, out)
    assert not worker.is_running()


@pytest.mark.unit
@pytest.mark.parametrize("env_id, phrase", [
    (":Foo-v0", "needs an absolute module name"), (".foo:Bar-v0", "needs an absolute module name"),
    ("phys2d/Pendulum-v0", "cannot be created here"), ("nosuch.module:X-v0", "cannot import")])
def test_bad_env_ids_are_one_sentence(env_id, phrase):
    from mujoco_ppo.envs.make import resolve_env_id
    with pytest.raises(UserError, match=phrase):
        resolve_env_id(env_id)


@pytest.mark.unit
def test_an_env_needing_a_missing_package_is_one_sentence():
    from mujoco_ppo.envs.make import make_env, resolve_env_id
    with pytest.raises(UserError, match="shimmy"):
        make_env(resolve_env_id("GymV26Environment-v0")[0])


@pytest.mark.e2e
@pytest.mark.parametrize("config, phrase", [
    ({"steps": "abc"}, "field 'steps' should be a number"), ([1, 2], "should be an object"),
    ({"jobs": "2"}, "field 'jobs' should be a whole number"), ({"stepz": 3}, "unknown key 'stepz'"),
    ({"seeds": []}, "seeds a non-empty list")])
def test_bad_grid_configs_are_one_sentence(tmp_path, config, phrase):
    (tmp_path / "grid.json").write_text(json.dumps(config))
    proc = run_python("scripts/ablate.py", "run", tmp_path / "grid", "--config",
                      tmp_path / "grid.json")
    assert_one_sentence(proc, 2, phrase)
    assert not (tmp_path / "grid").exists()


@pytest.mark.e2e
def test_ablate_steps_nan_is_one_sentence(tmp_path):
    proc = run_python("scripts/ablate.py", "run", tmp_path / "grid", "--steps", "nan")
    assert_one_sentence(proc, 2, "steps must be a positive whole number, got nan")


@pytest.mark.unit
@pytest.mark.parametrize("train_args, phrase", [
    (["--checkpoint_every", "3", "--jobs", "2"], "--jobs is ablate.py's own flag, but after "
                                                 "--train_args it goes to every train.py"),
    (["--xparl_addr=127.0.0.1:8010"], "--xparl_addr is ablate.py's own flag"),
    (["--seed", "7"], "cannot hold --seed, which the grid sets for each run itself; give "
                      "ablate.py --seeds"),
    (["--env", "Hopper-v4"], "give ablate.py --env"),
    (["--kl_targ", "0.01"], "give ablate.py --kl_targ"),
    (["--output_dir", "x"], "the grid directory holds every run")])
def test_train_args_that_the_grid_owns_are_one_sentence(tmp_path, train_args, phrase):
    """Hostile case: --train_args takes the rest of the line, so a flag typed after it went to
    every train.py, which failed each run or silently ran another grid than the one named."""
    from mujoco_ppo.grid.ablate import main
    with pytest.raises(UserError, match=re.escape(phrase)):
        main(["run", str(tmp_path / "grid"), "--train_args", *train_args])
    assert not (tmp_path / "grid").exists()


@pytest.mark.e2e
def test_a_failure_before_the_first_checkpoint_says_none_was_saved(run_copy):
    from mujoco_ppo.errors import Interrupted, TrainingDiverged
    from mujoco_ppo.parl1.train_loop import RUNS
    from mujoco_ppo.run.run_ending import failure_sentence
    sentence, status = failure_sentence(TrainingDiverged("iteration 9"), str(run_copy), RUNS)
    rows = len(read_progress(run_copy))
    assert status == 1 and f"holds its {rows} finished iterations and checkpoint iter_" in sentence
    for path in checkpoint_dirs(run_copy):
        shutil.rmtree(path)
    sentence, status = failure_sentence(Interrupted(signal.SIGTERM), str(run_copy), RUNS)
    assert status == 143 and "no checkpoint was saved yet" in sentence
    assert "last good checkpoint" not in sentence


# --- a run's files that are no regular files ------------------------------------------------

@contextlib.contextmanager
def within(seconds):
    """TimeoutError for a call that blocks (a FIFO's open waits for a writer)."""
    def blocked(signum, frame):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def replace_with(path, kind):
    """Replace the file at ``path`` by a FIFO or a directory; returns its content."""
    content = path.read_bytes()
    path.unlink()
    os.mkfifo(path) if kind == "FIFO" else path.mkdir()
    return content


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["FIFO", "directory"])
def test_every_reader_of_a_run_refuses_a_file_that_is_not_a_regular_file(run_copy, kind):
    from mujoco_ppo.analysis.results import load_run
    from mujoco_ppo.analysis.step_sizes import run_medians
    from mujoco_ppo.grid.cluster import files_to_resume
    from mujoco_ppo.parl2.config import parse_args as parl2_args
    newest = checkpoint_dirs(run_copy)[0]
    readers = [
        # the tools: plot.py, aggregate, compare_parl.py's runs, step_sizes.py, a cluster grid
        ("progress.csv", lambda: load_run(str(run_copy))),
        ("progress.csv", lambda: run_medians(str(run_copy))),
        ("train.log", lambda: files_to_resume(str(run_copy), "parl1")),
        ("config.json", lambda: split_algo(["--resume", str(run_copy)])),
        ("config.json", lambda: load_run_config(str(run_copy))),
        ("config.json", lambda: parl2_args(["--resume", str(run_copy)])),
        ("progress.csv", lambda: complete_rows(str(run_copy / "progress.csv"), math.inf,
                                               PROGRESS_COLUMNS)),
        ("train.log", lambda: make_logger(str(run_copy / "train.log"))),
        (".lock", lambda: RunLock(str(run_copy))),
        (f"checkpoints/{newest.name}/state.json",
         lambda: checkpoint.load(str(newest), STATE_SCHEMA, REQUIRED_ARRAYS)),
        (f"checkpoints/{newest.name}/arrays.safetensors",
         lambda: checkpoint.load(str(newest), STATE_SCHEMA, REQUIRED_ARRAYS)),
    ]
    for name, read in readers:
        path = run_copy / name
        content = replace_with(path, kind)
        with within(10), pytest.raises(UserError, match=f"{path} is a {kind}, not a regular"):
            read()
        if name == "progress.csv":
            with within(10):
                assert has_history(str(run_copy))  # not the grid runner's to start over
        path.unlink() if kind == "FIFO" else path.rmdir()
        path.write_bytes(content)


@pytest.mark.unit
def test_a_fifo_grid_config_is_one_sentence(tmp_path):
    from mujoco_ppo.grid.ablate import main
    os.mkfifo(tmp_path / "grid.json")
    with within(10), pytest.raises(UserError, match=f"{tmp_path / 'grid.json'} is a FIFO, not a "
                                                    f"regular file; --config names a JSON file."):
        main(["run", str(tmp_path / "grid"), "--config", str(tmp_path / "grid.json")])


@pytest.mark.e2e
def test_a_fifo_config_json_is_one_sentence_for_train_and_evaluate(run_copy):
    """Hostile case: train.py --resume and evaluate.py blocked on opening it, with the stop
    signals held back, until killed."""
    replace_with(run_copy / "config.json", "FIFO")
    phrase = f"{run_copy / 'config.json'} is a FIFO, not a regular file"
    assert_one_sentence(run_train("--resume", run_copy, timeout=60), 2, phrase)
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", run_copy, timeout=60),
                        2, phrase)
