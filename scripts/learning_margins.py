"""How far each learning test's configuration is from its threshold, over seeds and numerics.

A learning test runs one seed, and the same seed gives other digits on another CPU (other BLAS
and oneDNN kernels, other thread counts), so its threshold has to hold for the spread of
outcomes, not for one trajectory. This script reruns each test's exact configuration over
several seeds and under variants that perturb the numerics as another machine would, and under
two broken learners that the test must reject:

    python scripts/learning_margins.py run results/learning_margins            # everything
    python scripts/learning_margins.py run results/learning_margins --configs ip_TRPO --seeds 0 1 2
    python scripts/learning_margins.py summary results/learning_margins

``run`` appends one row per finished run to DIR/runs.csv and skips the runs already there, so
it can be stopped and started again. ``summary`` writes DIR/summary.md and DIR/margins.png: per
configuration, the worst score of the working learner against the test's threshold (the margin)
and the best score of each broken learner.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _evals(rows):
    return [float(r["eval_reward"]) for r in rows if r["eval_reward"]]


def _train(rows):
    return [float(r["train_reward"]) for r in rows]


def _ip_score(rows):
    """Best evaluation after the first, the statistic of test_inverted_pendulum_learns."""
    return max(_evals(rows)[1:])


def _best_evaluation(rows):
    return max(_evals(rows))


def _cartpole_score(rows):
    """Best training reward (sampled actions) of the last five iterations. CartPole's arg-max
    evaluation is no test of learning: an untrained network's arg-max actions can balance the
    pole (a frozen policy's evaluations reach 421 to 500 on seed 0), its sampled actions cannot."""
    return max(_train(rows)[-5:])


def _hopper_score(rows):
    """Mean training reward of the last five iterations minus twice that of the first five."""
    train = _train(rows)
    return sum(train[-5:]) / 5 - 2 * sum(train[:5]) / 5


IP = ["--env", "InvertedPendulum-v4", "--train_total_steps", 20000, "--test_every_steps", 2500]
CARTPOLE = ["--env", "CartPole-v1", "--train_total_steps", 20000, "--test_every_steps", 2000]
HOPPER = ["--env", "Hopper-v4", "--train_total_steps", 40000, "--test_every_steps", 10000]
PARL2_CARTPOLE = ["--algo", "parl2", "--env", "CartPole-v1", "--env_num", 4, "--step_nums", 128,
                  "--initial_lr", "1e-3", "--update_epochs", 10, "--lr_decay", "false",
                  "--train_total_steps", 20000, "--test_every_steps", 2500]

# name: (train.py flags, score of a run's progress.csv rows, what the score is, the threshold
# its test in tests/test_learning.py holds the score to)
CONFIGS = {
    **{f"ip_{loss}": (IP + ["--loss_type", loss], _ip_score, "best evaluation after the first",
                      100) for loss in ("CLIP", "KLPEN", "TRPO")},
    **{f"cartpole_{loss}": (CARTPOLE + ["--loss_type", loss], _cartpole_score,
                            "best training reward of the last 5 iterations", 250)
       for loss in ("CLIP", "KLPEN", "TRPO")},
    "ip_TRPO_40k": ([*IP[:3], 40000, *IP[4:], "--loss_type", "TRPO"], _ip_score,
                    "best evaluation after the first", 100),
    "hopper_CLIP": (HOPPER, _hopper_score, "last-5 minus twice first-5 training reward", 50),
    "parl2_cartpole": (PARL2_CARTPOLE, _best_evaluation, "best evaluation", 250),
}

# name: (environment variables, extra flags) that change the floating-point path of a run
NUMERICS = {
    "default": ({}, []),
    "openblas_haswell": ({"OPENBLAS_CORETYPE": "Haswell"}, []),
    "mkl_cbwr_compatible": ({"MKL_CBWR": "COMPATIBLE"}, []),
    "onednn_avx2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, []),
    "mkl_avx2": ({"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, []),
    "mkl_cpu_type_5": ({"MKL_DEBUG_CPU_TYPE": "5"}, []),  # what mujoco_ppo sets on AMD CPUs
    "learner_threads_1": ({}, ["--learner_threads", 1]),
    "learner_threads_2": ({}, ["--learner_threads", 2]),
    "num_workers_1": ({}, ["--num_workers", 1]),  # PARL 1.x only: other environment seeds
}

# Broken learners, patched into the training process before train.py runs.
BROKEN = {
    "flipped_advantages": textwrap.dedent("""
        import mujoco_ppo.parl1.data as data
        import mujoco_ppo.parl2.storage as storage
        targets = data.trajectory_targets
        data.trajectory_targets = lambda *a: (lambda adv, tgt: (-adv, tgt))(*targets(*a))
        returns = storage.RolloutStorage.compute_returns
        def flipped(self, *a, **k):
            advantages, result = returns(self, *a, **k)
            self.advantages = -advantages
            return self.advantages, result
        storage.RolloutStorage.compute_returns = flipped
        """),
    "frozen_policy": textwrap.dedent("""
        # every optimizer step of the policy does nothing: learning rate 0 for Adam, and a
        # zero natural-gradient step for TRPO (its step is applied through set_value)
        import mujoco_ppo.parl1.agent as agent
        import mujoco_ppo.parl2.agent as agent2
        learn = agent.MujocoAgent.policy_learn
        def frozen(self, *a, **k):
            saved = [p.numpy() for p in self.alg.model.policy_model.parameters()]
            result = learn(self, *a, **k)
            for p, value in zip(self.alg.model.policy_model.parameters(), saved):
                p.set_value(value)
            self._numpy_policy = None
            return result
        agent.MujocoAgent.policy_learn = frozen
        learn2 = agent2.PPOAgent.learn
        def frozen2(self, rollout):
            saved = [p.numpy() for p in self.alg.model.parameters()]
            result = learn2(self, rollout)
            for p, value in zip(self.alg.model.parameters(), saved):
                p.set_value(value)
            return result
        agent2.PPOAgent.learn = frozen2
        """),
}

LAUNCH = """
import runpy, sys
import mujoco_ppo  # its environment variables before paddle and parl load
{patch}
sys.argv = [{train!r}] + sys.argv[1:]
runpy.run_path({train!r}, run_name="__main__")
"""

COLUMNS = ["config", "variant", "seed", "score", "returncode", "evaluations"]


def read_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_one(config, variant, seed):
    """The score of one run of ``config`` under ``variant`` (a NUMERICS or BROKEN name)."""
    flags, score = CONFIGS[config][:2]
    env_vars, extra = NUMERICS.get(variant, ({}, []))
    if config.startswith("parl2") and "--num_workers" in extra:
        return None, 0, ""  # parl2's environments are set by --env_num, part of its algorithm
    patch = BROKEN.get(variant, "")
    train = os.path.join(ROOT, "train.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        command = [sys.executable, "-c", LAUNCH.format(patch=patch, train=train),
                   *map(str, flags + extra + ["--seed", seed, "--output_dir", out])]
        env = dict(os.environ, OMP_NUM_THREADS="1", **env_vars)  # as tests/helpers.run_train
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2000:])
            return None, proc.returncode, ""
        with open(os.path.join(out, "progress.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        return score(rows), 0, " ".join(f"{value:g}" for value in _evals(rows))


def run(args):
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "runs.csv")
    done = {(r["config"], r["variant"], r["seed"]) for r in read_rows(path)}
    plan = []
    for config in args.configs:
        for variant in args.variants:
            seeds = (args.seeds if variant == "default" else
                     args.seeds[:args.broken_seeds] if variant in BROKEN else
                     args.seeds[:args.variant_seeds])
            plan += [(config, variant, seed) for seed in seeds
                     if (config, variant, str(seed)) not in done]
    new_file = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        if new_file:
            writer.writeheader()
        for i, (config, variant, seed) in enumerate(plan, 1):
            value, code, evaluations = run_one(config, variant, seed)
            if value is None and code == 0:
                continue
            writer.writerow({"config": config, "variant": variant, "seed": seed,
                             "score": "" if value is None else f"{value:.1f}", "returncode": code,
                             "evaluations": evaluations})
            f.flush()
            print(f"[{i}/{len(plan)}] {config} {variant} seed {seed}: {value}", flush=True)


def _spread(rows):
    scores = [float(r["score"]) for r in rows if r["score"]]
    return (min(scores), sorted(scores)[len(scores) // 2], max(scores), len(scores)) if scores \
        else None


def _machine():
    import platform

    from mujoco_ppo import cpu_info
    return f"{cpu_info('model name')}, {os.cpu_count()} cores, Python {platform.python_version()}"


def summary(directory):
    """summary.md and margins.png of DIR/runs.csv against each test's threshold."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_rows(os.path.join(directory, "runs.csv"))
    failed = [r for r in rows if r["returncode"] != "0"]
    configs = [c for c in CONFIGS if any(r["config"] == c for r in rows)]
    lines = ["# Learning tests: margins over seeds and numerics", "",
             "Made by `python scripts/learning_margins.py run " + directory + " --configs CONFIG "
             "...` (seeds 0-5 by default; the committed table ran ip_TRPO, ip_TRPO_40k and "
             "parl2_cartpole so, the others with `--seeds 0 1 2 3 --variant_seeds 1 "
             "--broken_seeds 1`, and ip_CLIP seeds 4-5 by default too), then `... summary "
             + directory + "`; every run is its test's exact configuration (see the script).",
             "A working learner's score must be at or above the threshold; each broken learner's "
             "must stay below it. ip_TRPO is TRPO at the other tests' 20k steps, kept to show why "
             "its test trains 40k (ip_TRPO_40k).", "",
             f"Machine: {_machine()}.", "",
             "| test configuration | score | threshold | working: min / median / max (runs) "
             "| worst numerics variant | margin (worst - threshold) | broken: best score |",
             "|---|---|---:|---|---|---:|---|"]
    fig, axes = plt.subplots(1, len(configs), figsize=(2.1 * len(configs), 4.2), squeeze=False)
    for ax, config in zip(axes[0], configs):
        _, _, what, threshold = CONFIGS[config]
        mine = [r for r in rows if r["config"] == config and r["score"]]
        working = [r for r in mine if r["variant"] in NUMERICS]
        worst = min(working, key=lambda r: float(r["score"]))
        low, median, high, n = _spread(working)
        broken = ", ".join(f"{name} {_spread([r for r in mine if r['variant'] == name])[2]:g}"
                           for name in BROKEN if any(r["variant"] == name for r in mine))
        lines.append(f"| {config} | {what} | {threshold:g} | {low:g} / {median:g} / {high:g} ({n}) "
                     f"| {worst['variant']} seed {worst['seed']} | {low - threshold:+g} "
                     f"| {broken} |")
        for x, name in enumerate([*NUMERICS, *BROKEN]):
            ys = [float(r["score"]) for r in mine if r["variant"] == name]
            ax.plot([x] * len(ys), ys, "x" if name in BROKEN else "o", alpha=0.6,
                    color="tab:red" if name in BROKEN else "tab:blue")
        ax.axhline(threshold, color="black", linestyle="--", linewidth=1)
        ax.set_title(config, fontsize=8)
        ax.set_xticks(range(len(NUMERICS) + len(BROKEN)))
        ax.set_xticklabels([*NUMERICS, *BROKEN], rotation=90, fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
    if failed:
        lines += ["", f"{len(failed)} runs failed (returncode != 0): "
                  + ", ".join(f"{r['config']} {r['variant']} seed {r['seed']}" for r in failed)]
    fig.suptitle("Learning-test scores: working learner (o, by numerics variant), broken (x), "
                 "threshold (dashed)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "margins.png"), dpi=110)
    with open(os.path.join(directory, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the configurations, appending to DIR/runs.csv")
    r.add_argument("dir")
    r.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    r.add_argument("--variants", nargs="+", default=[*NUMERICS, *BROKEN],
                   choices=[*NUMERICS, *BROKEN])
    r.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4, 5])
    r.add_argument("--variant_seeds", type=int, default=2,
                   help="seeds (the first of --seeds) run under each non-default numerics variant")
    r.add_argument("--broken_seeds", type=int, default=2,
                   help="seeds run with each broken learner")
    s = sub.add_parser("summary", help="write DIR/summary.md and DIR/margins.png")
    s.add_argument("dir")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        summary(args.dir)


if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, ROOT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("learning_margins.py", checkout=ROOT)
    main()
