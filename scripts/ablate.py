"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it.

    python scripts/ablate.py run GRID_DIR --env HalfCheetah-v2 Hopper-v2 --loss_type CLIP KLPEN \\
        --seeds 0 1 2 3 4 --steps 1e6
    python scripts/ablate.py run GRID_DIR --config grid.json
    python scripts/ablate.py run GRID_DIR --algo parl2 --env CartPole-v1 HalfCheetah-v4 --seeds 0 1 2
    python scripts/ablate.py aggregate GRID_DIR

Settings: each --loss_type crossed with its own parameter list: CLIP with every --clip_epsilon,
KLPEN with every --kl_targ, KLFIXED with every --beta, NONE alone (the rows of the PPO paper's
comparison of surrogate objectives), and TRPO with every --max_kl. A JSON --config holds the same
keys (algo, env, loss_type, clip_epsilon, kl_targ, beta, max_kl, seeds, steps, jobs, train_args);
flags given on the command line win. With --algo parl2 (PARL 2.x's PPO) each environment has one
setting, ``parl2``, with its config's defaults (--train_args changes them), and without --steps
each run trains its config's --train_total_steps.

Each run is train.py with its own output directory GRID_DIR/runs/<env>/<setting>/seed<N>, as
many at once as --jobs (default: the number of cores), each then sampling with one worker and
learning on one thread, since the grid already keeps every core busy. Running the same command
again skips finished runs (also those whose progress.csv reached --steps without a checkpoint,
as committed evidence is), resumes killed ones from their newest intact checkpoint, and starts
over the ones killed before they wrote a progress.csv row. A run that has rows or checkpoints but no
intact checkpoint, or a damaged progress.csv, is never overwritten ('kept', for its owner to look
at), nor is a run that another process writes ('busy'). One grid runner runs a grid at a time,
and decides each run again as it starts, under the run's lock (a run finished meanwhile by hand
is not redone). SIGINT or SIGTERM stops the runs under way, each saving a checkpoint, and then
the grid runner, with 128 + the signal.

`aggregate` writes, under GRID_DIR: summary.csv and summary.md (per environment and setting: the
final evaluation reward, averaged over the last 10% of each run's steps, as mean +- sample sd over seeds
with a bootstrap 95% confidence interval, and the normalised score, random policy = 0 and best
setting of the grid = 1, as in the PPO paper, with its mean and interquartile mean across
environments) and curves_<env>.png with the series drawn in curves_<env>.csv (see
mujoco_ppo/analysis/aggregate.py and curves.py).
"""
import argparse
import contextlib
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mujoco_ppo.analysis.curves import add_smooth_flag  # noqa: E402
from mujoco_ppo.algos import load_run_config  # noqa: E402
from mujoco_ppo.cli import OneLineErrorParser  # noqa: E402
from mujoco_ppo.run.config import CLIP, KLFIXED, KLPEN, LOSS_TYPES, NONE, TRPO  # noqa: E402
from mujoco_ppo.run.checkpoint import Checkpointer  # noqa: E402
from mujoco_ppo.run.run_lock import RunLock, holder_pid  # noqa: E402
from mujoco_ppo.run.run_log import (PROGRESS_COLUMNS as PARL1_COLUMNS,  # noqa: E402
                                    STOP_SIGNALS, StopRequest, complete_rows, prepare_output_dir,
                                    stop_at_once)
from mujoco_ppo.parl2.checkpoint import checkpointer as parl2_checkpointer  # noqa: E402
from mujoco_ppo.parl2.train_loop import PROGRESS_COLUMNS as PARL2_COLUMNS  # noqa: E402
from mujoco_ppo.run.schema import NUMBER, check  # noqa: E402
from mujoco_ppo.errors import Interrupted, UserError, WriteFailed  # noqa: E402

PARAMETER = {CLIP: "clip_epsilon", KLPEN: "kl_targ", KLFIXED: "beta", NONE: None,
             TRPO: "max_kl"}
DEFAULTS = {"algo": "parl1", "env": ["HalfCheetah-v2"], "loss_type": [CLIP, KLPEN],
            "clip_epsilon": [0.2], "kl_targ": [0.003], "beta": [1.0], "max_kl": [0.01],
            "seeds": [0, 1, 2], "steps": None,  # parl1: 1M steps; parl2: its config's
            "jobs": os.cpu_count() or 1, "train_args": []}
PARL1_STEPS = 1_000_000
PARL1_ONLY = ("loss_type", *(name for name in PARAMETER.values() if name))


def grid_runs(grid):
    """[(run directory relative to GRID_DIR/runs, train.py flags)] of a grid."""
    if grid["algo"] == "parl2":
        return [(os.path.join(env, "parl2", f"seed{seed}"),
                 ["--algo", "parl2", "--env", env, "--seed", str(seed)])
                for env in grid["env"] for seed in grid["seeds"]]
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


def has_history(run_dir):
    """Whether a run has anything worth keeping: a progress.csv row, or any checkpoint."""
    try:
        with open(os.path.join(run_dir, "progress.csv"), "rb") as f:
            if len(f.read().splitlines()) > 1:
                return True
    except FileNotFoundError:
        pass
    except OSError:
        return True  # unreadable: not ours to judge, and not to delete
    try:
        return bool(Checkpointer(os.path.join(run_dir, "checkpoints")).checkpoints())
    except UserError:  # checkpoints/ is a file: not ours to delete either
        return True


def finished_steps(run_dir, algo):
    """The steps of progress.csv's last complete row (0 without one); UserError naming a
    damaged line."""
    columns = PARL2_COLUMNS if algo == "parl2" else PARL1_COLUMNS
    rows = complete_rows(os.path.join(run_dir, "progress.csv"), math.inf, columns)
    return int(rows[-1]["steps"]) if rows else 0


def finish_line(run_dir, algo, steps):
    """The step count at which a run is finished: ``steps``, or for parl2 the last whole
    rollout within ``steps`` (None: within its config's train_total_steps), as parl2's loop
    runs train_total_steps // (env_num x step_nums) updates."""
    if algo != "parl2":
        return steps
    try:
        config = load_run_config(run_dir)["config"]
    except (UserError, KeyError):  # not started, damaged (its resume says how), or not parl2's
        return steps or math.inf
    total = steps or config["train_total_steps"]
    return total // config["batch_size"] * config["batch_size"]


def checkpointer(run_dir, algo):
    return (parl2_checkpointer(run_dir) if algo == "parl2"
            else Checkpointer(os.path.join(run_dir, "checkpoints")))


@contextlib.contextmanager
def decided(run_dir, steps, algo):
    """(status, note) of a run directory, with its lock held in the block (except 'busy'):
    'done' (its checkpoint, or without one its progress.csv, reached ``steps``), 'resume' (from
    its newest intact checkpoint), 'start' (no progress.csv row and no checkpoint), 'busy'
    (another process writes it, or it cannot be written) or 'kept' (rows or checkpoints but no
    intact checkpoint, or a damaged progress.csv: never overwritten)."""
    try:
        lock = RunLock(run_dir)
    except (UserError, WriteFailed) as exc:  # another writer holds it; a read-only disk
        refusal = str(exc)
    else:
        with contextlib.closing(lock):
            yield status_of(run_dir, steps, algo)
        return
    yield "busy", refusal


def status_of(run_dir, steps, algo):
    finished_at = finish_line(run_dir, algo, steps)
    try:
        _, _, state, skipped = checkpointer(run_dir, algo).load_newest_intact()
    except UserError as no_checkpoint:
        try:
            if finished_steps(run_dir, algo) >= finished_at:  # committed evidence: no checkpoints
                return "done", "finished; its checkpoints are not kept"
        except UserError as damaged:
            return "kept", str(damaged)
        if has_history(run_dir):
            return "kept", f"{no_checkpoint} It is left as it is; move it away to start it over."
        return "start", None
    note = " ".join(skipped) or None
    return ("done" if state["counters"]["steps"] >= finished_at else "resume"), note


def run_status(run_dir, steps, algo="parl1"):
    """decided()'s (status, note), the lock released again."""
    with decided(run_dir, steps, algo) as status:
        return status


def command_for(grid_dir, relative, flags, grid):
    """(train.py command or None, status, note) of a run about to start, decided under its lock
    (a train.py started by hand may have run it meanwhile). A run to start over is cleared under
    that lock too, so that train.py is never given --overwrite: a run begun by another process
    after the lock is released is refused by train.py, not replaced."""
    run_dir = os.path.join(grid_dir, "runs", relative)
    with decided(run_dir, grid["steps"], grid["algo"]) as (status, note):
        if status == "start":  # what it left: a log, config.json, a progress.csv header
            prepare_output_dir(run_dir, overwrite=True)
    if status in ("done", "busy", "kept"):
        return None, status, note
    train = [sys.executable, os.path.join(ROOT, "train.py")]
    steps = ["--train_total_steps", str(grid["steps"])] if grid["steps"] else []
    # the grid keeps every core busy: one learner thread and (parl1) one sampling worker a run
    threads = ["--learner_threads", "1"] if grid["jobs"] > 1 else []
    workers = ["--num_workers", "1"] if grid["jobs"] > 1 and grid["algo"] == "parl1" else []
    if status == "resume":  # the worker count is part of the run and cannot change
        command = train + ["--resume", run_dir] + steps + threads
    else:
        command = (train + flags + steps + ["--output_dir", run_dir] + workers + threads
                   + list(grid["train_args"]))
    return command, status, note


def lock_grid(grid_dir):
    """One grid runner per grid directory (a second one would start the runs the first is
    about to start: each run's lock is taken by its train.py only after its imports)."""
    try:
        return RunLock(grid_dir)
    except UserError:
        pid = holder_pid(grid_dir)
        who = f"process {pid}" if pid else "another process"
        raise UserError(f"{grid_dir} is being run by {who}; one grid runner per grid (wait for "
                        f"it to end, or stop it first).") from None


def run_grid(grid_dir, grid):
    runs = grid_runs(grid)
    grid_lock = lock_grid(grid_dir)
    recorded = {key: value for key, value in grid.items()  # a parl2 grid has no parl1 axes
                if grid["algo"] == "parl1" or key not in PARL1_ONLY}
    with open(os.path.join(grid_dir, "grid.json"), "w") as f:
        json.dump(recorded, f, indent=2)
    stop = StopRequest()  # the first SIGINT/SIGTERM stops the runs under way (a checkpoint each)
    running = []
    try:
        failed = run_all(grid_dir, grid, runs, running, stop)
    except Interrupted:  # a second signal before the runs under way were told of the first
        failed = None
    finally:  # however the grid runner ends, no run goes on without it
        stop_runs(running, stop.signal or signal.SIGTERM)
        for signum in STOP_SIGNALS:  # the runs are told: a further signal ends the runner at once
            signal.signal(signum, stop_at_once)
        grid_lock.close()
    if stop.signal is not None:
        print(f"ablate.py: stopped by signal {stop.signal}; "
              f"{what_stopped_runs_kept(grid_dir, grid['algo'], running)}; run the same "
              f"command again to continue the grid.", file=sys.stderr)
        return 128 + stop.signal
    if failed:
        print(f"ablate.py: {len(failed)} runs failed or were left alone ({', '.join(failed)}); "
              f"see above and {grid_dir}/logs/.", file=sys.stderr)
        return 1
    return 0


def run_all(grid_dir, grid, runs, running, stop):
    """Run the grid's runs, ``grid['jobs']`` at once, each in ``running`` while it runs, until
    all have ended or ``stop`` is requested; returns the runs that failed or were left alone."""
    pending, failed = [], []
    for relative, flags in runs:  # what there is to do; each run is decided again as it starts
        status, note = run_status(os.path.join(grid_dir, "runs", relative), grid["steps"],
                                  grid["algo"])
        print(f"{status:>7}  {relative}" + (f"  ({note})" if note else ""))
        if status in ("start", "resume"):
            pending.append((relative, flags))
        elif status in ("busy", "kept"):
            failed.append(relative)
    print(f"{len(runs)} runs, {len(pending)} to run, {grid['jobs']} at once", flush=True)
    while (pending or running) and stop.signal is None:
        while pending and len(running) < grid["jobs"] and stop.signal is None:
            relative, flags = pending.pop(0)
            command, status, note = command_for(grid_dir, relative, flags, grid)
            if command is None:
                print(f"{status:>7}  {relative}  (meanwhile" + (f"; {note})" if note else ")"),
                      flush=True)
                if status in ("busy", "kept"):
                    failed.append(relative)
                continue
            running.append(launch(grid_dir, relative, command))
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
    return failed


def launch(grid_dir, relative, command):
    """(relative, process, log file, start time) of a train.py run, its output in
    GRID_DIR/logs. In a session of its own: a Ctrl-C at the terminal reaches only the grid
    runner, which passes it on once (a second one would stop the run without its checkpoint)."""
    log_dir = os.path.join(grid_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    log = open(os.path.join(log_dir, relative.replace(os.sep, "_") + ".out"), "a")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return relative, proc, log, time.time()


def stop_runs(running, signum):
    """Pass ``signum`` on to the runs under way and wait for them: each stops after its
    iteration and saves a checkpoint (a further signal, passed on too, stops them at once)."""
    for _, proc, _, _ in running:
        proc.send_signal(signum)
    for _, proc, log, _ in running:
        while proc.poll() is None:
            try:
                proc.wait()
            except Interrupted as again:
                for _, other, _, _ in running:
                    other.send_signal(again.signum)
        log.close()


def what_stopped_runs_kept(grid_dir, algo, stopped):
    if not stopped:
        return "no run was under way"
    kept = []
    for relative, _, _, _ in stopped:
        intact = checkpointer(os.path.join(grid_dir, "runs", relative), algo).intact_checkpoints()
        kept.append(f"{relative} keeps {os.path.basename(intact[0][1])}" if intact
                    else f"{relative} had saved no checkpoint yet")
    return f"the runs under way stopped ({'; '.join(kept)})"


GRID_SCHEMA = {"algo?": str, "env?": [str], "loss_type?": [str], "clip_epsilon?": [NUMBER],
               "kl_targ?": [NUMBER], "beta?": [NUMBER], "max_kl?": [NUMBER], "seeds?": [int],
               "steps?": NUMBER,
               "jobs?": int, "train_args?": [str]}


def load_grid(args):
    """The grid: DEFAULTS, then --config's keys, then the flags; UserError naming the first
    key whose value cannot work."""
    grid = dict(DEFAULTS)
    if args.config:
        try:
            with open(args.config, "rb") as f:
                config = json.loads(f.read().decode())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read --config {args.config}: {exc}.") from None
        check(config, GRID_SCHEMA, f"--config {args.config}")
        unknown = sorted(set(config) - set(DEFAULTS))
        if unknown:
            raise UserError(f"--config {args.config} has an unknown key {unknown[0]!r}; the keys "
                            f"are {', '.join(DEFAULTS)}.")
        grid.update(config)
    given = set(config if args.config else ())
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            grid[key] = value
            given.add(key)
    if grid["algo"] not in ("parl1", "parl2"):
        raise UserError(f"unknown algo {grid['algo']!r}; choose parl1 or parl2.")
    if grid["algo"] == "parl2":
        parl1_only = [key for key in PARL1_ONLY if key in given]
        if parl1_only:
            raise UserError(f"--{parl1_only[0]} is a setting of PARL 1.x's PPO; a parl2 grid has "
                            f"one setting per environment (its flags go in --train_args).")
    elif grid["steps"] is None:
        grid["steps"] = PARL1_STEPS
    unknown = [lt for lt in grid["loss_type"] if lt not in LOSS_TYPES]
    if unknown:
        raise UserError(f"unknown loss type {unknown[0]!r}; choose from {', '.join(LOSS_TYPES)}.")
    steps = grid["steps"]
    if steps is not None:
        if not (math.isfinite(steps) and steps == int(steps) and steps >= 1):
            raise UserError(f"steps must be a positive whole number, got {steps}.")
        grid["steps"] = int(steps)
    if grid["jobs"] < 1 or not grid["seeds"] or not all(0 <= s < 2**32 for s in grid["seeds"]):
        raise UserError("jobs must be at least 1 and seeds a non-empty list of seeds in "
                        "[0, 2**32).")
    return grid


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or continue) a grid")
    run.add_argument("grid_dir")
    run.add_argument("--config", help="JSON file with the grid's keys")
    run.add_argument("--algo", choices=["parl1", "parl2"],
                     help="PARL 1.x's PPO (default) or PARL 2.x's (train.py --algo)")
    run.add_argument("--env", nargs="+", help=f"environment ids (default: {DEFAULTS['env']})")
    run.add_argument("--loss_type", nargs="+", help=f"objectives (default: {DEFAULTS['loss_type']})")
    run.add_argument("--clip_epsilon", nargs="+", type=float, help="CLIP ranges (default: 0.2)")
    run.add_argument("--kl_targ", nargs="+", type=float, help="KLPEN targets (default: 0.003)")
    run.add_argument("--beta", nargs="+", type=float, help="KLFIXED coefficients (default: 1.0)")
    run.add_argument("--max_kl", nargs="+", type=float, help="TRPO KL radii (default: 0.01)")
    run.add_argument("--seeds", nargs="+", type=int, help="seeds (default: 0 1 2)")
    run.add_argument("--steps", type=float,
                     help="env steps per run (default: 1e6; parl2: its config's)")
    run.add_argument("--jobs", type=int, help="runs at once (default: the number of cores)")
    run.add_argument("--train_args", nargs=argparse.REMAINDER,
                     help="further train.py flags, given to every run (last on the line)")
    agg = sub.add_parser("aggregate", help="tables and curves of a grid's runs")
    agg.error = OneLineErrorParser.error.__get__(agg)  # a bad aggregate flag: one line, exit 2
    agg.add_argument("grid_dir")
    add_smooth_flag(agg)
    args = p.parse_args(argv)
    if args.command == "run":
        return run_grid(args.grid_dir, load_grid(args))
    from mujoco_ppo.analysis.aggregate import aggregate
    aggregate(args.grid_dir, args.smooth)  # bad input: UserError, exit 2
    return 0


if __name__ == "__main__":
    for signum in STOP_SIGNALS:  # run_grid stops its runs first
        signal.signal(signum, stop_at_once)
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"ablate.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except WriteFailed as exc:
        print(f"ablate.py: {exc}.", file=sys.stderr)
        sys.exit(1)
    except Interrupted as exc:
        print(f"ablate.py: interrupted by signal {exc.signum}; run the same command again.",
              file=sys.stderr)
        sys.exit(128 + exc.signum)
