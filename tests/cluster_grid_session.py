"""Run inside fresh network and process namespaces by tests/test_cluster_grid.py:

    python tests/cluster_grid_session.py OUT_DIR

Brings loopback up, runs a 2-run grid locally (the reference) while it starts an xparl cluster on
127.0.0.1 with 2 CPUs, and runs on that cluster: the same grid; the grid of seed 0 alone with its job's process
killed (kill -9) once its run has a checkpoint in the grid directory; the grid again, stopped
with SIGINT, then continued on the cluster, whose processes are all killed under it, then finished
on this machine without --xparl_addr; and a parl2 grid. Writes OUT_DIR/session.json with each
grid command's exit status, stdout and stderr and what the test needs to know of the moments
in between.
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time

import psutil

from helpers import ROOT, child_environment, read_progress

from mujoco_ppo.parl1.checkpoint import checkpointer
from mujoco_ppo.xparl.local import bring_loopback_up, local_cluster

PORT = 8010
ADDRESS = f"127.0.0.1:{PORT}"
ABLATE = os.path.join(ROOT, "scripts", "ablate.py")


def grid(*seeds):
    return ["--env", "InvertedPendulum-v4", "--loss_type", "CLIP", "--seeds", *seeds,
            "--steps", "6000", "--jobs", "2", "--train_args", "--checkpoint_every", "3"]


GRID = grid("0", "1")
RUNS = [os.path.join("runs", "InvertedPendulum-v4", "CLIP_clip_epsilon0.2", f"seed{seed}")
        for seed in (0, 1)]
ON_CLUSTER = ["--xparl_addr", ADDRESS, "--xparl_timeout", "10"]
PARL2_GRID = ["--algo", "parl2", "--env", "CartPole-v1", "--seeds", "0", "--steps", "1024",
              "--jobs", "2"]


def ablate(grid_dir, *args):
    return [sys.executable, ABLATE, "run", grid_dir, *args]


def outcome(proc, stdout, stderr):
    return {"rc": proc.returncode, "stdout": stdout, "stderr": stderr}


def run(grid_dir, *args):
    proc = subprocess.run(ablate(grid_dir, *args), cwd=ROOT, env=child_environment(),
                          capture_output=True, text=True, timeout=600)
    return outcome(proc, proc.stdout, proc.stderr)


def start(grid_dir, *args):
    return subprocess.Popen(ablate(grid_dir, *args), cwd=ROOT, env=child_environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def checkpoints(run_dir):
    return [i for i, _ in checkpointer(run_dir).intact_checkpoints()]


def wait_for(condition, proc, timeout_s=180):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the grid ended or took too long: {proc.communicate()}")
        time.sleep(0.05)


def rows(run_dir):
    return read_progress(run_dir) if os.path.exists(os.path.join(run_dir, "progress.csv")) else []


def trainers():
    """{scratch run directory: (pid, its job's pid)} of every train.py that a job runs."""
    found = {}
    for proc in psutil.process_iter(["pid", "ppid", "cmdline"]):
        command = proc.info["cmdline"] or []
        for flag in ("--output_dir", "--resume"):
            if flag in command[:-1] and "mujoco_ppo_job_" in command[command.index(flag) + 1]:
                found[command[command.index(flag) + 1]] = proc.info["pid"], proc.info["ppid"]
    return found


def freeze(signum=signal.SIGSTOP):
    """SIGSTOP (or SIGCONT) every train.py on the cluster: the runs of this tiny grid are
    faster than the grid runner's polls, and a frozen one cannot finish before the test acts."""
    for pid, _ in trainers().values():
        os.kill(pid, signum)


def seed_of(scratch):
    """The seed of the run a job's scratch directory holds (its config.json's), or None before
    the job has written it."""
    try:
        with open(os.path.join(scratch, "config.json")) as f:
            return json.load(f)["seed"]
    except (OSError, ValueError, KeyError):
        return None


def freeze_each_when(ready, proc, count, timeout_s=180):
    """SIGSTOP each train.py on the cluster the moment ``ready(its scratch directory)`` holds,
    until ``count`` are frozen. One at a time, not all at once when the last is ready: a run of
    this tiny grid lasts about a second on an idle machine, and the first would otherwise finish
    while the second gets there."""
    frozen, deadline = set(), time.monotonic() + timeout_s
    while len(frozen) < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the grid ended or took too long: {proc.communicate()}")
        for scratch, (pid, _) in trainers().items():
            if scratch not in frozen and ready(scratch):
                os.kill(pid, signal.SIGSTOP)
                frozen.add(scratch)
        time.sleep(0.02)


def kill_the_cluster():
    """Every process of the cluster killed at once (its machines gone; `xparl stop` here left
    its master running once); returns how many."""
    cluster = [proc for proc in psutil.process_iter(["cmdline"])
               if any("parl/remote/" in part for part in proc.info["cmdline"] or [])]
    for proc in cluster:
        proc.kill()
    return len(cluster)


def kill_one_job(out):
    """The grid of seed 0 alone, its job killed (its process, kill -9) once the grid directory
    holds a checkpoint of the run."""
    grid_dir = os.path.join(out, "killed")
    proc = start(grid_dir, *ON_CLUSTER, *grid("0"))
    seed0 = os.path.join(grid_dir, RUNS[0])
    wait_for(lambda: any(checkpoints(scratch) for scratch in trainers()), proc)
    freeze()
    (scratch, (_, job)), = trainers().items()
    wait_for(lambda: len(rows(seed0)) == len(rows(scratch))
             and checkpoints(seed0)[:1] == checkpoints(scratch)[:1], proc)  # all arrived
    at_kill = {"rows": len(rows(seed0)), "checkpoint": checkpoints(seed0)[0]}
    os.kill(job, signal.SIGKILL)  # its train.py dies with it
    stdout, stderr = proc.communicate(timeout=600)
    return {**outcome(proc, stdout, stderr), **at_kill}


def stop_then_lose_the_cluster(out):
    """The grid again: SIGINT once both runs have rows; the same command again, every process
    of the cluster killed under it once a run has a newer checkpoint in the grid directory;
    then the grid on this machine."""
    grid_dir = os.path.join(out, "stopped")
    session = {}
    proc = start(grid_dir, *ON_CLUSTER, *GRID)
    run_dirs = [os.path.join(grid_dir, r) for r in RUNS]
    freeze_each_when(rows, proc, count=2)
    proc.send_signal(signal.SIGINT)
    time.sleep(3)  # the grid runner passes it on to each train.py, which gets it once thawed
    freeze(signal.SIGCONT)
    session["sigint"] = {**outcome(proc, *proc.communicate(timeout=300)),
                         "rows": [len(rows(d)) for d in run_dirs],
                         "checkpoints": [checkpoints(d) for d in run_dirs],
                         "left": sorted(trainers())}
    proc = start(grid_dir, *ON_CLUSTER, *GRID)
    before = [max(session["sigint"]["checkpoints"][i] or [0]) for i in (0, 1)]
    # a job's scratch directory also holds the checkpoint it resumed from: newer than its own
    freeze_each_when(lambda scratch: seed_of(scratch) in (0, 1)
                     and checkpoints(scratch)[:1] > [before[seed_of(scratch)]], proc, count=1)
    freeze()
    wait_for(lambda: any(checkpoints(d)[:1] > [before[i]] for i, d in enumerate(run_dirs)),
             proc)
    session["cluster_processes_killed"] = kill_the_cluster()
    stdout, stderr = proc.communicate(timeout=300)
    session["gone"] = {**outcome(proc, stdout, stderr),
                       "rows": [len(rows(d)) for d in run_dirs],
                       "checkpoints": [checkpoints(d) for d in run_dirs]}
    session["finished_here"] = run(grid_dir, *GRID)
    return session


def main(out):
    bring_loopback_up()
    session = {}
    # the reference grids, one after the other, need no cluster: they run while it starts,
    # which is mostly waiting
    with concurrent.futures.ThreadPoolExecutor(1) as here, \
            open(os.path.join(out, "cluster.log"), "w") as log:
        references = here.submit(lambda: {
            "local": run(os.path.join(out, "local"), *GRID),
            "parl2_local": run(os.path.join(out, "parl2_local"), *PARL2_GRID)})
        with local_cluster(PORT, 2, log):
            session.update(references.result())
            started = time.monotonic()
            session["cluster"] = run(os.path.join(out, "cluster"), *ON_CLUSTER, *GRID)
            session["cluster_s"] = time.monotonic() - started
            session["parl2_cluster"] = run(os.path.join(out, "parl2_cluster"), *ON_CLUSTER,
                                           *PARL2_GRID)
            session["killed"] = kill_one_job(out)
            session.update(stop_then_lose_the_cluster(out))
    with open(os.path.join(out, "session.json"), "w") as f:
        json.dump(session, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
