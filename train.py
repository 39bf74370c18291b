"""Train PARL 1.x's MuJoCo PPO: python train.py --env HalfCheetah-v2 --loss_type CLIP

Each iteration: sample whole episodes -> update the scaler -> advantages and value targets ->
policy_learn (20 full-batch steps) -> value_learn (this batch + the previous one) -> log, and
evaluate one deterministic episode whenever the step count crosses a multiple of
--test_every_steps. The model, algorithm and agent live in mujoco_ppo/.
"""
import math
import os
import secrets
import sys
import time

from mujoco_ppo.errors import SamplingError, TrainingDiverged, UserError


def main(argv=None):
    from mujoco_ppo.config import parse_args

    args = parse_args(argv)

    import numpy as np
    import paddle

    from mujoco_ppo import checkpoint
    from mujoco_ppo.agent import MujocoAgent
    from mujoco_ppo.algorithm import PPO
    from mujoco_ppo.data import build_train_data
    from mujoco_ppo.envs import make_env, resolve_env_id
    from mujoco_ppo.model import MujocoModel
    from mujoco_ppo.run_log import (ProgressCSV, Scalars, StopRequest, make_logger,
                                    package_versions, prepare_output_dir, progress_bar_handler,
                                    write_json_atomic)
    from mujoco_ppo.sampling import EpisodeSampler, run_evaluate_episode
    from mujoco_ppo.scaler import Scaler

    env_id, env_note = resolve_env_id(args.env)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    output_dir = args.output_dir or os.path.join(
        "runs", f"{env_id}_{args.loss_type}_seed{seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    checkpoints = checkpoint.Checkpointer(os.path.join(output_dir, "checkpoints"))
    saved = checkpoint.load(checkpoints.latest()) if args.resume else None
    if saved and saved[1]["counters"]["steps"] >= args.train_total_steps:
        raise UserError(f"the run in {output_dir} already finished at "
                        f"{saved[1]['counters']['steps']} steps; pass a larger "
                        f"--train_total_steps to continue it.")
    eval_seed, *worker_seeds = np.random.SeedSequence(seed).generate_state(
        1 + args.num_workers).tolist()
    eval_env = make_env(env_id, eval_seed)
    if not args.resume:
        prepare_output_dir(output_dir, args.overwrite)
    start_steps = saved[1]["counters"]["steps"] if saved else 0
    bar, bar_handler = progress_bar_handler(args.train_total_steps, start_steps)
    logger = make_logger(os.path.join(output_dir, "train.log"), bar_handler)
    if env_note:
        logger.info(env_note)

    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.learner_threads or os.cpu_count() or 1)
    paddle.seed(seed)
    obs_dim = eval_env.observation_space.shape[0] + 1  # + the time-step feature
    act_dim = eval_env.action_space.shape[0]
    model = MujocoModel(obs_dim, act_dim)
    alg = PPO(model, act_dim=act_dim, policy_lr=model.policy_lr, value_lr=model.value_lr,
              epsilon=args.clip_epsilon)
    agent = MujocoAgent(alg, kl_targ=args.kl_targ, loss_type=args.loss_type, beta=args.beta,
                        rng=np.random.default_rng(seed))
    scaler = Scaler(obs_dim)
    if not args.resume:
        write_json_atomic(os.path.join(output_dir, "config.json"), {
            "args": vars(args), "seed": seed, "env_id": env_id, "obs_dim": obs_dim,
            "act_dim": act_dim, "policy_lr": model.policy_lr, "value_lr": model.value_lr,
            "versions": package_versions(), "command": sys.argv})

    sampler = EpisodeSampler(env_id, worker_seeds)
    stop = StopRequest()
    progress = scalars = None
    try:
        if saved:
            counters = checkpoint.restore(agent, scaler, sampler, eval_env, *saved)
            logger.info(f"Resumed {output_dir} from iteration {counters['iteration']}, "
                        f"step {counters['steps']}")
        else:
            sampler.collect(agent, scaler, episodes=5)  # initialise the scaler
            counters = {"iteration": 0, "steps": 0, "episodes": 0, "test_flag": 0,
                        "wall_time": 0.0}
            logger.info(f"Output in {output_dir}")
        progress = ProgressCSV(os.path.join(output_dir, "progress.csv"),
                               resume_after=counters["iteration"] if saved else None)
        scalars = Scalars(os.path.join(output_dir, "tensorboard"),
                          purge_step=counters["steps"] + 1 if saved else None)

        def save_checkpoint():
            checkpoints.save(counters["iteration"],
                             *checkpoint.capture(agent, scaler, sampler, eval_env, counters))

        start = time.perf_counter() - counters["wall_time"]
        while counters["steps"] < args.train_total_steps and stop.signal is None:
            tic = time.perf_counter()
            trajectories = sampler.collect(agent, scaler, args.episodes_per_batch)
            counters["iteration"] += 1
            counters["episodes"] += len(trajectories)
            counters["steps"] += sum(len(t["rewards"]) for t in trajectories)
            iteration, total_steps = counters["iteration"], counters["steps"]
            train_reward = float(np.mean([np.sum(t["rewards"]) for t in trajectories]))
            if not all(np.isfinite(t["obs"]).all() for t in trajectories):
                raise TrainingDiverged(f"iteration {iteration} (step {total_steps}): the "
                                       f"environment returned a NaN or infinite observation")

            obs, actions, advantages, targets = build_train_data(
                trajectories, agent, args.gamma, args.lam)
            sampled = time.perf_counter()
            policy_loss, kl, clip_fraction = agent.policy_learn(obs, actions, advantages)
            policy_learned = time.perf_counter()
            value_loss = agent.value_learn(obs, targets)
            value_learned = time.perf_counter()

            logger.info(f"Steps {total_steps}, Train reward: {train_reward}, Policy loss: "
                        f"{policy_loss}, KL: {kl}, Value loss: {value_loss}")
            if not all(map(math.isfinite, (train_reward, policy_loss, kl, value_loss))):
                raise TrainingDiverged(f"iteration {iteration} (step {total_steps}) produced a "
                                       f"non-finite reward, loss or KL")
            eval_reward = None
            if total_steps // args.test_every_steps >= counters["test_flag"]:
                counters["test_flag"] = total_steps // args.test_every_steps + 1
                eval_reward = run_evaluate_episode(eval_env, agent, scaler)
                logger.info(f"Steps {total_steps}, Evaluate reward: {eval_reward}")

            counters["wall_time"] = time.perf_counter() - start
            row = {
                "iteration": iteration, "steps": total_steps, "episodes": counters["episodes"],
                "train_reward": train_reward, "eval_reward": eval_reward,
                "policy_loss": policy_loss, "kl": kl, "clip_fraction": clip_fraction,
                "beta": agent.beta, "value_loss": value_loss,
                "sps": round(total_steps / counters["wall_time"], 1),
                "wall_time": round(counters["wall_time"], 3),
                "sample_time": round(sampled - tic, 4),
                "policy_time": round(policy_learned - sampled, 4),
                "value_time": round(value_learned - policy_learned, 4)}
            progress.write(row)
            scalars.write(row)
            if bar is not None:
                bar.update(min(total_steps, bar.total) - bar.n)
                bar.set_postfix(train=f"{train_reward:.0f}", refresh=False)
            if iteration % args.checkpoint_every == 0:
                save_checkpoint()
        if counters["iteration"] % args.checkpoint_every:
            save_checkpoint()
    finally:
        stop.restore()
        for closable in (progress, scalars, bar, sampler):
            if closable is not None:
                closable.close()
    if stop.signal is not None:
        logger.info(f"Stopped by signal {stop.signal} at step {counters['steps']}; continue "
                    f"with: python train.py --resume {output_dir}")
        return 128 + stop.signal
    logger.info(f"Done: {counters['steps']} steps in {counters['wall_time']:.0f} s; "
                f"results in {output_dir}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"train.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except TrainingDiverged as exc:
        print(f"train.py: training diverged: {exc}; the last good checkpoint is kept.",
              file=sys.stderr)
        sys.exit(1)
    except SamplingError as exc:
        print(f"train.py: {exc}; progress.csv holds every finished iteration and the last "
              f"checkpoint is kept.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("train.py: interrupted; progress.csv holds every finished iteration and the last "
              "checkpoint is kept.", file=sys.stderr)
        sys.exit(130)
