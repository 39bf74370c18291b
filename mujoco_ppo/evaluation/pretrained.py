"""A trained policy to watch, small enough to commit (results/pretrained/<task>/): what
evaluate.py needs and nothing else.

- ``config.json``: the run's own, as train.py wrote it;
- ``policy.safetensors``: the policy's weights (``policy/NAME``) and the observation statistics
  (PARL 1.x: ``scaler/means``, ``scaler/vars``; PARL 2.x on MuJoCo: ``obs_rms/mean``,
  ``obs_rms/var``). PARL 1.x's value network is left out (evaluation never asks for a value);
  PARL 2.x's model is kept whole, its actor and critic being one layer (a shared trunk on Atari);
- ``policy.json``: the step it was taken at, the statistics' count, where it came from, and the
  sha256 of policy.safetensors.

No optimizer state and no random streams: it cannot be resumed, only evaluated.
"""
import hashlib
import json
import os
import shutil

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as arrays_from_bytes
from safetensors.numpy import save_file

from ..errors import UserError
from ..run.run_log import open_regular

WEIGHTS, INFO, CONFIG = "policy.safetensors", "policy.json", "config.json"
FORMAT = 1


def is_pretrained(path):
    """Whether ``path`` holds an exported policy rather than a run: either of its own files
    (one of them missing is then said of the export, not taken for a run without
    checkpoints)."""
    return any(os.path.lexists(os.path.join(path, name)) for name in (WEIGHTS, INFO))


def export(run_dir, checkpoint_dir, config, arrays, state, dest, source):
    """Write the policy of a run's checkpoint into ``dest`` (replaced whole, through a temporary
    directory beside it); ``source``: what policy.json says it came from."""
    from ..algorithms import algorithm_of

    kept, info = algorithm_of(config).policy_arrays(arrays, state)
    tmp = dest.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    save_file({k: np.ascontiguousarray(v) for k, v in kept.items()}, os.path.join(tmp, WEIGHTS))
    shutil.copyfile(os.path.join(run_dir, CONFIG), os.path.join(tmp, CONFIG))
    with open(os.path.join(tmp, WEIGHTS), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    info = {"format": FORMAT, **info, "checkpoint": os.path.basename(checkpoint_dir),
            **source, "sha256": digest}
    with open(os.path.join(tmp, INFO), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)


def load(path):
    """(config, arrays, info) of an exported policy, as its PPO's policy_arrays() gives them
    for a checkpoint; UserError naming the file otherwise."""
    from ..algorithms import load_run_config

    config = load_run_config(path)
    info_path, weights_path = os.path.join(path, INFO), os.path.join(path, WEIGHTS)
    for file in (info_path, weights_path):
        if not os.path.lexists(file):
            raise UserError(f"the exported policy in {path} is incomplete: {file} is missing.")
    try:
        with open_regular(info_path) as f:
            info = json.load(f)
        with open_regular(weights_path, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the exported policy in {path} ({exc}).") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise UserError(f"{info_path} is not an exported policy of format {FORMAT}.")
    if info.get("sha256") != hashlib.sha256(data).hexdigest():
        raise UserError(f"{weights_path} is damaged: its sha256 differs from {info_path}'s.")
    try:
        arrays = arrays_from_bytes(data)
    except SafetensorError as exc:
        raise UserError(f"{weights_path} is unreadable ({exc}).") from None
    return config, arrays, info
