"""evaluate.py's episodes of a checkpoint of PARL 2.x's PPO (train.py --algo parl2):
deterministic (the arg-max, or the Gaussian mean), with the training observation statistics
frozen (MuJoCo), whole games (Atari). Importing it loads Paddle and PARL (evaluate.py does so
while the stop signals wait)."""
from contextlib import contextmanager

from parl.algorithms import PPO

from ..errors import UserError
from ..run.weights import load_weights
from .agent import PPOAgent
from .env_utils import make_env, obs_rms, run_evaluate_episodes
from .model import MODELS


@contextmanager
def evaluation(args, checkpoint_dir, config, arrays, info):
    """(environment, one episode's player) of the checkpoint's model, for evaluate.py to play
    ``args.episodes`` episodes with, the environment closed after them; UserError where the
    arrays do not fit the run's model or environment."""
    env_id, kind = config["env_id"], config["config"]["kind"]
    render = {}
    if args.video:
        # "track" follows the body on the MuJoCo tasks that define it; Atari renders its screen
        render = {"render_mode": "rgb_array"}
        if kind == "mujoco":
            render["camera_name"] = "track"
    env = make_env(env_id, kind, evaluation=True, **render)
    env.reset(seed=args.seed)
    statistics = obs_rms(env)
    if statistics is not None:  # MuJoCo: the training environment's, frozen
        if "obs_rms/mean" not in arrays or arrays["obs_rms/mean"].shape != statistics.mean.shape:
            raise UserError(f"checkpoint {checkpoint_dir} does not fit its run's environment: "
                            f"it has no observation statistics of shape "
                            f"{list(statistics.mean.shape)}.")
        statistics.mean, statistics.var = arrays["obs_rms/mean"], arrays["obs_rms/var"]
        statistics.count = info["obs_rms_count"]
    model = MODELS[kind](env.observation_space, env.action_space)
    try:
        load_weights(model, arrays, "policy")
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"checkpoint {checkpoint_dir} does not fit the run's model "
                        f"({exc}).") from None
    agent = PPOAgent(PPO(model, continuous_action=kind == "mujoco"), {"lr_decay": False}, None)

    yield env, lambda episode_env: run_evaluate_episodes(agent, episode_env, 1)
    env.close()
