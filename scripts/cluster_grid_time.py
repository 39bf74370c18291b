"""Wall time of a grid on a loopback xparl cluster against the same grid with local --jobs.

Both on this machine, the cluster with --cpus of its CPUs (mujoco_ppo/xparl/grid_timing.py).

    python scripts/cluster_grid_time.py [--cpus 2] [--out results/cluster_grid_time.json]
        [-- GRID FLAGS]

The grid defaults to 4 runs of 50k steps of Hopper-v4 (CLIP and KLPEN, seeds 0 and 1); flags
after ``--`` replace it (ablate.py run's, without the grid directory).
"""
import argparse
import os
import sys

DEFAULT_GRID = ["--env", "Hopper-v4", "--loss_type", "CLIP", "KLPEN", "--seeds", "0", "1",
                "--steps", "50000"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, default=2,
                        help="the cluster's CPUs and the local grid's --jobs (default: 2)")
    parser.add_argument("--out", default="results/cluster_grid_time.json",
                        help="where the JSON goes (default: %(default)s)")
    parser.add_argument("grid", nargs="*", help="ablate.py run's grid flags, after --")
    args = parser.parse_args()
    from mujoco_ppo.xparl.grid_timing import run

    result = run(args.grid or DEFAULT_GRID, args.cpus, args.out)
    print(f"local --jobs {args.cpus}: {result['local_s']:.0f} s; on a loopback cluster of "
          f"{args.cpus} CPUs: {result['cluster_s']:.0f} s (x{result['cluster_over_local']:.2f}; "
          f"the cluster took {result['cluster_start_s']:.0f} s to start); {args.out}")


if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("cluster_grid_time.py")
    main()
