"""Run PARL 2.x's own examples/PPO, unmodified, beside `train.py --algo parl2`, and report both.

    python scripts/parl_example.py run --parl_src PARL --out results/parl2_vs_example/parl_example \\
        --env HalfCheetah-v4 Hopper-v4 --seeds 1 2 3 4 5 --steps 1e6
    python scripts/ablate.py run results/parl2_vs_example/ours --algo parl2 \\
        --env HalfCheetah-v4 Hopper-v4 --seeds 1 2 3 4 5 --steps 1e6 --jobs 1 \\
        --train_args --learner_threads 1
    python scripts/parl_example.py report results/parl2_vs_example

PARL's source is the user's own checkout at PARL_COMMIT (git clone PaddlePaddle/PARL, then
git checkout PARL_COMMIT); every file of the example is checked against that commit's blobs
before anything runs, so what runs is PARL's code as published. The example runs in the
virtualenv `make install-parl-example` makes (gym 0.25.2's old step API, which the example is
written for), one run at a time, one thread, its working directory a scratch folder; a finished
run's log.log and TensorBoard event file are moved to OUT/<env>/seed<k>/ with
run.json (the command, the commit, the versions, the wall time) written last, so a folder with a
run.json is complete. Run again, it skips finished runs and starts unfinished ones again (the
example has no checkpoints). `report DIR` reads DIR/parl_example (the event files) and DIR/ours
(the grid) and writes DIR/report.md, finals.csv and curves.png: each side's values at the marks,
final scores with their IQM and mean and 95% bootstrap intervals, and the probability that a run of
PARL's example beats a run of ours. docs/parl2.md ("PARL's own example beside it") has the recipe.
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


MARKS = (300_000, 500_000, 1_000_000)
MIN_RUNS = 3  # fewer runs a side: a bootstrap only reshuffles them, so no interval is given
MARK_WINDOW = 50_000  # a mark's value: the mean of a run's evaluations in the 50k steps before it
SIDES = {"parl_example": "PARL's examples/PPO", "ours": "train.py --algo parl2"}
COLOURS = {"parl_example": "tab:red", "ours": "tab:blue"}


def read_sides(folder):
    """{side: {env: [runs]}}: the finished runs of PARL's example (each run.json's event file)
    and of our grid (every run with progress.csv; unfinished ones are left out with a note)."""
    from mujoco_ppo.analysis.results import load_run, note
    from mujoco_ppo.comparison.parl_logs import read_parl_log

    sides = {side: {} for side in SIDES}
    for record in sorted((folder / "parl_example").glob("*/seed*/run.json")):
        info = json.loads(record.read_text())
        run = read_parl_log(str(record.parent / info["event_files"][0]), env=info["env_id"])
        run["seed"] = info["seed"]
        sides["parl_example"].setdefault(info["env_id"], []).append(run)
    for config in sorted((folder / "ours" / "runs").glob("*/parl2/seed*/config.json")):
        run = load_run(str(config.parent))
        total = run["config"]["config"]["num_updates"] * run["config"]["config"]["batch_size"]
        if run["last_step"] < total:
            note(f"{config.parent} is unfinished ({run['last_step']:,} of {total:,} steps); "
                 f"it is left out.")
            continue
        sides["ours"].setdefault(run["config"]["env_id"], []).append(run)
    return sides


def value_at(run, mark):
    """The mean of the run's evaluations in (mark - MARK_WINDOW, mark], or None."""
    inside = (run["eval_steps"] > mark - MARK_WINDOW) & (run["eval_steps"] <= mark)
    return float(run["eval_reward"][inside].mean()) if inside.any() else None


def report(folder):
    import numpy as np

    from mujoco_ppo.analysis.curves import write_text
    from mujoco_ppo.analysis.scores import final_score
    from mujoco_ppo.analysis.stats import aggregate_estimates, improvement_matrix
    from mujoco_ppo.comparison.parl_comparison import short as mark_name

    sides = read_sides(folder)
    envs = sorted(set(sides["parl_example"]) & set(sides["ours"]))
    if not envs:
        raise Refused(f"{folder} has no task with finished runs on both sides yet.")
    rows, lines = [], []
    for env in envs:
        for side in SIDES:
            for run in sorted(sides[side][env], key=lambda r: r["seed"]):
                rows.append({"env": env, "side": side, "seed": run["seed"],
                             **{f"at_{mark_name(m)}": value_at(run, m) for m in MARKS},
                             "final": final_score(run)})
    finals = {env: {side: np.array([[r["final"]] for r in rows if r["env"] == env
                                    and r["side"] == side]) for side in SIDES} for env in envs}
    lines += ["# PARL 2.x's PPO: PARL's own examples/PPO beside `train.py --algo parl2`", "",
              f"Both on this machine, side by side (one run of each at a time, one core each), "
              f"HalfCheetah-v4 and Hopper-v4, 1M steps a run. PARL's example: commit "
              f"{PARL_COMMIT[:8]}, unmodified, on gym 0.25.2 (mujoco 2.3.1); ours: Gymnasium 1.4 "
              f"(mujoco 4.0.0), PARL's reward rule (`--return_reset episode_end`).", "",
              "## Each run", "",
              "| task | side | seed | " + " | ".join(mark_name(m) for m in MARKS)
              + " | final |", "|---|---|---:|" + "---:|" * (len(MARKS) + 1)]
    for r in rows:
        cells = [f"{r[f'at_{mark_name(m)}']:,.0f}" if r[f"at_{mark_name(m)}"] is not None
                 else "—" for m in MARKS]
        lines.append(f"| {r['env']} | {SIDES[r['side']]} | {r['seed']} | {' | '.join(cells)} | "
                     f"{r['final']:,.0f} |")
    lines += ["", f"A mark's value: the mean of the run's evaluations (3 episodes each) in the "
              f"{MARK_WINDOW // 1000}k steps before it. Final: the mean of its evaluations in the "
              f"last 10% of its steps.", "", "## Final scores", "",
              "| task | side | runs | mean [95% CI] | IQM [95% CI] |", "|---|---|---:|---:|---:|"]
    enough = [env for env in envs if min(len(finals[env][side]) for side in SIDES) >= MIN_RUNS]
    for env in envs:
        estimates = aggregate_estimates(finals[env]) if env in enough else None
        for side in SIDES:
            scores = finals[env][side][:, 0]
            if estimates is None:
                lines.append(f"| {env} | {SIDES[side]} | {len(scores)} | {scores.mean():,.0f} "
                             f"(runs {scores.min():,.0f} to {scores.max():,.0f}) | — |")
                continue
            mean, iqm = estimates[side]["mean"], estimates[side]["IQM"]
            lines.append(f"| {env} | {SIDES[side]} | {len(scores)} | "
                         f"{mean[0]:,.0f} [{mean[1]:,.0f}, {mean[2]:,.0f}] | "
                         f"{iqm[0]:,.0f} [{iqm[1]:,.0f}, {iqm[2]:,.0f}] |")
    lines += ["", "## Probability of improvement", "",
              "P(a run of PARL's example ends above a run of ours), with its 95% stratified-"
              "bootstrap interval (rliable's; 0.5 is no difference):", ""]
    for env in envs:
        if env not in enough:
            lines.append(f"- {env}: not estimated, fewer than {MIN_RUNS} finished runs a side "
                         f"(a bootstrap of so few only reshuffles them).")
            continue
        p, low, high = improvement_matrix(finals[env])["parl_example", "ours"]
        lines.append(f"- {env}: {p:.2f} [{low:.2f}, {high:.2f}]")
    if len(enough) > 1 and len({len(finals[e][s]) for e in enough for s in SIDES}) == 1:
        both = {side: np.hstack([finals[env][side] for env in enough]) for side in SIDES}
        p, low, high = improvement_matrix(both)["parl_example", "ours"]
        lines.append(f"- both tasks (averaged over tasks): {p:.2f} [{low:.2f}, {high:.2f}]")
    draw_curves(folder / "curves.png", sides, envs)
    lines += ["", "## Curves", "", "![curves](curves.png)", "",
              f"Thin lines: each run's evaluations, trailing mean over {MARK_WINDOW // 1000}k "
              f"steps; thick: their mean over seeds; black dashes: PARL 2.x's published curve "
              f"(PARL-experiments, digitised).", ""]
    write_csv(folder / "finals.csv", rows)
    write_text(folder / "report.md", "\n".join(lines))
    print("\n".join(lines))


def write_csv(path, rows):
    import csv
    import io

    from mujoco_ppo.analysis.curves import write_text
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, text.getvalue())


def draw_curves(path, sides, envs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from mujoco_ppo.analysis.curves import replaced_when_done, trailing_mean
    from mujoco_ppo.analysis.parl_published import load_reference
    from mujoco_ppo.analysis.results import env_family

    published = load_reference()
    fig, axes = plt.subplots(1, len(envs), figsize=(6.5 * len(envs), 4.5), squeeze=False)
    for ax, env in zip(axes[0], envs):
        for side, label in SIDES.items():
            runs = sides[side][env]
            smoothed = [trailing_mean(r["eval_steps"], r["eval_reward"], MARK_WINDOW) for r in runs]
            for run, values in zip(runs, smoothed):
                ax.plot(run["eval_steps"], values, color=COLOURS[side], alpha=0.3, lw=0.8)
            shortest = min(len(v) for v in smoothed)  # both evaluate at the same steps
            ax.plot(runs[0]["eval_steps"][:shortest],
                    np.mean([v[:shortest] for v in smoothed], axis=0), color=COLOURS[side],
                    lw=2.2, label=f"{label} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        curve = published.get((env_family(env), "parl2"))
        if curve is not None:
            keep = curve["steps"] <= MARKS[-1]
            ax.plot(curve["steps"][keep], curve["mean"][keep], "k--", lw=1.5, label=curve["label"])
        ax.set_title(env)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("evaluation reward (3 episodes)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    with replaced_when_done(path) as temporary:  # the old figure or the whole new one
        fig.savefig(temporary, dpi=110, format="png")
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = p.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run PARL's example for each task and seed")
    run.add_argument("--parl_src", required=True, help=f"a PARL checkout at {PARL_COMMIT}, or "
                                                       "its examples/PPO folder")
    run.add_argument("--out", required=True, help="where the runs go: OUT/<env>/seed<k>/")
    run.add_argument("--env", nargs="+", default=["HalfCheetah-v4", "Hopper-v4"])
    run.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5],
                     help="from 1: PARL's example leaves seed 0 unseeded (`if config['seed']`)")
    run.add_argument("--steps", type=float, default=1e6, help="--train_total_steps of each run")
    run.add_argument("--python", default=str(DEFAULT_PYTHON),
                     help="the example's interpreter (default: .venv-parl-example's)")
    summary = commands.add_parser("report", help="the page comparing the two sides")
    summary.add_argument("folder", help="holding parl_example/ (this run's --out) and ours/ "
                                        "(the ablate.py grid)")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.command == "report":
            # this checkout's mujoco_ppo; `run` needs only the standard library
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from mujoco_ppo.dependencies import require
            require("parl_example.py report")
            report(Path(args.folder))
        else:
            run_all(args)
    except Refused as exc:
        print(f"parl_example.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("parl_example.py: stopped; an unfinished run starts again next time.",
              file=sys.stderr)
        return 130
    return 0


def run_all(args):
    if not all(1 <= seed < 2**31 for seed in args.seeds):
        raise Refused("--seeds must be from 1 to 2**31 - 1: PARL's example does not seed seed 0.")
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


if __name__ == "__main__":
    sys.exit(main())
