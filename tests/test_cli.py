"""train.py end to end on real MuJoCo: its files, its log lines, its determinism, its refusals."""
import json
import os
import re

import pytest

from helpers import assert_no_traceback, read_progress, run_train, without_timings

TRAIN_LINE = re.compile(r"Steps (\d+), Train reward: (\S+), Policy loss: (\S+), KL: (\S+), "
                        r"Value loss: (\S+)$")
EVAL_LINE = re.compile(r"Steps (\d+), Evaluate reward: (\S+)$")
SHORT_RUN = ["--env", "InvertedPendulum-v2", "--train_total_steps", 1500,
             "--test_every_steps", 500, "--seed", 3, "--episodes_per_batch", 3]


@pytest.fixture(scope="module")
def short_run(trained_run):
    return trained_run.process(*SHORT_RUN)


@pytest.mark.e2e
def test_parl_log_lines(short_run):
    out, proc = short_run
    log = (out / "train.log").read_text()
    train = [TRAIN_LINE.search(line) for line in log.splitlines()]
    evals = [EVAL_LINE.search(line) for line in log.splitlines()]
    train, evals = [m for m in train if m], [m for m in evals if m]
    rows = read_progress(out)
    assert len(train) == len(rows) >= 3
    assert [int(m[1]) for m in train] == [int(r["steps"]) for r in rows]
    for m, row in zip(train, rows):
        assert float(m[2]) == pytest.approx(float(row["train_reward"]))
        assert float(m[4]) == pytest.approx(float(row["kl"]))
    # Evaluations: the first iteration, then each time the steps cross a multiple of 500.
    eval_steps = [int(m[1]) for m in evals]
    expected, flag = [], 0
    for steps in (int(r["steps"]) for r in rows):
        if steps // 500 >= flag:
            flag = steps // 500 + 1
            expected.append(steps)
    assert eval_steps == expected
    assert "running InvertedPendulum-v4" in proc.stdout  # the one line about v2 -> v4
    assert sum(bool(TRAIN_LINE.search(line)) for line in proc.stdout.splitlines()) == len(rows)


@pytest.mark.e2e
def test_progress_csv_and_config_json(short_run):
    out, _ = short_run
    rows = read_progress(out)
    for column in ("steps", "episodes", "train_reward", "eval_reward", "policy_loss", "kl",
                   "beta", "value_loss", "wall_time", "clip_fraction", "sps"):
        assert column in rows[0]
    steps = [int(r["steps"]) for r in rows]
    assert steps == sorted(steps) and steps[-1] >= 1500 and steps[-2] < 1500
    assert [int(r["episodes"]) for r in rows] == [3 * (i + 1) for i in range(len(rows))]
    assert rows[0]["eval_reward"] != "" and any(r["eval_reward"] == "" for r in rows)
    config = json.loads((out / "config.json").read_text())
    assert config["env_id"] == "InvertedPendulum-v4"
    assert config["args"]["env"] == "InvertedPendulum-v2"
    assert config["args"]["gamma"] == 0.995 and config["args"]["lam"] == 0.98
    assert config["args"]["kl_targ"] == 0.003 and config["args"]["loss_type"] == "CLIP"
    assert config["seed"] == 3 and config["obs_dim"] == 5 and config["act_dim"] == 1
    for package in ("paddlepaddle", "parl", "gymnasium", "mujoco", "numpy"):
        assert config["versions"][package]
    assert config["versions"]["parl"] == "2.2.1"


@pytest.mark.e2e
def test_same_seed_same_run(short_run, tmp_path):
    out, _ = short_run
    again = tmp_path / "again"
    proc = run_train(*SHORT_RUN, "--output_dir", again)
    assert proc.returncode == 0, proc.stderr

    assert without_timings(read_progress(again)) == without_timings(read_progress(out))
    def parl_lines(run_dir):
        log = (run_dir / "train.log").read_text().splitlines()
        return [re.sub(r"^\[[^\]]*\] ", "", line) for line in log if "Steps" in line]

    assert parl_lines(again) == parl_lines(out)


@pytest.mark.e2e
@pytest.mark.parametrize("args, phrase", [
    (["--env", "HalfCheeta-v4"], "closest known ids: HalfCheetah-v4"),
    (["--env", "Blackjack-v1"], "flat (1-D Box) observation space"),
    (["--env", "ALE/Breakout-v5"], "an Atari game: Atari runs with train.py --algo parl2"),
    (["--gamma", "1.5"], "--gamma must be in (0, 1]"),
    (["--gamma", "0"], "--gamma must be in (0, 1]"),
    (["--train_total_steps", "-5"], "--train_total_steps must be positive"),
    (["--train_total_steps", "lots"], "is not a number"),
    (["--episodes_per_batch", "0"], "--episodes_per_batch must be at least 1"),
    (["--loss_type", "PPO2"], "is not one of CLIP, KLPEN, KLFIXED, NONE"),
    (["--clip_epsilon", "1.5"], "--clip_epsilon must be in (0, 1)"),
    (["--beta", "-1"], "--beta must be a non-negative number"),
    (["--kl_targ", "-0.1"], "--kl_targ must be a positive number"),
    (["--no_such_flag"], "unrecognized arguments"),
    (["--checkpoint_every", "0"], "--checkpoint_every must be at least 1"),
    (["--num_workers", "0"], "--num_workers must be at least 1"),
    (["--env", "no_such_module:Thing-v0"], "cannot import 'no_such_module'"),
    (["--xparl_addr", "localhost"], "--xparl_addr must be HOST:PORT"),
    (["--xparl_addr", "127.0.0.1:99999"], "--xparl_addr must be HOST:PORT"),
    (["--actor_num", "2"], "--actor_num needs --xparl_addr"),
    (["--xparl_addr", "127.0.0.1:8010", "--actor_num", "0"], "--actor_num must be at least 1"),
    (["--xparl_addr", "127.0.0.1:8010", "--xparl_timeout", "0"],
     "--xparl_timeout must be a positive number of seconds"),
    (["--xparl_addr", "127.0.0.1:8010", "--xparl_timeout", "inf"], "at most 1000000"),
    (["--xparl_addr", "127.0.0.1:8010", "--xparl_timeout", "1e300"], "at most 1000000"),
    (["--resume", ""], "--resume needs the directory of the run"),
    # counts beyond what a machine can honour: an OverflowError traceback (after config.json
    # was written), a batch that never ended, OpenMP's abort (exit 134, no word)
    (["--episodes_per_batch", "1e300"],
     "--episodes_per_batch must be at most 1,000, got 1.00e+300"),
    (["--episodes_per_batch", "1e12"], "--episodes_per_batch must be at most 1,000, got "
                                       "1,000,000,000,000"),
    (["--learner_threads", "100000"], "--learner_threads must be at most 256, got 100,000"),
])
def test_bad_input_is_one_sentence_and_a_nonzero_exit(args, phrase, tmp_path):
    out = tmp_path / "out"
    proc = run_train(*args, "--output_dir", out)
    assert proc.returncode == 2
    assert_no_traceback(proc.stderr, proc.stdout)
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and phrase in errors[0], proc.stderr
    assert not os.path.exists(out / "progress.csv")


@pytest.mark.unit
@pytest.mark.parametrize("args, phrase", [
    (["--train_total_steps", "1e300"], "--train_total_steps must be at most 1,000,000,000,000"),
    (["--test_every_steps", "2e12"], "--test_every_steps must be at most 1,000,000,000,000"),
    (["--checkpoint_every", "1e13"], "--checkpoint_every must be at most 1,000,000,000,000"),
    (["--xparl_addr", "127.0.0.1:8010", "--actor_num", "6"],
     "--actor_num must be at most --episodes_per_batch 5 (an actor runs whole episodes), got 6"),
    (["--learner_threads", "257"], "--learner_threads must be at most 256, got 257"),
])
def test_every_count_has_a_bound(args, phrase):
    from mujoco_ppo.errors import UserError
    from mujoco_ppo.parl1.flags import parse_args
    with pytest.raises(UserError, match=re.escape(phrase)):
        parse_args(args)
    parse_args(["--episodes_per_batch", "1000", "--learner_threads", "256",
                "--train_total_steps", "1e12", "--num_workers", "1"])  # the bounds themselves


@pytest.mark.e2e
def test_an_output_dir_holding_a_run_is_not_overwritten(short_run):
    out, _ = short_run
    before = (out / "progress.csv").read_bytes()
    proc = run_train(*SHORT_RUN, "--output_dir", out)
    assert proc.returncode == 2 and "already holds a run" in proc.stderr
    assert_no_traceback(proc.stderr)
    assert (out / "progress.csv").read_bytes() == before


@pytest.mark.e2e
def test_overlapped_value_update_gives_the_serial_run(short_run, tmp_path):
    """--overlap_value samples batch k+1 while batch k's value net learns, except where an
    evaluation, a checkpoint (every 4th here) or the end follows: progress.csv's algorithm
    columns and the PARL log lines equal the serial run's, across 2 workers."""
    runs = {}
    for name, flags in (("serial", []), ("overlapped", ["--overlap_value"])):
        runs[name] = tmp_path / name
        proc = run_train(*SHORT_RUN, "--num_workers", 2, "--checkpoint_every", 4, *flags,
                         "--output_dir", runs[name])
        assert proc.returncode == 0, proc.stderr

    serial, overlapped = (read_progress(runs[name]) for name in ("serial", "overlapped"))
    assert len(serial) > 8 and sum(bool(r["eval_reward"]) for r in serial) >= 2
    assert without_timings(overlapped) == without_timings(serial)


@pytest.mark.unit
def test_sample_ahead_only_where_the_serial_order_cannot_tell():
    """The next batch is drawn early only when this iteration neither ends the run, nor
    evaluates (PARL's test_flag rule), nor saves a checkpoint, nor follows a stop request."""
    from types import SimpleNamespace

    from mujoco_ppo.parl1.train_loop import sample_ahead
    from mujoco_ppo.run.counters import Counters
    args = SimpleNamespace(overlap_value=True, train_total_steps=1000, test_every_steps=500,
                           checkpoint_every=4)

    def run(steps, iteration, next_evaluation=1, stop=False):
        return SimpleNamespace(stop_requested=stop, counters=Counters(
            iteration=iteration, steps=steps, next_evaluation=next_evaluation))
    assert sample_ahead(args, run(100, 0), 50)
    assert not sample_ahead(SimpleNamespace(**{**vars(args), "overlap_value": False}),
                            run(100, 0), 50)
    assert not sample_ahead(args, run(100, 0, stop=True), 50)
    assert not sample_ahead(args, run(480, 0), 50)       # 530 crosses 500: evaluation
    assert sample_ahead(args, run(530, 1, next_evaluation=2), 50)
    assert not sample_ahead(args, run(100, 3), 50)       # the 4th iteration: checkpoint
    assert not sample_ahead(args, run(960, 1, next_evaluation=3), 50)  # 1010: the last batch


def in_a_terminal(args, cwd, stop_after_rows=None, timeout=300):
    """Output of ``train.py ARGS`` run in a pseudo-terminal (its progress bar on), as the bytes a
    terminal receives; with ``stop_after_rows``, Ctrl-C once progress.csv holds that many rows."""
    import pty
    import select
    import signal
    import sys
    import time

    from helpers import ROOT, child_environment

    command = [sys.executable, os.path.join(ROOT, "train.py"), *map(str, args)]
    pid, terminal = pty.fork()
    if pid == 0:  # the run in the foreground of a terminal of 100 columns
        os.chdir(cwd)
        os.execve(command[0], command, dict(child_environment(), COLUMNS="100", LINES="24"))
    output, deadline, stopped = b"", time.time() + timeout, False
    try:
        while time.time() < deadline:
            if stop_after_rows and not stopped and os.path.exists(args[-1] + "/progress.csv") \
                    and len(read_progress(args[-1])) >= stop_after_rows:
                os.write(terminal, b"\x03")
                stopped = True
            if select.select([terminal], [], [], 0.2)[0]:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # the terminal closed: the run has exited
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        if time.time() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


@pytest.mark.e2e
def test_the_progress_bar_shows_this_iterations_rewards_and_the_sentence_comes_below_it(tmp_path):
    """Hostile case: the bar's train= was the previous iteration's (set after tqdm had drawn),
    it never showed an evaluation reward, and the sentence a stopped run ends with was printed
    after the bar on its line, the bar drawn again below it."""
    out = str(tmp_path / "run")
    args = ["--env", "InvertedPendulum-v4", "--seed", 3, "--num_workers", 1,
            "--test_every_steps", 500, "--train_total_steps", 10**6, "--output_dir", out]
    text, status = in_a_terminal(args, tmp_path, stop_after_rows=6)
    assert status == 130, text
    rows = read_progress(out)
    # the bar as an iteration leaves it (its last state before the next iteration's log line)
    # shows that iteration's training reward and the latest evaluation reward
    left, shown, evaluated, iteration = {}, None, None, 0
    for part in re.split(r"[\r\n]", text):
        if re.search(r"Steps \d+, Train reward: ", part):
            iteration += 1
        elif "train=" in part:
            left[iteration] = part
    assert len(left) >= 6
    for number, row in enumerate(rows, start=1):
        evaluated = row["eval_reward"] or evaluated
        shown = left[number]
        assert f"train={float(row['train_reward']):.0f}" in shown, (number, shown, row)
        assert f"eval={float(evaluated):.0f}" in shown, (number, shown, evaluated)
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    assert lines[-1].startswith("train.py: stopped by signal 2 at step "), lines[-3:]
    assert lines[-1].endswith(f"--resume {out}")
