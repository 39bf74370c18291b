"""What a run leaves on disk: the log, config.json and progress.csv, written so that a kill at any
moment leaves complete files (JSON by rename, CSV one flushed row at a time)."""
import csv
import json
import logging
import os
import platform
import sys
from importlib import metadata

from .errors import UserError

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "policy_loss", "kl", "clip_fraction", "beta", "value_loss", "sps", "wall_time",
                    "sample_time", "policy_time", "value_time"]
RUN_FILES = ("progress.csv", "config.json", "train.log")


def prepare_output_dir(path, overwrite):
    """Create the directory; refuse one that holds an earlier run unless ``overwrite``."""
    existing = [name for name in RUN_FILES if os.path.exists(os.path.join(path, name))]
    if existing and not overwrite:
        raise UserError(f"{path} already holds a run ({', '.join(existing)}); choose another "
                        f"--output_dir or pass --overwrite to replace it.")
    try:
        os.makedirs(path, exist_ok=True)
        for name in existing:
            os.remove(os.path.join(path, name))
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
    """progress.csv, one row per iteration, each row on disk before the next iteration starts."""

    def __init__(self, path):
        self._file = open(path, "w", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=PROGRESS_COLUMNS)
        self._writer.writeheader()
        self._sync()

    def write(self, row):
        self._writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
        self._sync()

    def _sync(self):
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self):
        self._file.close()


def make_logger(log_path):
    """A logger that prints to stdout and appends to ``log_path``, each line time-stamped."""
    logger = logging.getLogger("mujoco_ppo")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("[%(asctime)s] %(message)s", datefmt="%m-%d %H:%M:%S")
    for handler in (logging.StreamHandler(sys.stdout), logging.FileHandler(log_path)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger
