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

`trace`: PARL 2.x's own examples/PPO beside `train.py --algo parl2`, step by step, component by
component.

    .venv/bin/python scripts/parl_example.py trace --parl_src PARL \\
        --env HalfCheetah-v4 Hopper-v4 --out results/parl2_vs_example

Both sides start from the same initial weights (ours, made after paddle.seed(--weight_seed) and
handed to PARL's MujocoModel), the same environment seed (--seed: PARL's example seeds its
environment i with seed + i, here env 0) and the same inputs, and each component of one side gets
what the other side's got:

1. environment and wrappers: the same action sequence (standard-normal actions from
   RandomState(--seed), more than 1000 steps, so that episodes end and reset) through PARL's
   ParallelEnv over wrap_rms (gym 0.25.2, mujoco 2.3.1) and ours (make_env(..., 'mujoco'), Gymnasium
   1.4, mujoco 4.0.0). The physics environment under each stack is watched (every reset and step it
   is asked for), so that: the raw observations and rewards are compared (one step from the same
   state, and free-running); PARL's raw stream is replayed through our wrapper stack, so the
   normalised observations and rewards, the done flags, the time limits and the observation and
   return statistics are compared on identical inputs; and the evaluation environment's statistics
   (PARL: the training environment's RunningMeanStd object itself; ours: a copy) are compared at an
   evaluation after the trace, over one evaluation episode (PARL's raw evaluation stream replayed
   through our evaluation stack) and 10 more training steps.
2. sampling: the observations of PARL's first rollout, the same weights and the same Paddle seed
   (--sample_seed): actions, log-probabilities, values; and each side's whole first rollout run in
   its own loop on its own physics (PARL's train.py loop; ours as train_loop.train).
3. storage: PARL's first rollout's arrays into both RolloutStorage classes: advantages and returns.
4. the first update: the same weights, that rollout, the same minibatch permutations
   (np.random.seed(--shuffle_seed) for PARL's global stream, RandomState(--shuffle_seed) for ours),
   the same learning-rate schedule (1M steps): PARL's losses (converted: PARL divides their sums by
   update_epochs x batch_size, ours are means over minibatches) and the weights after the update.

It runs itself a second time with --child in PARL's example virtualenv (gym 0.25.2's 4-tuple step
API), which imports the example's modules from --parl_src (checked against PARL_COMMIT's blobs by
`run` does) and runs them unmodified; the two processes exchange arrays through .npz
files in a temporary folder. Writes OUT/trace.json (every number, the command, the machine and both
sides' versions) and OUT/trace.md (the tables). About 15 s a task.
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
import tempfile
import time
import warnings
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
    # not mujoco_ppo.cpu_info: importing the package sets environment defaults (on AMD CPUs
    # MKL_DEBUG_CPU_TYPE) that the example's later runs, started from this process, would inherit
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
              f"(PARL-experiments, digitised).", ""] + step_cut_lines(folder)
    write_csv(folder / "finals.csv", rows)
    write_text(folder / "report.md", "\n".join(lines))
    print("\n".join(lines))


def step_cut_lines(folder):
    """What scripts/parl_step_cut.py measured in ``folder`` (step_cut.json), if it did: PARL's
    evaluations of a task that terminates are cut by PARL 2.2.1's step count, ours are not."""
    path = folder / "step_cut.json"
    if not path.is_file():
        return []
    policies = json.loads(path.read_text())["policies"]
    env_id = policies[0]["env_id"]
    differences = [p["difference"] for p in policies]
    return ["## PARL's step count", "",
            f"PARL's {env_id} evaluations are played with PARL 2.2.1's step count "
            f"(`CompatWrapper`: a done at every 1,000th step of the environment's life, across "
            f"episodes), ours without it. Played both ways, the final policies of our "
            f"{len(policies)} {env_id} runs evaluate {-sum(differences) / len(differences):,.0f} lower on "
            f"average with it ({round(-max(differences)):,} to {round(-min(differences)):,}; "
            f"[step_cut.json](step_cut.json), `scripts/parl_step_cut.py`, docs/parl2.md).", ""]


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


EVAL_SEED_OFFSET = 1000  # the evaluation environment's seed: --seed + this (PARL's is unseeded)
MORE_STEPS = 10  # training steps after the evaluation: does the evaluation's statistics follow?


# --- both sides: what the physics environment under the wrappers is asked and answers ----------

class PhysicsSpy:
    """Watches the unwrapped MuJoCo environment ``base`` (gym 0.25's or Gymnasium's): every reset
    (its observation) and every step (the state and observation before it, the action, the raw
    observation, reward and termination after it, and how many resets came before it)."""

    def __init__(self, base):
        import numpy as np
        self.np, self.base = np, base
        self.resets, self.steps = [], []
        step, reset = base.step, base.reset

        def spy_reset(*args, **kwargs):
            out = reset(*args, **kwargs)
            self.resets.append(np.array(out[0] if isinstance(out, tuple) else out, np.float64))
            return out

        def spy_step(action):
            d = base.data
            before = dict(pre_obs=np.array(base._get_obs(), np.float64), qpos=d.qpos.copy(),
                          qvel=d.qvel.copy(), warmstart=d.qacc_warmstart.copy(),
                          action=np.array(action, np.float64), resets_before=len(self.resets))
            out = step(action)
            self.steps.append(dict(before, obs=np.array(out[0], np.float64),
                                   reward=float(out[1]), terminated=bool(out[2])))
            return out

        base.step, base.reset = spy_step, spy_reset

    def arrays(self, prefix):
        np = self.np
        out = {f"{prefix}resets": np.array(self.resets)}
        for key in self.steps[0]:
            out[prefix + key] = np.array([s[key] for s in self.steps])
        return out


def save(path, arrays, scalars):
    import numpy as np
    np.savez(path, **arrays)
    Path(str(path) + ".json").write_text(json.dumps(scalars))


def load(path):
    import numpy as np
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    return arrays, json.loads(Path(str(path) + ".json").read_text())


class FixedActions:
    """An agent for the evaluation functions: its predict() returns the next fixed action and
    keeps the (normalised) observation it was shown."""

    def __init__(self, actions):
        self.actions, self.seen = actions, []

    def predict(self, obs):
        import numpy as np
        self.seen.append(np.asarray(obs, np.float64).reshape(-1))
        action = self.actions[len(self.seen) - 1]
        return action[None] if np.ndim(obs) == 2 else action  # ours: a batch of one


# --- PARL's side: runs in .venv-parl-example, imports the example's modules --------------------

def child(example, inputs, output):
    import inspect

    import numpy as np
    import paddle
    sys.path.insert(0, example)
    from agent import PPOAgent
    from env_utils import GAMMA, LocalEnv, ParallelEnv
    from mujoco_config import mujoco_config
    from mujoco_model import MujocoModel
    from parl.algorithms import PPO
    from storage import RolloutStorage

    from train import run_evaluate_episodes

    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(1)
    given, s = load(inputs)
    env_id, seed = s["env_id"], s["seed"]
    config = dict(mujoco_config)  # as train.py's main() with --continuous_action
    config.update(env=env_id, seed=seed, xparl_addr=None, train_total_steps=s["train_total_steps"])
    config["batch_size"] = int(config["env_num"] * config["step_nums"])
    config["num_updates"] = int(config["train_total_steps"] // config["batch_size"])
    arrays, out = {}, {"config": {k: v for k, v in config.items() if k != "xparl_addr"}}
    defaults = {k: p.default for k, p in inspect.signature(PPO.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    gae = {k: p.default for k, p in inspect.signature(
        RolloutStorage.compute_returns).parameters.items() if p.default is not inspect.Parameter.empty}
    out["ppo_defaults"], out["gae_defaults"], out["reward_gamma"] = defaults, gae, GAMMA

    # 1. the environment and its wrappers, the same actions
    envs = ParallelEnv(config)
    vec = envs.env_list[0].env  # VecNormalizeEnv
    spy = PhysicsSpy(vec.unwrapped)
    obs = envs.reset()
    norm_obs, rewards, dones, counts, ends = [obs[0]], [], [], [], []
    for t, action in enumerate(given["actions"]):
        obs, reward, done, info = envs.step(action[None])
        norm_obs.append(obs[0])
        rewards.append(reward[0])
        dones.append(done[0])
        counts.append(vec.ob_rms.count)
        if "episode" in info[0]:
            ends.append([t, info[0]["episode"]["r"], info[0]["episode"]["l"]])
    out["base_resets"] = len(spy.resets)
    arrays.update(norm_obs=np.array(norm_obs), norm_reward=np.array(rewards, np.float64),
                  done=np.array(dones, np.float64), count=np.array(counts),
                  ob_mean=vec.ob_rms.mean, ob_var=vec.ob_rms.var,
                  ret_var=np.array(vec.ret_rms.var), ret_count=np.array(vec.ret_rms.count),
                  ret=np.array(vec.ret))
    out["episode_ends"] = ends
    out["ob_count"] = float(vec.ob_rms.count)

    # the evaluation, as train.py's: the training env's RunningMeanStd handed over
    eval_rms = envs.eval_ob_rms
    out["eval_rms_is_training_rms"] = eval_rms is vec.ob_rms
    out["eval_rms_set_at_an_episode_end"] = eval_rms is not None
    eval_env = LocalEnv(env_id, env_seed=s["eval_seed"], test=True)  # the example's is unseeded
    eval_spy = PhysicsSpy(eval_env.env.unwrapped)
    eval_env.env.set_ob_rms(eval_rms)
    before = (eval_env.env.ob_rms.mean.copy(), eval_env.env.ob_rms.var.copy(),
              eval_env.env.ob_rms.count)
    player = FixedActions(given["eval_actions"])
    out["eval_return"] = float(run_evaluate_episodes(player, eval_env, 1))
    arrays.update(eval_mean=before[0], eval_var=before[1], eval_norm_obs=np.array(player.seen))
    out["eval_count_before"], out["eval_count_after"] = before[2], eval_env.env.ob_rms.count
    out["eval_mean_changed"] = bool(np.any(eval_env.env.ob_rms.mean != before[0]))
    for action in given["actions"][:MORE_STEPS]:
        envs.step(action[None])
    out["eval_count_after_more_training"] = eval_env.env.ob_rms.count
    arrays.update(spy.arrays("raw_"), **eval_spy.arrays("eval_raw_"))

    # 2.-4. train.py's first rollout and first update, from our initial weights
    obs_space, act_space = eval_env.obs_space, eval_env.act_space
    paddle.seed(s["weight_seed"])
    model = MujocoModel(obs_space, act_space)
    for name, value in model.state_dict().items():
        arrays[f"native_w_{name}"] = value.numpy()
    model.set_state_dict({name: paddle.to_tensor(given[f"w_{name}"])
                          for name in model.state_dict()})
    ppo = PPO(model, clip_param=config["clip_param"], entropy_coef=config["entropy_coef"],
              initial_lr=config["initial_lr"], continuous_action=config["continuous_action"])
    agent = PPOAgent(ppo, config)
    rollout = RolloutStorage(config["step_nums"], config["env_num"], obs_space, act_space)
    envs = ParallelEnv(config)
    paddle.seed(s["sample_seed"])
    obs = envs.reset()
    done = np.zeros(config["env_num"], dtype="float32")
    for step in range(0, config["step_nums"]):  # train.py's loop
        value, action, logprob, _ = agent.sample(obs)
        next_obs, reward, next_done, info = envs.step(action)
        rollout.append(obs, action, logprob, reward, done, value.flatten())
        obs, done = next_obs, next_done
    value = agent.value(obs)
    rollout.compute_returns(value, done)
    arrays.update({f"ro_{k}": getattr(rollout, k) for k in (
        "obs", "actions", "logprobs", "rewards", "dones", "values", "advantages", "returns")})
    arrays.update(ro_next_value=np.asarray(value, np.float32), ro_next_done=np.asarray(done))
    np.random.seed(s["shuffle_seed"])  # the permutations agent.learn will draw
    indexes = np.arange(config["batch_size"])
    perms = []
    for _ in range(config["update_epochs"]):
        np.random.shuffle(indexes)
        perms.append(indexes.copy())
    arrays["permutations"] = np.array(perms)
    np.random.seed(s["shuffle_seed"])
    value_loss, action_loss, entropy, lr = agent.learn(rollout)
    out["losses"] = dict(value_loss=value_loss, action_loss=action_loss, entropy=entropy, lr=lr)
    for name, value in model.state_dict().items():
        arrays[f"after_w_{name}"] = value.numpy()
    save(output, arrays, out)


# --- our side -----------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.rows = []

    def add(self, component, quantity, diff, parl="", ours="", note=""):
        self.rows.append(dict(component=component, quantity=quantity, parl=parl, ours=ours,
                              max_abs_diff=None if diff is None else float(diff), note=note))


def maxdiff(a, b):
    import numpy as np
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def replayed(stream, prefix, env_id):
    """A Gymnasium environment that answers with PARL's raw stream (``prefix`` + pre_obs, obs,
    reward, terminated), step k with its k-th step whatever the action, a reset with the
    observation the physics was in before the next step; under Gymnasium's TimeLimit of the
    task, as gym.make puts it."""
    import gymnasium as gym

    spec = gym.spec(env_id)
    template = gym.make(env_id)

    class Replay(gym.Env):
        observation_space, action_space = template.observation_space, template.action_space

        def __init__(self):
            self.k = 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return stream[prefix + "pre_obs"][self.k].copy(), {}

        def step(self, action):
            k, self.k = self.k, self.k + 1
            return (stream[prefix + "obs"][k].copy(), float(stream[prefix + "reward"][k]),
                    bool(stream[prefix + "terminated"][k]), False, {})

    template.close()
    return gym.wrappers.TimeLimit(Replay(), max_episode_steps=spec.max_episode_steps)


def our_stack(env_id, replay=None, prefix="raw_"):
    """make_env's stack for ParallelEnv and the evaluation: over the real task, or (``replay``:
    PARL's stream) over that replay."""
    import contextlib

    from mujoco_ppo.parl2 import env_utils

    @contextlib.contextmanager
    def patched():
        if replay is None:
            yield
            return
        original = env_utils._make
        env_utils._make = lambda *a, **k: replayed(replay, prefix, env_id)
        try:
            yield
        finally:
            env_utils._make = original
    return patched()


def return_rms(env):
    while hasattr(env, "env"):
        if hasattr(env, "return_rms"):
            return env.return_rms, env.discounted_reward
        env = env.env
    return None, None


def run_our_env(env_id, seed, actions, eval_seed, eval_actions, replay=None):
    """Our ParallelEnv and evaluation environment through the trace (as child()'s PARL side)."""
    import numpy as np

    from mujoco_ppo.parl2.env_utils import make_env, obs_rms, run_evaluate_episodes
    from mujoco_ppo.parl2.parallel_env import ParallelEnv
    from mujoco_ppo.parl2.train_loop import freeze_eval_statistics

    with our_stack(env_id, replay):
        envs = ParallelEnv(env_id, "mujoco", "episode_end", [seed])
    worker = envs.workers[0]
    spy = PhysicsSpy(worker.env.unwrapped) if replay is None else None  # a replay has no physics
    rms = obs_rms(worker.env)
    obs = envs.reset()
    norm_obs, rewards, dones, counts, ends = [obs[0]], [], [], [], []
    for t, action in enumerate(actions):
        obs, reward, done = envs.step(action[None])
        norm_obs.append(obs[0])
        rewards.append(reward[0])
        dones.append(done[0])
        counts.append(rms.count)
        ends += [[t, r] for r in envs.take_episode_returns()]
    ret_rms, ret = return_rms(worker.env)
    got = dict(norm_obs=np.array(norm_obs, np.float64), norm_reward=np.array(rewards, np.float64),
               done=np.array(dones, np.float64), count=np.array(counts), ob_mean=rms.mean,
               ob_var=rms.var, ret_var=np.array(ret_rms.var), ret_count=np.array(ret_rms.count),
               ret=np.array(ret), episode_ends=ends)
    if spy:
        got["base_resets"] = len(spy.resets)
    with our_stack(env_id, replay, prefix="eval_raw_"):
        eval_env = make_env(env_id, "mujoco", evaluation=True)
    eval_env.reset(seed=eval_seed)  # as open_run
    freeze_eval_statistics(envs, eval_env)  # as train_loop before an evaluation
    eval_rms = obs_rms(eval_env)
    got.update(eval_mean=eval_rms.mean.copy(), eval_var=eval_rms.var.copy(),
               eval_count_before=eval_rms.count)
    player = FixedActions(eval_actions)
    got["eval_return"] = run_evaluate_episodes(player, eval_env, 1)
    got.update(eval_norm_obs=np.array(player.seen), eval_count_after=eval_rms.count,
               eval_mean_changed=bool(np.any(eval_rms.mean != got["eval_mean"])))
    for action in actions[:MORE_STEPS]:
        envs.step(action[None])
    got["eval_count_after_more_training"] = eval_rms.count
    if spy:
        got.update(spy.arrays("raw_"))
    return got


def one_step_physics(env_id, seed, parl):
    """Each of PARL's steps again on our physics, from PARL's state before it (qpos, qvel and the
    solver's warm start) with its action: the raw observation, reward and termination after."""
    import gymnasium as gym
    import numpy as np

    env = gym.make(env_id)
    env.reset(seed=seed)
    base = env.unwrapped
    obs, rewards, terms = [], [], []
    for k in range(len(parl["raw_action"])):
        base.set_state(parl["raw_qpos"][k], parl["raw_qvel"][k])
        base.data.qacc_warmstart[:] = parl["raw_warmstart"][k]
        o, r, term, _, _ = base.step(parl["raw_action"][k])
        obs.append(o)
        rewards.append(r)
        terms.append(term)
    env.close()
    return np.array(obs), np.array(rewards), np.array(terms)


def seeded_draws(env_id, seed, n):
    """The first ``n`` initial observations of the task's seeded stream (reset(seed), reset(),
    ...): what a second, third reset would start from."""
    import gymnasium as gym
    env = gym.make(env_id)
    draws = [env.reset(seed=seed)[0]] + [env.reset()[0] for _ in range(n - 1)]
    env.close()
    return draws


def first_end(done):
    import numpy as np
    hits = np.flatnonzero(np.asarray(done) > 0)
    return int(hits[0]) if hits.size else len(done) - 1


def compare_env(rep, env_id, seed, parl, ps, ours, replay, eval_seed):
    import numpy as np

    n = len(parl["raw_action"])
    steps = len(replay["done"])
    # what the physics environment is asked
    pe = [e[0] for e in ps["episode_ends"]]
    rep.add("env: resets", f"physics resets in {steps} steps (episode ends)", None,
            f"{ps['base_resets']} ({len(pe)})",
            f"{ours['base_resets']} ({sum(e[0] < steps for e in ours['episode_ends'])})",
            "PARL: 1 + 2 per episode end (MonitorEnv resets inside step, then ParallelEnv); "
            "ours: 1 + 1 (each side its own physics)")
    rep.add("env: resets", "first initial observation, same seed", maxdiff(
        parl["raw_resets"][0], ours["raw_resets"][0]), note="reset(seed) draws the same state")
    if pe and pe[0] + 1 < n:
        draws = seeded_draws(env_id, seed, 3)
        second = parl["raw_pre_obs"][pe[0] + 1]
        rep.add("env: resets", "2nd episode's initial observation vs the seeded stream's 2nd draw "
                "(ours)", maxdiff(second, draws[1]), note="PARL discards the 2nd draw")
        rep.add("env: resets", "2nd episode's initial observation vs the seeded stream's 3rd draw",
                maxdiff(second, draws[2]), note="PARL's 2nd episode starts from the 3rd draw")
    # physics
    obs1, rew1, term1 = one_step_physics(env_id, seed, parl)
    rep.add("physics (2.3.1 vs 4.0.0)", f"raw observation, one step from PARL's state ({n} steps)",
            maxdiff(obs1, parl["raw_obs"]), note="same qpos, qvel, warm start, action")
    rep.add("physics (2.3.1 vs 4.0.0)", "raw reward, one step from PARL's state",
            maxdiff(rew1, parl["raw_reward"]))
    rep.add("physics (2.3.1 vs 4.0.0)", "terminations, one step from PARL's state (count)",
            None, int(parl["raw_terminated"].sum()), int(term1.sum()),
            f"{int((term1 != parl['raw_terminated']).sum())} steps differ")
    end = min(first_end(parl["raw_terminated"]), first_end(ours["raw_terminated"]),
              pe[0] if pe else n - 1, n - 1)
    for k in sorted({0, 9, 99, end} - {x for x in (9, 99) if x > end}):
        rep.add("physics (2.3.1 vs 4.0.0)", f"raw observation, free run, step {k + 1}",
                maxdiff(parl["raw_obs"][k], ours["raw_obs"][k]),
                note="each side its own physics, same actions" if k == 0 else "")
    rep.add("physics (2.3.1 vs 4.0.0)", f"raw reward, free run, steps 1-{end + 1}",
            maxdiff(parl["raw_reward"][:end + 1], ours["raw_reward"][:end + 1]))
    # our wrappers on PARL's raw stream
    pdone, odone = parl["done"], replay["done"]
    mism = np.flatnonzero(pdone[:steps] != odone)
    upto = int(mism[0]) if mism.size else steps  # identical inputs until the done flags part
    c = "wrappers (PARL's raw stream)"
    rep.add(c, "done flags (steps with done)", None, f"{int(pdone[:steps].sum())} at "
            f"{short(np.flatnonzero(pdone[:steps]) + 1)}", f"{int(odone.sum())} at "
            f"{short(np.flatnonzero(odone) + 1)}",
            "the same" if not mism.size else f"first difference at step {upto + 1}")
    trunc = [int(k) + 1 for k in np.flatnonzero(pdone[:steps]) if not parl["raw_terminated"][k]]
    rep.add(c, "dones that are not terminations (time limits), a done in the rollout", None,
            short(trunc), short([int(k) + 1 for k in np.flatnonzero(odone)
                                 if not parl["raw_terminated"][k]]),
            "both: done = 1, not bootstrapped" if not mism.size else
            "PARL: CompatWrapper's step count, not reset by a termination, forces a done "
            "every 1000 steps")
    rep.add(c, f"normalised observations, steps 0-{upto}", maxdiff(
        parl["norm_obs"][:upto + 1], replay["norm_obs"][:upto + 1]),
        note="PARL float64, ours float32")
    rep.add(c, f"normalised rewards, steps 1-{upto}", maxdiff(
        parl["norm_reward"][:upto], replay["norm_reward"][:upto]))
    rep.add(c, f"observation count after each step, steps 1-{upto}",
            maxdiff(parl["count"][:upto], replay["count"][:upto]))
    if not mism.size:
        rep.add(c, f"observation statistics after {steps} steps: mean", maxdiff(
            parl["ob_mean"], replay["ob_mean"]))
        rep.add(c, f"observation statistics after {steps} steps: var", maxdiff(
            parl["ob_var"], replay["ob_var"]), note=f"var up to {np.max(parl['ob_var']):.3g}")
        rep.add(c, f"observation statistics after {steps} steps: count", maxdiff(
            ps["ob_count"], replay["count"][-1]), ps["ob_count"], float(replay["count"][-1]),
            "1e-4 + reset observations + steps")
        rep.add(c, "return statistics: var (count)", maxdiff(parl["ret_var"], replay["ret_var"]),
                f"{float(parl['ret_var']):.6g} ({float(parl['ret_count']):.4g})",
                f"{float(replay['ret_var']):.6g} ({float(replay['ret_count']):.4g})")
    pr = [e[1] for e in ps["episode_ends"] if e[0] < upto]
    orr = [e[1] for e in replay["episode_ends"] if e[0] < upto]
    rep.add(c, f"raw returns of the episodes finished in steps 1-{upto}",
            maxdiff(pr, orr) if len(pr) == len(orr) else None, short(pr, 1), short(orr, 1),
            "PARL rounds them to 6 decimals")
    # each side its own physics
    c = "wrappers (each side's physics)"
    rep.add(c, f"normalised observations, steps 0-{end}", maxdiff(
        parl["norm_obs"][:end + 1], ours["norm_obs"][:end + 1]),
        note="until the first episode end")
    rep.add(c, f"normalised rewards, steps 1-{end + 1}", maxdiff(
        parl["norm_reward"][:end + 1], ours["norm_reward"][:end + 1]))
    rel = np.max(np.abs(parl["ob_mean"] - ours["ob_mean"]) / np.sqrt(parl["ob_var"]))
    rep.add(c, f"observation mean after {steps} steps, in PARL's standard deviations", rel,
            note="two trajectories that parted (see physics), not a bias")
    rep.add(c, f"observation var after {steps} steps, largest ratio - 1", np.max(
        np.abs(ours["ob_var"] / parl["ob_var"] - 1)))
    # the evaluation environment's statistics
    c = "evaluation statistics"
    rep.add(c, "what the evaluation environment gets", None,
            "the training env's RunningMeanStd itself" if ps["eval_rms_is_training_rms"]
            else "another object", "a copy, made at the evaluation",
            "PARL's is set at each training episode end (None before the first)")
    rep.add(c, f"at the evaluation after {steps} steps: mean", maxdiff(
        parl["eval_mean"], replay["eval_mean"]), note="ours: from the replayed training env" + (
            "" if not mism.size else "; apart by PARL's forced dones' reset observations"))
    rep.add(c, "at the evaluation: var", maxdiff(parl["eval_var"], replay["eval_var"]))
    rep.add(c, "at the evaluation: count", maxdiff(ps["eval_count_before"],
                                                   replay["eval_count_before"]),
            ps["eval_count_before"], replay["eval_count_before"],
            "the training statistics now, not at the last episode end")
    rep.add(c, "count after an evaluation episode", None, ps["eval_count_after"],
            replay["eval_count_after"], "neither updates them while evaluating")
    rep.add(c, f"count after {MORE_STEPS} more training steps", None,
            ps["eval_count_after_more_training"], replay["eval_count_after_more_training"],
            "PARL's follows the training env (same object); reset at the next evaluation anyway")
    m = min(len(parl["eval_norm_obs"]), len(replay["eval_norm_obs"]))
    rep.add(c, f"normalised evaluation observations, PARL's raw evaluation stream ({m} steps)",
            maxdiff(parl["eval_norm_obs"][:m], replay["eval_norm_obs"][:m]))
    rep.add(c, "evaluation return (raw rewards)", maxdiff(ps["eval_return"],
                                                         replay["eval_return"]),
            round(ps["eval_return"], 3), round(replay["eval_return"], 3))


def short(values, digits=None):
    values = [round(float(v), digits) if digits is not None else int(v) for v in values]
    text = ", ".join(f"{v:,}" for v in values[:6])
    return text + (f", ... ({len(values)})" if len(values) > 6 else "") if values else "none"


def compare_learner(rep, env_id, args, parl, ps, config, weights):
    import numpy as np
    import paddle

    from mujoco_ppo.parl2.env_utils import make_env
    from mujoco_ppo.parl2.parallel_env import ParallelEnv
    from mujoco_ppo.parl2.storage import RolloutStorage
    from mujoco_ppo.parl2.train_loop import build_agent

    eval_env = make_env(env_id, "mujoco", evaluation=True)
    obs_space, act_space = eval_env.observation_space, eval_env.action_space
    eval_env.close()

    def agent(rng=None):
        a = build_agent(config, obs_space, act_space, rng)
        a.alg.model.set_state_dict({k: paddle.to_tensor(v) for k, v in weights.items()})
        return a

    # configuration
    c = "config"
    pc = ps["config"]
    mine = {k: config[k] for k in pc if k in config}
    differ = {k: (pc[k], mine[k]) for k in mine if pc[k] != mine[k]}
    rep.add(c, "mujoco_config and its batch_size, num_updates (1M steps)", None,
            f"{len(mine)} values", "the same" if not differ else f"differ: {differ}")
    pd = ps["ppo_defaults"]
    pairs = {"value_loss_coef": config["value_loss_coef"], "max_grad_norm":
             config["max_grad_norm"], "eps": 1e-5, "use_clipped_value_loss": True,
             "norm_adv": True}
    differ = {k: (pd[k], v) for k, v in pairs.items() if pd[k] != v}
    differ.update({k: (ps["gae_defaults"][k], config[k]) for k in ("gamma", "gae_lambda")
                   if ps["gae_defaults"][k] != config[k]})
    rep.add(c, "PPO's defaults, GAE's gamma and lambda, the reward normalisation's gamma", None,
            f"value_loss_coef {pd['value_loss_coef']}, max_grad_norm {pd['max_grad_norm']}, "
            f"eps {pd['eps']}, gamma {ps['gae_defaults']['gamma']}, lambda "
            f"{ps['gae_defaults']['gae_lambda']}, reward gamma {ps['reward_gamma']}",
            "the same" if not differ and ps["reward_gamma"] == 0.99 else f"differ: {differ}")
    # initial weights from the same Paddle seed
    native = max(maxdiff(parl[f"native_w_{k}"], v) for k, v in weights.items())
    rep.add("initial weights", f"PARL's MujocoModel and ours after paddle.seed({args.weight_seed})",
            native, note="the trace then gives PARL's model ours")
    # 2. sampling on PARL's observations
    ours = agent()
    paddle.seed(args.sample_seed)
    T = config["step_nums"]
    values, actions, logprobs = [], [], []
    for t in range(T):
        v, a, lp = ours.sample(parl["ro_obs"][t])
        values.append(v)
        actions.append(a)
        logprobs.append(lp)
    c = "sampling (PARL's observations)"
    rep.add(c, f"actions, {T} steps", maxdiff(np.array(actions), parl["ro_actions"]),
            note=f"same weights, paddle.seed({args.sample_seed})")
    rep.add(c, "log-probabilities", maxdiff(np.array(logprobs), parl["ro_logprobs"]))
    rep.add(c, "values", maxdiff(np.array(values), parl["ro_values"]))
    # our whole first rollout on our physics (as train_loop.train)
    ours = agent()
    envs = ParallelEnv(env_id, "mujoco", "episode_end", [args.seed])
    rollout = RolloutStorage(T, config["env_num"], obs_space, act_space)
    paddle.seed(args.sample_seed)
    obs, done = envs.reset(), np.zeros(config["env_num"], dtype=np.float32)
    for _ in range(T):
        value, action, logprob = ours.sample(obs)
        next_obs, reward, next_done = envs.step(action)
        rollout.append(obs, action, logprob, reward, done, value)
        obs, done = next_obs, next_done
    rollout.compute_returns(ours.value(obs), done, config["gamma"], config["gae_lambda"])
    envs.close()
    c = "first rollout (each side's loop and physics)"
    ends = np.flatnonzero(parl["ro_dones"][:, 0])
    marks = sorted({1, 10, 100, int(ends[0]) if ends.size else T, T})
    for name in ("obs", "actions", "logprobs", "values", "rewards"):
        ours_x, parl_x = getattr(rollout, name), parl[f"ro_{name}"]
        cells = "; ".join(f"1-{m}: {maxdiff(ours_x[:m], parl_x[:m]):.2g}" for m in marks)
        rep.add(c, f"{name} (steps 1-m: max abs diff)", maxdiff(ours_x, parl_x), note=cells)
    rep.add(c, "dones in the rollout", None, short(np.flatnonzero(parl["ro_dones"][:, 0])),
            short(np.flatnonzero(rollout.dones[:, 0])), "indexes t with dones[t] = 1")
    rep.add(c, "advantages", maxdiff(rollout.advantages, parl["ro_advantages"]),
            f"std {np.std(parl['ro_advantages']):.3g}", f"std {np.std(rollout.advantages):.3g}")
    # 3. storage on PARL's arrays
    store = RolloutStorage(T, config["env_num"], obs_space, act_space)
    for t in range(T):
        store.append(*(parl[f"ro_{k}"][t] for k in ("obs", "actions", "logprobs", "rewards",
                                                    "dones", "values")))
    store.compute_returns(parl["ro_next_value"], parl["ro_next_done"], config["gamma"],
                          config["gae_lambda"])
    c = "storage (PARL's rollout arrays)"
    rep.add(c, "advantages", maxdiff(store.advantages, parl["ro_advantages"]),
            f"range {parl['ro_advantages'].min():.3g} to {parl['ro_advantages'].max():.3g}")
    rep.add(c, "returns", maxdiff(store.returns, parl["ro_returns"]),
            note="PARL's sums turn float64 after its bool done (1.0 - done); ours stay float32")
    own = agent(np.random.RandomState(args.shuffle_seed))
    own.learn(store)  # from our storage's advantages and returns
    own_after = {k: v.numpy() for k, v in own.alg.model.state_dict().items()}
    # the update compared below learns from PARL's own advantages and returns: it alone differs
    store.advantages, store.returns = parl["ro_advantages"].copy(), parl["ro_returns"].copy()
    # 4. the first update
    rng = np.random.RandomState(args.shuffle_seed)
    indexes, perms = np.arange(config["batch_size"]), []
    for _ in range(config["update_epochs"]):
        rng.shuffle(indexes)
        perms.append(indexes.copy())
    c = "first update"
    rep.add(c, "minibatch permutations (10 epochs)", int(np.sum(np.array(perms)
                                                               != parl["permutations"])),
            f"np.random.seed({args.shuffle_seed})", f"RandomState({args.shuffle_seed})",
            "entries that differ")
    ours = agent(np.random.RandomState(args.shuffle_seed))
    value_loss, action_loss, entropy, lr = ours.learn(store)
    scale = config["batch_size"] // config["num_minibatches"]
    pl = ps["losses"]
    rep.add(c, "learning rate used", maxdiff(pl["lr"], lr), pl["lr"], lr)
    for name, mine in (("value_loss", value_loss), ("action_loss", action_loss),
                       ("entropy", entropy)):
        rep.add(c, f"{name} (PARL's x {scale})", maxdiff(pl[name] * scale, mine),
                f"{pl[name] * scale:.7g}", f"{mine:.7g}",
                "PARL: sum / (update_epochs x batch_size); ours: mean over minibatches")
    after = {k: v.numpy() for k, v in ours.alg.model.state_dict().items()}
    rep.add(c, "weights after, learnt from our storage's advantages (every parameter)",
            max(maxdiff(own_after[k], parl[f"after_w_{k}"]) for k in own_after),
            note="the rows below: from PARL's advantages and returns")
    for k in after:
        rep.add(c, f"weights after: {k}", maxdiff(after[k], parl[f"after_w_{k}"]),
                note=f"moved up to {maxdiff(parl[f'after_w_{k}'], weights[k]):.3g}")


def versions_here():
    import importlib.metadata as m
    return {"python": platform.python_version(),
            **{p: m.version(p) for p in ("paddlepaddle", "parl", "gymnasium", "mujoco", "numpy")}}


def trace_env(env_id, args, folder, python, tmp):
    import numpy as np
    import paddle

    from mujoco_ppo.parl2.config import apply_config, parse_args
    from mujoco_ppo.parl2.env_utils import make_env
    from mujoco_ppo.parl2.train_loop import build_agent

    config = apply_config(parse_args(["--env", env_id]), "mujoco")
    probe = make_env(env_id, "mujoco", evaluation=True)
    act_dim = probe.action_space.shape[0]
    probe.close()
    paddle.seed(args.weight_seed)
    model = build_agent(config, probe.observation_space, probe.action_space, None).alg.model
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    draws = np.random.RandomState(args.seed)
    actions = draws.standard_normal((args.steps, act_dim))
    eval_actions = draws.standard_normal((1000, act_dim))
    eval_seed = args.seed + EVAL_SEED_OFFSET
    inputs, output = tmp / f"{env_id}_in.npz", tmp / f"{env_id}_parl.npz"
    save(inputs, {"actions": actions, "eval_actions": eval_actions,
                  **{f"w_{k}": v for k, v in weights.items()}},
         {"env_id": env_id, "seed": args.seed, "eval_seed": eval_seed,
          "weight_seed": args.weight_seed, "sample_seed": args.sample_seed,
          "shuffle_seed": args.shuffle_seed, "train_total_steps": config["train_total_steps"]})
    started = time.time()
    proc = subprocess.run([str(python), __file__, "trace", "--child", "--example", str(folder),
                           "--inputs", str(inputs), "--output", str(output)], cwd=tmp,
                          env={**os.environ, **EXAMPLE_ENV}, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"PARL's side failed on {env_id}:\n{proc.stderr[-3000:]}")
    parl, ps = load(output)
    print(f"{env_id}: PARL's side {time.time() - started:.0f} s", file=sys.stderr)
    ours = run_our_env(env_id, args.seed, actions, eval_seed, eval_actions)
    replay = run_our_env(env_id, args.seed, actions[:args.steps], eval_seed, eval_actions,
                         replay=parl)
    rep = Report()
    compare_env(rep, env_id, args.seed, parl, ps, ours, replay, eval_seed)
    compare_learner(rep, env_id, args, parl, ps, config, weights)
    return rep.rows


def table(rows):
    lines = ["| component | quantity | PARL's example | ours | max abs diff | note |",
             "|---|---|---|---|---:|---|"]
    for r in rows:
        d = "" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.3g}"
        lines.append(f"| {r['component']} | {r['quantity']} | {r['parl']} | {r['ours']} | {d} | "
                     f"{r['note']} |")
    return lines


def trace_all(args, argv):
    """`trace`: each of --env traced on both sides, written to OUT/trace.json and trace.md."""
    if not args.parl_src:
        sys.exit("parl_example.py trace: --parl_src is required (a PARL checkout at 3bb5fe36).")
    if not 1000 < args.steps <= 100_000:
        sys.exit("parl_example.py trace: --steps must be more than 1000, so that a time limit "
                 "ends an episode, and at most 100,000.")

    import mujoco_ppo  # noqa: F401  (PARL's environment variables, before paddle)
    try:
        folder, theirs = example_dir(args.parl_src), versions(args.python)
    except Refused as exc:
        sys.exit(f"parl_example.py trace: {exc}")
    import paddle
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(1)  # as the child's (one thread: the same sums)
    warnings.simplefilter("ignore")  # Gymnasium's "v4 is out of date", Paddle's notices
    command = ".venv/bin/python scripts/parl_example.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    record = {"command": command, "parl_commit": PARL_COMMIT,
              "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "os": platform.platform()},
              "versions": {"ours": versions_here(), "parl_example": theirs},
              "seeds": {k: getattr(args, k) for k in ("seed", "weight_seed", "sample_seed",
                                                      "shuffle_seed")},
              "date": time.strftime("%Y-%m-%d"), "envs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for env_id in args.env:
            record["envs"][env_id] = trace_env(env_id, args, folder, Path(args.python),
                                               Path(tmp))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "trace.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    v, t = record["versions"]["ours"], theirs
    lines = ["# PARL 2.x's examples/PPO beside `train.py --algo parl2`, step by step", "",
             "```bash", command, "```", "",
             f"{record['date']}, {record['machine']['cpu']} ({record['machine']['cores']} cores). "
             f"PARL's example (commit {PARL_COMMIT[:8]}, unmodified): gym {t['gym']}, mujoco "
             f"{t['mujoco']}, numpy {t['numpy']}, paddle {t['paddlepaddle']}, parl {t['parl']}; "
             f"ours: Gymnasium {v['gymnasium']}, mujoco {v['mujoco']}, numpy {v['numpy']}, "
             f"paddle {v['paddlepaddle']}, parl {v['parl']}. Seeds: "
             + ", ".join(f"{k} {s}" for k, s in record["seeds"].items())
             + ". Every number is in trace.json; docs/parl2.md (\"Step by step against PARL's "
             "example\") says what they mean.", ""]
    for env_id, rows in record["envs"].items():
        lines += [f"## {env_id}", "", *table(rows), ""]
    (out / "trace.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


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
    trace = commands.add_parser("trace", help="both sides step by step, component by component")
    trace.add_argument("--parl_src", help="a PARL checkout at PARL_COMMIT (as run's), "
                                          "or its examples/PPO folder; required")
    trace.add_argument("--env", nargs="+", default=["HalfCheetah-v4"],
                       help="MuJoCo -v4 tasks, each traced on its own (default: %(default)s)")
    trace.add_argument("--seed", type=int, default=1,
                       help="the training environment's seed (PARL's env 0: seed + 0), and of the "
                            "fixed random actions; the evaluation environment's is seed + 1000 "
                            "(default: %(default)s)")
    trace.add_argument("--weight_seed", type=int, default=1,
                       help="paddle.seed before our model is made; PARL's gets its weights "
                            "(default: %(default)s)")
    trace.add_argument("--sample_seed", type=int, default=2,
                       help="paddle.seed before each first rollout (default: %(default)s)")
    trace.add_argument("--shuffle_seed", type=int, default=3,
                       help="np.random.seed (PARL) and RandomState (ours) of the minibatch "
                            "permutations (default: %(default)s)")
    trace.add_argument("--steps", type=int, default=2048,
                       help="steps of the environment trace, more than 1000 (default: %(default)s)")
    trace.add_argument("--out", default="results/parl2_vs_example",
                       help="where trace.json and trace.md go (default: %(default)s)")
    trace.add_argument("--python", default=str(DEFAULT_PYTHON),
                       help="the example's interpreter (default: .venv-parl-example's)")
    trace.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    trace.add_argument("--example", help=argparse.SUPPRESS)
    trace.add_argument("--inputs", help=argparse.SUPPRESS)
    trace.add_argument("--output", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.command == "trace" and args.child:  # in PARL's virtualenv, without this package
        return child(args.example, args.inputs, args.output)
    if args.command in ("report", "trace"):
        # this checkout's mujoco_ppo; `run` needs only the standard library
        checkout = str(Path(__file__).resolve().parent.parent)
        sys.path.insert(0, checkout)
        from mujoco_ppo.dependencies import require
        require(f"parl_example.py {args.command}", checkout=checkout)
    if args.command == "trace":
        return trace_all(args, argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.command == "report":
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
