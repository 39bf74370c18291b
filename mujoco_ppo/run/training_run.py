"""TrainingRun: the bookkeeping around either PPO's training loop, so that the loop reads as the
algorithm.

It owns the output directory (its lock, train.log, config.json, progress.csv, TensorBoard
files, checkpoints), the counters, the wall clock, the terminal progress bar and the stop
signals; it finds the checkpoint a resumed run continues from, and says how the run ended. Each
PPO supplies its RunKind (progress.csv's columns, its checkpointer) and, at ``start``, how to
capture its parts into a checkpoint.
"""
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable

from ..cli import program
from ..errors import UserError
from .checkpoint import resume_point
from .counters import Counters
from .run_ending import close_all, report_stop
from .run_lock import RunLock
from .run_log import (
    ProgressCSV,
    Scalars,
    package_versions,
    prepare_output_dir,
    write_json_atomic,
)
from .signals import StopRequest, ignore_stop_signals
from .train_log import make_logger, progress_bar_handler, show_progress, shown_rewards


@dataclass(frozen=True)
class RunKind:
    """What a run of one PPO is to the harness."""
    columns: list  # progress.csv's, one row per iteration
    checkpointer: Callable  # run directory -> its Checkpointer, checking this PPO's checkpoints
    resumed_line: str  # train.log's line on resuming: str.format of run_dir, iteration, steps, path
    algorithm_counts: tuple = ()  # the names of its own counts in state.json's "counters"


class TrainingRun:
    def __init__(self, args, output_dir, kind, *, total_steps, finished, check_saved=None):
        """Check and prepare ``output_dir`` (or find the checkpoint to resume), and open the
        log. ``finished(counters)``: whether a checkpoint's run is over; ``check_saved(path,
        counters)``: a UserError if it cannot be continued with these flags."""
        self.args, self.output_dir, self.kind = args, output_dir, kind
        self.progress = self.scalars = self.stop = self.capture = None
        self.counters = Counters()
        self.lock = RunLock(output_dir)  # before anything in the directory is read or written
        self.checkpoints = kind.checkpointer(output_dir)
        self.saved, skipped, kept_rows = None, [], []  # saved: (path, arrays, state)
        if args.resume:
            # the newest intact checkpoint that progress.csv's rows reach, and those rows
            *self.saved, skipped, kept_rows = resume_point(
                self.checkpoints, os.path.join(output_dir, "progress.csv"), kind.columns)
            path, state = self.saved[0], self.saved[2]
            if check_saved is not None:
                check_saved(path, state["counters"])
            self.counters = Counters.from_state(state["counters"], kind.algorithm_counts)
            if finished(self.counters):
                raise UserError(f"the run in {output_dir} already finished at "
                                f"{self.counters.steps} steps; pass a larger "
                                f"--train_total_steps to continue it.")
        else:
            prepare_output_dir(output_dir, args.overwrite)
        self._kept_rows = kept_rows
        self.bar, bar_handler = progress_bar_handler(total_steps, self.counters.steps)
        self.bar_rewards = {}  # the rewards the bar shows: a resumed run's from its last rows
        for kept in kept_rows:
            shown_rewards(self.bar_rewards, kept)
        self.logger = make_logger(os.path.join(output_dir, "train.log"), bar_handler)
        for note in skipped:
            self.logger.warning(f"{program('train.py')}: {note}")

    def write_config(self, config):
        """config.json of a new run: ``config``, the package versions and the command line."""
        if not self.args.resume:
            write_json_atomic(os.path.join(self.output_dir, "config.json"), {
                **config, "versions": package_versions(), "command": sys.argv})

    def start(self, capture):
        """Open progress.csv, TensorBoard and the stop signals, once the run's parts are made
        (and restored from the checkpoint, if resumed). ``capture(counters)``: (arrays, state)
        of a checkpoint, from the counters as state.json holds them."""
        self.capture = capture
        if self.saved:
            self.logger.info(self.kind.resumed_line.format(
                run_dir=self.output_dir, iteration=self.counters.iteration,
                steps=self.counters.steps, path=self.saved[0]))
        else:
            self.logger.info(f"Output in {self.output_dir}")
        self.progress = ProgressCSV(os.path.join(self.output_dir, "progress.csv"),
                                    self._kept_rows, self.kind.columns)
        self.scalars = Scalars(os.path.join(self.output_dir, "tensorboard"),
                               purge_step=self.counters.steps + 1 if self.saved else None)
        self.stop = StopRequest()
        self.started = time.perf_counter() - self.counters.wall_time  # the clock's zero

    @property
    def stop_requested(self):
        return self.stop.signal is not None

    def elapsed(self):
        """The run's training time so far, in seconds (over every stop and resume): what the
        loop sets counters.wall_time to at the end of each iteration."""
        return time.perf_counter() - self.started

    def end_iteration(self, row):
        """Write the iteration's row (progress.csv, TensorBoard) with the counters' wall time,
        and a checkpoint when due."""
        wall_time = self.counters.wall_time
        row = {**row, "sps": round(self.counters.steps / wall_time, 1),
               "wall_time": round(wall_time, 3)}
        self.progress.write(row)
        self.scalars.write(row)
        if self.bar is not None:
            show_progress(self.bar, self.counters.steps, row, self.bar_rewards)
        if self.counters.iteration % self.args.checkpoint_every == 0:
            self.save_checkpoint()

    def save_checkpoint(self):
        self.checkpoints.save(self.counters.iteration, *self.capture(self.counters.to_state()))

    def finish(self):
        """Save the final checkpoint (unless just saved) and say how the run ended; returns the
        exit status: 0, or 128 + the signal that stopped it."""
        if self.counters.iteration % self.args.checkpoint_every:
            self.save_checkpoint()
        ignore_stop_signals()
        if self.stop_requested:
            return report_stop(self.stop.signal, self.counters.steps, self.output_dir,
                               self.logger, self.kind)
        self.logger.info(f"Done: {self.counters.steps} steps in {self.counters.wall_time:.0f} s; "
                         f"results in {self.output_dir}")
        return 0

    def close(self):
        error = close_all((self.progress, self.scalars, self.bar, self.lock))
        if error is not None:
            raise error
