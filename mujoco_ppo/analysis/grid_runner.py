"""Running a grid: one grid runner per grid directory, its runs as train.py processes, as many
at once as the grid's jobs, each decided again under its lock as it starts; a stop signal is
passed on to the runs under way, each then saving a checkpoint."""
import json
import os
import signal
import subprocess
import sys
import time

from ..errors import Interrupted, UserError
from ..run.run_lock import RunLock, holder_pid
from ..run.run_log import prepare_output_dir
from ..run.signals import STOP_SIGNALS, StopRequest, stop_at_once
from .grid import PARL1_ONLY, checkpointer, decided, grid_runs, run_status

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def command_for(grid_dir, relative, flags, grid):
    """(train.py command or None, status, note) of a run about to start, decided under its lock
    (a train.py started by hand may have run it meanwhile). A run to start over is cleared under
    that lock too, so that train.py is never given --overwrite: a run begun by another process
    after the lock is released is refused by train.py, not replaced."""
    run_dir = os.path.join(grid_dir, "runs", relative)
    with decided(run_dir, grid["steps"], grid["algo"]) as (status, note):
        if status == "start":  # what it left: a log, config.json, a progress.csv header
            prepare_output_dir(run_dir, overwrite=True)
    if status in ("done", "busy", "kept"):
        return None, status, note
    train = [sys.executable, os.path.join(ROOT, "train.py")]
    steps = ["--train_total_steps", str(grid["steps"])] if grid["steps"] else []
    # the grid keeps every core busy: one learner thread and (parl1) one sampling worker a run
    threads = ["--learner_threads", "1"] if grid["jobs"] > 1 else []
    workers = ["--num_workers", "1"] if grid["jobs"] > 1 and grid["algo"] == "parl1" else []
    if status == "resume":  # the worker count is part of the run and cannot change
        command = train + ["--resume", run_dir] + steps + threads
    else:
        command = (train + flags + steps + ["--output_dir", run_dir] + workers + threads
                   + list(grid["train_args"]))
    return command, status, note


def lock_grid(grid_dir):
    """One grid runner per grid directory (a second one would start the runs the first is
    about to start: each run's lock is taken by its train.py only after its imports)."""
    try:
        return RunLock(grid_dir)
    except UserError:
        pid = holder_pid(grid_dir)
        who = f"process {pid}" if pid else "another process"
        raise UserError(f"{grid_dir} is being run by {who}; one grid runner per grid (wait for "
                        f"it to end, or stop it first).") from None


def run_grid(grid_dir, grid):
    runs = grid_runs(grid)
    grid_lock = lock_grid(grid_dir)
    recorded = {key: value for key, value in grid.items()  # a parl2 grid has no parl1 axes
                if grid["algo"] == "parl1" or key not in PARL1_ONLY}
    with open(os.path.join(grid_dir, "grid.json"), "w") as f:
        json.dump(recorded, f, indent=2)
    stop = StopRequest()  # the first SIGINT/SIGTERM stops the runs under way (a checkpoint each)
    running = []
    try:
        failed = run_all(grid_dir, grid, runs, running, stop)
    except Interrupted:  # a second signal before the runs under way were told of the first
        failed = None
    finally:  # however the grid runner ends, no run goes on without it
        stop_runs(running, stop.signal or signal.SIGTERM)
        for signum in STOP_SIGNALS:  # the runs are told: a further signal ends the runner at once
            signal.signal(signum, stop_at_once)
        grid_lock.close()
    if stop.signal is not None:
        print(f"ablate.py: stopped by signal {stop.signal}; "
              f"{what_stopped_runs_kept(grid_dir, grid['algo'], running)}; run the same "
              f"command again to continue the grid.", file=sys.stderr)
        return 128 + stop.signal
    if failed:
        print(f"ablate.py: {len(failed)} runs failed or were left alone ({', '.join(failed)}); "
              f"see above and {grid_dir}/logs/.", file=sys.stderr)
        return 1
    return 0


def run_all(grid_dir, grid, runs, running, stop):
    """Run the grid's runs, ``grid['jobs']`` at once, each in ``running`` while it runs, until
    all have ended or ``stop`` is requested; returns the runs that failed or were left alone."""
    pending, failed = [], []
    for relative, flags in runs:  # what there is to do; each run is decided again as it starts
        status, note = run_status(os.path.join(grid_dir, "runs", relative), grid["steps"],
                                  grid["algo"])
        print(f"{status:>7}  {relative}" + (f"  ({note})" if note else ""))
        if status in ("start", "resume"):
            pending.append((relative, flags))
        elif status in ("busy", "kept"):
            failed.append(relative)
    print(f"{len(runs)} runs, {len(pending)} to run, {grid['jobs']} at once", flush=True)
    while (pending or running) and stop.signal is None:
        while pending and len(running) < grid["jobs"] and stop.signal is None:
            relative, flags = pending.pop(0)
            command, status, note = command_for(grid_dir, relative, flags, grid)
            if command is None:
                print(f"{status:>7}  {relative}  (meanwhile" + (f"; {note})" if note else ")"),
                      flush=True)
                if status in ("busy", "kept"):
                    failed.append(relative)
                continue
            running.append(launch(grid_dir, relative, command))
        time.sleep(1)
        for item in list(running):
            relative, proc, log, started = item
            if proc.poll() is not None:
                running.remove(item)
                log.close()
                verdict = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
                print(f"{verdict}  {relative}  ({time.time() - started:.0f} s)", flush=True)
                if proc.returncode != 0:
                    failed.append(relative)
    return failed


def launch(grid_dir, relative, command):
    """(relative, process, log file, start time) of a train.py run, its output in
    GRID_DIR/logs. In a session of its own: a Ctrl-C at the terminal reaches only the grid
    runner, which passes it on once (a second one would stop the run without its checkpoint)."""
    log_dir = os.path.join(grid_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    log = open(os.path.join(log_dir, relative.replace(os.sep, "_") + ".out"), "a")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return relative, proc, log, time.time()


def stop_runs(running, signum):
    """Pass ``signum`` on to the runs under way and wait for them: each stops after its
    iteration and saves a checkpoint (a further signal, passed on too, stops them at once)."""
    for _, proc, _, _ in running:
        proc.send_signal(signum)
    for _, proc, log, _ in running:
        while proc.poll() is None:
            try:
                proc.wait()
            except Interrupted as again:
                for _, other, _, _ in running:
                    other.send_signal(again.signum)
        log.close()


def what_stopped_runs_kept(grid_dir, algo, stopped):
    if not stopped:
        return "no run was under way"
    kept = []
    for relative, _, _, _ in stopped:
        intact = checkpointer(os.path.join(grid_dir, "runs", relative), algo).intact_checkpoints()
        kept.append(f"{relative} keeps {os.path.basename(intact[0][1])}" if intact
                    else f"{relative} had saved no checkpoint yet")
    return f"the runs under way stopped ({'; '.join(kept)})"


