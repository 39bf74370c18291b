"""A grid of runs: its settings (environments x objectives x seeds, or parl2's one setting per
environment), the train.py flags of each run, and where each run stands (done, to resume, to
start, busy or kept), decided under the run's lock. The runner is grid_runner.py; the command
line, grid/ablate.py."""
import contextlib
import json
import math
import os

from ..algos import load_run_config
from ..cli import MAX_JOBS, MAX_STEPS, shown
from ..errors import UserError, WriteFailed
from ..parl1.config import DEFAULTS as PARL1
from ..parl1.objectives import CLIP, KLFIXED, KLPEN, LOSS_TYPES, NONE, TRPO
from ..parl2.checkpoint import checkpointer as parl2_checkpointer
from ..parl2.train_loop import PROGRESS_COLUMNS as PARL2_COLUMNS
from ..run.checkpoint import Checkpointer, resume_point
from ..run.run_lock import RunLock
from ..run.run_log import PROGRESS_COLUMNS as PARL1_COLUMNS
from ..run.run_log import complete_rows, open_regular
from ..run.schema import NUMBER, check

PARAMETER = {CLIP: "clip_epsilon", KLPEN: "kl_targ", KLFIXED: "beta", NONE: None,
             TRPO: "max_kl"}
# each objective's parameter at its train.py default unless the grid lists values
DEFAULTS = {"algo": "parl1", "env": [PARL1.env], "loss_type": [CLIP, KLPEN],
            **{name: [getattr(PARL1, name)] for name in PARAMETER.values() if name},
            "seeds": [0, 1, 2], "steps": None,  # parl1: 1M steps; parl2: its config's
            "jobs": min(os.cpu_count() or 1, MAX_JOBS), "train_args": []}
PARL1_STEPS = 1_000_000
PARL1_ONLY = ("loss_type", *(name for name in PARAMETER.values() if name))


def settings(grid):
    """[(directory name, label, train.py flags)] of a grid's settings for one environment: each
    --loss_type with each value of its parameter (NONE alone), or parl2's one setting (its
    flags are its config's)."""
    if grid["algo"] == "parl2":
        return [("parl2", "parl2", [])]
    found = []
    for loss_type in grid["loss_type"]:
        name = PARAMETER[loss_type]
        for value in grid[name] if name else [None]:
            if name is None:
                found.append((loss_type, loss_type, ["--loss_type", loss_type]))
            else:
                found.append((f"{loss_type}_{name}{value:g}", f"{loss_type} {name}={value:g}",
                              ["--loss_type", loss_type, f"--{name}", repr(value)]))
    return found


def grid_runs(grid):
    """[(run directory relative to GRID_DIR/runs, train.py flags)] of a grid."""
    algo = ["--algo", "parl2"] if grid["algo"] == "parl2" else []
    return [(os.path.join(env, setting, f"seed{seed}"),
             algo + ["--env", env] + flags + ["--seed", str(seed)])
            for env in grid["env"] for setting, _, flags in settings(grid)
            for seed in grid["seeds"]]


def plan_text(grid):
    """What a grid runs, said before its first run: every environment, setting and seed, and
    the total."""
    labels = [label for _, label, _ in settings(grid)]
    envs, seeds = grid["env"], grid["seeds"]
    steps = f", {grid['steps']:,} steps each" if grid["steps"] else ""

    def count(n, word):
        return f"{n} {word}{'s' if n != 1 else ''}"
    return (f"plan: {count(len(envs), 'environment')} x {count(len(labels), 'setting')} x "
            f"{count(len(seeds), 'seed')} = {count(len(envs) * len(labels) * len(seeds), 'run')}"
            f"{steps}\n  environments: {', '.join(envs)}\n  settings: {', '.join(labels)}\n"
            f"  seeds: {', '.join(map(str, seeds))}")


def has_history(run_dir):
    """Whether a run has anything worth keeping: a progress.csv row, or any checkpoint."""
    try:
        with open_regular(os.path.join(run_dir, "progress.csv"), "rb") as f:
            if len(f.read().splitlines()) > 1:
                return True
    except FileNotFoundError:
        pass
    except (OSError, UserError):
        return True  # unreadable, or no regular file: not ours to judge, and not to delete
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


def resume_checkpoint(run_dir, algo):
    """(path, arrays, state, skipped) of the checkpoint that train.py --resume continues: the
    newest intact one that progress.csv's rows reach; where no checkpoint fits the rows, or a
    row is damaged, the newest intact one (train.py --resume then says what is wrong).
    UserError if there is no intact checkpoint."""
    checkpoints = checkpointer(run_dir, algo)
    try:
        return resume_point(checkpoints, os.path.join(run_dir, "progress.csv"),
                            PARL2_COLUMNS if algo == "parl2" else PARL1_COLUMNS)[:4]
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
    finished_at = finish_line(run_dir, algo, steps)
    try:
        _, _, state, skipped = resume_checkpoint(run_dir, algo)
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



GRID_SCHEMA = {"algo?": str, "env?": [str], "loss_type?": [str], "clip_epsilon?": [NUMBER],
               "kl_targ?": [NUMBER], "beta?": [NUMBER], "max_kl?": [NUMBER], "seeds?": [int],
               "steps?": NUMBER,
               "jobs?": int, "train_args?": [str]}


def implied_objectives(given):
    """The objectives that the given parameter axes (--kl_targ: KLPEN, --beta: KLFIXED,
    --clip_epsilon: CLIP, --max_kl: TRPO) imply when --loss_type is not given: an axis of one
    objective is an ablation of that objective, not of the default pair. [] otherwise."""
    if "loss_type" in given:
        return []
    return [loss_type for loss_type, name in PARAMETER.items() if name in given]


# flags the grid gives each run itself (--train_args may not override them), with where they go
GRID_SETS = {"--algo": "give ablate.py --algo", "--env": "give ablate.py --env",
             "--seed": "give ablate.py --seeds", "--train_total_steps": "give ablate.py --steps",
             **{f"--{name}": f"give ablate.py --{name}"
                for name in ("loss_type", *PARAMETER.values()) if name},
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
    if grid["algo"] not in ("parl1", "parl2"):
        raise UserError(f"unknown algo {grid['algo']!r}; choose parl1 or parl2.")
    if grid["algo"] == "parl2":
        parl1_only = [key for key in PARL1_ONLY if key in given]
        if parl1_only:
            raise UserError(f"--{parl1_only[0]} is a setting of PARL 1.x's PPO; a parl2 grid has "
                            f"one setting per environment (its flags go in --train_args).")
    else:
        if grid["steps"] is None:
            grid["steps"] = PARL1_STEPS
        implied = implied_objectives(given)
        if implied:
            grid["loss_type"] = implied
    unknown = [lt for lt in grid["loss_type"] if lt not in LOSS_TYPES]
    if unknown:
        raise UserError(f"unknown loss type {unknown[0]!r}; choose from {', '.join(LOSS_TYPES)}.")
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
    from ..envs.make import atari_refusal, is_atari, resolve_env_id

    if grid["algo"] == "parl2":
        from ..parl2 import env_utils  # noqa: F401  (registers the Atari ids)
    for env_id in grid["env"]:
        try:
            if grid["algo"] != "parl2" and is_atari(env_id):
                raise atari_refusal(env_id)
            resolve_env_id(env_id)
        except UserError as exc:
            raise UserError(f"--env {env_id}: {exc}") from None


