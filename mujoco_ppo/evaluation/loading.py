"""Loading a run to evaluate, before Paddle is imported: bad paths and damaged files are refused
fast."""
import os
import re
import sys

from ..errors import UserError


def load(path, prog="evaluate.py"):
    """(run directory, its config.json, checkpoint directory, arrays, state) for a run directory
    (its newest intact checkpoint, saying on stderr which newer ones were damaged) or one
    checkpoint directory (that one)."""
    from ..run import checkpoint
    from ..run.config import load_run_config

    if not os.path.isdir(path):
        what = "is a file" if os.path.exists(path) else "does not exist"
        raise UserError(f"--checkpoint {path} {what}; give a run directory or one of its "
                        f"checkpoints/iter_NNNNNN directories.")
    single = re.fullmatch(r"iter_\d+", os.path.basename(os.path.normpath(path)))
    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(path))) if single else path
    config = load_run_config(run_dir)
    if config.get("algo") == "parl2":  # PARL 2.x's PPO (train.py --algo parl2)
        from ..parl2.checkpoint import REQUIRED_ARRAYS, STATE_SCHEMA
        checks = (STATE_SCHEMA, REQUIRED_ARRAYS)
    else:
        checks = (checkpoint.STATE_SCHEMA, checkpoint.REQUIRED_ARRAYS)
    if single:
        return run_dir, config, path, *checkpoint.load(path, *checks)
    newest, arrays, state, skipped = checkpoint.Checkpointer(
        os.path.join(path, "checkpoints"), *checks).load_newest_intact()
    for note in skipped:
        print(f"{prog}: {note}", file=sys.stderr)
    return run_dir, config, newest, arrays, state


def describe(config, checkpoint_dir, state):
    """What the summary line says was evaluated."""
    return f"{config['env_id']}, checkpoint {checkpoint_dir} (step {state['counters']['steps']})"
