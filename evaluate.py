"""Evaluate a saved policy: deterministic (mean-action) episodes with the run's saved scaler.
Runs of `train.py --algo parl2` are evaluated by mujoco_ppo/parl2/evaluate.py.

    python evaluate.py --checkpoint runs/MY_RUN [--episodes 10] [--video out.mp4] [--seed 0]

--checkpoint takes a run's output directory (its newest checkpoint is used) or one checkpoint
directory (runs/MY_RUN/checkpoints/iter_000200). --video renders the first episode headless
(MuJoCo's EGL backend unless MUJOCO_GL says otherwise) into a video file.
"""
import argparse
import os
import sys

from mujoco_ppo.errors import UserError


def parse_args(argv=None):
    from mujoco_ppo.run.config import OneLineErrorParser, whole_number

    p = OneLineErrorParser(prog="evaluate.py", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, metavar="DIR",
                   help="a run's output directory, or one of its checkpoint directories")
    p.add_argument("--episodes", type=whole_number, default=10,
                   help="deterministic episodes to run (default: %(default)s)")
    p.add_argument("--seed", type=whole_number, default=0,
                   help="seed of the evaluation environment (default: %(default)s)")
    p.add_argument("--video", metavar="FILE", default=None,
                   help="write the first episode as a video (.mp4, .gif, ...)")
    args = p.parse_args(argv)
    if args.episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {args.episodes}")
    return args


def locate(path):
    """(run directory, checkpoint directory) for a run dir or a checkpoint dir."""
    from mujoco_ppo.run.checkpoint import Checkpointer

    if os.path.isfile(os.path.join(path, "state.json")):
        return os.path.dirname(os.path.dirname(os.path.abspath(path))), path
    if not os.path.isdir(path):
        raise UserError(f"{path} does not exist.")
    return path, Checkpointer(os.path.join(path, "checkpoints")).latest()


def main(argv=None):
    args = parse_args(argv)
    if args.video:
        os.environ.setdefault("MUJOCO_GL", "egl")  # before MuJoCo's renderer loads

    import json

    import numpy as np
    import paddle

    from mujoco_ppo.run import checkpoint
    from mujoco_ppo.core.agent import MujocoAgent
    from mujoco_ppo.core.algorithm import PPO
    from mujoco_ppo.sampling.envs import make_env
    from mujoco_ppo.core.model import MujocoModel
    from mujoco_ppo.sampling.episodes import run_evaluate_episode
    from mujoco_ppo.core.scaler import Scaler

    run_dir, checkpoint_dir = locate(args.checkpoint)
    try:
        with open(os.path.join(run_dir, "config.json")) as f:
            config = json.load(f)
        parl2 = config.get("algo") == "parl2"  # PARL 2.x's PPO (train.py --algo parl2)
        if not parl2:
            env_id, obs_dim, act_dim = config["env_id"], config["obs_dim"], config["act_dim"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise UserError(f"{run_dir} has no readable config.json ({exc}).") from None
    if parl2:
        from mujoco_ppo.parl2.evaluate import evaluate
        return evaluate(args, checkpoint_dir, config, *checkpoint.load(checkpoint_dir),
                        _Recorder, _write_video)
    arrays, state = checkpoint.load(checkpoint_dir)

    model = MujocoModel(obs_dim, act_dim)
    try:
        model.set_state_dict({k[len("model/"):]: paddle.to_tensor(v)
                              for k, v in arrays.items() if k.startswith("model/")})
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"checkpoint {checkpoint_dir} does not fit the run's model ({exc}).") from None
    agent = MujocoAgent(PPO(model, act_dim, model.policy_lr, model.value_lr))
    scaler = Scaler(obs_dim)
    scaler.means, scaler.vars = arrays["scaler/means"], arrays["scaler/vars"]
    scaler.count = state["scaler_count"]

    returns = []
    # "track" follows the body on the tasks that define it (HalfCheetah, Hopper, Walker2d, ...);
    # where a model has no such camera MuJoCo's renderer keeps its default view.
    render = {"render_mode": "rgb_array", "camera_name": "track"} if args.video else {}
    env = make_env(env_id, args.seed, **render)
    frames = []
    if args.video:
        env = _Recorder(env, frames)
    for episode in range(args.episodes):
        returns.append(run_evaluate_episode(env, agent, scaler))
        if episode == 0 and args.video:
            env = env.env  # stop recording after the first episode
            _write_video(args.video, frames, env.metadata.get("render_fps", 30))
        print(f"episode {episode + 1}: return {returns[-1]:.1f}")
    print(f"{env_id}, checkpoint {checkpoint_dir} (step {state['counters']['steps']}): "
          f"return {np.mean(returns):.1f} ± {np.std(returns):.1f} over {len(returns)} episodes")
    if args.video:
        print(f"video of episode 1: {args.video} ({len(frames)} frames)")
    return 0


class _Recorder:
    """Wraps an environment so that each reset and step appends a rendered frame."""

    def __init__(self, env, frames):
        self.env, self.frames = env, frames
        self.action_space, self.observation_space = env.action_space, env.observation_space

    def reset(self, **kwargs):
        result = self.env.reset(**kwargs)
        self.frames.append(self.env.render())
        return result

    def step(self, action):
        result = self.env.step(action)
        self.frames.append(self.env.render())
        return result


def _write_video(path, frames, fps):
    import imageio.v2 as imageio

    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{ext}"
    try:
        imageio.mimwrite(tmp, frames, fps=fps)
        os.replace(tmp, path)
    except Exception as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise UserError(f"cannot write the video {path}: {exc}") from None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"evaluate.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
