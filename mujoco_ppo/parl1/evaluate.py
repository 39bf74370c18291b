"""evaluate.py's episodes of a checkpoint of PARL 1.x's PPO: deterministic (the mean action, or
the arg-max), with the run's saved scaler. Importing it loads Paddle (evaluate.py does so while
the stop signals wait)."""
from contextlib import contextmanager

import gymnasium as gym

from ..envs.make import make_env
from ..errors import UserError
from ..run.weights import check_weights_fit, load_weights
from .build import build_agent
from .episodes import run_evaluate_episode
from .scaler import Scaler


@contextmanager
def evaluation(args, checkpoint_dir, config, arrays, info):
    """(environment, one episode's player) of the checkpoint's policy, for evaluate.py to play
    ``args.episodes`` episodes with; UserError where the arrays do not fit the run's model."""
    env_id, obs_dim, act_dim = config["env_id"], config["obs_dim"], config["act_dim"]
    agent = build_agent(config["args"], obs_dim, act_dim, config.get("discrete", False))
    policy = agent.alg.model.policy_model
    check_weights_fit(arrays, policy, checkpoint_dir, "policy")
    for name in ("scaler/means", "scaler/vars"):
        if arrays[name].shape != (obs_dim,):
            raise UserError(f"checkpoint {checkpoint_dir} does not fit its run's model: {name} "
                            f"has shape {list(arrays[name].shape)}, the model needs [{obs_dim}].")
    load_weights(policy, arrays, "policy")
    scaler = Scaler(obs_dim)
    scaler.means, scaler.vars = arrays["scaler/means"], arrays["scaler/vars"]
    scaler.count = info["scaler_count"]

    # "track" follows the body on the MuJoCo tasks that define it (HalfCheetah, Hopper, ...);
    # where a model has no such camera MuJoCo's renderer keeps its default view. Other tasks
    # (Box2D, classic control) take no camera argument.
    render = {"render_mode": "rgb_array"} if args.video else {}
    spec = gym.registry.get(env_id.rpartition(":")[2])  # module:EnvId ids: the EnvId
    if args.video and spec is not None and "mujoco" in str(spec.entry_point):
        render["camera_name"] = "track"
    env = make_env(env_id, args.seed, **render)
    yield env, lambda episode_env: run_evaluate_episode(episode_env, agent, scaler)
