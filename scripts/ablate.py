"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it.

    python scripts/ablate.py run GRID_DIR --env HalfCheetah-v2 Hopper-v2 --loss_type CLIP KLPEN \\
        --seeds 0 1 2 3 4 --steps 1e6
    python scripts/ablate.py run GRID_DIR --config grid.json
    python scripts/ablate.py aggregate GRID_DIR

Settings: each --loss_type crossed with its own parameter list: CLIP with every --clip_epsilon,
KLPEN with every --kl_targ, KLFIXED with every --beta, NONE alone (the rows of the PPO paper's
comparison of surrogate objectives), and TRPO with every --max_kl. A JSON --config holds the same
keys (env, loss_type, clip_epsilon, kl_targ, beta, max_kl, seeds, steps, jobs, train_args); flags
given on the command line win.

Each run is train.py with its own output directory GRID_DIR/runs/<env>/<setting>/seed<N>, as
many at once as --jobs (default: the number of cores), each then sampling with one worker and
learning on one thread, since the grid already keeps every core busy. Running the same command
again skips finished runs, resumes killed ones from their last checkpoint, and starts over the
ones killed before their first checkpoint.

`aggregate` writes, under GRID_DIR: summary.csv and summary.md (per environment and setting: the
final evaluation reward, averaged over the last 10% of each run's steps, as mean +- sample sd over seeds
with a bootstrap 95% confidence interval, and the normalised score, random policy = 0 and best
setting of the grid = 1, as in the PPO paper, with its mean and interquartile mean across
environments) and curves_<env>.png with the series drawn in curves_<env>.csv (see
mujoco_ppo/analysis/aggregate.py and curves.py).
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mujoco_ppo.run.config import (CLIP, KLFIXED, KLPEN, LOSS_TYPES, NONE, TRPO,  # noqa: E402
                                   OneLineErrorParser, whole_number)
from mujoco_ppo.errors import UserError  # noqa: E402

PARAMETER = {CLIP: "clip_epsilon", KLPEN: "kl_targ", KLFIXED: "beta", NONE: None,
             TRPO: "max_kl"}
DEFAULTS = {"env": ["HalfCheetah-v2"], "loss_type": [CLIP, KLPEN], "clip_epsilon": [0.2],
            "kl_targ": [0.003], "beta": [1.0], "max_kl": [0.01], "seeds": [0, 1, 2],
            "steps": 1_000_000,
            "jobs": os.cpu_count() or 1, "train_args": []}


def grid_runs(grid):
    """[(run directory relative to GRID_DIR/runs, train.py flags)] of a grid."""
    runs = []
    for env, loss_type in itertools.product(grid["env"], grid["loss_type"]):
        name = PARAMETER[loss_type]
        for value in grid[name] if name else [None]:
            setting = loss_type if name is None else f"{loss_type}_{name}{value:g}"
            flags = ["--env", env, "--loss_type", loss_type]
            if name:
                flags += [f"--{name}", repr(value)]
            for seed in grid["seeds"]:
                runs.append((os.path.join(env, setting, f"seed{seed}"),
                             flags + ["--seed", str(seed)]))
    return runs


def run_status(run_dir, steps):
    """'done', 'resume' (a checkpoint to continue from) or 'start'."""
    try:
        with open(os.path.join(run_dir, "progress.csv")) as f:
            last_row = f.read().strip().splitlines()[-1].split(",")
        if int(last_row[1]) >= steps:
            return "done"
    except (OSError, IndexError, ValueError):
        pass
    latest = os.path.join(run_dir, "checkpoints", "latest")
    if not os.path.exists(latest):
        return "start"
    try:
        with open(latest) as f:
            name = f.read().strip()
        with open(os.path.join(run_dir, "checkpoints", name, "state.json")) as f:
            done_steps = json.load(f)["counters"]["steps"]
    except (OSError, ValueError, KeyError):
        return "start"
    return "done" if done_steps >= steps else "resume"


def command_for(grid_dir, relative, flags, grid):
    run_dir = os.path.join(grid_dir, "runs", relative)
    status = run_status(run_dir, grid["steps"])
    if status == "done":
        return None, status
    train = [sys.executable, os.path.join(ROOT, "train.py")]
    parallel = ["--num_workers", "1", "--learner_threads", "1"] if grid["jobs"] > 1 else []
    if status == "resume":
        command = train + ["--resume", run_dir, "--train_total_steps", str(grid["steps"])]
        if parallel:
            command += parallel[2:]  # the worker count is part of the run and cannot change
    else:
        command = train + flags + ["--train_total_steps", str(grid["steps"]), "--output_dir",
                                   run_dir, "--overwrite"] + parallel + list(grid["train_args"])
    return command, status


def run_grid(grid_dir, grid):
    runs = grid_runs(grid)
    os.makedirs(grid_dir, exist_ok=True)
    with open(os.path.join(grid_dir, "grid.json"), "w") as f:
        json.dump(grid, f, indent=2)
    pending, running, failed = [], [], []
    for relative, flags in runs:
        command, status = command_for(grid_dir, relative, flags, grid)
        print(f"{status:>7}  {relative}")
        if command:
            pending.append((relative, command))
    print(f"{len(runs)} runs, {len(pending)} to run, {grid['jobs']} at once")
    while pending or running:
        while pending and len(running) < grid["jobs"]:
            relative, command = pending.pop(0)
            log_dir = os.path.join(grid_dir, "logs")
            os.makedirs(log_dir, exist_ok=True)
            log = open(os.path.join(log_dir, relative.replace(os.sep, "_") + ".out"), "a")
            running.append((relative, subprocess.Popen(command, cwd=ROOT, stdout=log,
                                                       stderr=subprocess.STDOUT), log, time.time()))
        time.sleep(1)
        for item in list(running):
            relative, proc, log, started = item
            if proc.poll() is not None:
                running.remove(item)
                log.close()
                verdict = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
                print(f"{verdict}  {relative}  ({time.time() - started:.0f} s)", flush=True)
                if proc.returncode != 0:
                    failed.append(relative)
    if failed:
        raise UserError(f"{len(failed)} runs failed ({', '.join(failed)}); see {grid_dir}/logs/.")


def load_grid(args):
    grid = dict(DEFAULTS)
    if args.config:
        try:
            with open(args.config) as f:
                grid.update(json.load(f))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserError(f"cannot read --config {args.config}: {exc}.") from None
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            grid[key] = value
    unknown = [lt for lt in grid["loss_type"] if lt not in LOSS_TYPES]
    if unknown:
        raise UserError(f"unknown loss type {unknown[0]!r}; choose from {', '.join(LOSS_TYPES)}.")
    grid["steps"] = int(float(grid["steps"]))
    if grid["steps"] < 1 or grid["jobs"] < 1 or not grid["seeds"]:
        raise UserError("--steps and --jobs must be positive and --seeds not empty.")
    return grid


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or continue) a grid")
    run.add_argument("grid_dir")
    run.add_argument("--config", help="JSON file with the grid's keys")
    run.add_argument("--env", nargs="+", help=f"environment ids (default: {DEFAULTS['env']})")
    run.add_argument("--loss_type", nargs="+", help=f"objectives (default: {DEFAULTS['loss_type']})")
    run.add_argument("--clip_epsilon", nargs="+", type=float, help="CLIP ranges (default: 0.2)")
    run.add_argument("--kl_targ", nargs="+", type=float, help="KLPEN targets (default: 0.003)")
    run.add_argument("--beta", nargs="+", type=float, help="KLFIXED coefficients (default: 1.0)")
    run.add_argument("--max_kl", nargs="+", type=float, help="TRPO KL radii (default: 0.01)")
    run.add_argument("--seeds", nargs="+", type=int, help="seeds (default: 0 1 2)")
    run.add_argument("--steps", type=float, help="env steps per run (default: 1e6)")
    run.add_argument("--jobs", type=int, help="runs at once (default: the number of cores)")
    run.add_argument("--train_args", nargs=argparse.REMAINDER,
                     help="further train.py flags, given to every run (last on the line)")
    agg = sub.add_parser("aggregate", help="tables and curves of a grid's runs")
    agg.error = OneLineErrorParser.error.__get__(agg)  # a bad aggregate flag: one line, exit 2
    agg.add_argument("grid_dir")
    agg.add_argument("--smooth", type=whole_number, default=50000,
                     help="trailing-mean window of the curves in env steps, 0 for none "
                          "(default: %(default)s)")
    args = p.parse_args(argv)
    if args.command == "run":
        run_grid(args.grid_dir, load_grid(args))
    else:
        from mujoco_ppo.analysis.aggregate import aggregate
        from mujoco_ppo.analysis.curves import check_smooth
        try:
            aggregate(args.grid_dir, check_smooth(args.smooth))
        except UserError as exc:  # bad input to aggregate: exit 2, as train.py and the other tools
            print(f"ablate.py: error: {exc}", file=sys.stderr)
            sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        sys.exit(f"ablate.py: error: {exc}")
    except KeyboardInterrupt:
        sys.exit("ablate.py: interrupted; run the same command again to continue the grid.")
