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
from ..run.signals import STOP_SIGNALS, StopRequest, in_this_process_only, stop_at_once
from .cluster_grid import ClusterGone
from .grid import PARL1_ONLY, checkpointer, decided, grid_runs, run_status

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_LOSSES = 3  # a run whose actor is lost this often is given up (a cluster that cannot run it)

def command_for(grid_dir, relative, flags, grid, one_core_each=None):
    """(train.py's arguments or None, status, note) of a run about to start, decided under its
    lock (a train.py started by hand may have run it meanwhile). A run to start over is cleared
    under that lock too, so that train.py is never given --overwrite: a run begun by another
    process after the lock is released is refused by train.py, not replaced. ``one_core_each``
    (default: more than one local job): one learner thread and sampling worker a run."""
    if one_core_each is None:
        one_core_each = grid["jobs"] > 1
    run_dir = os.path.join(grid_dir, "runs", relative)
    with decided(run_dir, grid["steps"], grid["algo"]) as (status, note):
        if status == "start":  # what it left: a log, config.json, a progress.csv header
            prepare_output_dir(run_dir, overwrite=True)
    if status in ("done", "busy", "kept"):
        return None, status, note
    run_dir = os.path.abspath(run_dir)
    steps = ["--train_total_steps", str(grid["steps"])] if grid["steps"] else []
    # where the grid keeps every core busy (or a job has one cluster CPU): one learner thread
    # and (parl1) one sampling worker a run
    threads = ["--learner_threads", "1"] if one_core_each else []
    workers = ["--num_workers", "1"] if one_core_each and grid["algo"] == "parl1" else []
    if status == "resume":  # the worker count is part of the run and cannot change
        return ["--resume", run_dir] + steps + threads, status, note
    return (flags + steps + ["--output_dir", run_dir] + workers + threads
            + list(grid["train_args"])), status, note


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


def run_grid(grid_dir, grid, cluster=None):
    """Run the grid's runs as local train.py processes, ``grid['jobs']`` at once, or as jobs
    on ``cluster`` (cluster_grid.ClusterJobs); the command's exit status."""
    runs = grid_runs(grid)
    grid_lock = lock_grid(grid_dir)
    recorded = {key: value for key, value in grid.items()  # a parl2 grid has no parl1 axes
                if grid["algo"] == "parl1" or key not in PARL1_ONLY}
    with open(os.path.join(grid_dir, "grid.json"), "w") as f:
        json.dump(recorded, f, indent=2)
    stop = StopRequest()  # the first SIGINT/SIGTERM stops the runs under way (a checkpoint each)
    running, gone = [], None
    try:
        failed = run_all(grid_dir, grid, runs, running, stop, cluster or LocalJobs(grid["jobs"]))
    except Interrupted:  # a second signal before the runs under way were told of the first
        failed = None
    except ClusterGone as exc:  # its jobs' actors are gone with it
        failed, gone = None, exc
        for job in running:
            job.lost = job.lost or str(exc)
    finally:  # however the grid runner ends, no run goes on without it
        stop_runs([job for job in running if not job.lost], stop.signal or signal.SIGTERM)
        for job in running:
            if job.lost:
                job.close()
        for signum in STOP_SIGNALS:  # the runs are told: a further signal ends the runner at once
            signal.signal(signum, in_this_process_only(stop_at_once))
        grid_lock.close()
    if gone is not None:
        print(f"ablate.py: {gone}; {grid_dir} keeps every row and checkpoint that arrived "
              f"({kept_checkpoints(grid_dir, grid['algo'], running) or 'no run was under way'});"
              f" run `ablate.py "
              f"run {grid_dir}` again (without --xparl_addr: on this machine) to continue the "
              f"grid.", file=sys.stderr)
        return 1
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


def run_all(grid_dir, grid, runs, running, stop, jobs):
    """Run the grid's runs through ``jobs`` (LocalJobs or ClusterJobs), each in ``running``
    while it runs, until all have ended or ``stop`` is requested; returns the runs that failed
    or were left alone."""
    pending, failed, losses = [], [], {}
    for relative, flags in runs:  # what there is to do; each run is decided again as it starts
        status, note = run_status(os.path.join(grid_dir, "runs", relative), grid["steps"],
                                  grid["algo"])
        print(f"{status:>7}  {relative}" + (f"  ({note})" if note else ""))
        if status in ("start", "resume"):
            pending.append((relative, flags))
        elif status in ("busy", "kept"):
            failed.append(relative)
    print(f"{len(runs)} runs, {len(pending)} to run, {jobs.describe()}", flush=True)
    while (pending or running) and stop.signal is None:
        for _ in range(jobs.room(running) if pending else 0):
            if not pending or stop.signal is not None:
                break
            relative, flags = pending.pop(0)
            args, status, note = command_for(grid_dir, relative, flags, grid, jobs.one_core_each)
            if args is None:
                print(f"{status:>7}  {relative}  (meanwhile" + (f"; {note})" if note else ")"),
                      flush=True)
                if status in ("busy", "kept"):
                    failed.append(relative)
                continue
            try:
                running.append(jobs.launch(grid_dir, relative, args, status, grid["algo"]))
            except UserError as exc:  # its lock taken meanwhile by a train.py started by hand
                print(f"   busy  {relative}  (meanwhile; {exc})", flush=True)
                failed.append(relative)
        time.sleep(1)
        for job in list(running):
            returncode = job.poll()
            if job.lost:  # its actor died or its machine left: again, from its checkpoint
                jobs.cpus()  # ClusterGone, when it is the whole cluster that went away
                running.remove(job)
                job.close()
                losses[job.relative] = losses.get(job.relative, 0) + 1
                again = losses[job.relative] < MAX_LOSSES
                print(f"   lost  {job.relative}  ({job.lost}; "
                      f"{'started again' if again else 'given up'})", flush=True)
                (pending.insert(0, (job.relative, dict(runs)[job.relative])) if again
                 else failed.append(job.relative))
            elif returncode is not None:
                running.remove(job)
                job.close()
                verdict = "done" if returncode == 0 else f"FAILED (exit {returncode})"
                print(f"{verdict}  {job.relative}  ({time.time() - job.started:.0f} s)",
                      flush=True)
                if returncode != 0:
                    failed.append(job.relative)
    return failed


class LocalJobs:
    """Where a grid's runs go by default: train.py processes here, ``jobs`` at once."""

    def __init__(self, jobs):
        self.jobs, self.one_core_each = jobs, jobs > 1

    def describe(self):
        return f"{self.jobs} at once"

    def room(self, running):
        return self.jobs - len(running)

    def cpus(self):
        """Nothing to check: this machine does not go away."""

    def launch(self, grid_dir, relative, args, status, algo):
        return LocalJob(grid_dir, relative, [sys.executable, os.path.join(ROOT, "train.py"),
                                             *args])


class LocalJob:
    """A train.py run, its output in GRID_DIR/logs. In a session of its own: a Ctrl-C at the
    terminal reaches only the grid runner, which passes it on once (a second one would stop
    the run without its checkpoint)."""

    lost = None  # a local process does not go missing

    def __init__(self, grid_dir, relative, command):
        self.relative, self.started = relative, time.time()
        log_dir = os.path.join(grid_dir, "logs")
        os.makedirs(log_dir, exist_ok=True)
        self.log = open(os.path.join(log_dir, relative.replace(os.sep, "_") + ".out"), "a")
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def poll(self):
        return self.proc.poll()

    def send_signal(self, signum):
        self.proc.send_signal(signum)

    def wait(self):
        self.proc.wait()

    def close(self):
        self.log.close()


def stop_runs(running, signum):
    """Pass ``signum`` on to the runs under way and wait for them: each stops after its
    iteration and saves a checkpoint (a further signal, passed on too, stops them at once)."""
    for job in running:
        job.send_signal(signum)
    for job in running:
        while job.poll() is None and not job.lost:
            try:
                job.wait()
            except Interrupted as again:
                for other in running:
                    other.send_signal(again.signum)
        job.close()


def what_stopped_runs_kept(grid_dir, algo, stopped):
    if not stopped:
        return "no run was under way"
    return f"the runs under way stopped ({kept_checkpoints(grid_dir, algo, stopped)})"


def kept_checkpoints(grid_dir, algo, jobs):
    """'RUN keeps iter_NNNNNN; ...': the newest intact checkpoint of each job's run."""
    kept = []
    for job in jobs:
        intact = checkpointer(os.path.join(grid_dir, "runs", job.relative),
                              algo).intact_checkpoints()
        kept.append(f"{job.relative} keeps {os.path.basename(intact[0][1])}" if intact
                    else f"{job.relative} had saved no checkpoint yet")
    return "; ".join(kept)
