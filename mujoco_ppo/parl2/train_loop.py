"""`train.py --algo parl2`: the loop of PARL 2.x's examples/PPO/train.py, around the unmodified
``parl.algorithms.PPO``:

    for each update: step_nums steps of env_num environments -> RolloutStorage
                     bootstrap value of the next observation -> GAE advantages and returns
                     agent.learn: update_epochs x num_minibatches calls of PPO.learn
                     evaluate each time the step count crosses a multiple of test_every_steps

The run's bookkeeping is the shared harness's (mujoco_ppo.run): train.log with PARL's lines,
config.json, progress.csv (spec.py's PROGRESS_COLUMNS, one row per update), TensorBoard, and
checkpoints (every --checkpoint_every updates, at the end, and on a stop signal) that --resume
continues exactly.
"""
import math
import os
import time
import warnings

from ..errors import TrainingDiverged
from ..run.run_ending import run_to_end
from ..run.training_run import RunKind, TrainingRun
from . import checkpoint
from .config import apply_config, parse_args
from .spec import PROGRESS_COLUMNS

RUNS = RunKind(columns=PROGRESS_COLUMNS, checkpointer=checkpoint.checkpointer,
               resumed_line="Resumed {run_dir} from update {iteration}, step {steps}")


def main(argv):
    """Runs `train.py --algo parl2 ARGV`; returns the exit status."""
    args = parse_args(argv)
    # PPO.learn converts its (already tensor) discrete actions with paddle.to_tensor, which
    # Paddle 3 answers with this notice at the first update; the conversion itself is right.
    warnings.filterwarnings("ignore", message="To copy construct from a tensor")

    # Paddle, ALE and MuJoCo load while the stop signals wait (train.py); Paddle installs a
    # SIGTERM handler, replaced by run_to_end's
    import paddle  # noqa: F401

    from ..envs import make  # noqa: F401
    from . import env_utils  # noqa: F401
    return run_to_end(train, args, RUNS)


def train(args, ending):
    """PARL 2.x's training loop; returns the exit status. What it opens is closed by
    ``ending`` (RunEnding), which also says how a failed run ended."""
    import numpy as np

    from .env_utils import run_evaluate_episodes
    from .storage import RolloutStorage

    config, run, envs, eval_env, agent = open_run(args, ending)
    obs_space, act_space = eval_env.observation_space, eval_env.action_space
    rollout = RolloutStorage(config["step_nums"], config["env_num"], obs_space, act_space)
    if run.saved:
        obs, done = checkpoint.restore(agent, envs, eval_env, *run.saved)
    else:
        obs, done = envs.reset(), np.zeros(config["env_num"], dtype=np.float32)
    # the checkpoint holds the observation and done flags the next rollout starts from
    run.start(lambda counters: checkpoint.capture(agent, envs, eval_env, obs, done, counters))
    # updates, steps, episodes, PARL's test_flag (the multiple of test_every_steps whose crossing
    # evaluates next), training seconds: 0, or the checkpoint's when resumed
    counters = run.counters
    for update in range(counters.iteration + 1, config["num_updates"] + 1):
        if run.stop_requested:
            break
        tic = time.perf_counter()
        for _ in range(config["step_nums"]):
            counters.steps += config["env_num"]
            value, action, logprob = agent.sample(obs)
            next_obs, reward, next_done = envs.step(action)
            rollout.append(obs, action, logprob, reward, done, value)
            obs, done = next_obs, next_done
        episode_returns = envs.take_episode_returns()
        for episode_return in episode_returns:
            run.logger.info(f"Training: total steps: {counters.steps}, episode rewards: "
                            f"{episode_return}")
        # bootstrap value of the observation after the rollout
        rollout.compute_returns(agent.value(obs), done, config["gamma"], config["gae_lambda"])
        sample_time = time.perf_counter() - tic
        value_loss, action_loss, entropy, lr = agent.learn(rollout)
        learn_time = time.perf_counter() - tic - sample_time
        if not all(map(math.isfinite, (value_loss, action_loss, entropy))):
            raise TrainingDiverged(f"update {update} (step {counters.steps}) produced a "
                                   f"non-finite loss")
        counters.iteration = update
        counters.episodes += len(episode_returns)
        eval_reward = None
        # PARL's rule (its test_flag): one evaluation each time the step count crosses a multiple
        # of test_every_steps, and after the first update; PARL 2.x counts the step after the
        # rollout
        if (counters.steps + 1) // config["test_every_steps"] >= counters.next_evaluation:
            counters.next_evaluation = (counters.steps + 1) // config["test_every_steps"] + 1
            freeze_eval_statistics(envs, eval_env)
            eval_reward = run_evaluate_episodes(agent, eval_env, config["eval_episode"])
            run.logger.info(f"Evaluation over: {config['eval_episode']} episodes, Reward: "
                            f"{eval_reward}")
        counters.wall_time = run.elapsed()
        eval_time = counters.wall_time - (tic - run.started) - sample_time - learn_time
        run.end_iteration({
            "iteration": update, "steps": counters.steps, "episodes": counters.episodes,
            "train_reward": float(np.mean(episode_returns)) if episode_returns else None,
            "eval_reward": eval_reward, "value_loss": value_loss, "action_loss": action_loss,
            "entropy": entropy, "lr": lr, "sample_time": round(sample_time, 4),
            "learn_time": round(learn_time, 4), "eval_time": round(eval_time, 4)})
    return run.finish()


def open_run(args, ending):
    """(config, run, training envs, evaluation env, agent) of a new or resumed run: the
    environments first, then the run's directory (a cluster that is not there stops the run
    before it writes), each registered with ``ending``."""
    import numpy as np

    from ..envs.make import resolve_env_id
    from ..envs.stack import physics_line, physics_of, refuse_other_stack
    from ..run.machine import available_memory, draw_seed, set_up_paddle
    from .env_utils import env_kind, make_env
    from .parallel_env import ParallelEnv
    from .storage import check_rollout_fits

    env_id, env_note = resolve_env_id(args.env)
    if args.resume:
        refuse_other_stack(args.resume, env_id)
    kind = env_kind(env_id)
    config = apply_config(args, kind)
    args.seed = draw_seed(args.seed)
    run_name = f"parl2_{env_id.replace('/', '-')}_seed{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}"
    output_dir = ending.run_dir = args.output_dir or os.path.join("runs", run_name)
    eval_seed, agent_seed, *env_seeds = np.random.SeedSequence(args.seed).generate_state(
        2 + config["env_num"]).tolist()
    eval_env = ending.closes(make_env(env_id, kind, evaluation=True))  # its spaces size the rollout
    check_rollout_fits(config, eval_env.observation_space, eval_env.action_space,
                       available_memory())
    envs = ending.closes(ParallelEnv(env_id, kind, args.return_reset, env_seeds,
                                     args.xparl_addr, args.xparl_timeout))
    eval_env.reset(seed=eval_seed)
    run = ending.closes(TrainingRun(
        args, output_dir, RUNS, total_steps=config["train_total_steps"],
        finished=lambda counters: counters.iteration >= config["num_updates"]))
    ending.logger = run.logger
    physics = physics_of(eval_env, env_id)
    for line in (physics_line(physics), env_note, "------------------- PPO ---------------------",
                 f"Env: {env_id}, seed: {args.seed}, config: {kind}",
                 "---------------------------------------------"):
        if line:
            run.logger.info(line)
    set_up_paddle(args.seed, args.learner_threads)
    agent = build_agent(config, eval_env.observation_space, eval_env.action_space,
                        np.random.default_rng(agent_seed))
    run.write_config({"algo": "parl2", "args": vars(args), "config": config, "env_id": env_id,
                      "physics": physics})
    return config, run, envs, eval_env, agent


def build_agent(config, obs_space, act_space, rng):
    """The config's model (initialised from Paddle's random stream), ``parl.algorithms.PPO``
    over it and the PPOAgent whose minibatches ``rng`` shuffles."""
    from parl.algorithms import PPO

    from .agent import PPOAgent
    from .model import MODELS

    kind = config["kind"]
    ppo = PPO(MODELS[kind](obs_space, act_space), clip_param=float(config["clip_param"]),
              value_loss_coef=float(config["value_loss_coef"]),
              entropy_coef=float(config["entropy_coef"]), initial_lr=float(config["initial_lr"]),
              max_grad_norm=float(config["max_grad_norm"]), continuous_action=kind == "mujoco")
    return PPOAgent(ppo, config, rng)


def freeze_eval_statistics(envs, eval_env):
    """Before an evaluation: the evaluation environment normalises observations with a copy of
    the first training environment's statistics as they are now (PARL hands the evaluation
    environment that RunningMeanStd object itself; neither updates it while evaluating)."""
    from .env_utils import obs_rms

    rms = envs.first_obs_rms()
    if rms is not None:  # MuJoCo
        eval_rms = obs_rms(eval_env)
        eval_rms.mean, eval_rms.var = rms[0].copy(), rms[1].copy()
        eval_rms.count = rms[2]

