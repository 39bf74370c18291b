"""`train.py` (``--algo parl1``, the default): the loop of PARL 1.x's examples/PPO/train.py,

    scaler warm-up: five episodes
    while total steps < train_total_steps:
        whole episodes -> one scaler update from their unscaled observations
        rewards * (1 - gamma); value targets; GAE advantages normalised per trajectory
        policy_learn (20 Adam steps on CLIP or KLPEN; or one TRPO step), then value_learn
        evaluate each time the step count crosses a multiple of test_every_steps

with its parts beside it in this folder (model.py's MujocoModel, algorithm.py's PPO or trpo.py's
TRPO, agent.py's MujocoAgent, scaler.py, data.py's GAE, the episode samplers), and the run's
bookkeeping in mujoco_ppo.run.
"""
import math
import os
import time

from ..errors import TrainingDiverged
from ..run.run_ending import run_to_end
from ..run.training_run import RunKind, TrainingRun
from . import checkpoint
from .config import DEFAULTS
from .flags import parse_args
from .spec import PROGRESS_COLUMNS

RUNS = RunKind(columns=PROGRESS_COLUMNS, checkpointer=checkpoint.checkpointer,
               algorithm_counts=checkpoint.ALGORITHM_COUNTS,
               resumed_line="Resumed {run_dir} from iteration {iteration}, step {steps} ({path})")


def main(argv):
    """Runs `train.py ARGV`; returns the exit status."""
    args = parse_args(argv)
    # Paddle, PARL, MuJoCo, ZeroMQ load while the stop signals wait (train.py); Paddle installs
    # a SIGTERM handler, replaced by run_to_end's
    import mujoco_ppo.parl1.build  # noqa: F401
    import mujoco_ppo.parl1.data  # noqa: F401
    import mujoco_ppo.parl1.xparl_sampler  # noqa: F401
    return run_to_end(train, args, RUNS)


def train(args, ending):
    """PARL 1.x's training loop; returns the exit status. What it opens is closed by ``ending``
    (RunEnding), which also says how a failed run ended."""
    import numpy as np

    from ..envs.make import space_dims
    from ..run.machine import set_up_paddle
    from .build import build_agent
    from .data import build_train_data
    from .episodes import run_evaluate_episode
    from .scaler import Scaler

    env_id, seed, run, sampler, eval_env, physics = open_run(args, ending)
    set_up_paddle(seed, args.learner_threads)
    obs_dim, act_dim, discrete = space_dims(eval_env)  # obs_dim counts the time-step feature
    agent = build_agent(vars(args), obs_dim, act_dim, discrete, rng=np.random.default_rng(seed))
    scaler = Scaler(obs_dim)
    run.write_config({"args": vars(args), "seed": seed, "env_id": env_id, "obs_dim": obs_dim,
                      "act_dim": act_dim, "discrete": discrete,
                      "policy_lr": agent.alg.model.policy_lr,
                      "value_lr": agent.alg.model.value_lr, "physics": physics})
    if run.saved:
        checkpoint.restore(agent, scaler, sampler, eval_env, *run.saved)
    else:
        sampler.collect(agent, scaler, episodes=DEFAULTS.warmup_episodes)
    run.start(lambda counters: checkpoint.capture(agent, scaler, sampler, eval_env, counters))
    # iterations, steps, episodes, PARL's test_flag (the multiple of test_every_steps whose
    # crossing evaluates next), training seconds: 0, or the checkpoint's when resumed
    counters = run.counters
    trajectories = None  # a batch sampled ahead, during the last value update
    # a batch sampled ahead is always trained on, even after a stop request, so that every
    # checkpoint is one the serial order would have written
    while trajectories is not None or (counters.steps < args.train_total_steps
                                       and not run.stop_requested):
        tic = time.perf_counter()
        # whole episodes, then one scaler update from all their unscaled observations
        if trajectories is None:
            trajectories = sampler.collect(agent, scaler, args.episodes_per_batch)
        # rewards * (1 - gamma); value targets; GAE normalised per trajectory
        obs, actions, advantages, targets = build_train_data(
            trajectories, agent, args.gamma, args.lam)
        sampled = time.perf_counter()
        policy_loss, kl, clip_fraction = agent.policy_learn(obs, actions, advantages)
        policy_learnt = time.perf_counter()
        batch, trajectories = trajectories, None
        if sample_ahead(args, run, len(obs)):
            # the next batch needs only the policy: sample it while the value net learns
            agent.start_value_learn(obs, targets)
            try:
                trajectories = sampler.collect(agent, scaler, args.episodes_per_batch)
            finally:
                value_loss = agent.finish_value_learn()
        else:
            value_loss = agent.value_learn(obs, targets)
        value_learnt = time.perf_counter()
        row = {"sample_time": round(sampled - tic, 4),
               "policy_time": round(policy_learnt - sampled, 4),
               "value_time": round(value_learnt - policy_learnt, 4)}

        counters.iteration += 1
        counters.episodes += len(batch)
        counters.steps += sum(len(t["rewards"]) for t in batch)
        train_reward = float(np.mean([np.sum(t["rewards"]) for t in batch]))
        run.logger.info(f"Steps {counters.steps}, Train reward: {train_reward}, Policy loss: "
                        f"{policy_loss}, KL: {kl}, Value loss: {value_loss}")
        stop_if_diverged(counters, batch, (train_reward, policy_loss, kl, value_loss))
        if agent.step_fraction is not None:  # TRPO: iterations whose line search took no step
            failed = agent.step_fraction == 0.0
            counts = counters.algorithm_counts
            counts["line_search_failures"] = counts.get("line_search_failures", 0) + failed
            row["line_search_failures"] = counts["line_search_failures"]
            if failed:
                run.logger.info(f"TRPO: no step within --max_kl {args.max_kl} improved the "
                                f"surrogate in {args.ls_max_tries} tries; the policy is "
                                f"unchanged ({counts['line_search_failures']} such iterations "
                                f"so far)")
        row.update(iteration=counters.iteration, steps=counters.steps,
                   episodes=counters.episodes, train_reward=train_reward, eval_reward=None,
                   policy_loss=policy_loss, kl=kl, clip_fraction=clip_fraction, beta=agent.beta,
                   value_loss=value_loss)
        # PARL's rule: one evaluation each time the step count crosses a multiple of
        # test_every_steps (and after the first iteration, test_flag starting at 0)
        if counters.steps // args.test_every_steps >= counters.next_evaluation:
            counters.next_evaluation = counters.steps // args.test_every_steps + 1
            row["eval_reward"] = run_evaluate_episode(eval_env, agent, scaler)
            run.logger.info(f"Steps {counters.steps}, Evaluate reward: {row['eval_reward']}")
        counters.wall_time = run.elapsed()
        run.end_iteration(row)  # progress.csv, TensorBoard; a checkpoint when due
    return run.finish()


def stop_if_diverged(counters, batch, numbers):
    """TrainingDiverged, naming the iteration, for a non-finite observation of the batch or a
    non-finite one of ``numbers`` (its reward, losses and KL)."""
    import numpy as np

    where = f"iteration {counters.iteration} (step {counters.steps})"
    if not all(np.isfinite(t["obs"]).all() for t in batch):
        raise TrainingDiverged(f"{where}: the environment returned a NaN or infinite "
                               f"observation")
    if not all(map(math.isfinite, numbers)):
        raise TrainingDiverged(f"{where} produced a non-finite reward, loss or KL")


def open_run(args, ending):
    """(env_id, seed, run, sampler, evaluation env, physics) of a new or resumed run: the
    environments first, then the run's directory (a cluster that is not there stops the run
    before it writes), each registered with ``ending``; ``physics``: what config.json records
    of the environment's stack (envs/stack.py)."""
    import numpy as np

    from ..envs.make import make_env, resolve_env_id
    from ..envs.stack import physics_line, physics_of, refuse_other_stack
    from ..run.machine import draw_seed
    from .local_workers import EpisodeSampler
    from .xparl_sampler import XparlSampler

    env_id, env_note = resolve_env_id(args.env)
    if args.resume:
        refuse_other_stack(args.resume, env_id)
    seed = draw_seed(args.seed)
    output_dir = ending.run_dir = args.output_dir or os.path.join(
        "runs", f"{env_id}_{args.loss_type}_seed{seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    eval_seed, *worker_seeds = np.random.SeedSequence(seed).generate_state(
        1 + (args.actor_num if args.xparl_addr else args.num_workers)).tolist()
    eval_env = ending.closes(make_env(env_id, eval_seed))
    sampler = ending.closes(
        XparlSampler(args.xparl_addr, env_id, worker_seeds, args.xparl_timeout)
        if args.xparl_addr else EpisodeSampler(env_id, worker_seeds, args.worker_timeout))
    run = ending.closes(TrainingRun(
        args, output_dir, RUNS, total_steps=args.train_total_steps,
        finished=lambda counters: counters.steps >= args.train_total_steps,
        check_saved=lambda path, counters: checkpoint.check_batches_fit(
            path, counters, args.episodes_per_batch)))
    ending.logger = run.logger
    physics = physics_of(eval_env, env_id)
    for line in (physics_line(physics), env_note):
        if line:
            run.logger.info(line)
    return env_id, seed, run, sampler, eval_env, physics


def sample_ahead(args, run, batch_steps):
    """--overlap_value: sample the next batch during this one's value update, unless the run
    ends after this batch, or this iteration evaluates (with the scaler of this batch) or saves
    a checkpoint (which must not hold a batch drawn ahead)."""
    counters = run.counters
    steps = counters.steps + batch_steps
    return (args.overlap_value and not run.stop_requested and steps < args.train_total_steps
            and steps // args.test_every_steps < counters.next_evaluation
            and (counters.iteration + 1) % args.checkpoint_every != 0)
