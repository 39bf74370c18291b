import contextlib
import csv
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_train(*args, timeout=600):
    """Run train.py as a user would; returns the CompletedProcess (text mode)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(ROOT, "train.py"), *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def read_progress(output_dir):
    with open(os.path.join(output_dir, "progress.csv"), newline="") as f:
        return list(csv.DictReader(f))


def eval_rewards(output_dir):
    return [float(row["eval_reward"]) for row in read_progress(output_dir) if row["eval_reward"]]


@contextlib.contextmanager
def tmpfs(mount, size):
    """A real tmpfs of ``size`` (mount's -o size=) mounted on the directory ``mount``; the test
    is skipped where mounting needs a root this process is not."""
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def resume_command(run_dir):
    """The command a stopped or failed run of train.py (run from ROOT) says continues it."""
    from mujoco_ppo.run.run_ending import shortest_path
    return f"{shortest_path(sys.executable, ROOT)} train.py --resume {run_dir}"
