import csv
import os
import subprocess
import sys

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
