"""Run PARL 2.x's own examples/PPO, unmodified, beside `train.py --algo parl2`.

    python scripts/parl_example.py --parl_src PARL --out results/parl2_vs_example/parl_example \\
        --env HalfCheetah-v4 Hopper-v4 --seeds 1 2 3 4 5 --steps 1e6

PARL's source is the user's own checkout at PARL_COMMIT (git clone PaddlePaddle/PARL, then
git checkout PARL_COMMIT); every file of the example is checked against that commit's blobs
before anything runs, so what runs is PARL's code as published. The example runs in the
virtualenv `make install-parl-example` makes (gym 0.25.2's old step API, which the example is
written for), one run at a time, one thread, its working directory a scratch folder; a finished
run's log.log and TensorBoard event file are moved to OUT/<env>/seed<k>/ with
run.json (the command, the commit, the versions, the wall time) written last, so a folder with a
run.json is complete. Run again, it skips finished runs and starts unfinished ones again (the
example has no checkpoints). docs/parl2.md ("PARL's own example beside it") has the whole recipe.
"""
import argparse
import fcntl
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PARL_COMMIT = "3bb5fe36d245f4d69bae0710dc1dc9d1a172f64d"  # PaddlePaddle/PARL master
# git's blob ids of examples/PPO's files at PARL_COMMIT (`git ls-tree PARL_COMMIT examples/PPO/`)
EXAMPLE_BLOBS = {
    "agent.py": "980b6a7d190141308467fde1a37c68407d599170",
    "env_utils.py": "410a6f0597aa7915be1afe6fb981df0065e997f7",
    "mujoco_config.py": "89eec5ab1a7715401f4910aeed148ff8e540a420",
    "mujoco_model.py": "a45f086e8d452e9799cea90d7dfcb71122d85726",
    "atari_config.py": "dfe2f6d155604b8d855179e32c6899a16ef87710",
    "atari_model.py": "c2930ccd7f1be6a064132452a7698d39c29f3edd",
    "storage.py": "059beb1ecbc1a6a5ced0d5041808fc5d98aca193",
    "train.py": "52732672bb6d694e4e6ff66653e1e713624e634d",
}
EXAMPLE_ENV = {"PARL_BACKEND": "paddle", "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
DEFAULT_PYTHON = Path(__file__).resolve().parent.parent / ".venv-parl-example" / "bin" / "python"


class Refused(Exception):
    """One sentence for the user; the program exits 2."""


def git_blob_id(path):
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def example_dir(parl_src):
    """The examples/PPO folder of ``parl_src`` (a PARL checkout or that folder itself), every
    file of it as at PARL_COMMIT; Refused otherwise."""
    src = Path(parl_src)
    folder = src / "examples" / "PPO" if (src / "examples" / "PPO").is_dir() else src
    for name, blob in EXAMPLE_BLOBS.items():
        path = folder / name
        if not path.is_file():
            raise Refused(f"{folder} has no {name}: give --parl_src a checkout of PaddlePaddle/PARL "
                          f"at {PARL_COMMIT} (or its examples/PPO folder).")
        if git_blob_id(path) != blob:
            raise Refused(f"{path} is not PARL's file at {PARL_COMMIT} (it was changed, or the "
                          f"checkout is at another commit: git checkout {PARL_COMMIT}).")
    return folder


def versions(python):
    code = ("import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in "
            "('paddlepaddle', 'parl', 'gym', 'mujoco', 'numpy')}))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise Refused(f"{python} cannot run PARL's example ({out.stderr.strip().splitlines()[-1]}); "
                      f"make it with `make install-parl-example`.")
    return {"python": platform.python_version(), **json.loads(out.stdout)}


def run_one(folder, python, env_id, seed, steps, run_dir, stack):
    """Run the example once; its files go to ``run_dir``, run.json last."""
    scratch = run_dir / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)  # an unfinished run starts again
    scratch.mkdir(parents=True)
    command = [str(python), str(folder / "train.py"), "--env", env_id, "--continuous_action",
               "--train_total_steps", str(steps), "--seed", str(seed)]
    started = time.time()
    with open(scratch / "output.txt", "wb") as output:
        child = subprocess.Popen(command, cwd=scratch, stdout=output, stderr=subprocess.STDOUT,
                                 env={**os.environ, **EXAMPLE_ENV}, start_new_session=True)
        try:
            status = child.wait()
        finally:  # a stop signal, or anything else: the example goes with us
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                child.wait()
    logs = scratch / "train_logs" / f"{env_id}_{seed}"
    if status != 0:
        tail = (scratch / "output.txt").read_text(errors="replace").strip().splitlines()[-1:]
        raise Refused(f"PARL's example exited {status} on {env_id} seed {seed}: "
                      f"{tail[0] if tail else 'no output'} (all of it in {scratch}/output.txt).")
    events = sorted(logs.glob("events.out.tfevents.*"))
    for path in [logs / "log.log", *events]:
        shutil.move(str(path), run_dir / path.name)
    record = {"command": ["python", "train.py", *command[2:]], "parl_commit": PARL_COMMIT,
              "example_blobs": EXAMPLE_BLOBS, "environment": EXAMPLE_ENV, "versions": stack,
              "env_id": env_id, "seed": seed, "train_total_steps": steps,
              "event_files": [p.name for p in events], "cpu": cpu_model(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "wall_time": round(time.time() - started, 1)}
    tmp = run_dir / "run.json.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, run_dir / "run.json")
    shutil.rmtree(scratch)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parl_src", required=True, help=f"a PARL checkout at {PARL_COMMIT}, or its "
                                                     "examples/PPO folder")
    p.add_argument("--out", required=True, help="where the runs go: OUT/<env>/seed<k>/")
    p.add_argument("--env", nargs="+", default=["HalfCheetah-v4", "Hopper-v4"])
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5],
                   help="from 1: PARL's example leaves seed 0 unseeded (`if config['seed']`)")
    p.add_argument("--steps", type=float, default=1e6, help="--train_total_steps of each run")
    p.add_argument("--python", default=str(DEFAULT_PYTHON),
                   help="the example's interpreter (default: .venv-parl-example's)")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if not all(1 <= seed < 2**31 for seed in args.seeds):
            raise Refused("--seeds must be from 1 to 2**31 - 1: PARL's example does not seed "
                          "seed 0.")
        if not 2048 <= args.steps <= 1e8:
            raise Refused(f"--steps must be from 2048 (one update) to 1e8 (got {args.steps:g}).")
        folder, stack = example_dir(args.parl_src), versions(args.python)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused(f"another parl_example.py is running on {out}.") from None
        for env_id in args.env:
            for seed in args.seeds:
                run_dir = out / env_id / f"seed{seed}"
                if (run_dir / "run.json").is_file():
                    print(f"done   {run_dir}", flush=True)
                    continue
                print(f"start  {run_dir}", flush=True)
                run_one(folder, Path(args.python), env_id, seed, int(args.steps), run_dir, stack)
                print(f"done   {run_dir}", flush=True)
    except Refused as exc:
        print(f"parl_example.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("parl_example.py: stopped; the unfinished run starts again next time.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
