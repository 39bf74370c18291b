"""The trained policies of results/pretrained, one per headline task, retrained from the committed
evidence runs and exported.

    python scripts/pretrained.py CartPole LunarLander HalfCheetah Hopper Walker2d
    python scripts/pretrained.py Breakout          # hours on 2 cores; again to resume it

For each task: retrains one seed of its committed evidence run with that run's own command
(EVIDENCE_RUNS names the run; the evidence runs kept no checkpoints) into --runs/TASK, or
resumes it there if it was stopped; exports the newest checkpoint's policy into --out/TASK; plays
--episodes deterministic episodes of the export with evaluate.py (its output goes into
evaluation.txt there) and records the first --clip_seconds of the first one as episode.gif (200
pixels across, 10 frames a second); then
prints the export's evaluation beside the committed run's last evaluations.
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import csv
import json
import math
import os
import subprocess
import sys

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is); the
# evidence runs, train.py and evaluate.py are this checkout's too
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("pretrained.py", checkout=ROOT)

from mujoco_ppo.algorithms import algo_flags, algorithm_of
from mujoco_ppo.cli import (
    MAX_EVALUATE_EPISODES,
    OneLineErrorParser,
    run_command,
    shown,
    whole_number,
)
from mujoco_ppo.errors import UserError
from mujoco_ppo.evaluation.loading import load_checkpoint
from mujoco_ppo.evaluation.pretrained import export
from mujoco_ppo.run.run_log import open_regular

PROG = "pretrained.py"
GIF_WIDTH, GIF_FPS = 200, 10  # a few seconds of 480-pixel frames would be several MB of GIF

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


def parse_args(argv=None):
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="+", choices=list(EVIDENCE_RUNS), metavar="TASK",
                   help=f"tasks to retrain and export: {', '.join(EVIDENCE_RUNS)}")
    p.add_argument("--runs", default="runs/pretrained",
                   help="where the retraining runs go (default: %(default)s)")
    p.add_argument("--out", default="results/pretrained",
                   help="where the exported policies go (default: %(default)s)")
    p.add_argument("--episodes", type=whole_number, default=10,
                   help="evaluation episodes of each export, at most 10,000 (default: "
                        "%(default)s)")
    p.add_argument("--clip_seconds", type=float, default=5.0,
                   help="length of each episode.gif (default: %(default)s)")
    args = p.parse_args(argv)
    if args.episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {args.episodes}")
    if args.episodes > MAX_EVALUATE_EPISODES:  # evaluate.py's bound
        raise UserError(f"--episodes must be at most {shown(MAX_EVALUATE_EPISODES)}, got "
                        f"{shown(args.episodes)}")
    if not 0 < args.clip_seconds < math.inf:
        raise UserError(f"--clip_seconds must be positive, got {args.clip_seconds}")
    return args


def evaluations(run_dir):
    """[(steps, evaluation reward)] of a run's progress.csv."""
    with open_regular(os.path.join(run_dir, "progress.csv"), newline="") as f:
        return [(int(r["steps"]), float(r["eval_reward"])) for r in csv.DictReader(f)
                if r["eval_reward"]]


def final_reward(rows):
    """The mean evaluation over the last 10% of a run's steps (as ablate.py's summary) and how
    many evaluations that is."""
    last = rows[-1][0]
    tail = [reward for steps, reward in rows if steps >= 0.9 * last]
    return sum(tail) / len(tail), len(tail)


def retrain(task, config, run_dir):
    """Train (or resume) the run; UserError if train.py stops early."""
    flags = retrain_flags(config, run_dir)
    if flags is None:
        print(f"{task}: the run in {run_dir} has finished; exporting it.", flush=True)
        return
    print(f"{task}: python train.py {' '.join(flags)}", flush=True)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "train.py"), *flags],
                          stdout=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise UserError(f"training {task} stopped (exit status {proc.returncode}); the same "
                        f"command resumes it.")


def record(task, dest, args):
    """evaluate.py on the export: its output into evaluation.txt, its first episode's first
    seconds into episode.gif. Returns evaluate.py's summary line."""
    clip = os.path.join(dest, "episode.mp4")
    command = [sys.executable, os.path.join(ROOT, "evaluate.py"), "--checkpoint", dest,
               "--episodes", str(args.episodes), "--video", clip,
               "--video_seconds", str(args.clip_seconds)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(f"evaluate.py failed on {dest}: "
                        f"{(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
    # evaluate.py's returns and summary (PARL's logger adds its own lines to stdout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("episode ")
             or " over " in line and not line.startswith("[")]
    with open(os.path.join(dest, "evaluation.txt"), "w") as f:
        f.write(f"$ python evaluate.py --checkpoint {dest} --episodes {args.episodes}\n")
        f.write("\n".join(lines) + "\n")
    to_gif(clip, os.path.join(dest, "episode.gif"))
    os.remove(clip)
    return lines[-1]


def to_gif(mp4, gif):
    """The clip as a GIF of GIF_WIDTH pixels across at about GIF_FPS frames a second (every k-th
    frame: the tasks render at 20 to 125 frames a second)."""
    import imageio.v2 as imageio
    from PIL import Image

    reader = imageio.get_reader(mp4)
    every = max(1, round(reader.get_meta_data()["fps"] / GIF_FPS))
    frames = []
    for i, frame in enumerate(reader):
        if i % every == 0:
            image = Image.fromarray(frame)
            height = round(image.height * GIF_WIDTH / image.width)
            frames.append(image.resize((GIF_WIDTH, height), Image.LANCZOS))
    duration = round(1000 * every / reader.get_meta_data()["fps"])
    reader.close()
    frames[0].save(gif, save_all=True, append_images=frames[1:], loop=0, duration=duration,
                   optimize=True)


def main(argv=None):
    args = parse_args(argv)
    for task in args.tasks:
        config = evidence_config(task, ROOT)
        run_dir, dest = os.path.join(args.runs, task), os.path.join(args.out, task)
        retrain(task, config, run_dir)
        run_config, checkpoint_dir, arrays, state = load_checkpoint(run_dir, PROG)
        export(run_dir, checkpoint_dir, run_config, arrays, state, dest, {
            "retrained_from": EVIDENCE_RUNS[task],
            "train_command": "python train.py " + " ".join(train_flags(config, run_dir))})
        summary = record(task, dest, args)
        committed = evaluations(os.path.join(ROOT, EVIDENCE_RUNS[task]))
        ours = evaluations(run_dir)
        mean, count = final_reward(committed)
        same = "the same" if ours == committed else "NOT the same"
        print(f"{task}: {summary}\n{task}: the committed run {EVIDENCE_RUNS[task]}: last "
              f"evaluation {committed[-1][1]:,.1f} at step {committed[-1][0]:,}, mean of its last "
              f"10% of steps {mean:,.1f} ({count} evaluations); the retrained run's evaluations "
              f"are {same} as the committed run's.", flush=True)
    return 0


if __name__ == "__main__":
    run_command(main, PROG)
