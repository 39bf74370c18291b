"""The two PPOs by the names ``--algo`` gives them (parl1: PARL 1.x's, parl2: PARL 2.x's): which
one a command line or a run directory means, and a run's config.json checked by the PPO that
wrote it. Above both PPOs, so that neither imports the other."""
import argparse
import os

from .cli import OneLineErrorParser
from .errors import UserError
from .parl1 import flags as parl1_flags
from .parl2 import config as parl2_config
from .run.run_log import refuse_irregular
from .run.settings import read_run_config

CHECK_RUN_CONFIG = {"parl1": parl1_flags.check_run_config, "parl2": parl2_config.check_run_config}


def split_algo(argv):
    """(``--algo`` value, the other arguments): parl1 (PARL 1.x's PPO, the default) or parl2
    (PARL 2.x's PPO, mujoco_ppo/parl2/config.py's flags). Without --algo, ``--resume DIR``
    continues the algorithm that DIR's config.json names."""
    pre = OneLineErrorParser(prog="train.py", add_help=False, allow_abbrev=False)
    pre.add_argument("--algo", choices=("parl1", "parl2"), default=None)
    known, rest = pre.parse_known_args(argv)
    if known.algo is None:
        probe = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
        probe.add_argument("--resume")
        run_dir = probe.parse_known_args(rest)[0].resume
        if run_dir:
            refuse_irregular(os.path.join(run_dir, "config.json"))  # a FIFO would block here
            try:
                known.algo = read_run_config(run_dir)[2]  # whose own resume checks the rest
            except UserError:
                pass  # no run to resume, or not readable: PARL 1.x's checks report it
    return known.algo or "parl1", rest


def load_run_config(run_dir):
    """config.json of the run in ``run_dir``, of either PPO (parl2's says "algo": "parl2"),
    checked against what this version writes: every field's type, and the settings' values as
    train.py checks its flags. UserError naming the file and the field otherwise. Every reader
    of a run's config.json (resume, evaluate.py, the analysis tools) goes through here."""
    saved, path, algo = read_run_config(run_dir)
    CHECK_RUN_CONFIG[algo](saved, path)
    return saved
