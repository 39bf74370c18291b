"""What differs between Gym's -v2 tasks on mujoco-py (MuJoCo 2.1.0) and Gymnasium's -v4 on mujoco 4.0.

    .venv/bin/python scripts/v2_physics.py [--states 1000] [--seed 0] [--tasks HalfCheetah Hopper]

The two stacks cannot share a virtualenv (mujoco-py needs numpy 1.26, the main stack numpy 2), so
this runs itself as subprocesses: with --side v4 in --v4_python (Gymnasium's -v4 tasks) and with
--side v2 in --v2_python (Gym 0.26's -v2 tasks, from `make install-v2`). Each side reports its
compiled model's constants and steps its environment once from each of --states states: the first
v4 run draws them (a reset, then a random number of random-action steps, up to --max_steps, so that
contacts and falls are among them) with one random action each, and every other run steps from the
same qpos, qvel and action. Before each step both reset (zeroing the solver's warm start) and then
set the state. The steps are compared as they are, then with one difference or more removed
(COMPARISONS, patch_model), to find which explains them. Writes to --out: constants.json (both
sides' values), constants_diff.csv (every value that differs), one_step.csv (one row per state and
comparison), one_step.json (the summary), one_step.png (the distribution of the one-step
differences) and summary.md (the tables).
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import csv
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("v2_physics.py", checkout=CHECKOUT)

import numpy as np

from mujoco_ppo.analysis.curves import replaced_when_done, write_text
from mujoco_ppo.cli import OneLineErrorParser, run_command, whole_number
from mujoco_ppo.errors import UserError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OPTION_FIELDS = ("timestep", "iterations", "tolerance", "solver", "integrator", "cone", "jacobian",
                 "impratio", "noslip_iterations", "noslip_tolerance", "gravity", "wind", "density",
                 "viscosity", "magnetic", "o_margin", "o_solref", "o_solimp", "disableflags",
                 "enableflags", "collision", "mpr_iterations", "mpr_tolerance", "ccd_iterations",
                 "ccd_tolerance", "ls_iterations", "ls_tolerance", "o_friction")
# per-object model arrays, by the kind of object that names their rows
OBJECT_FIELDS = {
    "body": ("mass", "inertia", "pos", "quat", "ipos", "iquat"),
    "geom": ("type", "size", "pos", "quat", "friction", "solref", "solimp", "solmix", "margin",
             "gap", "condim", "contype", "conaffinity", "priority"),
    "jnt": ("type", "axis", "pos", "range", "limited", "stiffness", "solref", "solimp", "margin"),
    "dof": ("damping", "armature", "frictionloss", "solref", "solimp"),
    "actuator": ("gear", "ctrlrange", "ctrllimited", "forcerange", "forcelimited", "gaintype",
                 "gainprm", "biastype", "biasprm", "dyntype", "dynprm"),
}
SIZE_FIELDS = ("nq", "nv", "nu", "nbody", "ngeom", "njnt")
ENUMS = {"solver": ("PGS", "CG", "Newton"), "integrator": ("Euler", "RK4", "implicit", "implicitfast"),
         "cone": ("pyramidal", "elliptic"), "jacobian": ("dense", "sparse", "auto")}


# --- one side: runs in the stack being measured -------------------------------------------------

def make_side_env(side, task):
    """The unwrapped environment (no checker or time limit between the caller and its physics)."""
    if side == "v2":
        import gym
        return gym.make(f"{task}-v2").unwrapped
    import gymnasium

    # its MuJoCo warning handler: Python warnings rather than lines in ./MUJOCO_LOG.TXT
    import mujoco_ppo.envs.make  # noqa: F401
    return gymnasium.make(f"{task}-v4").unwrapped


def object_names(side, model):
    """{kind: [name of each row]}, "#i" for an unnamed one; dofs are named by their joint."""
    counts = {"body": model.nbody, "geom": model.ngeom, "jnt": model.njnt, "actuator": model.nu}
    if side == "v2":
        lookup = {"body": model.body_id2name, "geom": model.geom_id2name,
                  "jnt": model.joint_id2name, "actuator": model.actuator_id2name}
    else:
        lookup = {"body": lambda i: model.body(i).name, "geom": lambda i: model.geom(i).name,
                  "jnt": lambda i: model.joint(i).name, "actuator": lambda i: model.actuator(i).name}
    names = {kind: [lookup[kind](i) or f"#{i}" for i in range(n)] for kind, n in counts.items()}
    names["dof"] = [names["jnt"][j] for j in model.dof_jntid]
    return names


def as_plain(value):
    value = np.asarray(value)
    return value.tolist() if value.dtype != bool else value.astype(int).tolist()


def model_constants(side, env):
    """{group: {field: value}} of the compiled model; fields this MuJoCo lacks are left out."""
    model = env.model
    constants = {"env": {"frame_skip": env.frame_skip, "dt": env.dt,
                         "init_qpos": as_plain(env.init_qpos), "init_qvel": as_plain(env.init_qvel)},
                 "size": {f: int(getattr(model, f)) for f in SIZE_FIELDS},
                 "opt": {f: as_plain(getattr(model.opt, f)) for f in OPTION_FIELDS
                         if hasattr(model.opt, f)}}
    names = object_names(side, model)
    for kind, fields in OBJECT_FIELDS.items():
        constants[kind] = {f: dict(zip(names[kind], as_plain(getattr(model, f"{kind}_{f}"))))
                           for f in fields if hasattr(model, f"{kind}_{f}")}
    return constants


def draw_states(env, count, seed, max_steps):
    """``count`` (qpos, qvel, action) from random-action rollouts of random length."""
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    qpos, qvel, actions = [], [], []
    for _ in range(count):
        env.reset(seed=int(rng.integers(2**31)))
        for _ in range(rng.integers(0, max_steps + 1)):
            env.step(rng.uniform(low, high))
        qpos.append(env.data.qpos.copy())
        qvel.append(env.data.qvel.copy())
        actions.append(rng.uniform(low, high))
    return np.array(qpos), np.array(qvel), np.array(actions)


def step_from(env, qpos, qvel, actions):
    """One environment step from each state: observation before and after, reward, next state."""
    out = {k: [] for k in ("obs_before", "obs", "reward", "qpos", "qvel", "ncon", "nefc")}
    for p, v, a in zip(qpos, qvel, actions):
        env.reset(seed=0)
        env.set_state(p, v)
        out["obs_before"].append(env._get_obs())
        obs, reward = env.step(a)[:2]
        for key, value in (("obs", obs), ("reward", reward), ("qpos", env.data.qpos.copy()),
                           ("qvel", env.data.qvel.copy()), ("ncon", env.data.ncon),
                           ("nefc", env.data.nefc)):
            out[key].append(value)
    return {k: np.array(v) for k, v in out.items()}


def stack_versions(side):
    if side == "v2":
        from importlib.metadata import version

        import gym
        import mujoco_py
        mj = mujoco_py.functions.mj_version()  # 210 for 2.1.0
        bindings = f"{mujoco_py.__version__} (free-mujoco-py {version('free-mujoco-py')})"
        return {"env_package": "gym", "env_version": gym.__version__, "bindings": "mujoco-py",
                "bindings_version": bindings, "mujoco": f"{mj // 100}.{mj // 10 % 10}.{mj % 10}",
                "numpy": np.__version__, "python": platform.python_version()}
    import gymnasium
    import mujoco
    return {"env_package": "gymnasium", "env_version": gymnasium.__version__, "bindings": "mujoco",
            "bindings_version": mujoco.__version__, "mujoco": mujoco.mj_versionString(),
            "numpy": np.__version__, "python": platform.python_version()}


def patch_model(env, v2_constants, patches):
    """Removes one difference at a time, to find which explains the steps: "masses" gives the -v4
    model MuJoCo 2.1.0's body masses and inertias (then recomputes what depends on them);
    "eulerdamp" turns off mujoco 4.0's implicit joint damping in the Euler integrator (HalfCheetah's;
    Hopper's is RK4), for which MuJoCo 2.1.0 has no flag; "margin0" sets every geom's contact
    margin to 0 (on either side)."""
    model = env.model
    if "masses" in patches:
        import mujoco
        bodies = object_names("v4", model)["body"]
        for field in ("mass", "inertia", "ipos", "iquat"):
            getattr(model, f"body_{field}")[:] = [v2_constants["body"][field][b] for b in bodies]
        mujoco.mj_setConst(model, env.data)
    if "eulerdamp" in patches:
        import mujoco
        model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_EULERDAMP
    if "margin0" in patches:
        model.geom_margin[:] = 0


def side_label(side, patches):
    return "+".join([side, *patches])


def run_side(args):
    """Constants and one-step results of every task on this side, into --work."""
    report = {"versions": stack_versions(args.side), "constants": {}}
    v2_constants = (json.load(open(os.path.join(args.work, "v2.json")))["constants"]
                    if "masses" in args.patches else {})
    for task in args.tasks:
        env = make_side_env(args.side, task)
        report["constants"][task] = model_constants(args.side, env)
        patch_model(env, v2_constants.get(task), args.patches)
        states_path = os.path.join(args.work, f"states_{task}.npz")
        if not os.path.exists(states_path):
            qpos, qvel, actions = draw_states(env, args.states, args.seed, args.max_steps)
            np.savez(states_path, qpos=qpos, qvel=qvel, actions=actions)
        states = np.load(states_path)
        result = step_from(env, states["qpos"], states["qvel"], states["actions"])
        label = side_label(args.side, args.patches)
        np.savez(os.path.join(args.work, f"{label}_{task}.npz"), **result)
    with open(os.path.join(args.work, f"{side_label(args.side, args.patches)}.json"), "w") as f:
        json.dump(report, f)
    return 0


# --- the driver: runs both sides, compares ------------------------------------------------------

# (-v2 side's patches, -v4 side's patches) of each comparison: the two as they are, then without one
# difference or more (patch_model). The first -v4 run draws the states; the first -v2 run's constants
# are what "masses" copies.
COMPARISONS = (((), ()), ((), ("masses",)), ((), ("eulerdamp",)),
               (("margin0",), ("masses", "margin0")))
COMPARISON_LABELS = ("as they are", "-v4 with -v2's masses and inertias",
                     "-v4 without implicit Euler damping",
                     "-v4 with -v2's masses, and both with contact margins 0")


def run_sides(args, work):
    runs = [("v4", ()), ("v2", ())] + [(side, patches) for v2, v4 in COMPARISONS[1:]
                                       for side, patches in (("v2", v2), ("v4", v4))]
    for side, patches in dict.fromkeys(runs):
        python = args.v2_python if side == "v2" else args.v4_python
        command = [python, os.path.abspath(__file__), "--side", side, "--work", work,
                   "--states", str(args.states), "--seed", str(args.seed),
                   "--max_steps", str(args.max_steps), "--tasks", *args.tasks]
        command += ["--patches", *patches] if patches else []
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT, "PYTHONWARNINGS": "ignore"})
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise SideFailed(f"the {side_label(side, patches)} side ({python}) failed: {last}")


class SideFailed(Exception):
    """One side's subprocess failed (exit status 1)."""


def differing(v2, v4, rtol=1e-9):
    """The (group, field, element, v2 value, v4 value) of every constant that differs."""
    rows = []
    for group in v4:
        for field in sorted(set(v2[group]) | set(v4[group])):
            a, b = v2[group].get(field), v4[group].get(field)
            if isinstance(a, dict) or isinstance(b, dict):
                for element in (a or b):
                    x, y = (a or {}).get(element), (b or {}).get(element)
                    if not same(x, y, rtol):
                        rows.append((group, field, element, x, y))
            elif not same(a, b, rtol):
                rows.append((group, field, "", a, b))
    return rows


def same(x, y, rtol):
    if x is None or y is None:
        return x is y
    x, y = np.asarray(x, float), np.asarray(y, float)
    return x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=1e-12)


def one_step_rows(task, label, v2, v4):
    """Per state: the largest difference of the next observation, of reward and of the next state."""
    obs_diff = np.abs(v2["obs"] - v4["obs"]).max(axis=1)
    change = np.abs(v4["obs"] - v4["obs_before"]).max(axis=1)
    state_diff = np.maximum(np.abs(v2["qpos"] - v4["qpos"]).max(axis=1),
                            np.abs(v2["qvel"] - v4["qvel"]).max(axis=1))
    start_diff = np.abs(v2["obs_before"] - v4["obs_before"]).max(axis=1)
    return [{"task": task, "compared": label, "state": i, "obs_max_abs_diff": obs_diff[i],
             "obs_step_change": change[i], "obs_rel_diff": obs_diff[i] / change[i] if change[i] else 0.0,
             "reward_v2": v2["reward"][i], "reward_v4": v4["reward"][i],
             "reward_abs_diff": abs(v2["reward"][i] - v4["reward"][i]),
             "next_state_max_abs_diff": state_diff[i], "start_obs_max_abs_diff": start_diff[i],
             "ncon_v2": int(v2["ncon"][i]), "ncon_v4": int(v4["ncon"][i]),
             "nefc_v2": int(v2["nefc"][i]), "nefc_v4": int(v4["nefc"][i])}
            for i in range(len(obs_diff))]


def summarise(rows):
    def stats(key):
        x = np.array([r[key] for r in rows])
        return {"max": float(x.max()), "mean": float(x.mean()), "median": float(np.median(x)),
                "p99": float(np.percentile(x, 99))}
    mean_reward = float(np.mean([abs(r["reward_v4"]) for r in rows]))
    return {"states": len(rows),
            **{k: stats(k) for k in ("obs_max_abs_diff", "obs_step_change", "obs_rel_diff",
                                     "reward_abs_diff", "next_state_max_abs_diff",
                                     "start_obs_max_abs_diff")},
            "mean_abs_reward_v4": mean_reward,
            "reward_abs_diff_mean_over_mean_abs_reward":
                float(np.mean([r["reward_abs_diff"] for r in rows])) / mean_reward,
            "states_with_contact_count_differing": sum(r["ncon_v2"] != r["ncon_v4"] for r in rows)}


def constants_table(rows):
    lines = ["| task | group | field | element | -v2 (MuJoCo 2.1.0) | -v4 (mujoco 4.0) |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {t} | {g} | {f} | {e} | {show(f, a)} | {show(f, b)} |" for t, g, f, e, a, b in rows]
    return lines


def show(field, value):
    if value is None:
        return "(no such field)"
    if field in ENUMS and isinstance(value, int) and value < len(ENUMS[field]):
        return f"{value} ({ENUMS[field][value]})"
    return json.dumps(rounded(value))


def rounded(value):
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return float(f"{value:.6g}") if isinstance(value, float) else value


def one_step_table(summary):
    lines = ["| task | compared | states | next obs: max abs diff | mean | median "
             "| step's own change (mean) | diff / change: max | mean | median "
             "| reward: max abs diff | mean | mean abs reward | contact count differs |",
             "| --- | --- |" + " ---: |" * 12]
    for task, by_label in summary.items():
        for label, s in by_label.items():
            o, c, r, w = (s["obs_max_abs_diff"], s["obs_step_change"], s["obs_rel_diff"],
                          s["reward_abs_diff"])
            lines.append(
                f"| {task} | {label} | {s['states']} | {o['max']:.3g} | {o['mean']:.3g} "
                f"| {o['median']:.3g} | {c['mean']:.3g} | {r['max']:.3g} | {r['mean']:.3g} "
                f"| {r['median']:.3g} | {w['max']:.3g} | {w['mean']:.3g} "
                f"| {s['mean_abs_reward_v4']:.3g} | {s['states_with_contact_count_differing']} |")
    return lines


FLOOR = 1e-17  # exact zeros are drawn here on the log axis


def plot(step_rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tasks = list(dict.fromkeys(task for task, _ in step_rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.6 * len(tasks), 5.4), squeeze=False)
    # equal distributions draw over each other: the later ones thinner and dashed, so both show
    styles = dict(zip(COMPARISON_LABELS, (("-", 3.0), ("--", 1.6), (":", 2.2), ("-.", 1.2))))
    for ax, task in zip(axes[0], tasks):
        for (row_task, label), rows in step_rows.items():
            if row_task == task:
                x = np.maximum([r["obs_rel_diff"] for r in rows], FLOOR)
                style, width = styles[label]
                ax.hist(x, bins=np.logspace(-17, 1, 73), histtype="step", ls=style, lw=width,
                        label=f"{label}:\nmedian {np.median(x):.2g}, max {x.max():.2g}")
        ax.set_xscale("log")
        ax.set_title(f"{task}: {len(rows)} states", fontsize=10)
        ax.set_xlabel("max |obs'(v2) - obs'(v4)| / max |obs' - obs|  (1e-17: exactly equal)",
                      fontsize=8)
        ax.set_ylabel("states")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle("One environment step from the same state and action: Gym -v2 (mujoco-py, "
                 "MuJoCo 2.1.0)\nagainst Gymnasium -v4 (mujoco 4.0), relative to the step's own change",
                 fontsize=9)
    fig.tight_layout()
    try:
        with replaced_when_done(path) as temporary:
            fig.savefig(temporary, dpi=110, format="png")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}.") from None
    plt.close(fig)


def short(value):
    return f"{value:.6g}" if isinstance(value, (float, np.floating)) else value


def csv_text(rows, header):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform()}


def compare(args, work, seconds):
    sides = {s: json.load(open(os.path.join(work, f"{s}.json"))) for s in ("v2", "v4")}
    diff_rows, step_rows, summary = [], {}, {}
    for task in args.tasks:
        diff_rows += [(task, *row) for row in differing(sides["v2"]["constants"][task],
                                                         sides["v4"]["constants"][task])]
        summary[task] = {}
        for label, (v2_patches, v4_patches) in zip(COMPARISON_LABELS, COMPARISONS):
            v2, v4 = (dict(np.load(os.path.join(work, f"{side_label(side, patches)}_{task}.npz")))
                      for side, patches in (("v2", v2_patches), ("v4", v4_patches)))
            step_rows[task, label] = one_step_rows(task, label, v2, v4)
            summary[task][label] = summarise(step_rows[task, label])
    report = {"command": " ".join(["scripts/v2_physics.py", *sys.argv[1:]]), "machine": machine(),
              "seconds": round(seconds, 1), "versions": {s: sides[s]["versions"] for s in sides},
              "states": args.states, "seed": args.seed, "max_steps": args.max_steps,
              "one_step": summary}
    return sides, diff_rows, step_rows, report


def write_results(out, sides, diff_rows, step_rows, report):
    all_rows = [r for rows in step_rows.values() for r in rows]
    files = {
        "constants.json": json.dumps({s: sides[s]["constants"] for s in sides}, indent=1) + "\n",
        "constants_diff.csv": csv_text([(t, g, f, e, json.dumps(a), json.dumps(b))
                                        for t, g, f, e, a, b in diff_rows],
                                       ("task", "group", "field", "element", "v2", "v4")),
        "one_step.csv": csv_text([[short(r[k]) for k in all_rows[0]] for r in all_rows],
                                 list(all_rows[0])),
        "one_step.json": json.dumps(report, indent=2) + "\n",
        "summary.md": "\n".join(["# Constants that differ", "", *constants_table(diff_rows), "",
                                 "# One step from the same state and action", "",
                                 *one_step_table(report["one_step"]), ""]),
    }
    for name, text in files.items():
        write_text(os.path.join(out, name), text)
    plot(step_rows, os.path.join(out, "one_step.png"))


def parse_args(argv):
    p = OneLineErrorParser(prog="v2_physics.py", description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=["HalfCheetah", "Hopper"],
                   help="task names with both a -v2 and a -v4 id (default: %(default)s)")
    p.add_argument("--states", type=whole_number, default=1000,
                   help="states per task (default: %(default)s)")
    p.add_argument("--seed", type=whole_number, default=0, help="(default: %(default)s)")
    p.add_argument("--max_steps", type=whole_number, default=200,
                   help="longest random-action rollout before a state (default: %(default)s)")
    p.add_argument("--out", default=os.path.join(ROOT, "results", "v2_physics"))
    p.add_argument("--v2_python", default=os.path.join(ROOT, ".venv-v2", "bin", "python"))
    p.add_argument("--v4_python", default=sys.executable)
    p.add_argument("--side", choices=("v2", "v4"), help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--patches", nargs="+", default=[], choices=("masses", "eulerdamp", "margin0"),
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.states < 1:
        p.error("--states must be at least 1")
    return args


def check_setup(args):
    for flag, python in (("--v2_python", args.v2_python), ("--v4_python", args.v4_python)):
        if not os.access(python, os.X_OK):
            hint = "; `make install-v2` creates .venv-v2" if flag == "--v2_python" else ""
            raise UserError(f"{flag} {python} is not an executable Python{hint}.")
    if not os.path.isdir(args.out):
        try:
            os.makedirs(args.out)
        except OSError as exc:
            raise UserError(f"cannot create {args.out}: {exc.strerror}.") from None
    if not os.access(args.out, os.W_OK):
        raise UserError(f"cannot write to {args.out}.")


def main(argv=None):
    args = parse_args(argv)
    if args.side:
        return run_side(args)
    check_setup(args)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="v2_physics") as work:
        run_sides(args, work)
        results = compare(args, work, time.monotonic() - start)
    write_results(args.out, *results)
    print(f"v2_physics.py: {args.states} states per task in {results[3]['seconds']:.0f} s; "
          f"results in {args.out}")
    return 0


if __name__ == "__main__":
    run_command(main, "v2_physics.py", {
        SideFailed: lambda exc: (str(exc), 1),
        KeyboardInterrupt: lambda exc: ("interrupted; each result file is the old one or the "
                                        "whole new one", 130)})
