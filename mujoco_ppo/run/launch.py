"""How a grid starts one training run as a process of its own, here or on a cluster's machine:
this interpreter, running the training command of the very mujoco_ppo this process imported."""
import os
import pathlib
import sys
import sysconfig

import mujoco_ppo

TRAIN = [sys.executable, "-m", "mujoco_ppo", "train"]


def train_environment(base=None):
    """``base`` (os.environ by default) for a TRAIN process. PYTHONSAFEPATH=1: started with -m,
    Python would put the working directory first on the run's path, where a folder named
    mujoco_ppo would be imported instead. The folder holding this process's mujoco_ppo goes
    first on PYTHONPATH where it is not an installation's own (a checkout nobody installed, or
    scripts/ablate.py's), so that the run uses the same package."""
    env = dict(os.environ if base is None else base)
    env["PYTHONSAFEPATH"] = "1"
    home = str(pathlib.Path(mujoco_ppo.__path__[0]).resolve().parent)
    installed = {str(pathlib.Path(sysconfig.get_paths()[key]).resolve())
                 for key in ("purelib", "platlib")}
    if home not in installed:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [home, env.get("PYTHONPATH")]))
    return env
