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

    from mujoco_ppo.agent import MujocoAgent
    from mujoco_ppo.algorithm import PPO
    from mujoco_ppo.data import build_train_data
    from mujoco_ppo.envs import make_env, resolve_env_id
    from mujoco_ppo.model import MujocoModel
    from mujoco_ppo.run_log import (ProgressCSV, make_logger, package_versions,
                                    prepare_output_dir, write_json_atomic)
    from mujoco_ppo.sampling import EpisodeSampler, run_evaluate_episode
    from mujoco_ppo.scaler import Scaler

    env_id, env_note = resolve_env_id(args.env)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    output_dir = args.output_dir or os.path.join(
        "runs", f"{env_id}_{args.loss_type}_seed{seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    eval_seed, *worker_seeds = np.random.SeedSequence(seed).generate_state(
        1 + args.num_workers).tolist()
    eval_env = make_env(env_id, eval_seed)
    prepare_output_dir(output_dir, args.overwrite)
    logger = make_logger(os.path.join(output_dir, "train.log"))
    if env_note:
        logger.info(env_note)

    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(os.cpu_count() or 1)  # the learning phases use every core
    paddle.seed(seed)
    obs_dim = eval_env.observation_space.shape[0] + 1  # + the time-step feature
    act_dim = eval_env.action_space.shape[0]
    model = MujocoModel(obs_dim, act_dim)
    alg = PPO(model, act_dim=act_dim, policy_lr=model.policy_lr, value_lr=model.value_lr)
    agent = MujocoAgent(alg, kl_targ=args.kl_targ, loss_type=args.loss_type,
                        rng=np.random.default_rng(seed))
    scaler = Scaler(obs_dim)

    write_json_atomic(os.path.join(output_dir, "config.json"), {
        "args": vars(args), "seed": seed, "env_id": env_id, "obs_dim": obs_dim,
        "act_dim": act_dim, "policy_lr": model.policy_lr, "value_lr": model.value_lr,
        "versions": package_versions(), "command": sys.argv})
    logger.info(f"Output in {output_dir}")

    sampler = EpisodeSampler(env_id, worker_seeds)
    progress = ProgressCSV(os.path.join(output_dir, "progress.csv"))
    try:
        sampler.collect(agent, scaler, episodes=5)  # initialise the scaler
        start = time.perf_counter()
        total_steps = episodes = iteration = test_flag = 0
        while total_steps < args.train_total_steps:
            tic = time.perf_counter()
            trajectories = sampler.collect(agent, scaler, args.episodes_per_batch)
            iteration += 1
            episodes += len(trajectories)
            total_steps += sum(len(t["rewards"]) for t in trajectories)
            train_reward = float(np.mean([np.sum(t["rewards"]) for t in trajectories]))

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
                raise TrainingDiverged(
                    f"iteration {iteration} (step {total_steps}) produced a non-finite reward, "
                    f"loss or KL; see {output_dir}/train.log.")
            eval_reward = None
            if total_steps // args.test_every_steps >= test_flag:
                test_flag = total_steps // args.test_every_steps + 1
                eval_reward = run_evaluate_episode(eval_env, agent, scaler)
                logger.info(f"Steps {total_steps}, Evaluate reward: {eval_reward}")

            wall_time = time.perf_counter() - start
            progress.write({
                "iteration": iteration, "steps": total_steps, "episodes": episodes,
                "train_reward": train_reward, "eval_reward": eval_reward,
                "policy_loss": policy_loss, "kl": kl, "clip_fraction": clip_fraction,
                "beta": agent.beta, "value_loss": value_loss,
                "sps": round(total_steps / wall_time, 1), "wall_time": round(wall_time, 3),
                "sample_time": round(sampled - tic, 4),
                "policy_time": round(policy_learned - sampled, 4),
                "value_time": round(value_learned - policy_learned, 4)})
    finally:
        progress.close()
        sampler.close()
    logger.info(f"Done: {total_steps} steps in {time.perf_counter() - start:.0f} s; "
                f"results in {output_dir}")

if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        print(f"train.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except TrainingDiverged as exc:
        print(f"train.py: training diverged: {exc}", file=sys.stderr)
        sys.exit(1)
    except SamplingError as exc:
        print(f"train.py: {exc}; progress.csv holds every finished iteration.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("train.py: interrupted; progress.csv holds every finished iteration.",
              file=sys.stderr)
        sys.exit(130)
