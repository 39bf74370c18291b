"""Wall time of a grid on a loopback xparl cluster against the same grid with local --jobs.

Both on this machine, the cluster with --cpus of its CPUs.

    python scripts/cluster_grid_time.py [--cpus 2] [--out results/cluster_grid_time.json]
        [-- GRID FLAGS]

The grid defaults to 4 runs of 50k steps of Hopper-v4 (CLIP and KLPEN, seeds 0 and 1); flags
after ``--`` replace it (ablate.py run's, without the grid directory).

The measurement runs inside fresh network and process namespaces (as tests/test_xparl.py does):
loopback only, and every process it started ends with it; this script runs itself there
(--inside). Both grids run there, one after the other, each from an empty grid directory; the
load average before each is recorded, since the machine may be shared.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ABLATE = os.path.join(CHECKOUT, "scripts", "ablate.py")
DEFAULT_GRID = ["--env", "Hopper-v4", "--loss_type", "CLIP", "KLPEN", "--seeds", "0", "1",
                "--steps", "50000"]
PORT = 8010


def timed_grid(grid_dir, grid_args, extra):
    """Seconds that ``ablate.py run GRID_DIR EXTRA GRID_ARGS`` took."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, ABLATE, "run", grid_dir, *extra, *grid_args],
                          cwd=CHECKOUT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ablate.py ended with {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def measure(grid_args, cpus, scratch):
    """{'local_s', 'cluster_s', 'cluster_start_s', load averages}: in the namespaces."""
    from mujoco_ppo.xparl.local import bring_loopback_up, local_cluster

    bring_loopback_up()
    result = {"load_before_local": os.getloadavg()}
    result["local_s"] = timed_grid(os.path.join(scratch, "local"), grid_args,
                                   ["--jobs", str(cpus)])
    result["load_before_cluster"] = os.getloadavg()
    started = time.monotonic()
    with open(os.path.join(scratch, "cluster.log"), "w") as log:
        with local_cluster(PORT, cpus, log) as address:
            result["cluster_start_s"] = time.monotonic() - started
            result["cluster_s"] = timed_grid(os.path.join(scratch, "cluster"), grid_args,
                                             ["--xparl_addr", address, "--jobs", str(cpus)])
    return result


def run(grid_args, cpus, out):
    """Measure in the namespaces and write ``out`` (JSON); returns what it wrote."""
    from mujoco_ppo.xparl.local import private_network_command

    scratch = tempfile.mkdtemp(prefix="cluster_grid_time_")
    try:
        inner = os.path.join(scratch, "result.json")
        command, reason = private_network_command(
            [sys.executable, os.path.abspath(__file__), "--cpus", str(cpus), "--inside", inner,
             "--", *grid_args])
        if command is None:
            raise RuntimeError(f"no private network namespace on this machine: {reason}")
        subprocess.run(command, cwd=CHECKOUT, check=True)
        with open(inner) as f:
            result = json.load(f)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.update(grid=grid_args, cpus=cpus, machine=machine(),
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  cluster_over_local=result["cluster_s"] / result["local_s"])
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    return result


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                     "unknown CPU")
    return f"{model}, {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, default=2,
                        help="the cluster's CPUs and the local grid's --jobs (default: 2)")
    parser.add_argument("--out", default="results/cluster_grid_time.json",
                        help="where the JSON goes (default: %(default)s)")
    parser.add_argument("--inside", metavar="RESULT_JSON", help=argparse.SUPPRESS)  # see above
    parser.add_argument("grid", nargs="*", help="ablate.py run's grid flags, after --")
    args = parser.parse_args()
    grid = args.grid or DEFAULT_GRID
    if args.inside:
        measured = measure(grid, args.cpus, os.path.dirname(args.inside))
        with open(args.inside, "w") as f:
            json.dump(measured, f)
        return
    result = run(grid, args.cpus, args.out)
    print(f"local --jobs {args.cpus}: {result['local_s']:.0f} s; on a loopback cluster of "
          f"{args.cpus} CPUs: {result['cluster_s']:.0f} s (x{result['cluster_over_local']:.2f}; "
          f"the cluster took {result['cluster_start_s']:.0f} s to start); {args.out}")


if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("cluster_grid_time.py", checkout=CHECKOUT)
    main()
