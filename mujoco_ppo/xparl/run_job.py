"""One train.py run on a machine of an xparl cluster: the actor of a grid's cluster job
(grid/cluster.py makes it a ``parl.remote_class``, one cluster CPU each).

The actor writes the files it is given (for a resume: the checkpoint train.py --resume continues,
progress.csv, train.log, config.json) into a scratch directory of its machine, runs train.py
there as a subprocess, and answers each ``changes()`` with what that run wrote since the last
answer: the newest finished checkpoint not sent yet, the bytes appended to each other file (or
the whole file where it was replaced, as config.json is, or progress.csv when a resume rewrites
it), and what train.py printed. The grid runner writes them into the grid directory.

Text files are sent up to their last newline, so that no half-written row or log line travels;
a checkpoint is sent once its directory has its final name (train.py renames it into place when
it is complete), and the checkpoints are looked at before the other files: every progress.csv
row of a checkpoint's iterations is on disk before the checkpoint is saved, so an answer never
holds a checkpoint without the rows it needs.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile

from ..run.launch import TRAIN, train_environment

RUN_DIR = "{run_dir}"  # stands for the scratch run directory in train.py's arguments
OUTPUT = "output.txt"  # train.py's stdout and stderr, beside the run directory
TEXT_SUFFIXES = (".csv", ".log", ".json", ".txt")
CHECKPOINT = re.compile(r"^iter_\d+$")
NOT_MIRRORED = (".lock",)  # the lock is the machine's own; the grid runner holds the grid's


def _die_with_parent():
    """In the child before exec: SIGKILL when the actor's process ends, however it ends (a
    train.py whose actor is gone has nobody to send its files to)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class RunJob:
    """A train.py run in a scratch directory of this machine, and what it wrote, piece by
    piece."""

    def __init__(self, files):
        """``files``: {path relative to the run directory: bytes} to start from."""
        self.scratch = tempfile.mkdtemp(prefix="mujoco_ppo_job_")
        self.run_dir = os.path.join(self.scratch, "run")
        self.proc = None
        self.sent = {}  # relative path: (inode, bytes sent), for every file but checkpoints
        self.newest_checkpoint = -1
        for relative, data in files.items():
            path = os.path.join(self.run_dir, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            parts = relative.split(os.sep)
            if parts[0] == "checkpoints" and CHECKPOINT.match(parts[1]):
                self.newest_checkpoint = max(self.newest_checkpoint, int(parts[1][5:]))
            else:
                self.sent[relative] = (os.stat(path).st_ino, len(data))
        os.makedirs(self.run_dir, exist_ok=True)

    def start(self, args):
        """Run ``train.py ARGS``, RUN_DIR in ARGS standing for the scratch run directory."""
        argv = [self.run_dir if arg == RUN_DIR else arg for arg in args]
        # the job's own settings (no Paddle core, xparl's job marker) are not train.py's
        env = train_environment({k: v for k, v in os.environ.items()
                                 if k not in ("XPARL", "XPARL_igonre_core")})
        with open(os.path.join(self.scratch, OUTPUT), "wb") as output:
            self.proc = subprocess.Popen([*TRAIN, *argv], cwd=self.scratch,
                                         stdout=output, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        self.sent[OUTPUT] = (os.stat(os.path.join(self.scratch, OUTPUT)).st_ino, 0)

    def changes(self):
        """{'returncode': None while train.py runs, 'checkpoint': (name, {file: bytes}) or None,
        'files': [(relative path, 'replace' or 'append', bytes)], 'output': bytes}."""
        returncode = self.proc.poll()  # first: once it has ended, all it wrote is read below
        checkpoint = self._new_checkpoint()
        files = []
        for relative in self._files():
            change = self._change(relative)
            if change:
                files.append((relative, *change))
        output = self._change(OUTPUT)
        return {"returncode": returncode, "checkpoint": checkpoint, "files": files,
                "output": output[1] if output else b""}

    def _files(self):
        for folder, dirs, names in os.walk(self.run_dir):
            dirs[:] = [d for d in dirs if not (folder == self.run_dir and d == "checkpoints")]
            for name in names:
                if name not in NOT_MIRRORED and not name.endswith(".tmp"):
                    yield os.path.relpath(os.path.join(folder, name), self.run_dir)

    def _change(self, relative):
        """('replace' or 'append', bytes) of a file since it was last sent, or None."""
        path = os.path.join(self.scratch if relative == OUTPUT else self.run_dir, relative)
        try:
            f = open(path, "rb")
        except FileNotFoundError:  # replaced or removed since the walk
            return None
        with f:
            inode = os.fstat(f.fileno()).st_ino
            known_inode, offset = self.sent.get(relative, (None, 0))
            mode = "append"
            if inode != known_inode or os.fstat(f.fileno()).st_size < offset:
                mode, offset = "replace", 0
            f.seek(offset)
            data = f.read()
        if relative.endswith(TEXT_SUFFIXES):
            data = data[:data.rfind(b"\n") + 1]
        if not data and mode == "append":
            return None
        self.sent[relative] = (inode, offset + len(data))
        return mode, data

    def _new_checkpoint(self):
        """(name, {file: bytes}) of the newest checkpoint newer than the last one sent."""
        root = os.path.join(self.run_dir, "checkpoints")
        try:
            names = [n for n in os.listdir(root) if CHECKPOINT.match(n)]
        except FileNotFoundError:
            return None
        for name in sorted(names, key=lambda n: int(n[5:]), reverse=True):
            if int(name[5:]) <= self.newest_checkpoint:
                return None
            try:
                files = {}
                for file in os.listdir(os.path.join(root, name)):
                    with open(os.path.join(root, name, file), "rb") as f:
                        files[file] = f.read()
            except FileNotFoundError:  # removed meanwhile: an older one, kept no longer
                continue
            self.newest_checkpoint = int(name[5:])
            return name, files
        return None

    def stop(self, signum):
        """Pass a stop signal on to train.py (it saves a checkpoint after its iteration)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def close(self):
        """End train.py if it still runs, and remove the scratch directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)
