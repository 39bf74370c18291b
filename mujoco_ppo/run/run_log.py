"""What a run leaves on disk: config.json, progress.csv and TensorBoard's events, written so
that a kill at any moment leaves complete files (JSON by rename, CSV one flushed row at a time). A write that fails
(a full disk, a read-only file system, no permission) raises WriteFailed naming the file."""
import contextlib
import csv
import json
import math
import os
import platform
import shutil
import stat
import time
from importlib import metadata

from ..errors import UserError, WriteFailed

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


RUN_FILE = "a run's files are regular files (move it away)"


def irregular_kind(path):
    """What ``path`` is ("a FIFO", "a directory", ...) if it exists and is not a regular file
    (symbolic links followed), else None: a FIFO would block its opening until something writes
    into it, and a directory or a device is nothing a run wrote (or a tool reads)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing or unreadable: opening it says so
    return None if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "of another kind")


def refuse_irregular(path, hint=RUN_FILE):
    """UserError if ``path`` exists and is not a regular file (irregular_kind); ``hint``: what
    the sentence ends with."""
    kind = irregular_kind(path)
    if kind:
        raise UserError(f"{path} is {kind}, not a regular file; {hint}.")


def open_regular(path, mode="r", hint=RUN_FILE, **kwargs):
    """open(), for every file that a command reads or appends to (a run's files, a tool's
    input), once refuse_irregular has passed it."""
    refuse_irregular(path, hint)
    return open(path, mode, **kwargs)


def complete_rows(path, last_iteration, columns):
    """The rows of progress.csv (of the PPO whose header is ``columns``) for iterations 1, 2,
    ... up to ``last_iteration`` (a checkpoint's; the later rows are left out), or all of them
    (``math.inf``). A damaged line is
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
    for name in ("mujoco_ppo", "paddlepaddle", "parl", "gymnasium", "mujoco", "numpy", "scipy",
                 "gym", "free-mujoco-py"):  # the last two: the literal -v2 stack's, if installed
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class ProgressCSV:
    """progress.csv, one row per iteration, each row on disk before the next iteration starts;
    ``columns``: its header, the PPO's (its spec's). The file is first
    rewritten (atomically) to exactly the rows ``kept``: when resuming after iteration k, its
    complete_rows for iterations 1..k, read before anything of the run is written (the rows
    after the checkpoint are written again by the resumed run)."""

    def __init__(self, path, kept, columns):
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
