"""evaluate.py, scripts/plot.py, scripts/compare_parl.py and the TensorBoard files, on real runs;
the refusals of `python -m mujoco_ppo.xparl`."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from helpers import (
    ROOT,
    assert_no_traceback,
    assert_one_sentence,
    child_environment,
    python_command,
    run_python,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def finished_run(trained_run):
    return trained_run("--env", "InvertedPendulum-v4", "--train_total_steps", 1500, "--seed", 2,
                       "--test_every_steps", 500)


def test_evaluate_prints_mean_and_std_and_writes_a_playable_video(finished_run, tmp_path):
    video = tmp_path / "episode.mp4"
    proc = run_python("evaluate.py", "--checkpoint", finished_run,
                      "--episodes", 3, "--seed", 5, "--video", video)
    assert proc.returncode == 0, proc.stderr
    returns = [float(line.split("return ")[1]) for line in proc.stdout.splitlines()
               if line.startswith("episode ")]
    assert len(returns) == 3
    summary = proc.stdout.splitlines()[-2]
    assert "over 3 episodes" in summary and "±" in summary
    import imageio.v2 as imageio
    import numpy as np
    reader = imageio.get_reader(str(video))
    count = reader.count_frames()
    assert count == returns[0] + 1  # InvertedPendulum: reward 1 per step; + the reset frame
    assert np.asarray(reader.get_data(count // 2)).std() > 5  # a picture, not a blank frame
    # progress on stderr (not a terminal here: the last line, when the video is written)
    assert re.search(rf"video: {count:,} frames in [0-9.]+ s \([0-9.,]+ frames/s, rendering and "
                     rf"encoding\) -> {re.escape(str(video))}", proc.stderr), proc.stderr
    start = tmp_path / "start.gif"
    again = run_python("evaluate.py", "--checkpoint", finished_run, "--episodes", 3, "--seed", 5,
                       "--video", start, "--video_seconds", 0.2)
    assert again.stdout.splitlines()[-2] == summary  # deterministic
    assert len(imageio.mimread(str(start))) == 5  # the first 0.2 s at InvertedPendulum's 25 fps
    assert "video: 5 frames in " in again.stderr and "(5 frames)" in again.stdout


def test_a_committed_pretrained_policy_is_evaluated_from_its_directory_alone(tmp_path):
    """As in a fresh clone: results/pretrained/CartPole copied on its own, no run around it."""
    alone = tmp_path / "CartPole"
    shutil.copytree(os.path.join(ROOT, "results", "pretrained", "CartPole"), alone)
    proc = run_python("evaluate.py", "--checkpoint", alone, "--episodes", 2)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == (f"CartPole-v1, checkpoint {alone} (step 101916): "
                                            f"return 500.0 ± 0.0 over 2 episodes")
    with open(alone / "evaluation.txt") as f:  # what scripts/pretrained.py recorded
        recorded = [line for line in f.read().splitlines() if line.startswith("episode ")]
    assert [line for line in proc.stdout.splitlines() if line.startswith("episode ")] == \
        recorded[:2]
    (alone / "policy.safetensors").write_bytes(b"damaged")
    damaged = run_python("evaluate.py", "--checkpoint", alone)
    assert_one_sentence(damaged, 2, "policy.safetensors is damaged: its sha256 differs")


@pytest.mark.parametrize("signum, when", [(signal.SIGINT, "start-up"), (signal.SIGTERM, "start-up"),
                                          (signal.SIGINT, "playing"), (signal.SIGTERM, "playing")])
def test_evaluate_ends_on_a_signal_as_train_does(signum, when):
    """Hostile case: Ctrl-C printed a KeyboardInterrupt traceback, and SIGTERM ended it with
    143 and nothing said. Now one sentence and 128 + the signal, as train.py."""
    proc = subprocess.Popen(python_command("evaluate.py", "--checkpoint", os.path.join(
        ROOT, "results", "pretrained", "CartPole"), "--episodes", 1000), cwd=ROOT, text=True,
        env=child_environment({"PYTHONUNBUFFERED": "1"}), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    if when == "start-up":  # while Paddle imports
        time.sleep(0.3)
    else:
        while not proc.stdout.readline().startswith("episode 2:"):
            assert proc.poll() is None
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert_one_sentence(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr),
                        128 + signum, f"evaluate.py: interrupted by signal {signum}.")


@pytest.mark.parametrize("args, phrase", [
    (["--episodes", "1e300"], "--episodes must be at most 10,000, got 1.00e+300"),
    (["--episodes", "10001"], "--episodes must be at most 10,000, got 10,001"),
    (["--video_seconds", "inf"], "--video_seconds must be a positive number, got inf"),
])
def test_evaluate_refuses_counts_it_cannot_honour(tmp_path, args, phrase):
    """Hostile case: --episodes 1e300 played for ever; --video_seconds inf ended in an
    OverflowError traceback once the first frame was rendered."""
    proc = run_python("evaluate.py", "--checkpoint", os.path.join(
        ROOT, "results", "pretrained", "CartPole"), "--video", tmp_path / "episode.mp4", *args,
        timeout=120)
    assert_one_sentence(proc, 2, phrase)
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_in_an_exported_policy_or_for_the_video_is_one_sentence(tmp_path):
    """Hostile case: opening a FIFO waits for a writer (or a reader) for ever."""
    alone = tmp_path / "CartPole"
    shutil.copytree(os.path.join(ROOT, "results", "pretrained", "CartPole"), alone)
    (alone / "policy.json").unlink()
    os.mkfifo(alone / "policy.json")
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", alone, timeout=60), 2,
                        f"{alone / 'policy.json'} is a FIFO, not a regular file")
    os.mkfifo(tmp_path / "episode.tmp.mp4")
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", os.path.join(
        ROOT, "results", "pretrained", "CartPole"), "--video", tmp_path / "episode.mp4",
        timeout=60), 2, f"{tmp_path / 'episode.tmp.mp4'} is a FIFO, not a regular file; --video "
                        f"names a video file.")


@pytest.mark.parametrize("missing", ["policy.safetensors", "policy.json"])
def test_an_exported_policy_missing_a_file_is_said_so(tmp_path, missing):
    """Hostile case: without its weights file it was taken for a run directory, refused as "no
    checkpoint ... (the run saved none yet)"."""
    alone = tmp_path / "CartPole"
    shutil.copytree(os.path.join(ROOT, "results", "pretrained", "CartPole"), alone)
    (alone / missing).unlink()
    assert_one_sentence(run_python("evaluate.py", "--checkpoint", alone), 2,
                        f"the exported policy in {alone} is incomplete: {alone / missing} is "
                        f"missing.")


def test_make_goes_on_without_the_video_packages_for_a_user_who_is_not_root():
    """Hostile case: `make install` ran apt-get for every user, which failed for one who is not
    root and aborted the whole install, though only --video needs those packages."""
    as_a_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]  # nobody
    if not (shutil.which("dpkg") and shutil.which("make") and shutil.which("setpriv")):
        pytest.skip("needs dpkg, make and setpriv")
    missing = "mujoco-ppo-no-such-package"
    proc = subprocess.run([*(as_a_user if os.geteuid() == 0 else []), "make",
                           "--no-print-directory", "video-libraries", f"VIDEO_PACKAGES={missing}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        f"evaluate.py --video needs the Debian packages {missing}, missing here: install them as "
        f"root (apt-get install {missing}); everything else is installed."]


def fake_venv(tmp_path, body):
    """A VENV for make whose bin/python runs ``body`` (Python) instead of train.py, installed."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (tmp_path / "fake_train.py").write_text(body)
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\nexec {sys.executable} {tmp_path / 'fake_train.py'} \"$@\"\n")
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than requirements.txt: make installs nothing
    return venv


STOPS_ON_CTRL_C = """import signal, sys, time
def stop(signum, frame):
    time.sleep(0.5)  # an iteration finishing, a checkpoint saved
    print("train.py: stopped by signal 2 at step 5; continue with: python train.py --resume x",
          file=sys.stderr, flush=True)
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
print("training", flush=True)
time.sleep(60)
"""


def test_make_train_ends_a_ctrl_c_with_train_pys_sentence_not_an_error_of_makes(tmp_path):
    """Hostile case: a clean Ctrl-C of `make train` ended with `make: *** [Makefile:34: train]
    Error 130` under train.py's sentence saying how to resume."""
    import pty
    import select

    if not shutil.which("make"):
        pytest.skip("needs make")
    venv = fake_venv(tmp_path, STOPS_ON_CTRL_C)
    pid, terminal = pty.fork()
    if pid == 0:  # make in the foreground of a terminal, as typed
        os.chdir(ROOT)
        os.execvp("make", ["make", "--no-print-directory", "train", f"VENV={venv}"])
    output = b""
    try:
        while b"training" not in output:
            assert select.select([terminal], [], [], 30)[0], output
            output += os.read(terminal, 4096)
        os.write(terminal, b"\x03")  # Ctrl-C: SIGINT to make, its shell and train.py
        while select.select([terminal], [], [], 30)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the terminal closed: everything has exited
                break
            if not chunk:
                break
            output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    text = output.decode()
    assert "continue with: python train.py --resume x" in text, text
    assert "make: ***" not in text and "Error" not in text, text
    assert os.waitstatus_to_exitcode(status) in (0, -signal.SIGINT), text


def test_make_train_still_reports_a_failed_run(tmp_path):
    venv = fake_venv(tmp_path, "import sys; sys.exit(2)")
    proc = subprocess.run(["make", "--no-print-directory", "train", f"VENV={venv}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "train] Error 2" in proc.stderr, proc.stderr


@pytest.mark.parametrize("args, phrase", [
    (["--checkpoint", "/nonexistent/run"], "does not exist"),
    (["--checkpoint", "."], "not a run directory"),
    (["--checkpoint", ".", "--episodes", "0"], "--episodes must be at least 1"),
])
def test_evaluate_refusals(args, phrase):
    proc = run_python("evaluate.py", *args)
    assert proc.returncode == 2 and phrase in proc.stderr, proc.stderr
    assert_no_traceback(proc.stderr)


@pytest.mark.parametrize("video, phrase", [
    ("/sys/episode.mp4", "cannot write the video /sys/episode.mp4: Permission denied."),
    ("/nonexistent/dir/episode.mp4", "No such file or directory"),
    (".", "--video . is a directory"),
    ("episode.notavideo", "has no video file extension imageio knows"),
])
def test_evaluate_checks_the_video_path_before_any_episode(finished_run, video, phrase):
    proc = run_python("evaluate.py", "--checkpoint", finished_run,
                      "--episodes", 1, "--video", video)
    assert proc.returncode == 2 and phrase in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "episode 1" not in proc.stdout
    assert not os.path.exists("episode.notavideo")


@pytest.mark.parametrize("args, phrase", [
    (["--env", "Foo-v0"], "unknown environment id 'Foo-v0'"),
    (["--env", "HalfCheetah-v2", "--steps", 9999], "--steps 9,999 may be a single training "
     "iteration of HalfCheetah-v4 (5 episodes of up to 1,000 steps); give at least 10,000."),
    (["--steps", "0"], "give at least 10,000"),
    (["--steps", "lots"], "'lots' is not a number"),
])
def test_bench_checks_env_and_steps_before_measuring(args, phrase):
    proc = run_python("scripts/bench.py", *args)
    assert_one_sentence(proc, 2, phrase)


def test_tensorboard_scalars_are_written(finished_run):
    folder = finished_run / "tensorboard"
    events = [f for f in os.listdir(folder) if f.startswith("events.out.tfevents")]
    assert events
    data = (folder / events[0]).read_bytes()
    for tag in (b"train/eval_reward", b"train/policy_loss", b"train/kl", b"train/beta",
                b"train/sps"):
        assert tag in data


def test_plot_and_compare_parl(finished_run, tmp_path):
    png = tmp_path / "curves.png"
    proc = run_python("scripts/plot.py", finished_run, finished_run,
                      "--out", png, "--smooth", 1000)
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    png2 = tmp_path / "parl.png"
    proc = run_python("scripts/compare_parl.py", finished_run,
                      "--out", png2, "--window", 1000)
    assert proc.returncode == 0, proc.stderr
    assert png2.exists()


def test_a_progress_bar_on_a_terminal_only(tmp_path):
    import pty
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "train.py"), "--env", "InvertedPendulum-v4",
         "--train_total_steps", "600", "--seed", "1", "--output_dir", str(tmp_path / "run")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300)
    os.close(follower)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"step/s" in terminal and b"100%" in terminal  # the bar, with rate, on the terminal
    assert "step/s" not in proc.stdout and "Steps " in proc.stdout  # the log stays plain


@pytest.mark.parametrize("args, phrase", [
    (["--bogus"], "python -m mujoco_ppo.xparl: error: unrecognized arguments: --bogus."),
    (["status", "--bogus"], "xparl: error: status: No such option '--bogus' (python -m "
                            "mujoco_ppo.xparl status --help lists its options)"),
    (["bogus"], "xparl: error: No such command 'bogus'"),
])
def test_xparl_refuses_an_unknown_flag_in_one_sentence(args, phrase):
    """Hostile case: a usage line (or click's usage block) came before the error. In a private
    network namespace: nothing listens, but nothing could reach beyond it either."""
    from mujoco_ppo.xparl.local import private_network_command
    command, reason = private_network_command([sys.executable, "-m", "mujoco_ppo.xparl", *args])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    proc = subprocess.run(command, cwd=ROOT, env=child_environment(), capture_output=True,
                          text=True, timeout=120)
    assert_one_sentence(proc, 2, phrase)

