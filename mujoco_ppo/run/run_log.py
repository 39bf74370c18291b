"""What a run leaves on disk: the log, config.json and progress.csv, written so that a kill at any
moment leaves complete files (JSON by rename, CSV one flushed row at a time)."""
import csv
import json
import logging
import os
import platform
import shutil
import signal
import sys
from importlib import metadata

from ..errors import UserError

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "policy_loss", "kl", "clip_fraction", "beta", "value_loss", "sps", "wall_time",
                    "sample_time", "policy_time", "value_time"]
RUN_FILES = ("progress.csv", "config.json", "train.log", "checkpoints", "tensorboard")


def prepare_output_dir(path, overwrite):
    """Create the directory; refuse one that holds an earlier run unless ``overwrite``."""
    existing = [name for name in RUN_FILES if os.path.exists(os.path.join(path, name))]
    if existing and not overwrite:
        raise UserError(f"{path} already holds a run ({', '.join(existing)}); continue it with "
                        f"--resume {path}, choose another --output_dir, or pass --overwrite to "
                        f"replace it.")
    try:
        os.makedirs(path, exist_ok=True)
        for name in existing:
            target = os.path.join(path, name)
            shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
    except OSError as exc:
        raise UserError(f"cannot use {path} as the output directory: {exc.strerror}.") from None


def write_json_atomic(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
    ``columns``: PROGRESS_COLUMNS (PARL 1.x's PPO) unless given (parl2's). Resuming after
    iteration k keeps the rows up to k and drops any written after the checkpoint (the resumed
    run writes them again)."""

    def __init__(self, path, resume_after=None, columns=PROGRESS_COLUMNS):
        kept = []
        if resume_after is not None and os.path.exists(path):
            with open(path, newline="") as f:
                kept = [row for row in csv.DictReader(f) if int(row["iteration"]) <= resume_after]
        tmp = f"{path}.tmp"
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
        self._writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self):
        self._file.close()


class Scalars:
    """TensorBoard event files (tensorboardX, the writer behind PARL's parl.utils.summary; also
    read by VisualDL) with every progress.csv column against env steps. PARL's summary is not
    called directly: it takes its directory from PARL's logger, whose set_dir empties it."""

    def __init__(self, log_dir, purge_step=None):
        from tensorboardX import SummaryWriter
        self._writer = SummaryWriter(logdir=log_dir, purge_step=purge_step)

    def write(self, row):
        for key, value in row.items():
            if key not in ("iteration", "steps") and value is not None:
                self._writer.add_scalar(f"train/{key}", value, row["steps"])
        self._writer.flush()

    def close(self):
        self._writer.close()


def make_logger(log_path, stream_handler=None):
    """A logger that prints (through ``stream_handler``, default stdout) and appends to
    ``log_path``, each line time-stamped."""
    logger = logging.getLogger("mujoco_ppo")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("[%(asctime)s] %(message)s", datefmt="%m-%d %H:%M:%S")
    for handler in (stream_handler or logging.StreamHandler(sys.stdout),
                    logging.FileHandler(log_path)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


class StopRequest:
    """SIGINT/SIGTERM ask the training loop to stop after the current iteration (and save a
    checkpoint); a second signal stops at once, leaving the last checkpoint as it is."""

    def __init__(self):
        self.signal = None
        self._previous = {sig: signal.signal(sig, self._handle)
                          for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum, frame):
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = signum

    def restore(self):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


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
