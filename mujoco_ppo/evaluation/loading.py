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
    from ..algos import load_run_config
    from ..run.checkpoint import load as load_checkpoint

    if not os.path.isdir(path):
        what = "is a file" if os.path.exists(path) else "does not exist"
        raise UserError(f"--checkpoint {path} {what}; give a run directory or one of its "
                        f"checkpoints/iter_NNNNNN directories.")
    single = re.fullmatch(r"iter_\d+", os.path.basename(os.path.normpath(path)))
    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(path))) if single else path
    config = load_run_config(run_dir)
    if config.get("algo") == "parl2":  # PARL 2.x's PPO (train.py --algo parl2)
        from ..parl2.checkpoint import checkpointer
    else:
        from ..parl1.checkpoint import checkpointer
    checkpoints = checkpointer(run_dir)
    if single:
        return run_dir, config, path, *load_checkpoint(path, checkpoints.schema,
                                                       checkpoints.required_arrays)
    newest, arrays, state, skipped = checkpoints.load_newest_intact()
    for note in skipped:
        print(f"{prog}: {note}", file=sys.stderr)
    return run_dir, config, newest, arrays, state


def describe(config, checkpoint_dir, state):
    """What the summary line says was evaluated."""
    return f"{config['env_id']}, checkpoint {checkpoint_dir} (step {state['counters']['steps']})"
