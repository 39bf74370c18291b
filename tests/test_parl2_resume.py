"""Resuming `train.py --algo parl2` runs: a stopped run resumed equals one run, damaged
checkpoints, config.json and progress.csv are refused in one sentence naming what is damaged, and
a diverged run or a full disk end with the sentence that says what is kept."""
import json
import shutil
import signal
import subprocess
import time

import pytest

from helpers import (
    TEST_ENVS,
    assert_no_traceback,
    assert_one_sentence,
    popen_train,
    read_progress,
    resume_command,
    run_train,
    tmpfs,
    without_timings,
)

pytestmark = pytest.mark.e2e

TINY_CARTPOLE = ["--env", "CartPole-v1", "--env_num", 2, "--step_nums", 64, "--seed", 5,
                 "--checkpoint_every", 1, "--train_total_steps", 256]


@pytest.fixture(scope="module")
def tiny_run(trained_run):
    """Two CartPole updates, a checkpoint after each."""
    return trained_run("--algo", "parl2", *TINY_CARTPOLE)


DELETED = object()


def _damaged(document, keys, value):
    """``document`` with the field at the path ``keys`` set to ``value``, or deleted (DELETED)."""
    *parents, name = keys
    inner = document
    for parent in parents:
        inner = inner[parent]
    if value is DELETED:
        del inner[name]
    else:
        inner[name] = value
    return document


@pytest.mark.parametrize("keys, value, phrase", [
    (("env0/base.np_random",), DELETED, "field 'env0/base.np_random' is missing"),
    (("env0/base.np_random",), None, "field 'env0/base.np_random' should be an object"),
    (("lr_step",), None, "its lr_step is None, and after 2 updates with --lr_decay it is 2"),
    (("counters", "iteration"), -5, "'counters.iteration' should be a non-negative whole number"),
    (("counters", "steps"), 999, "counters.steps is 999, and 2 iterations of --env_num x --step_nums"),
    (("agent_rng", "bit_generator"), "MT19937", "should be 'PCG64', not 'MT19937'"),
    (("paddle_rng",), [[1]], "paddle_rng holds no Paddle random state"),
])
def test_a_damaged_state_json_is_refused_in_one_sentence(tiny_run, tmp_path, keys, value, phrase):
    """The field at ``keys`` of every checkpoint edited and resealed, as if written so by a
    bug."""
    from mujoco_ppo.run.checkpoint import with_checksum
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    for state_path in run.glob("checkpoints/iter_*/state.json"):
        state = _damaged(json.loads(state_path.read_text()), keys, value)
        state_path.write_text(json.dumps(with_checksum(state)))
    log = (run / "train.log").read_text()
    assert_one_sentence(run_train("--resume", run, "--train_total_steps", 384), 2, phrase)
    assert len(read_progress(run)) == 2 and (run / "train.log").read_text().startswith(log)


def test_shifted_discrete_actions_and_a_checkpoint_of_another_environment(tiny_run, tmp_path):
    """Discrete(2, start=5) gets the actions 5 and 6 (its wrapper refuses others); a CartPole
    checkpoint fits its model but not its environment."""
    out = tmp_path / "shifted"
    proc = run_train("--algo", "parl2", *TINY_CARTPOLE, "--env",
                     "faulty_envs:ShiftedActionsCartPole-v0", "--output_dir", out, env=TEST_ENVS)
    assert proc.returncode == 0, proc.stderr
    assert len(read_progress(out)) == 2
    shutil.rmtree(out / "checkpoints")
    shutil.copytree(tiny_run / "checkpoints", out / "checkpoints")
    assert_one_sentence(run_train("--resume", out, "--train_total_steps", 384, env=TEST_ENVS),
                        2, "does not fit this run: state.json: field 'env0/")


def test_a_parl2_run_is_not_resumed_as_parl1(tiny_run):
    assert_one_sentence(
        run_train("--algo", "parl1", "--resume", tiny_run, "--train_total_steps", 384), 2,
        "holds a run of PARL 2.x's PPO; resume it with --algo parl2")


@pytest.mark.parametrize("env_args", [
    ["--env", "CartPole-v1", "--env_num", 2, "--step_nums", 64, "--train_total_steps", 3840],
    ["--env", "InvertedPendulum-v4", "--step_nums", 128, "--num_minibatches", 4,
     "--update_epochs", 2, "--train_total_steps", 3840],
])
def test_stop_and_resume_equals_one_run(env_args, tmp_path):
    common = ["--algo", "parl2", *map(str, env_args), "--seed", "4", "--test_every_steps", "1000",
              "--checkpoint_every", "3"]
    assert run_train(*common, "--output_dir", tmp_path / "one").returncode == 0
    stopped = tmp_path / "stopped"
    proc = popen_train(*common, "--output_dir", stopped, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    while not (stopped / "progress.csv").exists() or len(read_progress(stopped)) < 4:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # the update under way finishes, a checkpoint is saved
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    rows = read_progress(stopped)
    assert len(rows) < 30
    # the sentence of the first PPO, on stderr, below Paddle's notices
    assert stderr.strip().splitlines()[-1] == (
        f"train.py: stopped by signal 15 at step {rows[-1]['steps']}; progress.csv holds its "
        f"{len(rows)} finished iterations and checkpoint iter_{len(rows):06d} is kept; "
        f"continue with: {resume_command(stopped)}")
    resumed = run_train("--resume", stopped)  # no --algo: config.json says parl2
    assert resumed.returncode == 0, resumed.stderr
    assert without_timings(read_progress(stopped)) == without_timings(
        read_progress(tmp_path / "one"))
    assert "Resumed" in (stopped / "train.log").read_text()


def test_resume_continues_from_the_checkpoint_the_rows_reach(tiny_run, tmp_path):
    """Hostile case: progress.csv cut to the first update's row; --resume went on from the
    second update's checkpoint, and the rows jumped from update 1 to 3. The harness is the
    first PPO's (test_run_safety.py)."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    lines = (run / "progress.csv").read_text().splitlines(keepends=True)
    (run / "progress.csv").write_text("".join(lines[:2]))
    proc = run_train("--resume", run)  # the finished run's second update again
    assert proc.returncode == 0, proc.stderr
    assert (f"skipped checkpoint iter_000002 (left as it is): {run / 'progress.csv'} holds 1 of "
            f"its 2 iterations' rows; using iter_000001." in proc.stderr), proc.stderr
    assert without_timings(read_progress(run)) == without_timings(read_progress(tiny_run))
    (run / "progress.csv").write_text(lines[0])
    assert_one_sentence(run_train("--resume", run, "--train_total_steps", 512), 2,
                        "fits the run's rows (iter_000002: ")


def test_resume_refuses_a_damaged_middle_row_naming_its_line(tmp_path):
    """Hostile case: a damaged middle row of progress.csv cut the file there on --resume, losing
    the intact rows after it."""
    out = tmp_path / "run"
    proc = run_train("--algo", "parl2", "--env", "CartPole-v1", "--env_num", 2, "--step_nums", 64,
                     "--train_total_steps", 768, "--checkpoint_every", 2, "--seed", 0,
                     "--output_dir", out)
    assert proc.returncode == 0, proc.stderr
    path = out / "progress.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ";", 1)
    path.write_text("".join(lines))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    resumed = run_train("--resume", out, "--train_total_steps", 1024)
    assert resumed.returncode == 2
    assert_no_traceback(resumed.stderr)
    assert resumed.stderr.strip().splitlines() == [
        f"train.py: error: {path} line 4 is damaged (it has 13 fields, the header 14); nothing "
        f"was changed: repair that line, then run again."]
    assert {p: p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != ".lock"} == before


@pytest.fixture(scope="module")
def one_update_run(trained_run):
    return trained_run("--algo", "parl2", "--env", "CartPole-v1", "--env_num", 1, "--step_nums",
                       64, "--num_minibatches", 1, "--update_epochs", 1, "--train_total_steps",
                       64, "--seed", 0)


@pytest.mark.parametrize("field, value, phrase", [
    ("args.env_num", "4", "field 'args.env_num' should be a whole number or null, not '4'"),
    ("args.gamma", "0.99", "field 'args.gamma' should be a number, not '0.99'"),
    ("args.checkpoint_every", None, "field 'args.checkpoint_every' should be a whole number, not None"),
    ("args.seed", DELETED, "field 'args.seed' is missing"),
    ("config", DELETED, "field 'config' is missing"),
    ("config.kind", "go", "field 'config.kind' should be one of atari, mujoco, classic, not 'go'"),
    ("config.test_every_steps", 0, "--test_every_steps must be at least 1 (got 0)"),
    ("algo", "parl3", "field 'algo' should be \"parl2\" or absent"),
])
def test_resume_refuses_a_damaged_config_json_naming_the_field(one_update_run, tmp_path, field,
                                                               value, phrase):
    out = tmp_path / "run"
    shutil.copytree(one_update_run, out)
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps(_damaged(config, field.split("."), value)))
    proc = run_train("--resume", out, "--train_total_steps", 128)
    assert proc.returncode == 2 and phrase in proc.stderr, proc.stderr
    assert_no_traceback(proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "config.json" in proc.stderr and len(read_progress(out)) == 1


def test_the_config_json_parl2_writes_is_what_its_readers_accept(one_update_run, tmp_path):
    from mujoco_ppo.algorithms import load_run_config
    config = load_run_config(one_update_run)
    assert config["args"]["seed"] == 0 and config["config"]["kind"] == "classic"
    out = tmp_path / "run"
    shutil.copytree(one_update_run, out)
    proc = run_train("--resume", out, "--train_total_steps", 128)
    assert proc.returncode == 0, proc.stderr
    assert [int(r["steps"]) for r in read_progress(out)] == [64, 128]


def test_nan_reward_stops_the_run_with_one_sentence_and_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "nan"
    proc = run_train("--algo", "parl2", "--env", "faulty_envs:NaNRewardPendulum-v0",
                     "--step_nums", 256, "--num_minibatches", 4, "--update_epochs", 1,
                     "--checkpoint_every", 1, "--train_total_steps", 2048, "--seed", 0,
                     "--output_dir", out, env=TEST_ENVS, timeout=300)
    assert proc.returncode == 1, proc.stderr
    # NaN rewards from the 600th step; above the sentence only Paddle's type-promotion notice
    assert proc.stderr.strip().splitlines()[-1] == (
        f"train.py: training diverged: update 3 (step 768) produced a non-finite loss; "
        f"progress.csv holds its 2 finished iterations and checkpoint iter_000002 is kept; "
        f"continue with: {resume_command(out)}")
    assert_no_traceback(proc.stderr)
    assert len(read_progress(out)) == 2
    assert (out / "checkpoints" / "latest").read_text().strip() == "iter_000002"


def test_a_full_disk_under_tensorboard_is_one_sentence(tmp_path):
    """Hostile case: TensorBoard's file fills its disk; closing it fails again, which must not
    follow the sentence with a traceback."""
    out = tmp_path / "run"
    common = ["--algo", "parl2", "--env", "CartPole-v1", "--env_num", 2, "--step_nums", 64,
              "--seed", 4, "--checkpoint_every", 3]
    assert run_train(*common, "--train_total_steps", 384, "--output_dir", out).returncode == 0
    with tmpfs(out / "tensorboard", "8k"):
        proc = run_train("--resume", out, "--train_total_steps", 10**6)
    assert proc.returncode == 1, proc.stderr
    assert_no_traceback(proc.stderr)
    rows = len(read_progress(out))
    assert proc.stderr.strip().splitlines()[-1] == (
        f"train.py: cannot write {out / 'tensorboard'} (No space left on device); progress.csv "
        f"holds its {rows} finished iterations and checkpoint iter_{(rows - 1) // 3 * 3:06d} is "
        f"kept; continue with: {resume_command(out)}")
