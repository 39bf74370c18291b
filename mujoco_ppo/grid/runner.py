"""Running a grid: one grid runner per grid directory, its runs as train.py processes, as many
at once as the grid's jobs, each decided again under its lock as it starts; a stop signal is
passed on to the runs under way, each then saving a checkpoint."""
import json
import os
import shlex
import signal
import subprocess
import sys
import time

from ..cli import command_line, program
from ..errors import Interrupted, UserError
from ..run.launch import TRAIN, train_environment
from ..run.run_lock import RunLock, holder_pid
from ..run.run_log import prepare_output_dir
from ..run.signals import STOP_SIGNALS, StopRequest, in_this_process_only, stop_at_once
from .cluster import ClusterGone
from .plan import AXES, algorithm, checkpointer, decided, grid_runs, run_status

PROG = "ablate.py"  # the grid's command, whose name its sentences begin with
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
    # and what else its PPO's spec says holds a run to one core
    threads = ["--learner_threads", "1"] if one_core_each else []
    workers = algorithm(grid).one_core_flags if one_core_each else []
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
    on ``cluster`` (cluster.ClusterJobs); the command's exit status."""
    runs = grid_runs(grid)
    grid_lock = lock_grid(grid_dir)
    recorded = {key: value for key, value in grid.items()  # not the axes of another PPO
                if key not in AXES or key in algorithm(grid).grid_axes}
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
        print(f"{program(PROG)}: {gone}; {grid_dir} keeps every row and checkpoint that arrived "
              f"({kept_checkpoints(grid_dir, grid['algo'], running) or 'no run was under way'});"
              f" run `{program(PROG)} "
              f"run {grid_dir}` again (without --xparl_addr: on this machine) to continue the "
              f"grid.", file=sys.stderr)
        return 1
    if stop.signal is not None:
        print(f"{program(PROG)}: stopped by signal {stop.signal}; "
              f"{what_stopped_runs_kept(grid_dir, grid['algo'], running)}; run the same "
              f"command again to continue the grid.", file=sys.stderr)
        return 128 + stop.signal
    if failed:
        print(f"{program(PROG)}: {len(failed)} runs failed or were left alone ({', '.join(failed)}); "
              f"see above and {grid_dir}/logs/.", file=sys.stderr)
        return 1
    print(next_steps(grid_dir), flush=True)
    return 0


def next_steps(grid_dir):
    """What to run once a grid's runs are done: its tables and curves, or its report."""
    command = command_line(PROG)
    where = shlex.quote(grid_dir)
    return (f"every run is done; next: {command} aggregate {where} (tables and curves), or "
            f"{command} report {where} (those and one page, {os.path.join(grid_dir, 'report.md')}, "
            f"with the statistics and figures)")


def run_all(grid_dir, grid, runs, running, stop, jobs):
    """Run the grid's runs through ``jobs`` (LocalJobs or ClusterJobs), each in ``running``
    while it runs, until all have ended or ``stop`` is requested; returns the runs that failed
    or were left alone."""
    pending, failed, losses = [], [], {}
    for relative, flags in runs:  # what there is to do; each run is decided again as it starts
        status, note = run_status(os.path.join(grid_dir, "runs", relative), grid["steps"],
                                  grid["algo"])
        print(f"{PLANNED.get(status, status):>{WIDTH}}  {relative}" + (f"  ({note})" if note else ""))
        if status in ("start", "resume"):
            pending.append((relative, flags))
        elif status in ("busy", "kept"):
            failed.append(relative)
    print(f"{len(runs)} runs, {len(pending)} to run, {jobs.describe()}", flush=True)
    progress = Progress(len(pending))
    while (pending or running) and stop.signal is None:
        for _ in range(jobs.room(running) if pending else 0):
            if not pending or stop.signal is not None:
                break
            relative, flags = pending.pop(0)
            args, status, note = command_for(grid_dir, relative, flags, grid, jobs.one_core_each)
            if args is None:
                progress.ended(relative)
                print(f"{status:>{WIDTH}}  {relative}  (meanwhile" + (f"; {note})" if note else ")"),
                      flush=True)
                if status in ("busy", "kept"):
                    failed.append(relative)
                continue
            try:
                running.append(jobs.launch(grid_dir, relative, args, status, grid["algo"]))
            except UserError as exc:  # its lock taken meanwhile by a train.py started by hand
                progress.ended(relative)
                print(f"{'busy':>{WIDTH}}  {relative}  (meanwhile; {exc})", flush=True)
                failed.append(relative)
                continue
            print(f"{status:>{WIDTH}}  {relative}  ({progress.started(relative, len(running))})",
                  flush=True)
        time.sleep(1)
        for job in list(running):
            returncode = job.poll()
            if job.lost:  # its actor died or its machine left: again, from its checkpoint
                jobs.cpus()  # ClusterGone, when it is the whole cluster that went away
                running.remove(job)
                job.close()
                losses[job.relative] = losses.get(job.relative, 0) + 1
                again = losses[job.relative] < MAX_LOSSES
                print(f"{'lost':>{WIDTH}}  {job.relative}  ({job.lost}; "
                      f"{'started again' if again else 'given up'})", flush=True)
                if again:
                    pending.insert(0, (job.relative, dict(runs)[job.relative]))
                else:
                    progress.ended(job.relative)
                    failed.append(job.relative)
            elif returncode is not None:
                running.remove(job)
                job.close()
                took = time.time() - job.started
                count = progress.ended(job.relative, took if returncode == 0 else None)
                verdict = (f"done {count}" if returncode == 0
                           else f"FAILED {count} (exit {returncode})")
                left = progress.time_left(running, len(pending))
                # runs under way for longer than the mean take an unknown while more
                later = (f"; about {duration(left)} left" if left and left >= 1 else
                         f"; {len(running)} still running" if running else "")
                print(f"{verdict:>{WIDTH}}  {job.relative}  ({duration(took)}{later})",
                      flush=True)
                if returncode != 0:
                    failed.append(job.relative)
    return failed


# The status column: what the plan finds (runs to start or resume), what happens (start, resume,
# done k/N, FAILED k/N, lost) as it happens.
PLANNED = {"start": "to start", "resume": "to resume"}
WIDTH = 9


class Progress:
    """The runs of a grid runner's session: how many of those it is to run have ended, and the
    time the rest will take, from the mean time of those that finished."""

    def __init__(self, to_run):
        self.to_run, self.numbers, self.finished = to_run, {}, []
        self.count = self.at_once = 0

    def started(self, relative, running):
        """'k of N': the run's place among those to run (a run started again keeps its own);
        ``running``: how many runs are under way now, this one included."""
        self.at_once = max(self.at_once, running)
        number = self.numbers.setdefault(relative, len(self.numbers) + 1)
        return f"{number} of {self.to_run}"

    def ended(self, relative, seconds=None):
        """'k/N', counting this run as ended; ``seconds``: how long it took, if it finished."""
        self.count += 1
        if seconds is not None:
            self.finished.append(seconds)
        return f"{self.count}/{self.to_run}"

    def time_left(self, running, pending):
        """Seconds until the last run ends, about (None before any run finished, or when none is
        left): the runs under way take the mean time of the finished ones from their start, the
        ``pending`` ones that long each, as many at a time as were under way at most so far."""
        if not self.finished or not (running or pending):
            return None
        mean = sum(self.finished) / len(self.finished)
        now = time.time()
        slots = [max(0.0, mean - (now - job.started)) for job in running]
        slots += [0.0] * max(1, self.at_once - len(slots))
        for _ in range(pending):
            slots[slots.index(min(slots))] += mean
        return max(slots)


def duration(seconds):
    """'45 s', '12 min', '3 h 20 min'."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


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
        return LocalJob(grid_dir, relative, [*TRAIN, *args])


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
        self.proc = subprocess.Popen(command, env=train_environment(), stdout=self.log,
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
