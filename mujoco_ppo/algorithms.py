"""The registry of the PPOs by the names ``--algo`` gives them: parl1 (PARL 1.x's, the default)
and parl2 (PARL 2.x's), each described by its spec (mujoco_ppo/algorithm_spec.py's fields, filled in
parl1/spec.py and parl2/spec.py). Whatever differs between them (train.py's loop, a run's
files and checkpoints, evaluation, a grid's settings, how results are read) is asked of the
spec of a command line's --algo or of a run's config.json, here. Above both PPOs, so that
neither imports the other."""
import argparse
import os

from .cli import OneLineErrorParser
from .errors import UserError
from .parl1.spec import SPEC as PARL1
from .parl2.spec import SPEC as PARL2
from .run.run_log import refuse_irregular
from .run.settings import read_run_config, resuming

ALGORITHMS = {spec.name: spec for spec in (PARL1, PARL2)}
# train.py's without --algo, and the one whose config.json has no "algo" field (its runs were
# written before there was a second PPO)
DEFAULT = PARL1


def algorithm_of(config, path="config.json"):
    """The spec of the PPO that wrote ``config`` (a run's config.json, read from ``path``):
    its "algo" field, absent for the default's. UserError naming the field otherwise."""
    algo = config.get("algo") if isinstance(config, dict) else None
    if algo is None:
        return DEFAULT
    spec = ALGORITHMS.get(algo) if isinstance(algo, str) else None
    if spec is None or spec is DEFAULT:
        named = " or ".join(f'"{name}"' for name, other in ALGORITHMS.items()
                            if other is not DEFAULT)
        raise UserError(f"{path}: field 'algo' should be {named} or absent ({DEFAULT.title}), "
                        f"not {algo!r:.40}.")
    return spec


def common_algorithm(runs):
    """The spec of the PPO that made every one of ``runs`` (analysis/results.py's), the
    default's where they are not all one PPO's."""
    specs = {algorithm_of(run["config"]).name for run in runs}
    return ALGORITHMS[specs.pop()] if len(specs) == 1 else DEFAULT


def algo_flags(spec):
    """The train.py flags that choose ``spec``'s PPO: none for the default."""
    return [] if spec is DEFAULT else ["--algo", spec.name]


def split_algo(argv):
    """(the spec of ``--algo``, the other arguments): parl1 (PARL 1.x's PPO, the default) or
    parl2 (PARL 2.x's PPO, mujoco_ppo/parl2/config.py's flags). Without --algo, ``--resume DIR``
    continues the PPO that DIR's config.json names; a config.json that names none of them is
    refused, whichever --algo is given."""
    pre = OneLineErrorParser(prog="train.py", add_help=False, allow_abbrev=False)
    pre.add_argument("--algo", choices=tuple(ALGORITHMS), default=None)
    known, rest = pre.parse_known_args(argv)
    probe = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    probe.add_argument("--resume")
    run_dir = probe.parse_known_args(rest)[0].resume
    algo = known.algo
    if run_dir:
        if algo is None:
            refuse_irregular(os.path.join(run_dir, "config.json"))  # a FIFO would block here
        try:
            saved, path, _ = read_run_config(run_dir)  # whose own resume checks the rest
        except UserError:
            pass  # no run to resume, or not readable: the PPO's own resume says so
        else:
            with resuming():
                ran = algorithm_of(saved, path)
            algo = algo or ran.name
    return ALGORITHMS[algo] if algo else DEFAULT, rest


def load_run_config(run_dir):
    """config.json of the run in ``run_dir``, of either PPO (parl2's says "algo": "parl2"),
    checked against what this version writes: every field's type, and the settings' values as
    train.py checks its flags. UserError naming the file and the field otherwise. Every reader
    of a run's config.json (resume, evaluate.py, the analysis tools) goes through here."""
    saved, path, _ = read_run_config(run_dir)
    algorithm_of(saved, path).check_run_config(saved, path)
    return saved
