"""What PARL 2.2.1's step count does to PARL's Hopper evaluations, measured on trained policies.

PARL's ``CompatWrapper`` (parl/env/compat_wrappers.py, the innermost wrapper of ``wrap_rms``)
counts the steps of its environment across episodes, forces a done at every 1000th and zeroes the
count only then; PARL's evaluation environment lives for the whole run, so an evaluation episode
that would have run on is cut wherever the count reaches 1000, and PARL's ``MonitorEnv`` reports
the cut episode's return. This script plays each checkpoint's deterministic policy through a run's
worth of evaluations (``--evaluations`` of 3 episodes, PARL's ``eval_episode``) twice from the same
seed: episodes ending at termination or at 1000 steps of the episode (ours), and with PARL's count
on top, carried from one evaluation to the next. It writes the mean evaluation of each, the
share of episodes cut and their returns, as JSON and a figure:

    .venv/bin/python scripts/parl_step_cut.py \\
        results/parl2_vs_example/ours/runs/Hopper-v4/parl2/seed* \\
        --evaluations 60 --out results/parl2_vs_example/step_cut
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import json
import os
import platform
import sys
import time

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("parl_step_cut.py", checkout=CHECKOUT)

from mujoco_ppo import cpu_info
from mujoco_ppo.cli import OneLineErrorParser, run_command, whole_number
from mujoco_ppo.errors import UserError

PROG = "parl_step_cut.py"
EVAL_EPISODES = 3  # PARL's eval_episode (mujoco_config)
COUNT_LIMIT = 1000  # the count at which PARL's CompatWrapper forces a done: _max_episode_steps
MAX_EVALUATIONS = 10_000


def parse_args(argv):
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", metavar="RUN",
                   help="parl2 run directories (their newest checkpoint) or checkpoint "
                        "directories of a MuJoCo task")
    p.add_argument("--evaluations", type=whole_number, default=60,
                   help=f"evaluations of {EVAL_EPISODES} episodes per policy and rule, at most "
                        f"{MAX_EVALUATIONS:,} (default: %(default)s, the evaluations of a 1M-step "
                        f"run's last 30%%)")
    p.add_argument("--seed", type=whole_number, default=0,
                   help="seed of the evaluation environment, the same for both rules "
                        "(default: %(default)s)")
    p.add_argument("--out", required=True, metavar="PREFIX",
                   help="writes PREFIX.json and PREFIX.png")
    args = p.parse_args(argv)
    if not 1 <= args.evaluations <= MAX_EVALUATIONS:
        raise UserError(f"--evaluations must be in [1, {MAX_EVALUATIONS:,}], got "
                        f"{args.evaluations}")
    if not 0 <= args.seed < 2**32:
        raise UserError(f"--seed must be in [0, 2**32), got {args.seed}")
    for path in args.checkpoints:
        if not os.path.isdir(path):
            what = "is not a directory" if os.path.exists(path) else "does not exist"
            raise UserError(f"{path} {what}; give parl2 run directories or their "
                            f"checkpoints/iter_NNNNNN directories.")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        what = "is not a directory" if os.path.exists(folder) else "does not exist"
        raise UserError(f"--out {args.out}: {folder} {what}.")
    return args


def parl_step_count(env):
    """``env`` with PARL's count over it: every COUNT_LIMIT-th step since the last forced done
    (resets do not restart the count) ends the episode, whose raw return is reported in
    info["episode"] as PARL's MonitorEnv does; the wrapper's ``cut`` says whether the last
    episode ended so (and not by termination or its own time limit)."""
    import gymnasium as gym

    class PARLStepCount(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            self.count, self.episode_return, self.cut = 0, 0.0, False

        def reset(self, **kwargs):
            self.episode_return, self.cut = 0.0, False
            return self.env.reset(**kwargs)

        def step(self, action):
            obs, reward, terminated, truncated, info = self.env.step(action)
            self.count += 1
            self.episode_return += float(reward)  # the evaluation environment's rewards are raw
            if self.count >= COUNT_LIMIT:
                self.count = 0
                if not (terminated or truncated):
                    self.cut, truncated = True, True
                    info = {**info, "episode": {"r": self.episode_return}}
            return obs, reward, terminated, truncated, info

    return PARLStepCount(env)


def evaluations(run, count, seed, parl_count):
    """{"means": the mean return of each of ``count`` evaluations, "returns": every episode's,
    "cut": whether each was cut by PARL's count} of the policy of ``run`` (loaded_runs')."""
    import numpy as np

    from mujoco_ppo.algorithms import algorithm_of

    config, checkpoint_dir, arrays, info = run
    evaluation = algorithm_of(config).load_evaluation()
    settings = argparse.Namespace(seed=seed, video=None, episodes=EVAL_EPISODES)
    returns, cut = [], []
    with evaluation(settings, checkpoint_dir, config, arrays, info) as (env, run_episode):
        played = parl_step_count(env) if parl_count else env
        for _ in range(count * EVAL_EPISODES):
            returns.append(run_episode(played))
            cut.append(bool(parl_count and played.cut))
    return {"means": np.mean(np.reshape(returns, (count, EVAL_EPISODES)), axis=1).tolist(),
            "returns": returns, "cut": cut}


def loaded_runs(checkpoints):
    """(config, checkpoint directory, arrays, info) of each run, as evaluate.py loads them;
    UserError, before anything is played, unless every run is a parl2 run of one MuJoCo task."""
    from mujoco_ppo.evaluation.loading import load

    runs = [load(checkpoint, PROG) for checkpoint in checkpoints]
    for checkpoint, (config, *_) in zip(checkpoints, runs):
        if config.get("algo") != "parl2" or config["config"]["kind"] != "mujoco":
            raise UserError(f"{checkpoint} is not a run of --algo parl2 on a MuJoCo task.")
    tasks = {config["env_id"] for config, *_ in runs}
    if len(tasks) > 1:
        raise UserError(f"the runs are of {len(tasks)} tasks ({', '.join(sorted(tasks))}); give "
                        f"the runs of one task.")
    return runs


def measure(args):
    import numpy as np

    policies = []
    for run in loaded_runs(args.checkpoints):
        config, checkpoint_dir, _, info = run
        ours = evaluations(run, args.evaluations, args.seed, parl_count=False)
        parl = evaluations(run, args.evaluations, args.seed, parl_count=True)
        cut_returns = [r for r, c in zip(parl["returns"], parl["cut"]) if c]
        policy = {"checkpoint": checkpoint_dir, "env_id": config["env_id"], "steps": info["steps"],
                  "ours_mean": float(np.mean(ours["means"])),
                  "parl_count_mean": float(np.mean(parl["means"])),
                  "episodes_cut": f"{sum(parl['cut'])} of {len(parl['cut'])}",
                  "cut_share": float(np.mean(parl["cut"])),
                  "cut_episode_mean_return": float(np.mean(cut_returns)) if cut_returns else None,
                  "ours_evaluations": ours["means"], "parl_count_evaluations": parl["means"]}
        policy["difference"] = policy["parl_count_mean"] - policy["ours_mean"]
        print(f"{policy['checkpoint']}: ours {policy['ours_mean']:,.0f}, with PARL's count "
              f"{policy['parl_count_mean']:,.0f} ({policy['difference']:+,.0f}); "
              f"{policy['episodes_cut']} episodes cut", flush=True)
        policies.append(policy)
    return policies


def draw(path, policies):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mujoco_ppo.analysis.curves import replaced_when_done

    fig, ax = plt.subplots(figsize=(8, 5))
    for i, policy in enumerate(policies):
        for offset, key, colour in ((-0.12, "ours_evaluations", "tab:blue"),
                                    (0.12, "parl_count_evaluations", "tab:red")):
            values = policy[key]
            ax.scatter([i + offset] * len(values), values, s=8, alpha=0.35, color=colour)
            ax.plot([i + offset - 0.08, i + offset + 0.08], [sum(values) / len(values)] * 2,
                    color=colour, lw=2.5)
    ax.scatter([], [], color="tab:blue", label="episodes end at termination or 1,000 steps (ours)")
    ax.scatter([], [], color="tab:red", label="with PARL 2.2.1's step count (CompatWrapper)")
    ax.set_xticks(range(len(policies)))
    ax.set_xticklabels([os.path.basename(os.path.dirname(os.path.dirname(p["checkpoint"])))
                        for p in policies])
    ax.set_ylabel(f"evaluation reward (mean of {EVAL_EPISODES} episodes); bar: mean")
    ax.set_title(f"{policies[0]['env_id']}: one trained policy each, the same evaluation seed",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.set_xlabel("the policy of each run's last checkpoint")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    with replaced_when_done(path) as temporary:  # the old figure or the whole new one
        fig.savefig(temporary, dpi=110, format="png", bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    policies = measure(args)
    from mujoco_ppo.analysis.curves import write_text
    record = {"command": " ".join(["python", f"scripts/{PROG}", *(argv or sys.argv[1:])]),
              "date": time.strftime("%Y-%m-%d"), "machine": f"{cpu_info('model name') or platform.machine()}, {os.cpu_count()} cores",
              "evaluations": args.evaluations, "episodes_per_evaluation": EVAL_EPISODES,
              "seed": args.seed, "seconds": round(time.time() - started, 1), "policies": policies}
    write_text(f"{args.out}.json", json.dumps(record, indent=1) + "\n")
    draw(f"{args.out}.png", policies)
    print(f"wrote {args.out}.json and {args.out}.png")
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main, PROG))
