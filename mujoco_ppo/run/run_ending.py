"""How a run of either PPO ends, in one sentence: what ended it, what of it is kept (its
finished rows of progress.csv, its newest intact checkpoint) and how to go on; and the closing
of all that the run opened, whatever ends it."""
import contextlib
import logging
import math
import os
import shlex
import sys

from ..cli import command_line, program
from ..errors import SamplingError, TrainingDiverged, UserError, WriteFailed
from .checkpoint import resume_point
from .run_log import complete_rows
from .signals import accept_stop_signals, ignore_stop_signals, stop_status
from .train_log import end_progress_bar


def run_to_end(train, args, kind):
    """``train(args, ending)``'s exit status, with this package's stop signals (replacing
    Paddle's SIGTERM handler) for as long as it runs, within a RunEnding (``kind``: the PPO's
    RunKind) that says how a failed run ended and closes what it opened."""
    # before any process is started: a child would inherit train.py's blocked SIGTERM and
    # could not be stopped at exit
    restore_signals = accept_stop_signals()
    try:
        with RunEnding(args.output_dir, kind) as ending:
            ending.status = train(args, ending)
        return ending.status
    finally:
        restore_signals()


FAILURES = (TrainingDiverged, SamplingError, WriteFailed, KeyboardInterrupt)


class RunEnding:
    """How a run of either PPO ends, whatever ends it: ``with RunEnding(run_dir, kind) as
    ending:`` around all that the run opens, each registered by ``ending.closes(resource)``
    (``ending.run_dir`` and ``ending.logger`` set once known; ``kind``: the PPO's RunKind). A failure (FAILURES) is said in
    one sentence, which becomes ``ending.status``; then every resource is closed, newest first,
    each however the others fail, with stop signals ignored (a signal cutting the closing short
    would leave sampling workers, which ignore them, running). A failure to close is said only
    where no other failure was."""

    def __init__(self, run_dir, kind):
        self.run_dir, self.kind, self.logger, self.status = run_dir, kind, None, None
        self._resources = []

    def closes(self, resource):
        self._resources.append(resource)
        return resource

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        ignore_stop_signals()
        failed = isinstance(exc, FAILURES)
        try:
            if failed:
                self.status = self._report(exc)
        finally:
            error = close_all(reversed(self._resources))
        if error is not None and exc is None:
            if not isinstance(error, FAILURES):
                raise error
            self.status = self._report(error)
        return failed

    def _report(self, exc):
        return report_failure(exc, self.run_dir, self.logger, self.kind)


def close_all(closables):
    """Close every one of ``closables`` (None skipped), however many fail; returns the first
    failure, or None."""
    first = None
    for closable in closables:
        try:
            if closable is not None:
                closable.close()
        except Exception as exc:
            first = first or exc
    return first


def failure_sentence(exc, run_dir=None, kind=None):
    """(one sentence, exit status) for one of FAILURES, saying what of the run in ``run_dir``
    (of the PPO whose RunKind is ``kind``) is kept; None: the run's directory is not known yet."""
    if isinstance(exc, TrainingDiverged):
        what, status = f"training diverged: {exc}", 1
    elif isinstance(exc, (SamplingError, WriteFailed)):
        what, status = str(exc), 1
    else:
        signum, status = stop_status(exc)
        what = f"interrupted by signal {signum}"
    return f"{program('train.py')}: {what}; {ended(what_is_kept(run_dir, kind), run_dir)}", status


def report_failure(exc, run_dir, logger, kind):
    """failure_sentence, said (``say``); returns the exit status."""
    sentence, status = failure_sentence(exc, run_dir, kind)
    say(sentence, logger)
    return status


def report_stop(signum, steps, run_dir, logger, kind):
    """How a run stopped by a signal ended (after its final checkpoint), said (``say``: on
    stderr and in train.log, for both PPOs alike); returns the exit status, 128 + signum."""
    say(f"{program('train.py')}: stopped by signal {signum} at step {steps}; "
        f"{ended(what_is_kept(run_dir, kind), run_dir)}", logger)
    return 128 + signum


def say(sentence, logger=None):
    """``sentence`` on stderr and in train.log (make_logger's last handler; not printed
    twice), once ``logger`` is there."""
    with contextlib.suppress(OSError):  # stderr on a terminal closed (SIGHUP) takes no lines
        end_progress_bar(logger)  # the sentence below the bar's last state, not after it
        print(sentence, file=sys.stderr)
    if logger is not None:
        with contextlib.suppress(WriteFailed):  # a full disk takes no more lines
            logger.handlers[-1].handle(logger.makeRecord(logger.name, logging.ERROR, __file__,
                                                         0, sentence, None, None))


def what_is_kept(run_dir, kind):
    """What a failed or stopped run leaves: its finished rows, its newest intact checkpoint
    (``kind``: the RunKind of its PPO), how to go on."""
    if run_dir is None or not os.path.isdir(run_dir):
        return "the run had not started, nothing was written"
    progress = os.path.join(run_dir, "progress.csv")
    try:
        rows = len(complete_rows(progress, math.inf, kind.columns))
        checkpoints = kind.checkpointer(run_dir)
        try:  # the one --resume continues
            newest = resume_point(checkpoints, progress, kind.columns)[0]
        except UserError:
            newest = next(iter(checkpoints.intact_checkpoints()), (None, None))[1]
    except (UserError, OSError):  # the sentence is owed even where the directory is unreadable
        rows, newest = 0, None
    if newest is None:
        return (f"progress.csv holds its {rows} finished iterations and no checkpoint was "
                f"saved yet (a new run starts over)")
    return (f"progress.csv holds its {rows} finished iterations and checkpoint "
            f"{os.path.basename(newest)} is kept; continue with: "
            f"{resume_command(run_dir)}")


def ended(clause, run_dir):
    """The last clause of a sentence, with its full stop, except after the command that
    resumes the run: a full stop there would be taken with the path by a double-click or a
    copy of the line's end, and the command pasted would name a directory that is not there."""
    if run_dir is not None and clause.endswith(resume_command(run_dir)):
        return clause
    return f"{clause}."


def resume_command(run_dir):
    """The command that continues the run, as the user started this one (``command_line``),
    quoted for a shell where it must be."""
    return f"{command_line('train.py')} --resume {shlex.quote(str(run_dir))}"
