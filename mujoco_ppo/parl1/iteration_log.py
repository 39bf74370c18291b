"""What one iteration of PARL 1.x's loop records: PARL's training and evaluation lines in
train.log, the per-phase timers, the counters, TRPO's line-search failures, the stop on a
non-finite number, and its row of progress.csv (spec.py's PROGRESS_COLUMNS)."""
import math
import time

import numpy as np

from ..errors import TrainingDiverged


class IterationLog:
    def __init__(self, run, args):
        """``run``: the TrainingRun whose counters and files the iterations go to."""
        self.run, self.args, self.row = run, args, {}
        self._tic = None

    def timer(self, phase=None):
        """Start the iteration's clock (no phase), or record the time since the last call."""
        now = time.perf_counter()
        if phase is not None:
            self.row[phase] = round(now - self._tic, 4)
        self._tic = now

    def training(self, trajectories, policy_loss, kl, clip_fraction, beta, value_loss,
                 step_fraction=None):
        """Count the batch, print PARL's training line, and stop on a non-finite number.
        ``step_fraction``: TRPO's (0 when its line search took no step, which is said and
        counted), None for the other objectives."""
        counters, logger = self.run.counters, self.run.logger
        counters.iteration += 1
        counters.episodes += len(trajectories)
        counters.steps += sum(len(t["rewards"]) for t in trajectories)
        where = f"iteration {counters.iteration} (step {counters.steps})"
        train_reward = float(np.mean([np.sum(t["rewards"]) for t in trajectories]))
        logger.info(f"Steps {counters.steps}, Train reward: {train_reward}, Policy loss: "
                    f"{policy_loss}, KL: {kl}, Value loss: {value_loss}")
        if not all(np.isfinite(t["obs"]).all() for t in trajectories):
            raise TrainingDiverged(f"{where}: the environment returned a NaN or infinite "
                                   f"observation")
        if not all(map(math.isfinite, (train_reward, policy_loss, kl, value_loss))):
            raise TrainingDiverged(f"{where} produced a non-finite reward, loss or KL")
        if step_fraction is not None:
            failures = counters.line_search_failures = ((counters.line_search_failures or 0)
                                                        + (step_fraction == 0.0))
            self.row["line_search_failures"] = failures
            if step_fraction == 0.0:
                logger.info(f"TRPO: no step within --max_kl {self.args.max_kl} improved the "
                            f"surrogate in {self.args.ls_max_tries} tries; the policy is "
                            f"unchanged ({failures} such iterations so far)")
        self.row.update(iteration=counters.iteration, steps=counters.steps,
                        episodes=counters.episodes, train_reward=train_reward, eval_reward=None,
                        policy_loss=policy_loss, kl=kl, clip_fraction=clip_fraction, beta=beta,
                        value_loss=value_loss)

    def evaluation_due(self):
        """PARL's rule: once each time the step count crosses a multiple of test_every_steps
        (and after the first iteration)."""
        counters = self.run.counters
        return counters.evaluation_due(counters.steps, self.args.test_every_steps)

    def evaluation(self, eval_reward):
        self.run.logger.info(f"Steps {self.run.counters.steps}, Evaluate reward: {eval_reward}")
        self.row["eval_reward"] = eval_reward

    def end(self):
        """The iteration's row to the run's files, and a checkpoint when due."""
        self.run.clock()
        self.run.end_iteration(self.row)
        self.row = {}
