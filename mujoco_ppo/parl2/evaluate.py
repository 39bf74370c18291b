"""`evaluate.py --checkpoint DIR` for a run of `train.py --algo parl2`: deterministic episodes
(argmax, or the Gaussian mean) of the checkpoint's model, with the training observation
statistics frozen (MuJoCo), whole games (Atari), and a video of the first episode."""

from ..errors import UserError


def evaluate(args, checkpoint_dir, config, arrays, state, play):
    """Prints each return and their mean through ``play`` (evaluate.py's: the episodes, the
    video of the first, the summary); returns the exit status."""
    import paddle
    from parl.algorithms import PPO

    from . import env_state
    from .agent import PPOAgent
    from .checkpoint import fitting
    from .env_utils import make_env, obs_rms, run_evaluate_episodes
    from .model import MODELS

    env_id, kind = config["env_id"], config["config"]["kind"]
    render = {}
    if args.video:
        # "track" follows the body on the MuJoCo tasks that define it; Atari renders its screen
        render = {"render_mode": "rgb_array"}
        if kind == "mujoco":
            render["camera_name"] = "track"
    env = make_env(env_id, kind, evaluation=True, **render)
    env.reset(seed=args.seed)
    training_env = make_env(env_id, kind)  # receives the checkpoint's first training environment
    training_env.reset(seed=args.seed)
    with fitting(checkpoint_dir):
        env_state.restore(training_env, "env0", arrays, state)
    if obs_rms(training_env) is not None:
        obs_rms(env).mean, obs_rms(env).var = obs_rms(training_env).mean, obs_rms(training_env).var
        obs_rms(env).count = obs_rms(training_env).count
    training_env.close()
    model = MODELS[kind](env.observation_space, env.action_space)
    try:
        model.set_state_dict({k[len("model/"):]: paddle.to_tensor(v)
                              for k, v in arrays.items() if k.startswith("model/")})
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"checkpoint {checkpoint_dir} does not fit the run's model "
                        f"({exc}).") from None
    agent = PPOAgent(PPO(model, continuous_action=kind == "mujoco"), {"lr_decay": False}, None)

    status = play(args, env, lambda episode_env: run_evaluate_episodes(agent, episode_env, 1),
                  f"{env_id}, checkpoint {checkpoint_dir} (step {state['counters']['steps']})")
    env.close()
    return status
