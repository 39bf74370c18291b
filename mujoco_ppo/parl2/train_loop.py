"""`train.py --algo parl2`: the loop of PARL 2.x's examples/PPO/train.py, around the unmodified
``parl.algorithms.PPO``:

    for each update: step_nums steps of env_num environments -> RolloutStorage
                     bootstrap value of the next observation -> GAE advantages and returns
                     agent.learn: update_epochs x num_minibatches calls of PPO.learn
                     evaluate each time the step count crosses a multiple of test_every_steps

The run's files are those of the first PPO (mujoco_ppo.run.run_log): train.log with PARL's lines,
config.json, progress.csv (PROGRESS_COLUMNS, one row per update), TensorBoard, and checkpoints
(every --checkpoint_every updates, at the end, and on a stop signal) that --resume continues
exactly.
"""
import math
import os
import secrets
import time
import warnings

import numpy as np

from ..errors import TrainingDiverged, UserError
from ..run.run_lock import RunLock
from ..run.training_run import RunEnding, report_stop
from ..run.run_log import (ProgressCSV, Scalars, StopRequest, accept_stop_signals,
                           complete_rows, ignore_stop_signals, make_logger, package_versions,
                           prepare_output_dir, write_json_atomic)
from .config import apply_config, parse_args

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "value_loss", "action_loss", "entropy", "lr", "sps", "wall_time",
                    "sample_time", "learn_time", "eval_time"]


def main(argv):
    """Runs `train.py --algo parl2 ARGV`; returns the exit status."""
    args = parse_args(argv)
    # PPO.learn converts its (already tensor) discrete actions with paddle.to_tensor, which
    # Paddle 3 answers with this notice at the first update; the conversion itself is right.
    warnings.filterwarnings("ignore", message="To copy construct from a tensor")

    # Paddle, ALE and MuJoCo load while the stop signals wait (train.py); Paddle installs a
    # SIGTERM handler, replaced below
    import paddle  # noqa: F401
    from . import env_utils  # noqa: F401
    from ..sampling import envs  # noqa: F401

    # before any process is started: a child would inherit train.py's blocked SIGTERM and
    # could not be stopped at exit
    restore_signals = accept_stop_signals()
    try:
        with RunEnding(args.output_dir, PROGRESS_COLUMNS) as ending:
            ending.status = _train(args, ending)
        return ending.status
    finally:
        restore_signals()


def _train(args, ending):
    """Everything the run opens is registered with ``ending`` (RunEnding), which closes it and
    says how a failed run ended; returns the exit status."""
    from ..run.machine import available_memory
    from ..sampling.envs import resolve_env_id
    from .env_utils import ParallelEnv, env_kind, make_env
    from .storage import check_rollout_fits

    env_id, env_note = resolve_env_id(args.env)
    kind = env_kind(env_id)
    config = apply_config(args, kind)
    if args.seed is None:
        args.seed = secrets.randbelow(2**31)
    run_name = f"parl2_{env_id.replace('/', '-')}_seed{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}"
    output_dir = ending.run_dir = args.output_dir or os.path.join("runs", run_name)
    eval_seed, agent_seed, *env_seeds = np.random.SeedSequence(args.seed).generate_state(
        2 + config["env_num"]).tolist()
    eval_env = ending.closes(make_env(env_id, kind, evaluation=True))  # its spaces size the rollout
    check_rollout_fits(config, eval_env.observation_space, eval_env.action_space,
                       available_memory())
    # the environments before the run's files: a cluster that is not there stops it before it writes
    envs = ending.closes(ParallelEnv(env_id, kind, env_seeds, args.xparl_addr,
                                     args.xparl_timeout))
    eval_env.reset(seed=eval_seed)
    ending.closes(RunLock(output_dir))  # before anything in the directory is read or written
    return _train_locked(args, config, env_id, env_note, output_dir, envs, eval_env, agent_seed,
                         kind, ending)


def _train_locked(args, config, env_id, env_note, output_dir, envs, eval_env, agent_seed, kind,
                  ending):
    import paddle
    from parl.algorithms import PPO

    from . import checkpoint
    from .agent import PPOAgent
    from .env_utils import obs_rms, run_evaluate_episodes
    from .model import MODELS
    from .storage import RolloutStorage

    checkpoints = ending.checkpoints = checkpoint.checkpointer(output_dir)
    progress_path = os.path.join(output_dir, "progress.csv")
    saved, skipped, kept_rows = None, [], []
    if args.resume:
        *saved, skipped = checkpoints.load_newest_intact()  # (path, arrays, state), skipped
        if saved[2]["counters"]["iteration"] >= config["num_updates"]:
            raise UserError(f"the run in {output_dir} already finished at "
                            f"{saved[2]['counters']['steps']} steps; pass a larger "
                            f"--train_total_steps to continue it.")
        kept_rows = complete_rows(progress_path, saved[2]["counters"]["iteration"],
                                  PROGRESS_COLUMNS)
    else:
        prepare_output_dir(output_dir, args.overwrite)
    logger = ending.logger = make_logger(os.path.join(output_dir, "train.log"))
    for note in skipped:
        logger.warning(f"train.py: {note}")
    for line in (env_note, "------------------- PPO ---------------------",
                 f"Env: {env_id}, seed: {args.seed}, config: {kind}",
                 "---------------------------------------------"):
        if line:
            logger.info(line)

    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.learner_threads or os.cpu_count() or 1)
    paddle.seed(args.seed)
    obs_space, act_space = eval_env.observation_space, eval_env.action_space
    model = MODELS[kind](obs_space, act_space)
    ppo = PPO(model, clip_param=float(config["clip_param"]),
              value_loss_coef=float(config["value_loss_coef"]),
              entropy_coef=float(config["entropy_coef"]), initial_lr=float(config["initial_lr"]),
              max_grad_norm=float(config["max_grad_norm"]),
              continuous_action=kind == "mujoco")
    agent = PPOAgent(ppo, config, np.random.default_rng(agent_seed))
    rollout = RolloutStorage(config["step_nums"], config["env_num"], obs_space, act_space)
    if saved:
        obs, done, counters = checkpoint.restore(agent, envs, eval_env, *saved)
        logger.info(f"Resumed {output_dir} from update {counters['iteration']}, step "
                    f"{counters['steps']}")
    else:
        write_json_atomic(os.path.join(output_dir, "config.json"), {
            "algo": "parl2", "args": vars(args), "config": config, "env_id": env_id,
            "versions": package_versions()})
        obs, done = envs.reset(), np.zeros(config["env_num"], dtype=np.float32)
        counters = {"iteration": 0, "steps": 0, "episodes": 0, "test_flag": 0, "wall_time": 0.0}
        logger.info(f"Output in {output_dir}")

    progress = ending.closes(ProgressCSV(progress_path, kept_rows, PROGRESS_COLUMNS))
    scalars = ending.closes(Scalars(os.path.join(output_dir, "tensorboard"),
                                    purge_step=counters["steps"] + 1 if saved else None))
    stop = StopRequest()
    start = time.perf_counter() - counters["wall_time"]

    def save():
        checkpoints.save(counters["iteration"],
                         *checkpoint.capture(agent, envs, eval_env, obs, done, counters))

    for update in range(counters["iteration"] + 1, config["num_updates"] + 1):
        if stop.signal is not None:
            break
        tic = time.perf_counter()
        for _ in range(config["step_nums"]):
            counters["steps"] += config["env_num"]
            value, action, logprob = agent.sample(obs)
            next_obs, reward, next_done = envs.step(action)
            rollout.append(obs, action, logprob, reward, done, value)
            obs, done = next_obs, next_done
        episode_returns = envs.take_episode_returns()
        for episode_return in episode_returns:
            logger.info(f"Training: total steps: {counters['steps']}, episode rewards: "
                        f"{episode_return}")
        # bootstrap value of the observation after the rollout
        rollout.compute_returns(agent.value(obs), done, config["gamma"], config["gae_lambda"])
        sample_time = time.perf_counter() - tic
        value_loss, action_loss, entropy, lr = agent.learn(rollout)
        learn_time = time.perf_counter() - tic - sample_time
        if not all(map(math.isfinite, (value_loss, action_loss, entropy))):
            raise TrainingDiverged(f"update {update} (step {counters['steps']}) produced a "
                                   f"non-finite loss")
        counters["iteration"] = update
        counters["episodes"] += len(episode_returns)
        eval_reward = None
        if (counters["steps"] + 1) // config["test_every_steps"] >= counters["test_flag"]:
            counters["test_flag"] = (counters["steps"] + 1) // config["test_every_steps"] + 1
            rms = envs.first_obs_rms()
            if rms is not None:  # the training statistics, frozen in the evaluation env
                eval_rms = obs_rms(eval_env)
                eval_rms.mean, eval_rms.var = rms[0].copy(), rms[1].copy()
                eval_rms.count = rms[2]
            eval_reward = run_evaluate_episodes(agent, eval_env, config["eval_episode"])
            logger.info(f"Evaluation over: {config['eval_episode']} episodes, Reward: "
                        f"{eval_reward}")
        wall_time = counters["wall_time"] = time.perf_counter() - start
        row = {"iteration": update, "steps": counters["steps"],
               "episodes": counters["episodes"],
               "train_reward": float(np.mean(episode_returns)) if episode_returns else None,
               "eval_reward": eval_reward, "value_loss": value_loss,
               "action_loss": action_loss, "entropy": entropy, "lr": lr,
               "sps": round(counters["steps"] / wall_time, 1), "wall_time": round(wall_time, 3),
               "sample_time": round(sample_time, 4), "learn_time": round(learn_time, 4),
               "eval_time": round(wall_time - (tic - start) - sample_time - learn_time, 4)}
        progress.write(row)
        scalars.write(row)
        if update % args.checkpoint_every == 0:
            save()
    if counters["iteration"] % args.checkpoint_every:
        save()
    ignore_stop_signals()
    if stop.signal is not None:
        return report_stop(stop.signal, counters["steps"], output_dir, logger, PROGRESS_COLUMNS,
                           checkpoints)
    logger.info(f"Done: {counters['steps']} steps in {counters['wall_time']:.0f} s; "
                f"results in {output_dir}")
    return 0
