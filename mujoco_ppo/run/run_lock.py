"""One writing process per run directory: an exclusive ``fcntl.flock`` on ``DIR/.lock``.

The kernel releases a flock when its process ends, however it ends (kill -9 included), so a
lock is never stale. The holder writes its pid into the file so that a refused writer can name
it. Readers (evaluate.py, the plots) do not lock: every file a run writes is complete on disk
at any moment (see run_log.py and checkpoint.py).
"""
import fcntl
import os

from ..errors import UserError, WriteFailed
from .run_log import refuse_irregular

LOCK_NAME = ".lock"


def holder_pid(run_dir):
    """The pid written by the process holding ``run_dir``'s lock, or None if none holds it."""
    path = os.path.join(run_dir, LOCK_NAME)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO there would block the open
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None  # nobody holds it exclusively
    except BlockingIOError:
        return _read_pid(fd)
    finally:
        os.close(fd)


def _read_pid(fd):
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


class RunLock:
    """Held from construction until ``close()`` or the end of the process. UserError naming
    the holder's pid if another process holds ``run_dir``."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, LOCK_NAME)
        refuse_irregular(self.path)
        try:
            os.makedirs(run_dir, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WriteFailed(exc.filename or self.path, exc.strerror) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(self._fd)
            os.close(self._fd)
            who = f"process {pid}" if pid else "another process"
            raise UserError(f"{run_dir} is being written by {who}; one process per run "
                            f"directory (wait for it to end, or stop it first).") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None
