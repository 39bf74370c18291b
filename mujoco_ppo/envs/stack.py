"""Which physics a run uses: config.json's record of it, the first line of train.log, and the
refusal to continue or evaluate a run in a Python whose stack makes another environment of it
(a run of the literal -v2 stack under .venv, or a -v2 run that ran as -v4 under .venv-v2)."""
import re

import gymnasium
import mujoco

from ..errors import UserError
from ..run.settings import read_run_config
from .gym_v2 import GymMujocoPyEnv, is_literal, literal_stack_installed

_OLD_MUJOCO_ID = re.compile(r"^[A-Za-z0-9]+-v[23]$")  # Gym's literal ids, as they are recorded


def physics_of(env, env_id):
    """What config.json records of the environment ``env`` (made of ``env_id``) and its physics:
    the environments' package and version, the bindings and their version, MuJoCo's version
    (None where the environment has no MuJoCo simulation)."""
    base = env.unwrapped
    if isinstance(base, GymMujocoPyEnv):
        return {"env_id": env_id, "environments": "gym",
                "environments_version": base.versions["gym"], "bindings": "mujoco-py",
                "bindings_version": base.versions["mujoco_py"],
                "mujoco_version": base.versions["mujoco"]}
    on_mujoco = isinstance(getattr(base, "data", None), mujoco.MjData)
    return {"env_id": env_id, "environments": "gymnasium",
            "environments_version": gymnasium.__version__,
            "bindings": "mujoco" if on_mujoco else None,
            "bindings_version": mujoco.__version__ if on_mujoco else None,
            "mujoco_version": mujoco.mj_versionString() if on_mujoco else None}


def physics_line(record):
    """train.log's first line: e.g. "HalfCheetah-v2: Gym 0.26.2 on mujoco-py 2.0.2.13, MuJoCo
    2.1.0"."""
    package = {"gym": "Gym", "gymnasium": "Gymnasium"}[record["environments"]]
    line = f"{record['env_id']}: {package} {record['environments_version']}"
    if record["bindings"]:
        line += (f" on {record['bindings']} {record['bindings_version']}, MuJoCo "
                 f"{record['mujoco_version']}")
    return line


def refuse_other_stack(run_dir, env_id_here):
    """For train.py --resume: UserError unless ``env_id_here``, what this Python makes of the
    run's --env, is the environment that the run in ``run_dir`` ran, on the stack it ran on
    (config.json's physics record, where it has one); it names the Python to use, or, where
    this Python would make what the run's own --env made, config.json as the fault."""
    config, path = read_run_config(run_dir)[:2]
    ran, command = config["env_id"], f"train.py --resume {run_dir}"
    physics = config.get("physics")
    if physics is not None and physics["env_id"] != ran:
        raise UserError(f"{path} contradicts itself: its env_id is {ran} and its physics record "
                        f"is of {physics['env_id']}; it was changed after the run wrote it, so "
                        f"put back what the run wrote, or start a new run.")
    ran_literal, here_literal = _ran_literal(config), is_literal(env_id_here)
    if ran_literal and not here_literal and not literal_stack_installed():
        raise UserError(_needs_literal_stack(run_dir, ran, command))
    if (physics is not None or ran != env_id_here) and here_literal and not ran_literal:
        raise UserError(f"{run_dir} ran {ran} on Gymnasium's mujoco bindings, and this Python "
                        f"makes Gym's {env_id_here} on mujoco-py of its --env: run .venv/bin/python "
                        f"{command}.")
    if ran == env_id_here and ran_literal == here_literal:
        return
    if physics is None and _OLD_MUJOCO_ID.match(ran):  # a run of Gym's -v2 before the record
        raise UserError(f"{run_dir} ran {ran}, and this Python makes {env_id_here} of its --env "
                        f"{config['args']['env']}: resume it where it was started.")
    stack = "Gym's mujoco-py stack" if ran_literal else "Gymnasium"
    raise UserError(f"{path} contradicts itself: it says the run ran {ran} on {stack}, and its "
                    f"--env {config['args']['env']} makes {env_id_here} here on "
                    f"{'Gym' if here_literal else 'Gymnasium'}'s stack, as it would have for the "
                    f"run; it was changed after the run wrote it, so put back what the run "
                    f"wrote, or start a new run.")


def refuse_unmakeable(config, checkpoint):
    """For evaluate.py: UserError if the run ran Gym's literal task and this Python cannot
    make it."""
    if _ran_literal(config) and not is_literal(config["env_id"]):
        raise UserError(_needs_literal_stack(checkpoint, config["env_id"],
                                             f"evaluate.py --checkpoint {checkpoint}"))


def _ran_literal(config):
    return (config.get("physics") or {}).get("environments") == "gym"


def _needs_literal_stack(run_dir, env_id, command):
    return (f"{run_dir} ran Gym's {env_id} on mujoco-py (the literal -v2 stack), which this "
            f"Python does not have: run .venv-v2/bin/python {command} (`make install-v2` creates "
            f".venv-v2).")
