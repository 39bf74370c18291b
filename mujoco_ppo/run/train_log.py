"""train.log: every line printed, time-stamped, also what was printed before it opened, under
a terminal progress bar where there is a terminal; a failed write raises WriteFailed."""
import logging
import os
import sys

from ..errors import WriteFailed
from .run_log import refuse_irregular, writing


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
        progress_bar = bar  # closed by end_progress_bar before a run's last sentence

        def emit(self, record):
            tqdm.write(self.format(record), file=sys.stdout)

    return bar, TqdmHandler()


def shown_rewards(shown, row):
    """``shown`` ({'train': ..., 'eval': ...}, the rewards a progress bar shows) updated with a
    progress.csv ``row``'s: its training reward, and its evaluation reward where it has one."""
    for key, column in (("train", "train_reward"), ("eval", "eval_reward")):
        if row.get(column) not in (None, ""):
            shown[key] = f"{float(row[column]):.0f}"
    return shown


def show_progress(bar, steps, row, shown):
    """The bar at ``steps``, with the training reward of the iteration that ``row`` records and
    the latest evaluation reward (``shown``: those of earlier iterations, updated here), drawn
    now. tqdm draws in ``update``, so a reward set after it (as set_postfix(refresh=False) does)
    would show an iteration late."""
    bar.set_postfix(shown_rewards(shown, row), refresh=False)
    bar.update(min(steps, bar.total) - bar.n)
    bar.refresh()


def end_progress_bar(logger):
    """Close the progress bar that ``logger`` writes above, if any, leaving its last state on its
    line: what is said next (how the run ended) then comes below it, not after it on its line."""
    for handler in logger.handlers if logger is not None else ():
        bar = getattr(handler, "progress_bar", None)
        if bar is not None:
            bar.close()
