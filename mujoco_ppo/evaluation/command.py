"""Evaluate a saved policy: deterministic (mean-action) episodes with the run's saved scaler.
Each PPO's episodes are its own (parl1/evaluate.py, parl2/evaluate.py); they are played here.

    python evaluate.py --checkpoint runs/MY_RUN [--episodes 10] [--video out.mp4] [--seed 0]
    python evaluate.py --checkpoint results/pretrained/HalfCheetah --video cheetah.gif \
        --video_seconds 5

--checkpoint takes a run's output directory (its newest checkpoint is used), one checkpoint
directory (runs/MY_RUN/checkpoints/iter_000200) or an exported policy (results/pretrained/Hopper).
--video renders the first episode headless into a video file, printing its progress on stderr:
Gymnasium's MuJoCo tasks through MuJoCo's EGL backend unless MUJOCO_GL says otherwise, Gym's
literal -v2 tasks through mujoco-py's OSMesa renderer.
"""
import math
import os
import signal

from ..cli import run_command
from ..errors import UserError
from ..run.signals import STOP_SIGNALS, accept_stop_signals, ignore_stop_signals, stop_status

PROG = "evaluate.py"


def parse_args(argv=None):
    from ..cli import MAX_EVALUATE_EPISODES, OneLineErrorParser, shown, whole_number

    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, metavar="DIR",
                   help="a run's output directory, one of its checkpoint directories, or an "
                        "exported policy such as results/pretrained/Hopper")
    p.add_argument("--episodes", type=whole_number, default=10,
                   help="deterministic episodes to run, at most 10,000 (default: %(default)s)")
    p.add_argument("--seed", type=whole_number, default=0,
                   help="seed of the evaluation environment (default: %(default)s)")
    p.add_argument("--video", metavar="FILE", default=None,
                   help="write the first episode as a video (.mp4, .gif, ...); progress on "
                        "stderr")
    p.add_argument("--video_seconds", type=float, metavar="S", default=None,
                   help="only the first S seconds of that episode (default: all of it)")
    args = p.parse_args(argv)
    if args.episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {args.episodes}")
    if args.episodes > MAX_EVALUATE_EPISODES:
        raise UserError(f"--episodes must be at most {shown(MAX_EVALUATE_EPISODES)}, got "
                        f"{shown(args.episodes)}")
    if not 0 <= args.seed < 2**32:
        raise UserError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.video_seconds is not None and not 0 < args.video_seconds < math.inf:
        raise UserError(f"--video_seconds must be a positive number, got {args.video_seconds}")
    if args.video:
        from .video import check_video_path
        check_video_path(args.video)
    return args


def main(argv=None):
    from ..algorithms import algorithm_of
    from .loading import describe, load

    args = parse_args(argv)
    config, checkpoint_dir, arrays, info = load(args.checkpoint, PROG)
    if args.video and (config.get("physics") or {}).get("environments") == "gym":
        # mujoco-py renders through OSMesa; the mujoco bindings' EGL backend, loaded beside it,
        # breaks its off-screen buffer (MuJoCo 2.1.0 then exits), their OSMesa one does not
        os.environ["MUJOCO_GL"] = "osmesa"
    elif args.video:
        os.environ.setdefault("MUJOCO_GL", "egl")  # before MuJoCo's renderer loads
    from ..envs.stack import refuse_unmakeable
    refuse_unmakeable(config, args.checkpoint)
    # Paddle, PARL, MuJoCo load while the stop signals wait (command); Paddle installs a SIGTERM
    # handler, replaced by accept_stop_signals' (as train.py's run_to_end does)
    evaluation = algorithm_of(config).load_evaluation()
    from .player import play_and_print
    restore_signals = accept_stop_signals()
    try:
        with evaluation(args, checkpoint_dir, config, arrays, info) as (env, run_episode):
            return play_and_print(args, env, run_episode, describe(config, checkpoint_dir, info))
    finally:
        restore_signals()


def command():
    """The command line: evaluate.py and mujoco-ppo evaluate. It ends as train.py does: SIGINT,
    SIGTERM and SIGHUP wait while the modules load (an exception raised inside an extension
    module's initialisation is "ImportError: initialization failed"), then stop it at once
    (a partial video is removed) with one sentence and the exit status 128 + the signal."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    run_command(main, PROG, {KeyboardInterrupt: interrupted})


def interrupted(exc):
    """(sentence, exit status) of evaluate.py stopped by a signal."""
    ignore_stop_signals()  # the status is decided: a further signal must not cut the sentence
    signum, status = stop_status(exc)
    return f"interrupted by signal {signum}.", status
