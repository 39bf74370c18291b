"""Train PARL 1.x's MuJoCo PPO: python train.py --env HalfCheetah-v2 --loss_type CLIP
or PARL 2.x's PPO:              python train.py --algo parl2 --env BreakoutNoFrameskip-v4

The loop below is PARL 1.x's algorithm; mujoco_ppo/ holds its parts (MujocoModel, PPO or TRPO,
MujocoAgent, the Scaler, GAE, the episode sampler) and the run's bookkeeping
(mujoco_ppo/run/training_run.py). PARL 2.x's loop is mujoco_ppo/parl2/train_loop.py.
"""
import os
import secrets
import signal
import sys
import time


def main(argv=None):
    from mujoco_ppo.algos import split_algo
    from mujoco_ppo.parl1.flags import parse_args

    algo, argv = split_algo(sys.argv[1:] if argv is None else argv)
    if algo == "parl2":
        from mujoco_ppo.parl2.train_loop import main as parl2_main
        return parl2_main(argv)
    args = parse_args(argv)

    # Paddle, PARL, MuJoCo, ZeroMQ load while the stop signals wait (see the end of this file);
    # Paddle installs a SIGTERM handler, replaced below
    import mujoco_ppo.core.build  # noqa: F401
    import mujoco_ppo.core.data  # noqa: F401
    import mujoco_ppo.sampling.xparl_actors  # noqa: F401
    from mujoco_ppo.run.run_log import accept_stop_signals
    from mujoco_ppo.run.training_run import RunEnding

    restore_signals = accept_stop_signals()  # replaces Paddle's handler; StopRequest takes over
    try:
        with RunEnding(args.output_dir) as ending:
            ending.status = train(args, ending)
        return ending.status
    finally:
        restore_signals()


def train(args, ending):
    """PARL 1.x's training loop; returns the exit status. What it opens is closed by ``ending``
    (mujoco_ppo.run.training_run.RunEnding), which also says how a failed run ended."""
    import numpy as np
    import paddle

    from mujoco_ppo.core.build import build_agent
    from mujoco_ppo.core.data import build_train_data
    from mujoco_ppo.sampling.envs import make_env, resolve_env_id, space_dims
    from mujoco_ppo.run.training_run import TrainingRun
    from mujoco_ppo.sampling.episodes import EpisodeSampler, run_evaluate_episode
    from mujoco_ppo.core.scaler import Scaler
    from mujoco_ppo.sampling.xparl_actors import XparlSampler

    env_id, env_note = resolve_env_id(args.env)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    output_dir = ending.run_dir = args.output_dir or os.path.join(
        "runs", f"{env_id}_{args.loss_type}_seed{seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    eval_seed, *worker_seeds = np.random.SeedSequence(seed).generate_state(
        1 + (args.actor_num if args.xparl_addr else args.num_workers)).tolist()
    eval_env = ending.closes(make_env(env_id, eval_seed))
    # the sampler before the run's files: a cluster that is not there stops it before it writes
    sampler = ending.closes(
        XparlSampler(args.xparl_addr, env_id, worker_seeds, args.xparl_timeout)
        if args.xparl_addr else EpisodeSampler(env_id, worker_seeds, args.worker_timeout))
    run = ending.closes(TrainingRun(args, output_dir, env_note))
    ending.checkpoints = run.checkpoints
    ending.logger = run.logger

    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.learner_threads or os.cpu_count() or 1)
    paddle.seed(seed)
    obs_dim, act_dim, discrete = space_dims(eval_env)  # obs_dim counts the time-step feature
    agent = build_agent(vars(args), obs_dim, act_dim, discrete, rng=np.random.default_rng(seed))
    model = agent.alg.model
    scaler = Scaler(obs_dim)
    run.write_config({"seed": seed, "env_id": env_id, "obs_dim": obs_dim,
                      "act_dim": act_dim, "discrete": discrete,
                      "policy_lr": model.policy_lr, "value_lr": model.value_lr})
    run.start(agent, scaler, sampler, eval_env)  # the scaler's warm-up, or a checkpoint
    trajectories = None  # a batch sampled ahead, during the last value update
    # a batch sampled ahead is always trained on, even after a stop request, so that every
    # checkpoint is one the serial order would have written
    while trajectories is not None or (run.steps < args.train_total_steps
                                       and not run.stop_requested):
        run.timer()
        # whole episodes, then one scaler update from all their unscaled observations
        if trajectories is None:
            trajectories = sampler.collect(agent, scaler, args.episodes_per_batch)
        # rewards * (1 - gamma); value targets; GAE normalised per trajectory
        obs, actions, advantages, targets = build_train_data(
            trajectories, agent, args.gamma, args.lam)
        run.timer("sample_time")
        policy_loss, kl, clip_fraction = agent.policy_learn(obs, actions, advantages)
        run.timer("policy_time")
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
        run.timer("value_time")
        run.log_iteration(batch, policy_loss, kl, clip_fraction, agent.beta,
                          value_loss, agent.step_fraction)
        if run.evaluation_due():
            run.log_evaluation(run_evaluate_episode(eval_env, agent, scaler))
        run.end_iteration()  # progress.csv, TensorBoard, a checkpoint when due
    return run.finish()


def sample_ahead(args, run, batch_steps):
    """--overlap_value: sample the next batch during this one's value update, unless the run
    ends after this batch, or this iteration evaluates (with the scaler of this batch) or saves
    a checkpoint (which must not hold a batch drawn ahead)."""
    steps = run.steps + batch_steps
    return (args.overlap_value and not run.stop_requested and steps < args.train_total_steps
            and steps // args.test_every_steps < run.counters["test_flag"]
            and (run.counters["iteration"] + 1) % args.checkpoint_every != 0)


if __name__ == "__main__":
    # SIGINT/SIGTERM wait while Paddle and PARL import (an exception raised inside an extension
    # module's initialisation becomes "ImportError: initialization failed", and Paddle installs
    # a SIGTERM handler that dumps a C++ stack); main() installs this package's handlers, then
    # lets them through.
    from mujoco_ppo.run.run_log import STOP_SIGNALS

    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    from mujoco_ppo.errors import UserError
    from mujoco_ppo.run.run_log import Transcript
    from mujoco_ppo.run.training_run import FAILURES, failure_sentence

    sys.stdout = Transcript(sys.stdout)  # train.log gets what PARL prints at import too
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"train.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except FAILURES as exc:  # before the run's directory is known
        sentence, status = failure_sentence(exc)
        print(sentence, file=sys.stderr)
        sys.exit(status)
