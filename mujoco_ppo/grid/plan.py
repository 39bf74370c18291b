"""A grid of runs: its settings (environments x its PPO's settings x seeds: PARL 1.x's objectives
and their parameters, PARL 2.x's one setting per environment; each PPO's spec says its own), the
train.py flags of each run, and where each run stands (done, to resume, to start, busy or kept),
decided under the run's lock. The runner is runner.py; the command line, ablate.py."""
import contextlib
import json
import math
import os

from ..algorithms import ALGORITHMS, DEFAULT, algo_flags
from ..cli import MAX_JOBS, MAX_STEPS, shown
from ..errors import UserError, WriteFailed
from ..run.checkpoint import resume_point
from ..run.run_lock import RunLock
from ..run.run_log import complete_rows, open_regular
from ..run.schema import NUMBER, check

# every PPO's axes, each with its defaults (a grid of another PPO refuses them)
AXES = {axis: values for spec in ALGORITHMS.values() for axis, values in spec.grid_axes.items()}
DEFAULTS = {"algo": DEFAULT.name, "env": [DEFAULT.default_env], **AXES,
            "seeds": [0, 1, 2], "steps": None,  # each PPO's spec fills in its own
            "jobs": min(os.cpu_count() or 1, MAX_JOBS), "train_args": []}


def algorithm(grid):
    """The spec of the grid's PPO."""
    return ALGORITHMS[grid["algo"]]


def grid_runs(grid):
    """[(run directory relative to GRID_DIR/runs, train.py flags)] of a grid."""
    spec = algorithm(grid)
    return [(os.path.join(env, setting, f"seed{seed}"),
             algo_flags(spec) + ["--env", env] + flags + ["--seed", str(seed)])
            for env in grid["env"] for setting, _, flags in spec.grid_settings(grid)
            for seed in grid["seeds"]]


def plan_text(grid):
    """What a grid runs, said before its first run: every environment, setting and seed, and
    the total."""
    labels = [label for _, label, _ in algorithm(grid).grid_settings(grid)]
    envs, seeds = grid["env"], grid["seeds"]
    steps = f", {grid['steps']:,} steps each" if grid["steps"] else ""

    def count(n, word):
        return f"{n} {word}{'s' if n != 1 else ''}"
    return (f"plan: {count(len(envs), 'environment')} x {count(len(labels), 'setting')} x "
            f"{count(len(seeds), 'seed')} = {count(len(envs) * len(labels) * len(seeds), 'run')}"
            f"{steps}\n  environments: {', '.join(envs)}\n  settings: {', '.join(labels)}\n"
            f"  seeds: {', '.join(map(str, seeds))}")


def has_history(run_dir, algo=DEFAULT.name):
    """Whether a run (of the PPO named ``algo``) has anything worth keeping: a progress.csv
    row, or any checkpoint."""
    try:
        with open_regular(os.path.join(run_dir, "progress.csv"), "rb") as f:
            if len(f.read().splitlines()) > 1:
                return True
    except FileNotFoundError:
        pass
    except (OSError, UserError):
        return True  # unreadable, or no regular file: not ours to judge, and not to delete
    try:
        return bool(checkpointer(run_dir, algo).checkpoints())
    except UserError:  # checkpoints/ is a file: not ours to delete either
        return True


def finished_steps(run_dir, algo):
    """The steps of progress.csv's last complete row (0 without one); UserError naming a
    damaged line."""
    rows = complete_rows(os.path.join(run_dir, "progress.csv"), math.inf,
                         ALGORITHMS[algo].columns)
    return int(rows[-1]["steps"]) if rows else 0


def checkpointer(run_dir, algo):
    return ALGORITHMS[algo].checkpointer(run_dir)


def resume_checkpoint(run_dir, algo):
    """(path, arrays, state, skipped) of the checkpoint that train.py --resume continues: the
    newest intact one that progress.csv's rows reach; where no checkpoint fits the rows, or a
    row is damaged, the newest intact one (train.py --resume then says what is wrong).
    UserError if there is no intact checkpoint."""
    checkpoints = checkpointer(run_dir, algo)
    try:
        return resume_point(checkpoints, os.path.join(run_dir, "progress.csv"),
                            ALGORITHMS[algo].columns)[:4]
    except UserError:
        return checkpoints.load_newest_intact()


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
    finished_at = ALGORITHMS[algo].finish_line(run_dir, steps)
    try:
        _, _, state, skipped = resume_checkpoint(run_dir, algo)
    except UserError as no_checkpoint:
        try:
            if finished_steps(run_dir, algo) >= finished_at:  # committed evidence: no checkpoints
                return "done", "finished; its checkpoints are not kept"
        except UserError as damaged:
            return "kept", str(damaged)
        if has_history(run_dir, algo):
            return "kept", f"{no_checkpoint} It is left as it is; move it away to start it over."
        return "start", None
    note = " ".join(skipped) or None
    return ("done" if state["counters"]["steps"] >= finished_at else "resume"), note


def run_status(run_dir, steps, algo=DEFAULT.name):
    """decided()'s (status, note), the lock released again."""
    with decided(run_dir, steps, algo) as status:
        return status



GRID_SCHEMA = {"algo?": str, "env?": [str],
               # an axis's values are of its defaults' kind: names or numbers
               **{f"{axis}?": [str if isinstance(values[0], str) else NUMBER]
                  for axis, values in AXES.items()},
               "seeds?": [int], "steps?": NUMBER, "jobs?": int, "train_args?": [str]}

# flags the grid gives each run itself (--train_args may not override them), with where they go
GRID_SETS = {"--algo": "give ablate.py --algo", "--env": "give ablate.py --env",
             "--seed": "give ablate.py --seeds", "--train_total_steps": "give ablate.py --steps",
             **{f"--{axis}": f"give ablate.py --{axis}" for axis in AXES},
             **dict.fromkeys(("--output_dir", "--resume", "--overwrite"),
                             "the grid directory holds every run")}
# ablate.py run's own flags, which after --train_args would reach every train.py instead
GRID_RUNNER_FLAGS = ("--config", "--seeds", "--steps", "--jobs", "--xparl_addr", "--xparl_timeout")


def check_train_args(train_args):
    """UserError for the first --train_args flag that the grid sets itself or that belongs to
    ablate.py (--train_args takes the rest of the line: a tired user's --jobs lands there)."""
    for arg in train_args:
        flag = arg.split("=", 1)[0]
        if flag in GRID_RUNNER_FLAGS:
            raise UserError(f"{flag} is ablate.py's own flag, but after --train_args it goes to "
                            f"every train.py: put it before --train_args, which takes the rest "
                            f"of the line.")
        if flag in GRID_SETS:
            raise UserError(f"--train_args cannot hold {flag}, which the grid sets for each run "
                            f"itself; {GRID_SETS[flag]}.")


def load_grid(args):
    """The grid: DEFAULTS, then --config's keys, then the flags; UserError naming the first
    key whose value cannot work."""
    grid = dict(DEFAULTS)
    if args.config:
        try:
            with open_regular(args.config, "rb", hint="--config names a JSON file") as f:
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
    check_train_args(grid["train_args"])
    if grid["algo"] not in ALGORITHMS:
        raise UserError(f"unknown algo {grid['algo']!r}; choose {' or '.join(ALGORITHMS)}.")
    spec = algorithm(grid)
    foreign = [key for key in AXES if key in given and key not in spec.grid_axes]
    if foreign:
        owner = next(other for other in ALGORITHMS.values() if foreign[0] in other.grid_axes)
        raise UserError(f"--{foreign[0]} is a setting of {owner.title}; a {spec.name} grid "
                        f"{spec.grid_shape}.")
    spec.complete_grid(grid, given)
    steps = grid["steps"]
    if steps is not None:
        if not (math.isfinite(steps) and steps == int(steps) and steps >= 1):
            raise UserError(f"steps must be a positive whole number, got {steps}.")
        if steps > MAX_STEPS:
            raise UserError(f"steps must be at most {shown(MAX_STEPS)}, got {steps:g}.")
        grid["steps"] = int(steps)
    if grid["jobs"] < 1 or not grid["seeds"] or not all(0 <= s < 2**32 for s in grid["seeds"]):
        raise UserError("jobs must be at least 1 and seeds a non-empty list of seeds in "
                        "[0, 2**32).")
    if grid["jobs"] > MAX_JOBS:
        raise UserError(f"jobs must be at most {MAX_JOBS} (each is a train.py process), got "
                        f"{shown(grid['jobs'])}.")
    check_env_ids(grid)
    return grid


def check_env_ids(grid):
    """UserError, before any run starts, for an environment id that train.py would refuse: an
    unknown one with the closest known ids, one whose code does not import here, an Atari game
    in a grid of PARL 1.x's PPO (train.py's own sentence, said once rather than by every run)."""
    from ..envs.make import resolve_env_id

    for env_id in grid["env"]:
        try:
            algorithm(grid).accept_env(env_id)
            resolve_env_id(env_id)
        except UserError as exc:
            raise UserError(f"--env {env_id}: {exc}") from None


