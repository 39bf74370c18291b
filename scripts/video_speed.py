"""Frames per second of evaluate.py --video, before and after its speed-ups, measured on
HalfCheetah-v4 (480x480, MuJoCo's EGL, random actions of a fixed seed) and written to a JSON file
(results/video_speed.json):

- ``before``: Gymnasium's renderer as it comes (shadows, 4x multisampling), the frames held in a
  list and encoded when the episode ends (evaluate.py before the speed-ups);
- ``render_default`` and ``render_fast``: rendering alone, as it comes and without shadows and
  multisampling (video.fast_rendering);
- ``after``: the recorder of mujoco_ppo/evaluation/video.py (fast rendering, frames streamed
  to ffmpeg as they are rendered).

Each variant runs in its own process: a second EGL context in one process renders blank frames.

    python scripts/video_speed.py [--frames 300] [--out results/video_speed.json]
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("video_speed.py", checkout=CHECKOUT)

from mujoco_ppo import cpu_info
from mujoco_ppo.cli import OneLineErrorParser, run_command, whole_number
from mujoco_ppo.errors import UserError

PROG = "video_speed.py"
VARIANTS = ("before", "render_default", "render_fast", "after")
ENV_ID = "HalfCheetah-v4"


def measure(variant, frames, folder):
    """{"frames_per_second", "seconds", "peak_rss_mb"} of one variant, in this process."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    import gymnasium as gym
    import imageio.v2 as imageio

    from mujoco_ppo.evaluation.video import VideoFile, fast_rendering

    env = gym.make(ENV_ID, render_mode="rgb_array", camera_name="track")
    env.action_space.seed(0)
    path = os.path.join(folder, f"{variant}.mp4")
    start = time.perf_counter()
    if variant == "after":
        video = VideoFile(path)
        recorded = video.recording(env)
        recorded.reset(seed=0)
        for _ in range(frames - 1):
            recorded.step(env.action_space.sample())
        video.finish()
    else:
        if variant == "render_fast":
            fast_rendering(env)
        env.reset(seed=0)
        held = [env.render()]
        for _ in range(frames - 1):
            env.step(env.action_space.sample())
            held.append(env.render())
        if variant == "before":
            imageio.mimwrite(path, held, fps=env.metadata["render_fps"])
    seconds = time.perf_counter() - start
    return {"frames_per_second": round(frames / seconds, 1), "seconds": round(seconds, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def parse_args(argv=None):
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=whole_number, default=300,
                   help="frames each variant renders (default: %(default)s)")
    p.add_argument("--out", default="results/video_speed.json",
                   help="JSON file to write (default: %(default)s)")
    p.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # the child's
    args = p.parse_args(argv)
    if args.frames < 2:
        raise UserError(f"--frames must be at least 2, got {args.frames}.")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.variant:  # one measurement, in a process of its own
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(measure(args.variant, args.frames, folder)))
        return 0
    results = {}
    for variant in VARIANTS:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--variant", variant,
                               "--frames", str(args.frames)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise UserError(f"the {variant} measurement failed: "
                            f"{(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
        results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{variant}: {results[variant]['frames_per_second']} frames/s", flush=True)
    report = {
        "env": ENV_ID, "size": "480x480", "frames": args.frames,
        "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"),
        "machine": f"{cpu_info('model name') or platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_start": os.getloadavg(), "variants": results,
        "speed_up": round(results["after"]["frames_per_second"]
                          / results["before"]["frames_per_second"], 2),
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    print(f"after / before: {report['speed_up']}x; written to {args.out}")
    return 0


if __name__ == "__main__":
    run_command(main, PROG)
