"""What a run leaves on disk: the log, config.json and progress.csv, written so that a kill at any
moment leaves complete files (JSON by rename, CSV one flushed row at a time). A write that fails
(a full disk, a read-only file system, no permission) raises WriteFailed naming the file."""
import contextlib
import csv
import json
import logging
import math
import os
import platform
import shutil
import signal
import stat
import sys
import time
from importlib import metadata

from ..errors import Interrupted, UserError, WriteFailed

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "policy_loss", "kl", "clip_fraction", "beta", "value_loss", "sps", "wall_time",
                    "sample_time", "policy_time", "value_time", "line_search_failures"]
RUN_FILES = ("progress.csv", "config.json", "train.log", "checkpoints", "tensorboard")


def prepare_output_dir(path, overwrite):
    """Create the directory; refuse one that holds an earlier run unless ``overwrite``."""
    # lexists: a dangling or looping symlink of a run's file's name is in the way as well
    existing = [name for name in RUN_FILES if os.path.lexists(os.path.join(path, name))]
    if existing and not overwrite:
        raise UserError(f"{path} already holds a run ({', '.join(existing)}); continue it with "
                        f"--resume {path}, choose another --output_dir, or pass --overwrite to "
                        f"replace it.")
    with writing(path):
        os.makedirs(path, exist_ok=True)
        for name in existing:
            target = os.path.join(path, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.remove(target)


@contextlib.contextmanager
def writing(path):
    """Turns an OSError of the block into WriteFailed naming the file (``path`` where the
    error does not name one: a failed write() to an open file)."""
    try:
        yield
    except OSError as exc:
        raise WriteFailed(exc.filename or path, exc.strerror or exc) from None


def write_json_atomic(path, data):
    tmp = f"{path}.tmp"
    with writing(path):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFDIR: "a directory", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


def refuse_irregular(path):
    """UserError if ``path`` exists and is not a regular file (symbolic links followed): a
    FIFO would block its opening until something writes into it, and a directory or a device
    is nothing a run wrote."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing or unreadable: opening it says so
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "of another kind")
        raise UserError(f"{path} is {kind}, not a regular file; a run's files are regular files "
                        f"(move it away).")


def open_regular(path, mode="r", **kwargs):
    """open(), for every file of a run that is read or appended to, once refuse_irregular
    has passed it."""
    refuse_irregular(path)
    return open(path, mode, **kwargs)


def complete_rows(path, last_iteration, columns=PROGRESS_COLUMNS):
    """The rows of progress.csv for iterations 1, 2, ... up to ``last_iteration`` (a
    checkpoint's; the later rows are left out), or all of them (``math.inf``). A damaged line is
    a UserError naming it, since cutting the file there would lose the intact rows after it;
    only a torn last line (a kill or a full disk while it was written) is left out, when no
    checkpoint needs it: every row is on disk before its iteration's checkpoint is saved. A
    file of an older version, whose header is a prefix of ``columns``, keeps its rows (the new
    columns stay empty)."""
    try:
        with open_regular(path, "rb") as f:
            lines = [(number, _csv_fields(line.rstrip(b"\r")))  # the lines a text editor shows
                     for number, line in enumerate(f.read().split(b"\n"), start=1) if line.strip()]
    except FileNotFoundError:
        return []
    except OSError as exc:  # a directory of that name, no permission
        raise UserError(f"{path} is unreadable ({exc.strerror}); move it away to resume.") from None
    if not lines:
        return []
    header = lines[0][1]
    if header is None or len(header) < 2 or header != columns[:len(header)]:
        _refuse(path, 1, "it is not the header of a progress.csv of this version or an older one")
    rows = []
    for number, fields in lines[1:]:
        if len(rows) == last_iteration:
            break
        problem = _row_problem(fields, header, len(rows) + 1)
        if problem and number == lines[-1][0] and last_iteration == math.inf:
            break  # torn
        if problem:
            _refuse(path, number, problem)
        rows.append(dict(zip(header, fields)))
    return rows


def _csv_fields(line):
    """The fields of one line of CSV, None if it is not UTF-8 or not one CSV record."""
    try:
        records = list(csv.reader([line.decode()]))
    except (UnicodeDecodeError, csv.Error):
        return None
    return records[0] if len(records) == 1 else None


def _row_problem(fields, header, iteration):
    """What is wrong with the progress.csv row due to be ``iteration``'s, or None."""
    if fields is None:
        return "it is not a line of CSV text"
    if len(fields) != len(header):
        return f"it has {len(fields)} fields, the header {len(header)}"
    row = dict(zip(header, fields))
    if row["iteration"] != str(iteration):
        return f"its iteration is {row['iteration']!r} where {iteration} is due"
    if not _parses(row["steps"], int):
        return f"its steps are {row['steps']!r}, not a whole number"
    for name, value in row.items():  # empty: not measured in that iteration
        if value and not _parses(value, float):
            return f"its {name} is {value!r}, not a number"
    return None


def _parses(text, kind):
    try:
        kind(text)
        return True
    except ValueError:
        return False


def _refuse(path, number, problem):
    raise UserError(f"{path} line {number} is damaged ({problem}); nothing was changed: repair "
                    f"that line, then run again.")


def package_versions():
    versions = {"python": platform.python_version()}
    for name in ("mujoco_ppo", "paddlepaddle", "parl", "gymnasium", "mujoco", "numpy", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class ProgressCSV:
    """progress.csv, one row per iteration, each row on disk before the next iteration starts;
    ``columns``: PROGRESS_COLUMNS (PARL 1.x's PPO) unless given (parl2's). The file is first
    rewritten (atomically) to exactly the rows ``kept``: when resuming after iteration k, its
    complete_rows for iterations 1..k, read before anything of the run is written (the rows
    after the checkpoint are written again by the resumed run)."""

    def __init__(self, path, kept=(), columns=PROGRESS_COLUMNS):
        self.path, tmp = path, f"{path}.tmp"
        with writing(path):
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(kept)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            self._file = open(path, "a", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=columns)

    def write(self, row):
        with writing(self.path):
            self._writer.writerow({key: ("" if value is None else value)
                                   for key, value in row.items()})
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self):
        with writing(self.path):
            self._file.close()


class Scalars:
    """TensorBoard event files (tensorboardX, the writer behind PARL's parl.utils.summary; also
    read by VisualDL) with every progress.csv column against env steps. PARL's summary is not
    called directly: it takes its directory from PARL's logger, whose set_dir empties it.
    Events are written from this thread (tensorboardX's EventsWriter), not SummaryWriter's
    background one, so that a failed write raises here instead of killing that thread."""

    def __init__(self, log_dir, purge_step=None):
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto.event_pb2 import Event, SessionLog
        from tensorboardX.summary import scalar
        self._event, self._scalar, self.path = Event, scalar, log_dir
        with writing(log_dir):
            os.makedirs(log_dir, exist_ok=True)
            self._writer = EventsWriter(os.path.join(log_dir, "events"))
            if purge_step is not None:  # TensorBoard hides the earlier file's later events
                self._writer.write_event(Event(step=purge_step,
                                               session_log=SessionLog(status=SessionLog.START)))
            self._writer.flush()

    def write(self, row):
        with writing(self.path):
            for key, value in row.items():
                if key not in ("iteration", "steps") and value is not None:
                    self._writer.write_event(self._event(
                        wall_time=time.time(), step=row["steps"],
                        summary=self._scalar(f"train/{key}", value)))
            self._writer.flush()

    def close(self):
        with writing(self.path):  # the events a failed write left buffered: the disk is still full
            self._writer.close()


class Transcript:
    """stdout, also keeping what is printed before the run's log opens (PARL's ``Argv:`` and
    backend lines, printed when it is imported), so that train.log holds everything printed."""

    def __init__(self, stream):
        self._stream, self._held = stream, []

    def write(self, text):
        if self._held is not None:
            self._held.append(text)
        return self._stream.write(text)

    def take(self):
        """What was printed so far; from now on nothing more is kept."""
        held, self._held = "".join(self._held or []), None
        return held

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _RaisingFileHandler(logging.FileHandler):
    """A FileHandler whose failed writes (a full disk, a read-only file system) raise, to end
    the run with one sentence, instead of logging's "--- Logging error ---" dump."""

    def handleError(self, record):
        exc = sys.exc_info()[1]
        raise WriteFailed(self.baseFilename, getattr(exc, "strerror", None) or exc) from None


def make_logger(log_path, stream_handler=None):
    """A logger that appends every line, time-stamped, to ``log_path`` and prints it: INFO
    through ``stream_handler`` (default stdout), WARNING and above (what went wrong, and how
    a stopped run is continued) on stderr."""
    logger = logging.getLogger("mujoco_ppo")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("[%(asctime)s] %(message)s", datefmt="%m-%d %H:%M:%S")
    stdout = stream_handler or logging.StreamHandler(sys.stdout)
    stdout.addFilter(lambda record: record.levelno < logging.WARNING)
    stderr = logging.StreamHandler(sys.stderr)  # a plain sentence, as every other failure's
    stderr.setLevel(logging.WARNING)
    refuse_irregular(log_path)
    with writing(log_path):
        if isinstance(sys.stdout, Transcript):
            with open(log_path, "a") as f:
                f.write(sys.stdout.take())
        log_file = _RaisingFileHandler(log_path)
    for handler in (stdout, stderr, log_file):
        if handler is not stderr:
            handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


# SIGHUP: the terminal was closed, a stop like the others
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
_pending_stop = None  # (signal, time.monotonic() of its arrival) of the stop requested


class StopRequest:
    """A stop signal asks the training loop to stop after the current iteration (and save a
    checkpoint); a second signal stops at once, leaving the last checkpoint as it is."""

    def __init__(self):
        global _pending_stop
        self.signal, _pending_stop = None, None
        for sig in STOP_SIGNALS:
            signal.signal(sig, in_this_process_only(self._handle))

    def _handle(self, signum, frame):
        global _pending_stop
        if self.signal is not None:
            raise Interrupted(signum)
        self.signal, _pending_stop = signum, (signum, time.monotonic())


def pending_stop():
    """(signal, time.monotonic() of its arrival) of the stop a StopRequest was asked for, or
    None: what a wait for sampling workers gives up for (mujoco_ppo/sampling/episodes.py)."""
    return _pending_stop


def accept_stop_signals():
    """Once Paddle and PARL are imported: stop signals stop at once (stop_at_once, replacing
    the handler Paddle installs), and those that arrived while train.py held them blocked during
    the imports are delivered now. Returns the function that puts back, once the run has
    ended, the signal mask of before and the handlers of the signals it did not block; those
    train.py held blocked stay ignored (ignore_stop_signals) until the process has exited with
    the status it has said: a mask is a thread's, and Paddle's threads started since would
    take them, with Python's default action once it finalises."""
    handlers = {signum: signal.signal(signum, in_this_process_only(stop_at_once))
                for signum in STOP_SIGNALS}
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def restore():
        global _pending_stop
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in handlers.items():
            if signum not in mask:  # None: a handler set in C (Paddle's), not restorable
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        _pending_stop = None

    return restore


def ignore_stop_signals():
    """Once a run says how it ended: its exit status is decided, and a signal must not cut
    short the closing (sampling workers ignore stop signals and are ended by it)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def in_this_process_only(handler):
    """``handler`` for this process; in a child forked from it, the signal's default action.

    A forked child inherits Python's signal handlers: PARL's heartbeat server process, which
    multiprocessing ends with SIGTERM when the run exits, would raise Interrupted in the middle
    of PARL's loop and print its traceback. There the signal ends the child quietly instead."""
    owner = os.getpid()

    def handle(signum, frame):
        if os.getpid() == owner:
            return handler(signum, frame)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    return handle


def stop_at_once(signum, frame):
    """The stop signals' handler outside the training loop (before StopRequest): nothing to
    finish, so stop now, with the exit status 128 + signum."""
    raise Interrupted(signum)


def progress_bar_handler(total, initial):
    """On a terminal: a tqdm bar (steps, rate, ETA) kept under the log lines, and a logging
    handler that prints above it. Elsewhere (files, pipes): (None, None), so logs stay plain."""
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except OSError:
        size = os.terminal_size((0, 0))
    # A terminal that reports no size (a bare pty) would get a bar of width 0, hidden.
    sized = {"dynamic_ncols": True} if size.columns > 0 else {"ncols": 100, "nrows": 24}
    bar = tqdm(total=total, initial=initial, unit="step", unit_scale=True, file=sys.stderr,
               smoothing=0.1, **sized)

    class TqdmHandler(logging.Handler):
        def emit(self, record):
            tqdm.write(self.format(record), file=sys.stdout)

    return bar, TqdmHandler()
