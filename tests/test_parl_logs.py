"""Reading PARL's logs (mujoco_ppo/comparison/parl_logs.py), every shape: PARL 2.x's own example's
text log and TensorBoard event file (the real ones, ../shared/reference/parl2_example beside the
repository), this package's train.log of both PPOs (committed runs), and logs the tests write: a
torn last line or record, a resumed run, a log of other sizes, a damaged or unreadable file, and
rewards beyond any return."""
import os

import numpy as np
import pytest

from helpers import ROOT

from mujoco_ppo.analysis.results import load_run
from mujoco_ppo.comparison import parl_logs
from mujoco_ppo.comparison.parl_logs import parl2_evaluation_step, read_parl_log
from mujoco_ppo.errors import UserError

pytestmark = pytest.mark.unit

EXAMPLE = os.path.join(os.path.dirname(ROOT), "shared", "reference", "parl2_example")
TEXT_LOG = os.path.join(EXAMPLE, "HalfCheetah-v4_seed1.log")
EVENT_FILE = os.path.join(EXAMPLE, "HalfCheetah-v4_seed1.events.out.tfevents")
RUNS = os.path.join(ROOT, "results")


def window_mean(log, mark, window=50000):
    near = (log["eval_steps"] > mark - window) & (log["eval_steps"] <= mark)
    return log["eval_reward"][near].mean()


def test_parl2_text_log_gives_the_event_files_exact_steps():
    """An evaluation line has no step: it is the step count at the end of the update before it
    (2,048 steps each), not the last "Training:" line's (an episode's end: 2,000, 6,000, ...)."""
    text = read_parl_log(TEXT_LOG, "HalfCheetah-v4")
    events = read_parl_log(EVENT_FILE, "HalfCheetah-v4")
    assert list(text["eval_steps"][:4]) == [2048, 6144, 10240, 16384]
    assert len(text["eval_steps"]) == 200
    np.testing.assert_array_equal(text["eval_steps"], events["eval_steps"])
    # the event file holds float32: 7 significant digits
    np.testing.assert_allclose(text["eval_reward"], events["eval_reward"], rtol=1e-6, atol=1e-3)
    for log in (text, events):
        assert (log["loss_type"], log["family"], log["last_step"], log["update_steps"]) == \
            ("parl2", "HalfCheetah", 999424, 2048)
        # the exact steps' means before the marks; the last Training line's steps gave 1,572 at 1M
        assert [round(window_mean(log, m)) for m in (300000, 500000, 700000, 1000000)] == \
            [959, 1550, 1569, 1579]
    assert text["shape"] == "PARL 2.x, text log of PARL's examples/PPO/train.py"
    assert events["shape"].startswith("PARL 2.x, TensorBoard event file")
    assert len(events["train_steps"]) == 999 and events["train_steps"][-1] == 999000


@pytest.mark.parametrize("previous, update, every, step", [
    (None, 2048, 5000, 2048),  # the first update always evaluates
    (2048, 2048, 5000, 6144),  # 6,145 // 5,000 is the first to reach 1
    (6144, 2048, 5000, 10240),
    (4094, 2047, 5000, 6141),
    (1024, 1024, 5000, 5120),  # Atari: 8 environments x 128 steps
    (8192, 8192, 5000, 16384),  # updates longer than the interval: every update
])
def test_parl2_evaluates_after_the_update_that_passes_a_multiple(previous, update, every, step):
    assert parl2_evaluation_step(previous, update, every) == step


@pytest.mark.parametrize("run", ["parl2/runs/HalfCheetah-v4/parl2/seed0",
                                 "parl2/runs/Hopper-v4/parl2/seed1"])  # stopped and resumed twice
def test_this_packages_parl2_train_log_gives_its_progress_csv(run):
    folder = os.path.join(RUNS, run)
    log = read_parl_log(os.path.join(folder, "train.log"))  # its Env: line names the task
    ran = load_run(folder)
    np.testing.assert_array_equal(log["eval_steps"], ran["eval_steps"])
    np.testing.assert_allclose(log["eval_reward"], ran["eval_reward"], rtol=1e-12)
    assert (log["last_step"], log["loss_type"], log["task_from"]) == \
        (ran["last_step"], "parl2", "its Env: line")
    assert log["shape"] == "PARL 2.x, text log of this package's train.py"


@pytest.mark.parametrize("run, flags", [
    ("objectives/runs/HalfCheetah-v2/NONE/seed0", ()),  # its Argv: line: --loss_type NONE
    ("reproduce/runs/Hopper-v2/KLPEN_kl_targ0.003/seed0", ("Hopper-v2", "KLPEN")),  # none
])
def test_this_packages_parl1_train_log_gives_its_progress_csv(run, flags):
    folder = os.path.join(RUNS, run)
    log = read_parl_log(os.path.join(folder, "train.log"), *flags)
    ran = load_run(folder)
    np.testing.assert_array_equal(log["eval_steps"], ran["eval_steps"])
    np.testing.assert_allclose(log["eval_reward"], ran["eval_reward"], rtol=1e-12)
    assert log["shape"] == "PARL 1.x, text log of this package's train.py"


def test_a_torn_last_line_is_left_out_with_a_note(tmp_path, capsys):
    """A log PARL is writing ends inside a line: its reward 1070.5 read as 10 was a value."""
    log = tmp_path / "parl.log"
    log.write_text("".join(f"[02-14 11:07:00 MainThread @train.py:180] Steps {s}, Evaluate "
                           f"reward: {1000.5 + s / 1000}\n" for s in range(10000, 70001, 10000))
                   + "[02-14 11:07:00 MainThread @train.py:180] Steps 80000, Evaluate reward: 10")
    read = read_parl_log(log, "Hopper-v2", "CLIP")
    assert read["eval_steps"][-1] == 70000 and read["eval_reward"].min() > 1000
    assert "the last line of" in capsys.readouterr().err
    whole = open(TEXT_LOG).read()
    cut = tmp_path / "parl2.log"
    cut.write_text(whole[:whole.rindex("Reward: ") + 10])  # in the last evaluation's reward
    assert len(read_parl_log(cut, "HalfCheetah-v4")["eval_steps"]) == 199


def test_a_resumed_train_log_reads_the_steps_it_did_again_once(tmp_path):
    """A run killed after its checkpoint logs steps again on resuming (train.log's "Resumed ...
    step S"): the lines after S before it are left out."""
    lines = open(os.path.join(RUNS, "parl2/runs/HalfCheetah-v4/parl2/seed0/train.log")).readlines()
    update_16 = next(i for i, line in enumerate(lines) if "total steps: 32768," in line)
    killed = next(i for i, line in enumerate(lines) if "total steps: 40960," in line)
    resumed = "[11-28 18:00:00] Resumed results/x from update 15, step 30720\n"
    log = tmp_path / "train.log"
    log.write_text("".join(lines[:killed + 1] + [resumed] + lines[update_16:]))
    again = read_parl_log(log)
    whole = read_parl_log(os.path.join(RUNS, "parl2/runs/HalfCheetah-v4/parl2/seed0/train.log"))
    np.testing.assert_array_equal(again["eval_steps"], whole["eval_steps"])
    np.testing.assert_array_equal(again["eval_reward"], whole["eval_reward"])


def test_a_parl2_log_of_other_sizes_is_refused(tmp_path):
    """Evaluations every 10,000 steps where 5,000 is assumed: the Training lines show it."""
    lines = open(TEXT_LOG).read().splitlines(keepends=True)
    evaluations = [i for i, line in enumerate(lines) if "Evaluation over" in line]
    log = tmp_path / "parl.log"
    log.write_text("".join(line for i, line in enumerate(lines) if i not in evaluations[1::2]))
    with pytest.raises(UserError, match=r"line \d+: the evaluation falls at step 6,144, but training "
                                        r"reached step 10,000 before it \(updates of 2,048 steps and an evaluation every 5,000.*other sizes"):
        read_parl_log(log, "HalfCheetah-v4")


def test_logs_that_do_not_name_their_task_need_parl_env(tmp_path):
    for path in (TEXT_LOG, EVENT_FILE):
        with pytest.raises(UserError, match="give it with --parl_env"):
            read_parl_log(path)


@pytest.mark.parametrize("byte", [30000, 30020])  # in a record's length, in its event
def test_a_damaged_event_file_is_refused(tmp_path, byte):
    data = open(EVENT_FILE, "rb").read()
    damaged = tmp_path / "damaged.tfevents"
    damaged.write_bytes(data[:byte] + bytes([data[byte] ^ 0xFF]) + data[byte + 1:])
    with pytest.raises(UserError, match=r"is damaged at byte 29,997: the record there fails its "
                                        r"checksum"):
        read_parl_log(damaged, "HalfCheetah-v4")


def test_a_cut_event_file_is_read_to_its_last_whole_record(tmp_path, capsys):
    data = open(EVENT_FILE, "rb").read()
    cut = tmp_path / "cut.tfevents"
    cut.write_bytes(data[:-10])
    read = read_parl_log(cut, "HalfCheetah-v4")
    assert len(read["eval_steps"]) == 200 and "is cut short" in capsys.readouterr().err


def test_an_event_file_without_parls_evaluations_names_its_tags(tmp_path):
    from tensorboardX.event_file_writer import EventsWriter
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.summary import scalar

    writer = EventsWriter(str(tmp_path / "events"))
    writer.write_event(Event(step=10, summary=scalar("train/eval_reward", 1.0)))
    writer.close()
    (path,) = tmp_path.iterdir()
    with pytest.raises(UserError, match=r"no 'eval/episode_reward' scalars, PARL 2.x's "
                                        r"evaluations \(its tags: train/eval_reward;"):
        read_parl_log(path, "HalfCheetah-v4")


def test_an_unreadable_or_irregular_log_is_one_sentence(tmp_path, monkeypatch):
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="the PARL log .*fifo.log is a FIFO, not a regular file"):
        read_parl_log(fifo, "HalfCheetah-v4")  # stat, not open: a FIFO would block here

    def unreadable(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(parl_logs, "open", unreadable, raising=False)
    with pytest.raises(UserError, match="cannot read the PARL log .*: Permission denied"):
        read_parl_log(EVENT_FILE, "HalfCheetah-v4")


@pytest.mark.parametrize("reward", ["1e308", "-2e15", "inf", "nan"])
def test_a_reward_beyond_any_return_is_refused(tmp_path, reward):
    log = tmp_path / "parl.log"
    log.write_text(f"Steps 10000, Evaluate reward: 5.0\nSteps 20000, Evaluate reward: {reward}\n")
    with pytest.raises(UserError, match=rf"line 2: the evaluation reward '{reward}' is not a "
                                        rf"finite number within ±1e\+15"):
        read_parl_log(log, "Hopper-v2", "CLIP")
