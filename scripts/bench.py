"""Throughput and memory of the training loop, next to the physical floor of this machine.

    python scripts/bench.py [--env HalfCheetah-v4] [--steps 100000]

Measures, in one run, on one environment:
  (a) env-only stepping rate with random actions, one process (the floor every other rate is
      compared with), and, for reference, Gymnasium's AsyncVectorEnv with 2 and 5 envs;
  (b) sampling rate with the real (untrained) policy, one worker and the default workers, and
      with 1 and 2 actors on an xparl cluster of this machine (started on 127.0.0.1 inside
      private network and process namespaces, as tests/test_xparl.py does);
  (c) the whole training loop (train.py at PARL's defaults) in env steps per second, with one
      worker and with the default workers;
  (d) time per iteration in sampling, policy_learn and value_learn (from progress.csv);
  (e) peak memory of the training run: the resident memory of train.py and its workers, summed.
Prints a table and writes results/bench_<env>.json. Ratios (b)/(a) and (c)/(a) are the figures
to compare across machines.

    python scripts/bench.py --learner [--baseline 7f47a9b] [--steps 100000] [--ant_steps 15000]
        [--humanoid_steps 3000]

instead measures the learner: train.py of this commit and of --baseline (a temporary
``git worktree``) in one run, per phase, on --env, Ant-v4 and Humanoid-v4; whole-loop steps/s with
1/2 learner threads x 1/2/5 workers, serial and with --overlap_value; and the steps/s projected
for a machine with a core per worker from the measured phase costs (``projected_rate``). Writes
results/bench_learner.json.

    python scripts/bench.py --parl2 [--atari_steps 8192] [--mujoco_steps 40960] [--seconds 10]

measures PARL 2.x's PPO: Breakout frames/s with random actions (8 environments, the
floor), in the loop's sampling phase and in the whole loop, and HalfCheetah-v4 steps/s, each per
phase. Writes results/bench_parl2.json.
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import csv
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import warnings

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("bench.py", checkout=ROOT)

import mujoco_ppo  # first: it sets environment variables before Paddle loads

# isort: split
import numpy as np
import psutil

from mujoco_ppo.cli import OneLineErrorParser, run_command, whole_number
from mujoco_ppo.envs.make import make_env, resolve_env_id, space_dims
from mujoco_ppo.errors import UserError
from mujoco_ppo.parl1.workers import default_num_workers
from mujoco_ppo.run.run_log import package_versions


def env_only_rate(env_id, steps):
    env = make_env(env_id, 0)
    actions = np.random.default_rng(0).uniform(-1, 1, (steps,) + env.action_space.shape)
    actions = actions.astype(env.action_space.dtype)
    env.reset()
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def async_vector_rate(env_id, num_envs, rounds):
    import gymnasium as gym
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        envs = gym.vector.AsyncVectorEnv([lambda: gym.make(env_id)] * num_envs)
    try:
        envs.reset(seed=0)
        actions = np.random.default_rng(0).uniform(-1, 1, (rounds,) + envs.action_space.shape)
        start = time.perf_counter()
        for action in actions.astype(np.float32):
            envs.step(action)
        return rounds * num_envs / (time.perf_counter() - start)
    finally:
        envs.close()


def sampling_rate(env_id, make_sampler, batches, episodes=5):
    """Env steps per second of ``batches`` batches from ``make_sampler()``, after one untimed
    batch (the scaler's warm-up)."""
    import paddle

    from mujoco_ppo.parl1.build import build_agent
    from mujoco_ppo.parl1.scaler import Scaler

    probe = make_env(env_id, 0)
    obs_dim, act_dim, discrete = space_dims(probe)
    probe.close()
    paddle.seed(0)
    agent = build_agent({}, obs_dim, act_dim, discrete, rng=np.random.default_rng(0))
    scaler = Scaler(obs_dim)
    sampler = make_sampler()
    try:
        sampler.collect(agent, scaler, episodes)
        start, steps = time.perf_counter(), 0
        for _ in range(batches):
            steps += sum(len(t["rewards"]) for t in sampler.collect(agent, scaler, episodes))
        return steps / (time.perf_counter() - start)
    finally:
        sampler.close()


def local_sampling_rate(env_id, num_workers, batches):
    from mujoco_ppo.parl1.local_workers import EpisodeSampler

    return sampling_rate(env_id, lambda: EpisodeSampler(env_id, list(range(num_workers))),
                         batches)


def xparl_sampling_rates(env_id, batches):
    """(b) with 1 and 2 xparl actors: this script again, with --xparl_rows, in private network
    and process namespaces (only loopback there, and nothing outlives it)."""
    from mujoco_ppo.xparl.local import private_network_command

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "xparl.json")
        command, reason = private_network_command(
            [sys.executable, os.path.abspath(__file__), "--env", env_id, "--xparl_rows", out,
             "--xparl_batches", str(batches)])
        if command is None:
            print(f"xparl rows skipped: {reason}")
            return {}
        subprocess.run(command, check=True, timeout=1800)
        with open(out) as f:
            return json.load(f)


def xparl_rows(env_id, batches, out):
    """Inside the namespaces: loopback up, a 2-CPU cluster on 127.0.0.1, the two rates."""
    from mujoco_ppo.parl1.xparl_sampler import XparlSampler
    from mujoco_ppo.xparl.local import bring_loopback_up, local_cluster

    bring_loopback_up()
    rates = {}
    with open(os.devnull, "w") as log, local_cluster(8010, 2, log) as address:
        for actors in (1, 2):
            rates[f"b_sampling_{actors}_xparl_actor{'s' * (actors > 1)}"] = sampling_rate(
                env_id, lambda: XparlSampler(address, env_id, list(range(actors)), 300.0),
                batches)
    with open(out, "w") as f:
        json.dump(rates, f)


def process_tree_rss(process):
    try:
        tree = [process] + process.children(recursive=True)
    except psutil.NoSuchProcess:  # it has just exited
        return 0
    total = 0
    for proc in tree:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


PARL1_PHASES = ("sample_time", "policy_time", "value_time")
PARL2_PHASES = ("sample_time", "learn_time", "eval_time")


def training_run(env_id, steps, num_workers, flags=(), root=ROOT, phases=PARL1_PHASES):
    """train.py (of the source tree at ``root``) at PARL's defaults plus ``flags``; returns
    throughput, mean phase times (``phases``: progress.csv's columns) and peak memory."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, os.path.join(root, "train.py"), "--env", env_id,
                   "--train_total_steps", str(steps), "--seed", "0", "--output_dir", out,
                   *map(str, flags)]
        if num_workers is not None:
            command += ["--num_workers", str(num_workers)]
        proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=root)
        peak = [0]

        def watch():
            while proc.poll() is None:
                peak[0] = max(peak[0], process_tree_rss(proc))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        _, stderr = proc.communicate()
        watcher.join()
        if proc.returncode != 0:
            sys.exit(f"bench.py: train.py failed: {stderr.decode().strip().splitlines()[-1]}")
        with open(os.path.join(out, "progress.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
    skip = max(1, len(rows) // 5)  # leave out the first iterations (start-up, caches)
    if len(rows) <= skip:
        sys.exit(f"bench.py: {steps} steps of {env_id} made {len(rows)} iteration(s); "
                 f"give more steps.")
    steady = rows[skip:]
    seconds = float(steady[-1]["wall_time"]) - float(rows[skip - 1]["wall_time"])
    env_steps = int(steady[-1]["steps"]) - int(rows[skip - 1]["steps"])
    phase = {name: float(np.mean([float(r[name]) for r in steady])) for name in phases}
    return {"steps_per_second": env_steps / seconds,
            "iteration_seconds": seconds / len(steady),
            **{f"{k}_per_iteration": v for k, v in phase.items()},
            "peak_rss_mb": peak[0] / 2**20}


def source_tree_at(revision):
    """A detached ``git worktree`` of this repository at ``revision`` (removed by the caller)."""
    path = tempfile.mkdtemp(prefix="bench_baseline_")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "--force", path, revision],
                   check=True, capture_output=True)
    return path


def projected_rate(phases, steps_per_iteration, workers, overlap, episodes=5):
    """Whole-loop steps/s on a machine with a core for every worker (and one for the learner),
    from the 1-worker phase costs: sampling takes the slowest worker's share of the episodes,
    ceil(episodes / workers) of them; with --overlap_value the value update hides behind the
    next batch's sampling, so an iteration costs max(sample, value) + policy."""
    sample = phases["sample_time_per_iteration"] * math.ceil(episodes / workers) / episodes
    policy, value = phases["policy_time_per_iteration"], phases["value_time_per_iteration"]
    seconds = policy + (max(sample, value) if overlap else sample + value)
    return steps_per_iteration / seconds


def learner_report(args):
    """This commit against ``args.baseline`` (per-phase times, both in this one run), the
    scaling grid (1/2 learner threads x 1/2/5 workers, serial and --overlap_value), the
    projection to more cores, and the same comparison on the large networks (Humanoid, Ant)."""
    baseline = source_tree_at(args.baseline)
    report = {"baseline": subprocess.run(["git", "-C", baseline, "rev-parse", "HEAD"],
                                         capture_output=True, text=True).stdout.strip(),
              "this": subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                                     capture_output=True, text=True).stdout.strip(),
              "load_average_at_start": os.getloadavg(), "compare": {}, "scaling": {}}
    try:
        for env_id, steps in ((args.env, args.steps), ("Ant-v4", args.ant_steps),
                              ("Humanoid-v4", args.humanoid_steps)):
            # alternated, the faster of --repeats runs each: load that comes and goes hits both
            for _ in range(args.repeats):
                for name, root in (("baseline", baseline), ("this", ROOT)):
                    run = training_run(env_id, steps, 1, ["--learner_threads", 1], root)
                    best = report["compare"].setdefault(f"{env_id} {name}", run)
                    if run["iteration_seconds"] < best["iteration_seconds"]:
                        report["compare"][f"{env_id} {name}"] = run
                    print(f"{env_id:<16}{name:<10}{run['steps_per_second']:>9.0f} steps/s  sample "
                          f"{run['sample_time_per_iteration']:.3f}  policy "
                          f"{run['policy_time_per_iteration']:.3f}  value "
                          f"{run['value_time_per_iteration']:.3f} s/iteration", flush=True)
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", baseline],
                       capture_output=True)
    for overlap in (False, True):
        for threads in (1, 2):
            for workers in (1, 2, 5):
                flags = ["--learner_threads", threads] + (["--overlap_value"] if overlap else [])
                run = training_run(args.env, args.steps, workers, flags)
                key = f"threads={threads} workers={workers} overlap={overlap}"
                report["scaling"][key] = run
                print(f"{key:<40}{run['steps_per_second']:>9.0f} steps/s", flush=True)
    phases = report["compare"][f"{args.env} this"]
    per_iteration = phases["steps_per_second"] * phases["iteration_seconds"]
    report["projected_steps_per_second"] = {
        f"workers={w} overlap={o}": projected_rate(phases, per_iteration, w, o)
        for w in (1, 2, 5) for o in (False, True)}
    report["load_average_at_end"] = os.getloadavg()
    return report


def random_action_frames(envs, seconds):
    """Breakout frames/s of this package's environments under random actions, measured by
    scripts/envpool_vs_ale.py --ours_only (a program of its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rates.json")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "envpool_vs_ale.py"),
                        "--ours_only", "--envs", str(envs), "--seconds", str(seconds),
                        "--repeats", "1", "--out", out], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)["rows"][0]["ours_frames_per_s"]


def parl2_report(args):
    """--parl2: Atari (Breakout, Atari config: 8 environments, rollouts of 1,024 agent steps)
    frames/s with random actions (the floor), in the loop's sampling phase (the untrained
    policy's actions) and in the whole loop; MuJoCo (HalfCheetah-v4, MuJoCo config) steps/s of
    the whole loop and per phase. A frame is a quarter of an agent step (frame skip 4)."""
    from mujoco_ppo.parl2.env_utils import FRAME_SKIP

    report = {"machine": machine_facts()}
    floor = random_action_frames(8, args.seconds)
    atari = training_run("BreakoutNoFrameskip-v4", args.atari_steps, None, ["--algo", "parl2"],
                         phases=PARL2_PHASES)
    rollout = 8 * 128
    atari_rates = {"random_actions_8_envs": floor,
                   "sampling_with_policy": FRAME_SKIP * rollout / atari["sample_time_per_iteration"],
                   "whole_loop": FRAME_SKIP * atari["steps_per_second"]}
    report["atari_frames_per_second"] = atari_rates
    report["atari_loop"] = atari
    mujoco = training_run("HalfCheetah-v4", args.mujoco_steps, None, ["--algo", "parl2"],
                          phases=PARL2_PHASES)
    report["mujoco_loop"] = mujoco
    report["atari_learn_seconds_per_minibatch"] = atari_trunk_ab()
    print(f"\n{'Breakout (frames/s)':<40}{'frames/s':>10}{'x random':>10}")
    for name, rate in atari_rates.items():
        print(f"{name:<40}{rate:>10.0f}{rate / floor:>10.2f}")
    print(f"\n{'per update (s)':<26}{'sample':>8}{'learn':>8}{'eval':>8}{'total':>8}"
          f"{'peak MB':>9}{'steps/s':>9}")
    for name, run in (("Breakout (1,024 steps)", atari), ("HalfCheetah (2,048 steps)", mujoco)):
        print(f"{name:<26}{run['sample_time_per_iteration']:>8.3f}"
              f"{run['learn_time_per_iteration']:>8.3f}{run['eval_time_per_iteration']:>8.3f}"
              f"{run['iteration_seconds']:>8.3f}{run['peak_rss_mb']:>9.0f}"
              f"{run['steps_per_second']:>9.0f}")
    ab = report["atari_learn_seconds_per_minibatch"]
    print(f"\nBreakout learn step (256 frame stacks): shared trunk {ab['shared_trunk']:.3f} s, "
          f"PARL's two passes {ab['two_passes']:.3f} s")
    return report


def atari_trunk_ab(rounds=3, steps=4):
    """parl.algorithms.PPO.learn on one 256-sample Breakout minibatch (Atari config), seconds a
    step with AtariModel's shared trunk and with PARL's two passes, interleaved in this process
    (the median of ``rounds`` rounds of ``steps`` steps each); the learner's default threads."""
    import gymnasium as gym
    import paddle
    from parl.algorithms import PPO

    from mujoco_ppo.parl2.model import AtariModel

    paddle.base.core.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    batch = [paddle.to_tensor(x.astype(np.float32)) for x in (
        rng.integers(0, 256, (256, 4, 84, 84)), rng.integers(0, 4, 256), rng.normal(size=256),
        rng.normal(size=256), np.full(256, -np.log(4)), rng.normal(size=256))]
    model = AtariModel(gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), gym.spaces.Discrete(4))
    ppo = PPO(model, clip_param=0.1, value_loss_coef=0.5, entropy_coef=0.01, initial_lr=2.5e-4,
              max_grad_norm=0.5)
    def learn_steps(share):
        model.share_trunk = share
        for _ in range(steps):
            ppo.learn(*batch)

    return interleaved_medians({"shared_trunk": lambda: learn_steps(True),
                                "two_passes": lambda: learn_steps(False)}, rounds, steps)


def interleaved_medians(workloads, rounds, steps):
    """{name: median seconds per step} of ``workloads`` ({name: callable doing ``steps``
    steps}), run in turn for ``rounds`` rounds after one warm-up round that is not kept: load
    that comes and goes hits all of them."""
    times = {name: [] for name in workloads}
    for round_ in range(rounds + 1):
        for name, work in workloads.items():
            start = time.perf_counter()
            work()
            if round_:
                times[name].append((time.perf_counter() - start) / steps)
    return {name: float(np.median(t)) for name, t in times.items()}


def value_step_costs(obs_dim=18, rounds=3):
    """--value_floor: seconds per value_learn step (256 rows, HalfCheetah's 18 -> 180/30/5 -> 1
    value net), in one process, interleaved, the median of ``rounds``: the agent's own
    ``value_learn`` (Paddle: forward, backward, Adam), and the same step written out in NumPy
    with Adam (a step outside Paddle's dispatch) and without it (the arithmetic alone)."""
    from mujoco_ppo.parl1.build import build_agent
    from mujoco_ppo.parl1.model import value_sizes

    rng = np.random.default_rng(0)
    batch, steps = 5000, 200
    obs = rng.normal(size=(batch, obs_dim)).astype(np.float32)
    targets = rng.normal(size=batch).astype(np.float32)
    agent = build_agent({}, obs_dim, 6, rng=np.random.default_rng(0))
    sizes = (obs_dim, *value_sizes(obs_dim)[:3], 1)
    weights = [(0.1 * rng.normal(size=(a, b))).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = weights + biases
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    rows = [rng.integers(0, batch, 256) for _ in range(steps)]

    def numpy_step(x, y, adam):
        hidden = [x]
        for w, b in zip(weights[:-1], biases[:-1]):
            hidden.append(np.tanh(hidden[-1] @ w + b))
        error = (hidden[-1] @ weights[-1] + biases[-1])[:, 0] - y  # loss mean(error^2)
        grad = (2 / len(y)) * error[:, None]
        grads_w, grads_b = [], []
        for layer in range(len(weights) - 1, -1, -1):
            grads_w.append(hidden[layer].T @ grad)
            grads_b.append(grad.sum(0))
            if layer:
                grad = (grad @ weights[layer].T) * (1 - hidden[layer] ** 2)
        if adam:
            for p, g, (m, v) in zip(params, grads_w[::-1] + grads_b[::-1], moments):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= 1e-3 * m / (np.sqrt(v) + 1e-8)

    def numpy_learn(adam):
        for ids in rows:
            numpy_step(obs[ids], targets[ids], adam)

    seconds = interleaved_medians({"paddle_value_learn": lambda: agent.value_learn(obs, targets),
                                   "numpy_with_adam": lambda: numpy_learn(True),
                                   "numpy_arithmetic_only": lambda: numpy_learn(False)},
                                  rounds, steps)
    return {"steps_per_iteration": steps, "sizes": sizes, "load_average": os.getloadavg(),
            "seconds_per_step": seconds}


def value_floor_report(args):
    import paddle
    paddle.base.core.set_num_threads(1)
    report = {"machine": machine_facts(), **value_step_costs()}
    for name, seconds in report["seconds_per_step"].items():
        print(f"{name:<24}{seconds * 1e3:8.3f} ms a step, {seconds * 200:6.3f} s per iteration")
    return report


def machine_facts():
    return {"cpu": mujoco_ppo.cpu_info("model name") or platform.machine(),
            "cores": os.cpu_count() or 1,
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "versions": package_versions(),
            "load_average_at_start": os.getloadavg()[0]}


EPISODES_PER_BATCH = 5  # train.py's default, at which training_run measures


def checked_env(env_name, steps):
    """--env as train.py runs it (-v2/-v3 MuJoCo ids as -v4), checked with --steps before any
    measuring: UserError for an id that cannot run here, or for fewer steps than two training
    iterations can take (training_run leaves the first out)."""
    import gymnasium as gym

    env_id, env_note = resolve_env_id(env_name)
    if env_note:
        print(env_note)
    longest = gym.registry[env_id.rpartition(":")[2]].max_episode_steps or 1
    fewest = 2 * EPISODES_PER_BATCH * longest
    if steps < fewest:
        raise UserError(f"--steps {steps:,} may be a single training iteration of {env_id} "
                        f"({EPISODES_PER_BATCH} episodes of up to {longest:,} steps); give at "
                        f"least {fewest:,}.")
    return env_id


def parse_args(argv=None):
    p = OneLineErrorParser(prog="bench.py",
                           description="Throughput and memory of mujoco_ppo's training loop.")
    p.add_argument("--env", default="HalfCheetah-v4", help="Gymnasium id (default: %(default)s)")
    p.add_argument("--steps", type=whole_number, default=100000,
                   help="env steps of each training run (default: %(default)s)")
    p.add_argument("--out", default=None, help="JSON to write (default: results/bench_<env>.json)")
    p.add_argument("--learner", action="store_true",
                   help="instead: the learner report (this commit vs --baseline, scaling grid, "
                        "projection; Ant-v4 and Humanoid-v4 too); writes results/bench_learner.json")
    p.add_argument("--baseline", default="7f47a9b",
                   help="git revision the learner report compares with (default: %(default)s, "
                        "the last commit before the learner's speed-ups)")
    p.add_argument("--repeats", type=int, default=2,
                   help="learner report: runs of each tree per environment, alternated; the "
                        "faster is kept (default: %(default)s)")
    p.add_argument("--ant_steps", type=int, default=15000,
                   help="env steps of the learner report's Ant-v4 runs (3 iterations of 1,000-step "
                        "episodes; default: %(default)s)")
    p.add_argument("--humanoid_steps", type=int, default=3000,
                   help="env steps of the learner report's Humanoid-v4 runs (its early episodes "
                        "are short; default: %(default)s)")
    p.add_argument("--parl2", action="store_true",
                   help="instead: PARL 2.x's PPO (train.py --algo parl2) on Breakout and "
                        "HalfCheetah-v4; writes results/bench_parl2.json")
    p.add_argument("--atari_steps", type=int, default=8192,
                   help="--parl2: agent steps of the Breakout run (updates of 1,024; "
                        "default: %(default)s)")
    p.add_argument("--mujoco_steps", type=int, default=40960,
                   help="--parl2: env steps of the HalfCheetah run (updates of 2,048; "
                        "default: %(default)s)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="--parl2: seconds of random-action Breakout stepping (default: %(default)s)")
    p.add_argument("--value_floor", action="store_true",
                   help="instead: seconds per value_learn step in Paddle against the same step "
                        "in NumPy, with and without Adam (1 thread); writes "
                        "results/bench_value_floor.json")
    p.add_argument("--xparl_rows", metavar="JSON", help=argparse.SUPPRESS)  # internal, see above
    p.add_argument("--xparl_batches", type=int, default=3, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.xparl_rows:
        return xparl_rows(args.env, args.xparl_batches, args.xparl_rows)
    if not (args.parl2 or args.value_floor):  # the reports that measure --env
        args.env = checked_env(args.env, args.steps)
    if args.learner or args.parl2 or args.value_floor:
        name, make_report = (("bench_learner.json", learner_report) if args.learner else
                             ("bench_parl2.json", parl2_report) if args.parl2 else
                             ("bench_value_floor.json", value_floor_report))
        out = args.out or os.path.join(ROOT, "results", name)
        return write_report(make_report(args), out)
    return write_report(throughput_report(args),
                        args.out or os.path.join(ROOT, "results", f"bench_{args.env}.json"))


def throughput_report(args):
    """The default report: (a) to (e) of the module's docstring on --env, printed as tables."""
    cores = os.cpu_count() or 1
    workers = default_num_workers(cores, EPISODES_PER_BATCH)

    print(f"Benchmarking {args.env} on {cores} cores; default workers for 5 episodes: {workers}")
    report = {"env": args.env, "machine": machine_facts(), "default_workers": workers}
    rates = {
        "a_env_only_1_process": env_only_rate(args.env, 20000),
        "a_async_vector_env_2": async_vector_rate(args.env, 2, 3000),
        "a_async_vector_env_5": async_vector_rate(args.env, 5, 1500),
        "b_sampling_1_worker": local_sampling_rate(args.env, 1, 3),
        f"b_sampling_{workers}_workers": local_sampling_rate(args.env, workers, 3),
        **xparl_sampling_rates(args.env, 3),
    }
    report["rates_steps_per_second"] = rates
    report["training_1_worker"] = training_run(args.env, args.steps, 1)
    report["training_default_workers"] = training_run(args.env, args.steps, None)
    floor = rates["a_env_only_1_process"]
    report["ratios_to_env_only"] = {
        **{k: v / floor for k, v in rates.items() if not k.startswith("a_env_only")},
        "c_training_1_worker": report["training_1_worker"]["steps_per_second"] / floor,
        "c_training_default_workers":
            report["training_default_workers"]["steps_per_second"] / floor,
    }

    print(f"\n{'measure':<44}{'steps/s':>10}{'x env-only':>12}")
    for name, rate in rates.items():
        print(f"{name:<44}{rate:>10.0f}{rate / floor:>12.2f}")
    for name in ("training_1_worker", "training_default_workers"):
        run = report[name]
        print(f"{'c_' + name:<44}{run['steps_per_second']:>10.0f}"
              f"{run['steps_per_second'] / floor:>12.2f}")
    print(f"\n{'per iteration (s)':<26}{'sample':>8}{'policy':>8}{'value':>8}{'total':>8}"
          f"{'peak MB':>9}")
    for name in ("training_1_worker", "training_default_workers"):
        run = report[name]
        print(f"{name:<26}{run['sample_time_per_iteration']:>8.3f}"
              f"{run['policy_time_per_iteration']:>8.3f}{run['value_time_per_iteration']:>8.3f}"
              f"{run['iteration_seconds']:>8.3f}{run['peak_rss_mb']:>9.0f}")
    return report


def write_report(report, out):
    """``report`` as JSON to ``out``; exit status 2 (the report printed instead) if it cannot be
    written, so that a long measurement is not lost."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(report, f, indent=2)
    except OSError as exc:
        print(f"bench.py: error: cannot write {out} ({exc.strerror}); the report:\n"
              f"{json.dumps(report)}", file=sys.stderr)
        return 2
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    run_command(main, "bench.py")
