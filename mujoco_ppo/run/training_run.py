"""TrainingRun: the bookkeeping around train.py's loop, so that the loop reads as the algorithm.

It owns the output directory (its lock, log, config.json, progress.csv, TensorBoard files,
checkpoints), the counters (iterations, steps, episodes, PARL's evaluation flag, wall time), the
per-phase timers, the terminal progress bar, and the stop signals; it starts a run fresh (the
scaler's five warm-up episodes) or from its newest intact checkpoint. RunEnding, shared with
PARL 2.x's loop, says in one sentence how a run ended and what of it is kept, and closes it.
"""
import contextlib
import logging
import math
import os
import sys
import time

import numpy as np

from . import checkpoint
from ..errors import Interrupted, SamplingError, TrainingDiverged, UserError, WriteFailed
from .run_lock import RunLock
from .run_log import (PROGRESS_COLUMNS, ProgressCSV, Scalars, StopRequest, complete_rows,
                      ignore_stop_signals, make_logger, package_versions, prepare_output_dir,
                      progress_bar_handler, write_json_atomic)

WARMUP_EPISODES = 5  # PARL's episodes that initialise the scaler, not counted as training


class TrainingRun:
    def __init__(self, args, output_dir, env_note):
        """Check and prepare ``output_dir`` (or the checkpoint to resume), and open the log."""
        self.args, self.output_dir = args, output_dir
        self.progress = self.scalars = self.stop = self.bar = None
        self.lock = RunLock(output_dir)  # before anything in the directory is read or written
        self.checkpoints = checkpoint.Checkpointer(os.path.join(output_dir, "checkpoints"))
        self.saved, skipped, self.kept_rows = None, [], []
        if args.resume:
            path, arrays, state, skipped = self.checkpoints.load_newest_intact()
            self.saved = (path, arrays, state)
            checkpoint.check_counter_per_iteration(
                state["counters"], path, "episodes", args.episodes_per_batch,
                f"--episodes_per_batch {args.episodes_per_batch}")
            if state["counters"]["steps"] >= args.train_total_steps:
                raise UserError(f"the run in {output_dir} already finished at "
                                f"{state['counters']['steps']} steps; pass a larger "
                                f"--train_total_steps to continue it.")
            self.kept_rows = complete_rows(os.path.join(output_dir, "progress.csv"),
                                           state["counters"]["iteration"])
        else:
            prepare_output_dir(output_dir, args.overwrite)
        start_steps = self.saved[2]["counters"]["steps"] if self.saved else 0
        self.bar, bar_handler = progress_bar_handler(args.train_total_steps, start_steps)
        self.logger = make_logger(os.path.join(output_dir, "train.log"), bar_handler)
        for note in skipped:
            self.logger.warning(f"train.py: {note}")
        if env_note:
            self.logger.info(env_note)
        self.row = {}

    def write_config(self, config):
        if not self.args.resume:
            write_json_atomic(os.path.join(self.output_dir, "config.json"), {
                "args": vars(self.args), **config, "versions": package_versions(),
                "command": sys.argv})

    def start(self, agent, scaler, sampler, eval_env):
        """Restore the checkpoint, or sample the warm-up episodes; then open the run's files."""
        self.parts = (agent, scaler, sampler, eval_env)
        if self.saved:
            self.counters = checkpoint.restore(*self.parts, *self.saved)
            self.logger.info(f"Resumed {self.output_dir} from iteration "
                             f"{self.counters['iteration']}, step {self.counters['steps']} "
                             f"({self.saved[0]})")
        else:
            sampler.collect(agent, scaler, episodes=WARMUP_EPISODES)
            self.counters = {"iteration": 0, "steps": 0, "episodes": 0, "test_flag": 0,
                             "wall_time": 0.0}
            self.logger.info(f"Output in {self.output_dir}")
        self.progress = ProgressCSV(os.path.join(self.output_dir, "progress.csv"), self.kept_rows)
        self.scalars = Scalars(os.path.join(self.output_dir, "tensorboard"),
                               purge_step=self.counters["steps"] + 1 if self.saved else None)
        self.stop = StopRequest()
        self._start = time.perf_counter() - self.counters["wall_time"]

    @property
    def steps(self):
        return self.counters["steps"]

    @property
    def stop_requested(self):
        return self.stop.signal is not None

    def timer(self, phase=None):
        """Start the iteration's clock (no phase), or record the time since the last call."""
        now = time.perf_counter()
        if phase is not None:
            self.row[phase] = round(now - self._tic, 4)
        self._tic = now

    def log_iteration(self, trajectories, policy_loss, kl, clip_fraction, beta, value_loss,
                      step_fraction=None):
        """Count the batch, print PARL's training line, and stop on a non-finite number.
        ``step_fraction``: TRPO's (0 when its line search took no step, which is said and
        counted), None for the other objectives."""
        c = self.counters
        c["iteration"] += 1
        c["episodes"] += len(trajectories)
        c["steps"] += sum(len(t["rewards"]) for t in trajectories)
        train_reward = float(np.mean([np.sum(t["rewards"]) for t in trajectories]))
        self.logger.info(f"Steps {c['steps']}, Train reward: {train_reward}, Policy loss: "
                         f"{policy_loss}, KL: {kl}, Value loss: {value_loss}")
        if not all(np.isfinite(t["obs"]).all() for t in trajectories):
            raise TrainingDiverged(f"iteration {c['iteration']} (step {c['steps']}): the "
                                   f"environment returned a NaN or infinite observation")
        if not all(map(math.isfinite, (train_reward, policy_loss, kl, value_loss))):
            raise TrainingDiverged(f"iteration {c['iteration']} (step {c['steps']}) produced a "
                                   f"non-finite reward, loss or KL")
        if step_fraction is not None:
            failures = c["line_search_failures"] = (c.get("line_search_failures", 0)
                                                    + (step_fraction == 0.0))
            self.row["line_search_failures"] = failures
            if step_fraction == 0.0:
                self.logger.info(f"TRPO: no step within --max_kl {self.args.max_kl} improved the "
                                 f"surrogate in {self.args.ls_max_tries} tries; the policy is "
                                 f"unchanged ({failures} such iterations so far)")
        self.row.update(iteration=c["iteration"], steps=c["steps"], episodes=c["episodes"],
                        train_reward=train_reward, eval_reward=None, policy_loss=policy_loss,
                        kl=kl, clip_fraction=clip_fraction, beta=beta, value_loss=value_loss)

    def evaluation_due(self):
        """PARL's rule: once each time the step count crosses a multiple of test_every_steps
        (and after the first iteration)."""
        due = self.steps // self.args.test_every_steps >= self.counters["test_flag"]
        if due:
            self.counters["test_flag"] = self.steps // self.args.test_every_steps + 1
        return due

    def log_evaluation(self, eval_reward):
        self.logger.info(f"Steps {self.steps}, Evaluate reward: {eval_reward}")
        self.row["eval_reward"] = eval_reward

    def end_iteration(self):
        """Write the iteration's row (progress.csv, TensorBoard), and a checkpoint when due."""
        wall_time = self.counters["wall_time"] = time.perf_counter() - self._start
        row = {**self.row, "sps": round(self.steps / wall_time, 1),
               "wall_time": round(wall_time, 3)}
        self.progress.write(row)
        self.scalars.write(row)
        if self.bar is not None:
            self.bar.update(min(self.steps, self.bar.total) - self.bar.n)
            self.bar.set_postfix(train=f"{row['train_reward']:.0f}", refresh=False)
        if self.counters["iteration"] % self.args.checkpoint_every == 0:
            self.save_checkpoint()
        self.row = {}

    def save_checkpoint(self):
        self.checkpoints.save(self.counters["iteration"],
                              *checkpoint.capture(*self.parts, self.counters))

    def finish(self):
        """Save the final checkpoint (unless just saved) and say how the run ended; returns the
        exit status: 0, or 128 + the signal that stopped it."""
        if self.counters["iteration"] % self.args.checkpoint_every:
            self.save_checkpoint()
        ignore_stop_signals()
        if self.stop_requested:
            return report_stop(self.stop.signal, self.steps, self.output_dir, self.logger,
                               checkpoints=self.checkpoints)
        self.logger.info(f"Done: {self.steps} steps in {self.counters['wall_time']:.0f} s; "
                         f"results in {self.output_dir}")
        return 0

    def close(self):
        error = close_all((self.progress, self.scalars, self.bar, self.lock))
        if error is not None:
            raise error


FAILURES = (TrainingDiverged, SamplingError, WriteFailed, KeyboardInterrupt)


class RunEnding:
    """How a run of either PPO ends, whatever ends it: ``with RunEnding(run_dir, columns) as
    ending:`` around all that the run opens, each registered by ``ending.closes(resource)``
    (``ending.run_dir`` and ``ending.logger`` set once known). A failure (FAILURES) is said in
    one sentence, which becomes ``ending.status``; then every resource is closed, newest first,
    each however the others fail, with stop signals ignored (a signal cutting the closing short
    would leave sampling workers, which ignore them, running). A failure to close is said only
    where no other failure was."""

    def __init__(self, run_dir, columns=PROGRESS_COLUMNS):
        self.run_dir, self.columns, self.logger, self.status = run_dir, columns, None, None
        self.checkpoints = None  # the run's Checkpointer, once known: the sentence names its newest
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
        return report_failure(exc, self.run_dir, self.logger, self.columns, self.checkpoints)


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


def failure_sentence(exc, run_dir=None, columns=PROGRESS_COLUMNS, checkpoints=None):
    """(one sentence, exit status) for one of FAILURES, saying what of the run in ``run_dir``
    is kept (None: the run's directory is not known yet); ``columns``: its progress.csv's."""
    if isinstance(exc, TrainingDiverged):
        what, status = f"training diverged: {exc}", 1
    elif isinstance(exc, (SamplingError, WriteFailed)):
        what, status = str(exc), 1
    else:
        signum = exc.signum if isinstance(exc, Interrupted) else 2
        what, status = f"interrupted by signal {signum}", 128 + signum
    return f"train.py: {what}; {kept(run_dir, columns, checkpoints)}.", status


def report_failure(exc, run_dir, logger, columns=PROGRESS_COLUMNS, checkpoints=None):
    """failure_sentence, said (``say``); returns the exit status."""
    sentence, status = failure_sentence(exc, run_dir, columns, checkpoints)
    say(sentence, logger)
    return status


def report_stop(signum, steps, run_dir, logger, columns=PROGRESS_COLUMNS, checkpoints=None):
    """How a run stopped by a signal ended (after its final checkpoint), said (``say``);
    returns the exit status, 128 + signum."""
    say(f"train.py: stopped by signal {signum} at step {steps}; "
        f"{kept(run_dir, columns, checkpoints)}.", logger)
    return 128 + signum


def say(sentence, logger=None):
    """``sentence`` on stderr and in train.log (make_logger's last handler; not printed
    twice), once ``logger`` is there."""
    with contextlib.suppress(OSError):  # stderr on a terminal closed (SIGHUP) takes no lines
        print(sentence, file=sys.stderr)
    if logger is not None:
        with contextlib.suppress(WriteFailed):  # a full disk takes no more lines
            logger.handlers[-1].handle(logger.makeRecord(logger.name, logging.ERROR, __file__,
                                                         0, sentence, None, None))


def kept(run_dir, columns=PROGRESS_COLUMNS, checkpoints=None):
    """What a failed or stopped run leaves: its finished rows, its newest intact checkpoint
    (``checkpoints``, the run's Checkpointer; by default PARL 1.x's), how to go on."""
    if run_dir is None or not os.path.isdir(run_dir):
        return "the run had not started, nothing was written"
    try:
        rows = len(complete_rows(os.path.join(run_dir, "progress.csv"), math.inf, columns))
        checkpoints = checkpoints or checkpoint.Checkpointer(os.path.join(run_dir, "checkpoints"))
        newest = checkpoints.intact_checkpoints()
    except (UserError, OSError):  # the sentence is owed even where the directory is unreadable
        rows, newest = 0, []
    if not newest:
        return (f"progress.csv holds its {rows} finished iterations and no checkpoint was "
                f"saved yet (a new run starts over)")
    return (f"progress.csv holds its {rows} finished iterations and checkpoint "
            f"{os.path.basename(newest[0][1])} is kept; continue with: "
            f"{resume_command(run_dir)}")


def resume_command(run_dir):
    """The command that continues the run, with the interpreter running this one (a bare
    ``python`` may be another, without this package)."""
    return f"{shortest_path(sys.executable)} train.py --resume {run_dir}"


def shortest_path(path, start=None):
    """``path`` relative to ``start`` (the working directory) where that is shorter."""
    relative = os.path.relpath(path, start)
    return relative if len(relative) < len(path) else path
