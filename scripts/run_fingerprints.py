"""Fingerprints of three short stopped-and-resumed runs, to show a change to the code leaves
training unchanged: for fixed seeds on one machine, each run's progress.csv without its timing
columns hashes the same before and after the change.

    python scripts/run_fingerprints.py OUT.json

The runs: a HalfCheetah KLPEN run of the first PPO stopped by its step budget and resumed with a
larger one, a TRPO CartPole run stopped and resumed the same way, and a CartPole run of PARL's
second PPO stopped by SIGTERM and resumed. Each is also run uninterrupted; OUT.json holds the
commands, both hashes of each run (they must agree) and the machine. The digits depend on the CPU
and its BLAS kernels, so compare fingerprints taken on one machine only.
"""
import argparse
import csv
import hashlib
import io
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PARL1_KLPEN = ["--env", "HalfCheetah-v2", "--loss_type", "KLPEN", "--seed", "1",
               "--episodes_per_batch", "2", "--test_every_steps", "2000", "--num_workers", "2",
               "--learner_threads", "1", "--checkpoint_every", "1"]
TRPO_CARTPOLE = ["--env", "CartPole-v1", "--loss_type", "TRPO", "--seed", "3",
                 "--test_every_steps", "500", "--num_workers", "2", "--episodes_per_batch", "4",
                 "--learner_threads", "1", "--checkpoint_every", "3"]
PARL2_CARTPOLE = ["--algo", "parl2", "--env", "CartPole-v1", "--env_num", "2", "--step_nums", "64",
                  "--train_total_steps", "3840", "--seed", "4", "--test_every_steps", "1000",
                  "--checkpoint_every", "3"]


def train(*args, **popen):
    return subprocess.Popen([sys.executable, "train.py", *args], cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, OMP_NUM_THREADS="1"), **popen)


def finish(proc, expected=0):
    stderr = proc.communicate()[1]
    if proc.returncode != expected:
        sys.exit(f"run_fingerprints.py: a run ended with {proc.returncode}:\n{stderr}")


def fingerprint(run_dir):
    """sha256 of progress.csv with the timing columns (sps, *_time) left out."""
    with open(os.path.join(run_dir, "progress.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    kept = [c for c in rows[0] if c != "sps" and not c.endswith("_time")]
    text = io.StringIO()
    writer = csv.DictWriter(text, kept, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return hashlib.sha256(text.getvalue().encode()).hexdigest(), len(rows)


def budget_stopped(base, work, first, total):
    whole, part = os.path.join(work, "whole"), os.path.join(work, "part")
    finish(train(*base, "--train_total_steps", str(total), "--output_dir", whole))
    finish(train(*base, "--train_total_steps", str(first), "--output_dir", part))
    finish(train("--resume", part, "--train_total_steps", str(total)))
    return whole, part, [
        ["train.py", *base, "--train_total_steps", str(total), "--output_dir", "WHOLE"],
        ["train.py", *base, "--train_total_steps", str(first), "--output_dir", "PART"],
        ["train.py", "--resume", "PART", "--train_total_steps", str(total)]]


def signal_stopped(base, work, rows_before_stop):
    whole, part = os.path.join(work, "whole"), os.path.join(work, "part")
    finish(train(*base, "--output_dir", whole))
    proc = train(*base, "--output_dir", part)
    progress = os.path.join(part, "progress.csv")
    while not os.path.exists(progress) or sum(1 for _ in open(progress)) <= rows_before_stop:
        if proc.poll() is not None:
            finish(proc)
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    finish(proc, 128 + signal.SIGTERM)
    finish(train("--resume", part))
    return whole, part, [
        ["train.py", *base, "--output_dir", "WHOLE"],
        ["train.py", *base, "--output_dir", "PART", "(SIGTERM after "
         f"{rows_before_stop} rows)"],
        ["train.py", "--resume", "PART"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", metavar="OUT.json", help="where the fingerprints are written")
    out = parser.parse_args().out
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {"commit": commit, "machine": f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}", "runs": {}}
    cases = {"parl1_halfcheetah_klpen": lambda w: budget_stopped(PARL1_KLPEN, w, 4000, 8000),
             "parl1_cartpole_trpo": lambda w: budget_stopped(TRPO_CARTPOLE, w, 1500, 3000),
             "parl2_cartpole": lambda w: signal_stopped(PARL2_CARTPOLE, w, 4)}
    for name, case in cases.items():
        with tempfile.TemporaryDirectory() as work:
            whole, part, commands = case(work)
            (whole_hash, rows), (part_hash, _) = fingerprint(whole), fingerprint(part)
        result["runs"][name] = {"commands": commands, "rows": rows, "uninterrupted": whole_hash,
                                "stopped_and_resumed": part_hash}
        print(f"{name}: {rows} rows, {whole_hash[:16]} uninterrupted, "
              f"{part_hash[:16]} stopped and resumed", flush=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, ROOT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("run_fingerprints.py", checkout=ROOT)
    main()
