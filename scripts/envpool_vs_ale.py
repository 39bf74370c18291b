"""Atari sampling speed: EnvPool against this package's environments (ale-py + Gymnasium's wrappers).

    python -m venv /tmp/epvenv && /tmp/epvenv/bin/pip install envpool==1.2.5 gymnasium==1.4.0 \\
        ale-py==0.12.1 opencv-python-headless==5.0.0.93
    PYTHONPATH=. /tmp/epvenv/bin/python scripts/envpool_vs_ale.py [--seconds 5] [--repeats 2]

EnvPool is not a dependency of mujoco_ppo, so this runs in a side virtualenv that has both (the
environments of --algo parl2 need only Gymnasium and ale-py, not Paddle). Random actions,
Breakout with PARL's preprocessing on both sides (no-op starts, frame skip 4 with max-pooling,
episodic life, fire reset, 84x84 grey, 4 stacked frames, clipped rewards), 1 and 8 environments;
the two are interleaved and the best of --repeats kept, so the ratio holds on a busy machine even
where the absolute rates do not. Frames are 4 per agent step. Writes results/envpool_vs_ale.json.
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import json
import os
import platform
import sys
import time

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
SIDE_VIRTUALENV = ("it runs in a side virtualenv with EnvPool, made and run as the top of this "
                   "script says")
require("envpool_vs_ale.py", stack=(), extra=dict.fromkeys(
    ("numpy", "gymnasium", "ale_py", "cv2"), SIDE_VIRTUALENV))

import numpy as np

from mujoco_ppo.parl2.env_utils import FRAME_SKIP
from mujoco_ppo.parl2.parallel_env import ParallelEnv


def rate(step, actions, seconds):
    """Agent steps per second of ``step`` over about ``seconds``, all environments counted."""
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step(actions())
        steps += len(actions.last)
    return steps / (time.perf_counter() - start)


class RandomActions:
    def __init__(self, n, seed=0):
        self.rng, self.n, self.last = np.random.default_rng(seed), n, None

    def __call__(self):
        self.last = self.rng.integers(0, 4, self.n)
        return self.last


def ours(n, seconds):
    envs = ParallelEnv("BreakoutNoFrameskip-v4", "atari", "episode_end", list(range(n)))
    envs.reset()
    try:
        return rate(envs.step, RandomActions(n), seconds)
    finally:
        envs.close()


def envpool_rate(n, seconds):
    import envpool
    # NoFrameskip-v4's settings: no sticky actions; the rest are EnvPool's Atari defaults
    # (episodic life and reward clipping set as PARL's training wrappers have them)
    envs = envpool.make("Breakout-v5", env_type="gymnasium", num_envs=n, batch_size=n,
                        num_threads=min(n, os.cpu_count() or 1), episodic_life=True,
                        reward_clip=True, stack_num=4, frame_skip=FRAME_SKIP, noop_max=30,
                        img_height=84, img_width=84, repeat_action_probability=0.0, seed=0)
    envs.reset()
    try:
        return rate(envs.step, RandomActions(n), seconds)
    finally:
        envs.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0, help="per measurement (default: 5)")
    p.add_argument("--repeats", type=int, default=2, help="best of (default: 2)")
    p.add_argument("--envs", type=int, nargs="+", default=[1, 8],
                   help="environment counts (default: 1 8)")
    p.add_argument("--ours_only", action="store_true",
                   help="this package's environments alone, without EnvPool (in this package's "
                        "virtualenv: scripts/bench.py --parl2's random-action floor)")
    p.add_argument("--out", default=os.path.join(ROOT, "results", "envpool_vs_ale.json"))
    args = p.parse_args()
    if not args.ours_only:
        require("envpool_vs_ale.py", stack=(), extra={"envpool": SIDE_VIRTUALENV})
    load_before = os.getloadavg()
    rows = []
    for n in args.envs:
        best = {"ours": 0.0, "envpool": 0.0}
        for _ in range(args.repeats):
            best["ours"] = max(best["ours"], ours(n, args.seconds))
            if not args.ours_only:
                best["envpool"] = max(best["envpool"], envpool_rate(n, args.seconds))
        rows.append({"envs": n, "ours_frames_per_s": FRAME_SKIP * best["ours"]})
        if args.ours_only:
            print(f"{n} env(s): ours {rows[-1]['ours_frames_per_s']:,.0f} frames/s", flush=True)
            continue
        rows[-1].update(envpool_frames_per_s=FRAME_SKIP * best["envpool"],
                        envpool_over_ours=best["envpool"] / best["ours"])
        print(f"{n} env(s): ours {rows[-1]['ours_frames_per_s']:,.0f} frames/s, EnvPool "
              f"{rows[-1]['envpool_frames_per_s']:,.0f} frames/s, x{rows[-1]['envpool_over_ours']:.2f}",
              flush=True)
    import ale_py
    import gymnasium
    result = {"rows": rows, "seconds": args.seconds, "repeats": args.repeats,
              "load_average_before_after": [load_before[0], os.getloadavg()[0]],
              "cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(),
              "python": platform.python_version(), "ale_py": ale_py.__version__,
              "gymnasium": gymnasium.__version__}
    if not args.ours_only:
        import envpool
        result["envpool"] = envpool.__version__
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
