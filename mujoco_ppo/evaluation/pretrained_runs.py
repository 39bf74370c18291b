"""The committed evidence runs that results/pretrained's policies are retrained from (the evidence
runs kept no checkpoints), and the train.py command that retrains one of them exactly: the
command its config.json records, into another directory, resumed if it was stopped."""
import json
import os

from ..algorithms import algo_flags, algorithm_of
from ..errors import UserError
from ..run.run_log import open_regular

# task -> the committed run whose config is retrained. The MuJoCo tasks and LunarLander take
# KLPEN at PARL's default kl_targ, the seed with the highest last evaluation of its grid (a
# policy worth watching, not a typical seed); CartPole CLIP seed 0 (every seed reaches 500).
EVIDENCE_RUNS = {
    "CartPole": "results/cartpole/runs/CartPole-v1/CLIP_clip_epsilon0.2/seed0",
    "LunarLander": "results/lunarlander/runs/LunarLander-v3/KLPEN_kl_targ0.003/seed0",
    "HalfCheetah": "results/objectives/runs/HalfCheetah-v2/KLPEN_kl_targ0.003/seed0",
    "Hopper": "results/objectives/runs/Hopper-v2/KLPEN_kl_targ0.003/seed2",
    "Walker2d": "results/objectives/runs/Walker2d-v2/KLPEN_kl_targ0.003/seed0",
    "Breakout": "results/breakout/runs/BreakoutNoFrameskip-v4/parl2/seed0",
}
# flags of the recorded command that do not carry over to the retraining run (with how many
# values follow them)
_DROPPED = {"--output_dir": 1, "--overwrite": 0}
_NOT_SETTINGS = ("output_dir", "overwrite", "resume")


def evidence_config(task, root="."):
    """config.json of the committed run ``task`` is retrained from."""
    if task not in EVIDENCE_RUNS:
        raise UserError(f"unknown task {task!r}; the tasks are {', '.join(EVIDENCE_RUNS)}.")
    path = os.path.join(root, EVIDENCE_RUNS[task], "config.json")
    try:
        with open_regular(path) as f:
            return json.load(f)
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror}).") from None
    except ValueError as exc:  # not JSON, not UTF-8
        raise UserError(f"cannot read {path} ({exc}).") from None


def train_flags(config, output_dir):
    """train.py's flags that retrain the run of ``config`` into ``output_dir``: its recorded
    command without the script, the output directory and --overwrite (PARL 2.x's config.json
    records no command: its settings, the ones given, are passed as flags)."""
    if "command" not in config:
        settings = [[f"--{name}", str(value)] for name, value in sorted(config["args"].items())
                    if value is not None and name not in _NOT_SETTINGS]
        return [*algo_flags(algorithm_of(config)), *sum(settings, []), "--output_dir", output_dir]
    recorded, flags, i = config["command"][1:], [], 0
    while i < len(recorded):
        skip = _DROPPED.get(recorded[i])
        if skip is None:
            flags.append(recorded[i])
            i += 1
        else:
            i += 1 + skip
    return flags + ["--output_dir", output_dir]


def retrain_flags(config, output_dir):
    """The flags for ``output_dir``: a fresh run, or --resume of one stopped there; None if the
    run there has finished."""
    if not os.path.isfile(os.path.join(output_dir, "config.json")):
        return train_flags(config, output_dir)
    if finished(output_dir):
        return None
    return algo_flags(algorithm_of(config)) + ["--resume", output_dir]


def finished(output_dir):
    """Whether the run in ``output_dir`` ended (train.log's last line, "Done: ...", says so)."""
    log = os.path.join(output_dir, "train.log")
    if not os.path.isfile(log):
        return False
    with open_regular(log, errors="replace") as f:
        lines = f.read().splitlines()
    return bool(lines) and "] Done: " in lines[-1]
