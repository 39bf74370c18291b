"""Evaluate a saved policy: deterministic (mean-action) episodes with the run's saved scaler.
Runs of `train.py --algo parl2` are evaluated by mujoco_ppo/parl2/evaluate.py.

    python evaluate.py --checkpoint runs/MY_RUN [--episodes 10] [--video out.mp4] [--seed 0]

--checkpoint takes a run's output directory (its newest checkpoint is used) or one checkpoint
directory (runs/MY_RUN/checkpoints/iter_000200). --video renders the first episode headless
(MuJoCo's EGL backend unless MUJOCO_GL says otherwise) into a video file.
"""
import os
import re
import sys

from mujoco_ppo.errors import UserError


def parse_args(argv=None):
    from mujoco_ppo.cli import OneLineErrorParser, whole_number

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
    if not 0 <= args.seed < 2**32:
        raise UserError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.video:
        check_video_path(args.video)
    return args


def check_video_path(path):
    """UserError, before any episode runs, for a --video that imageio cannot write: a format it
    does not know, or a place where the file cannot be created (the temporary file that
    _write_video renames is created and removed here)."""
    from imageio.config import known_extensions

    if os.path.isdir(path):
        raise UserError(f"--video {path} is a directory; give a file such as episode.mp4.")
    if os.path.splitext(path)[1].lower() not in known_extensions:
        raise UserError(f"--video {path} has no video file extension imageio knows (.mp4, .gif, "
                        f"...).")
    temporary = _temporary_video(path)
    try:
        with open(temporary, "wb"):
            pass
        os.remove(temporary)
    except OSError as exc:
        raise UserError(f"cannot write the video {path}: {exc.strerror}.") from None


def load(path):
    """(run directory, its config.json, checkpoint directory, arrays, state) for a run directory
    (its newest intact checkpoint, saying on stderr which newer ones were damaged) or one
    checkpoint directory (that one)."""
    from mujoco_ppo.run import checkpoint
    from mujoco_ppo.algos import load_run_config

    if not os.path.isdir(path):
        what = "is a file" if os.path.exists(path) else "does not exist"
        raise UserError(f"--checkpoint {path} {what}; give a run directory or one of its "
                        f"checkpoints/iter_NNNNNN directories.")
    single = re.fullmatch(r"iter_\d+", os.path.basename(os.path.normpath(path)))
    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(path))) if single else path
    config = load_run_config(run_dir)
    if config.get("algo") == "parl2":  # PARL 2.x's PPO (train.py --algo parl2)
        from mujoco_ppo.parl2.checkpoint import REQUIRED_ARRAYS, STATE_SCHEMA
        checks = (STATE_SCHEMA, REQUIRED_ARRAYS)
    else:
        checks = (checkpoint.STATE_SCHEMA, checkpoint.REQUIRED_ARRAYS)
    if single:
        return run_dir, config, path, *checkpoint.load(path, *checks)
    newest, arrays, state, skipped = checkpoint.Checkpointer(
        os.path.join(path, "checkpoints"), *checks).load_newest_intact()
    for note in skipped:
        print(f"evaluate.py: {note}", file=sys.stderr)
    return run_dir, config, newest, arrays, state


def main(argv=None):
    args = parse_args(argv)
    if args.video:
        os.environ.setdefault("MUJOCO_GL", "egl")  # before MuJoCo's renderer loads

    # before Paddle is imported: bad paths and damaged files are refused fast
    run_dir, config, checkpoint_dir, arrays, state = load(args.checkpoint)
    if config.get("algo") == "parl2":
        from mujoco_ppo.parl2.evaluate import evaluate
        return evaluate(args, checkpoint_dir, config, arrays, state, play)
    env_id, obs_dim, act_dim = config["env_id"], config["obs_dim"], config["act_dim"]

    import gymnasium as gym
    import paddle

    from mujoco_ppo.parl1 import checkpoint
    from mujoco_ppo.core.build import build_agent
    from mujoco_ppo.sampling.envs import make_env
    from mujoco_ppo.sampling.episodes import run_evaluate_episode
    from mujoco_ppo.core.scaler import Scaler

    agent = build_agent(config["args"], obs_dim, act_dim, config.get("discrete", False))
    model = agent.alg.model
    checkpoint.check_fits(arrays, model, checkpoint_dir)
    model.set_state_dict({k[len("model/"):]: paddle.to_tensor(v)
                          for k, v in arrays.items() if k.startswith("model/")})
    scaler = Scaler(obs_dim)
    scaler.means, scaler.vars = arrays["scaler/means"], arrays["scaler/vars"]
    scaler.count = state["scaler_count"]

    # "track" follows the body on the MuJoCo tasks that define it (HalfCheetah, Hopper, ...);
    # where a model has no such camera MuJoCo's renderer keeps its default view. Other tasks
    # (Box2D, classic control) take no camera argument.
    render = {"render_mode": "rgb_array"} if args.video else {}
    spec = gym.registry.get(env_id.rpartition(":")[2])  # module:EnvId ids: the EnvId
    if args.video and spec is not None and "mujoco" in str(spec.entry_point):
        render["camera_name"] = "track"
    env = make_env(env_id, args.seed, **render)
    return play(args, env, lambda episode_env: run_evaluate_episode(episode_env, agent, scaler),
                f"{env_id}, checkpoint {checkpoint_dir} (step {state['counters']['steps']})")


def play(args, env, run_episode, describe):
    """``args.episodes`` episodes of ``env``, each ``run_episode(env) -> return``, the first one
    recorded into ``args.video`` if given; prints each return, then ``describe``: mean ± std.
    Both PPOs' evaluations end here (mujoco_ppo/parl2/evaluate.py)."""
    import numpy as np

    frames, returns = [], []
    recorded = _Recorder(env, frames) if args.video else env
    for episode in range(args.episodes):
        returns.append(run_episode(recorded if episode == 0 else env))
        if episode == 0 and args.video:
            _write_video(args.video, frames, env.metadata.get("render_fps", 30))
        print(f"episode {episode + 1}: return {returns[-1]:.1f}")
    print(f"{describe}: return {np.mean(returns):.1f} ± {np.std(returns):.1f} over "
          f"{len(returns)} episodes")
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

    tmp = _temporary_video(path)
    try:
        imageio.mimwrite(tmp, frames, fps=fps)
        os.replace(tmp, path)
    except Exception as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        # ffmpeg's failures carry its whole output after the first line
        reason = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        raise UserError(f"cannot write the video {path}: {reason}") from None


def _temporary_video(path):
    root, ext = os.path.splitext(path)
    return f"{root}.tmp{ext}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"evaluate.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
