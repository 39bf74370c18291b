"""A grid's runs as jobs on an xparl cluster (ablate.py run --xparl_addr HOST:PORT).

Each run is one actor (xparl/run_job.py's RunJob, one cluster CPU) that runs train.py in a
scratch directory of its machine. The grid runner holds the run directory's lock while the job
runs, asks the actor every second what the run wrote, and writes it into
GRID_DIR/runs/<env>/<setting>/seed<N> in the local layout: progress rows and train.log lines
appended whole and flushed, replaced files (config.json, progress.csv rewritten by a resume) by
rename, each new checkpoint by the checkpoint store train.py writes its own with
(run/checkpoint.py: ``iter_NNNNNN.tmp`` renamed into place, then ``latest``, the two newest intact
ones kept). So at any moment the grid directory is what a local run would have left, and
aggregate, compare_parl.py or a local resume read it as such.

A resumed run's actor gets the newest intact checkpoint, progress.csv, train.log and
config.json, and train.py --resume goes on from there, exactly as it would here. A job whose
actor stops answering within --xparl_timeout (its process died, its machine left) is started
again, on whichever CPU the cluster gives, from the newest checkpoint in the grid directory;
a cluster whose master no longer answers ends the grid (ClusterGone), everything that arrived
kept.
"""
import json
import os
import re
import time

from ..errors import UserError
from ..run.run_lock import RunLock
from ..run.run_log import open_regular, writing
from ..xparl.actors import first_line, shippable
from ..xparl.binding import address_towards
from ..xparl.cluster import cluster_cpus, serve_networking_only
from ..xparl.run_job import RUN_DIR, RunJob
from .plan import checkpointer, resume_checkpoint

RESUME_FILES = ("progress.csv", "train.log", "config.json")
CHECKPOINT_NAME = re.compile(r"iter_(\d+)")
POLL_S = 1.0


class ClusterGone(Exception):
    """The cluster's master no longer answers."""


class ClusterJobs:
    """Where a grid's runs go: jobs on the cluster at ``address``, at most ``jobs`` at once
    (None: as many as the cluster has free CPUs), each answering within ``timeout_s``."""

    one_core_each = True  # a job has one cluster CPU

    def __init__(self, address, jobs, timeout_s):
        cluster_cpus(address)  # UserError at once when no cluster answers there
        serve_networking_only(address_towards(address))  # and no Paddle in the grid runner
        import parl

        parl.connect(address)
        self.address, self.jobs, self.timeout_s = address, jobs, timeout_s
        self.remote_job = parl.remote_class(wait=False)(shippable(RunJob))

    def cpus(self):
        """(used, free) CPUs of the cluster; ClusterGone when its master does not answer."""
        try:
            return cluster_cpus(self.address)
        except UserError:
            raise ClusterGone(f"the xparl cluster at {self.address} no longer answers") from None

    def describe(self):
        return (f"{self.jobs} at once" if self.jobs
                else f"as many at once as the xparl cluster at {self.address} has free CPUs "
                     f"({self.cpus()[1]} now)")

    def room(self, running):
        """How many more jobs can start now."""
        free = self.cpus()[1]
        return free if self.jobs is None else min(free, self.jobs - len(running))

    def launch(self, grid_dir, relative, args, status, algo):
        return ClusterJob(self, grid_dir, relative, args, status, algo)


def files_to_resume(run_dir, algo):
    """{relative path: bytes} of what train.py --resume needs: the checkpoint it continues (the
    newest intact one that progress.csv's rows reach), progress.csv, train.log and config.json."""
    path = resume_checkpoint(run_dir, algo)[0]
    files = {}
    for name in os.listdir(path):
        with open_regular(os.path.join(path, name), "rb") as f:
            files[os.path.join("checkpoints", os.path.basename(path), name)] = f.read()
    for name in RESUME_FILES:
        if os.path.lexists(os.path.join(run_dir, name)):
            with open_regular(os.path.join(run_dir, name), "rb") as f:
                files[name] = f.read()
    return files


def write_changes(run_dir, algo, changes):
    """Write an answer of RunJob.changes() into ``run_dir``: the files first, then the
    checkpoint, whose rows are then on disk."""
    for relative, mode, data in changes["files"]:
        if relative == "config.json":
            data = naming_the_grid_run(data, run_dir)
        write_file(run_dir, relative, mode, data)
    if changes["checkpoint"]:
        store_checkpoint(run_dir, algo, *changes["checkpoint"])


def naming_the_grid_run(config_json, run_dir):
    """A job's config.json with the grid's run directory as its output_dir, as a local run's
    has (the job's scratch directory, gone once it ends, kept as ``cluster_scratch_dir``)."""
    try:
        config = json.loads(config_json)
        scratch = config["args"]["output_dir"]
    except (ValueError, KeyError, TypeError):  # not train.py's: kept as the job wrote it
        return config_json
    config["args"]["output_dir"] = os.path.abspath(run_dir)
    config.setdefault("cluster_scratch_dir", scratch)
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()


def write_file(run_dir, relative, mode, data):
    """Append ``data`` to a file of the run ('append', flushed to disk), or replace the file
    with it by rename ('replace')."""
    base = os.path.abspath(run_dir)
    path = os.path.abspath(os.path.join(base, relative))
    if not path.startswith(base + os.sep):
        raise UserError(f"a cluster job sent a file outside its run directory {run_dir} "
                        f"({relative}).")
    with writing(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        target = f"{path}.tmp" if mode == "replace" else path
        with open(target, "wb" if mode == "replace" else "ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode == "replace":
            os.replace(target, path)


def store_checkpoint(run_dir, algo, name, files):
    """A job's checkpoint (its name and {file name: bytes}) written by the run's checkpoint
    store, as train.py's own are written: the same writer for a run here and on the cluster."""
    number = CHECKPOINT_NAME.fullmatch(name)
    strays = [file for file in files if os.path.basename(file) != file or file in ("", ".", "..")]
    if number is None or strays:
        raise UserError(f"a cluster job sent a file outside its run directory {run_dir} "
                        f"(checkpoints/{name}/{(strays or [''])[0]}).")
    checkpointer(run_dir, algo).store(int(number[1]), files)


class ClusterJob:
    """One run on the cluster, its files arriving in the grid directory (same interface as
    runner.LocalJob: poll, send_signal, wait, close). ``lost`` says why, once its actor
    has stopped answering."""

    def __init__(self, jobs, grid_dir, relative, args, status, algo):
        self.jobs, self.relative, self.algo, self.lost = jobs, relative, algo, None
        self.run_dir = os.path.join(grid_dir, "runs", relative)
        self.lock = RunLock(self.run_dir)  # UserError when train.py by hand took it meanwhile
        try:
            files = files_to_resume(self.run_dir, algo) if status == "resume" else {}
        except UserError:
            self.lock.close()
            raise
        log_dir = os.path.join(grid_dir, "logs")
        os.makedirs(log_dir, exist_ok=True)
        self.log = open(os.path.join(log_dir, relative.replace(os.sep, "_") + ".out"), "ab")
        run_dir_arg = os.path.abspath(self.run_dir)
        self.actor = jobs.remote_job(files)
        self._call("starting", "start", [RUN_DIR if a == run_dir_arg else a for a in args])
        self.started = time.time()

    def _call(self, doing, method, *args):
        """The actor's answer; None, and ``lost`` set, once it fails or passes the deadline."""
        if self.lost:
            return None
        try:
            return getattr(self.actor, method)(*args).get(timeout=self.jobs.timeout_s)
        except Exception as exc:  # the deadline (FutureObjectEmpty), PARL's RemoteError and kin
            reason = first_line(exc) if str(exc) else "no answer"
            self.lost = (f"its actor did not answer {doing} within --xparl_timeout "
                         f"{self.jobs.timeout_s:g} s ({type(exc).__name__}: {reason})")
            return None

    def poll(self):
        """None while the run goes on (or its actor is lost), else train.py's exit status;
        what the run wrote meanwhile is in the grid directory."""
        changes = self._call("with its changes", "changes")
        if changes is None:
            return None
        write_changes(self.run_dir, self.algo, changes)
        self.log.write(changes["output"])
        self.log.flush()
        return changes["returncode"]

    def send_signal(self, signum):
        self._call("to a stop signal", "stop", signum)

    def wait(self):
        """Until train.py has ended and all it wrote has arrived (or the actor is lost)."""
        while self.poll() is None and not self.lost:
            time.sleep(POLL_S / 2)

    def close(self):
        if not self.lost:
            self._call("while closing", "close")
        self.actor.destroy()
        self.lock.close()
        self.log.close()
