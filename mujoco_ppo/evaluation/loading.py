"""Loading a run to evaluate, before Paddle is imported: bad paths and damaged files are refused
fast."""
import os
import re
import sys

from ..errors import UserError
from .pretrained import is_pretrained
from .pretrained import load as load_pretrained


def load(path, prog="evaluate.py"):
    """(config.json, checkpoint directory, arrays, info) of what evaluation reads (the policy's
    weights and observation statistics, as its PPO's policy_arrays gives them) for a run
    directory (its newest intact checkpoint, saying on stderr which newer ones were damaged), one
    checkpoint directory (that one) or an exported policy (results/pretrained/TASK)."""
    if not os.path.isdir(path):
        what = "is a file" if os.path.exists(path) else "does not exist"
        raise UserError(f"--checkpoint {path} {what}; give a run directory, one of its "
                        f"checkpoints/iter_NNNNNN directories or an exported policy.")
    if is_pretrained(path):
        config, arrays, info = load_pretrained(path)
        return config, path, arrays, info
    from ..algorithms import algorithm_of

    config, checkpoint_dir, arrays, state = load_checkpoint(path, prog)
    return config, checkpoint_dir, *algorithm_of(config).policy_arrays(arrays, state)


def load_checkpoint(path, prog):
    """(config.json, checkpoint directory, arrays, state) of a run directory's newest intact
    checkpoint, or of one checkpoint directory."""
    from ..algorithms import algorithm_of, load_run_config
    from ..run.checkpoint import load as load_checkpoint_files

    single = re.fullmatch(r"iter_\d+", os.path.basename(os.path.normpath(path)))
    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(path))) if single else path
    config = load_run_config(run_dir)
    checkpoints = algorithm_of(config).checkpointer(run_dir)
    if single:
        return config, path, *load_checkpoint_files(path, checkpoints.schema,
                                                    checkpoints.required_arrays)
    newest, arrays, state, skipped = checkpoints.load_newest_intact()
    for note in skipped:
        print(f"{prog}: {note}", file=sys.stderr)
    return config, newest, arrays, state


def describe(config, checkpoint_dir, info):
    """What the summary line says was evaluated."""
    return f"{config['env_id']}, checkpoint {checkpoint_dir} (step {info['steps']})"
