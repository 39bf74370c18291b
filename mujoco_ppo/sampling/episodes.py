"""Running episodes (PARL examples/PPO/train.py: run_train_episode, run_evaluate_episode,
collect_trajectories), with the episodes of a batch spread over parallel workers.

Every observation gets a time-step feature appended (0, 1e-3, 2e-3, ... within the episode),
then is centred and scaled with the scaler's statistics from before this batch. Sampled actions
are clipped to [-1, 1] (the policy mean is tanh-bounded but the Gaussian noise is not) and mapped
linearly onto the environment's bounds; a discrete action (an index drawn from the categorical
policy) goes to the environment as it is.

Workers: worker w owns one environment (its own seed) and runs episodes w, w+W, w+2W, ... of the
batch, each whole and back to back, with a NumPy copy of the current policy and the scaler's
current (scale, offset); a worker whose share is done waits for the others. Worker 0 runs in
this process with the agent's own random stream, so one worker is exactly PARL's serial loop;
the others are child processes, each with a random stream of its own. A worker exchanges two
messages per batch (the policy out, its trajectories back) rather than two per step: on this
machine a per-step exchange, as in Gymnasium's AsyncVectorEnv, costs more than the MuJoCo step
it carries (scripts/bench.py measures both). A child's answer is awaited for at most its
deadline (train.py --worker_timeout, per batch), and for STOP_GRACE_S once a stop signal has
arrived: a worker that is stopped (SIGSTOP) or stuck ends the run in one sentence, not a hang.
"""
import multiprocessing as mp
import signal
import time

import gymnasium as gym
import numpy as np

from .envs import make_env, map_action
from ..errors import Interrupted, SamplingError
from ..run.run_log import STOP_SIGNALS, pending_stop

TIME_STEP = 1e-3
# Seconds the workers still have once a stop is requested: enough for healthy ones to finish
# their batch (the run then saves a checkpoint); one that is stopped or stuck is given up, and
# the run ends on the signal with what it has kept.
STOP_GRACE_S = 10.0
POLL_S = 0.1  # how often a wait for a worker looks at the clock and at a stop request
CLOSE_GRACE_S = 5.0  # for the workers to exit on "close" before they are killed


class NumpyPolicy:
    """A NumPy copy of a policy model's weights, for the one-row forward passes of sampling: the
    same float32 computation as the model's ``policy`` without a Paddle call per env step.
    Gaussian (``logvars`` present): tanh-bounded means and a fixed std; categorical: logits."""

    def __init__(self, policy_model):
        self.layers = [(fc.weight.numpy(), fc.bias.numpy()) for fc in
                       (policy_model.fc1, policy_model.fc2, policy_model.fc3, policy_model.fc4)]
        self.discrete = policy_model.distribution.discrete
        self.std = (None if self.discrete else
                    np.exp(policy_model.logvars.numpy() / 2.0).astype(np.float32))

    def outputs(self, obs):
        """The means (Gaussian) or the logits (categorical), [N, act_dim]."""
        hidden = np.asarray(obs, dtype=np.float32)
        for i, (weight, bias) in enumerate(self.layers):
            hidden = hidden @ weight
            hidden += bias
            if i < len(self.layers) - 1 or not self.discrete:
                np.tanh(hidden, out=hidden)
        return hidden

    def sample(self, obs, rng):
        """a = mean + exp(logvars / 2) * N(0, I); or the action index i with probability
        softmax(logits)_i, by inverting the cumulative distribution at a uniform draw."""
        outputs = self.outputs(obs)
        if self.discrete:
            probs = np.exp(outputs - outputs.max(axis=1, keepdims=True), dtype=np.float64)
            cumulative = np.cumsum(probs, axis=1)
            draws = rng.random((len(outputs), 1)) * cumulative[:, -1:]
            return np.minimum((cumulative <= draws).sum(axis=1), outputs.shape[1] - 1)
        outputs += self.std * rng.standard_normal(outputs.shape, dtype=np.float32)
        return outputs

    def explore(self, obs, rng):
        """The action of a training step: a sample, clipped to [-1, 1] if continuous."""
        actions = self.sample(obs, rng)
        return actions if self.discrete else np.minimum(np.maximum(actions, -1.0), 1.0)

    def mode(self, obs):
        """The deterministic action: the means, or the index of the largest logit."""
        outputs = self.outputs(obs)
        return outputs.argmax(axis=1) if self.discrete else outputs


def run_episode(env, act, scale, offset):
    """One whole episode; ``act(scaled_obs [1, obs_dim])`` -> actions in [-1, 1] of shape [1, k],
    or action indices of shape [1] for a discrete action space. Returns the per-step arrays obs
    (scaled, float32), actions (float32 [T, k], or int64 [T]), rewards and unscaled_obs."""
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    if discrete:
        start = int(env.action_space.start)  # Gymnasium's Discrete(n, start) has start..start+n-1
        to_env, action_dtype = (lambda a: start + int(a)), "int64"  # noqa: E731
    else:
        low, high = env.action_space.low, env.action_space.high
        to_env, action_dtype = (lambda a: map_action(a, low, high)), "float32"  # noqa: E731
    observes, actions, rewards, unscaled = [], [], [], []
    obs, _ = env.reset()
    time_feature, done = 0.0, False
    while not done:
        raw = np.empty(len(obs) + 1)
        raw[:-1], raw[-1] = obs, time_feature
        scaled = ((raw - offset) * scale).astype("float32")
        action = act(scaled[None, :])[0]
        obs, reward, terminated, truncated, _ = env.step(to_env(action))
        unscaled.append(raw)
        observes.append(scaled)
        actions.append(action)
        rewards.append(reward)
        time_feature += TIME_STEP
        done = terminated or truncated
    return {"obs": np.stack(observes), "actions": np.stack(actions).astype(action_dtype),
            "rewards": np.asarray(rewards, dtype="float64"), "unscaled_obs": np.stack(unscaled)}


def run_train_episodes(env, policy, rng, scale, offset, count):
    """``count`` episodes with actions sampled from ``policy`` (a NumpyPolicy), clipped."""
    act = lambda obs: policy.explore(obs, rng)  # noqa: E731
    return [run_episode(env, act, scale, offset) for _ in range(count)]


def run_evaluate_episode(env, agent, scaler):
    """Undiscounted return of one episode with the deterministic action (mean or arg-max)."""
    scale, offset = scaler.get()
    return float(np.sum(run_episode(env, agent.policy_predict, scale, offset)["rewards"]))


def rng_state(env, rng=None):
    """The random states of an environment and, if given, of a NumPy stream."""
    state = {"env_rng": env.unwrapped.np_random.bit_generator.state}
    if rng is not None:
        state["rng"] = rng.bit_generator.state
    return state


def set_rng_state(env, state, rng=None):
    env.unwrapped.np_random.bit_generator.state = state["env_rng"]
    if rng is not None:
        rng.bit_generator.state = state["rng"]


class EpisodeWorker:
    """One environment and one random stream, running the episodes it is given: the sampling
    worker of a child process here, and the actor of an xparl cluster (mujoco_ppo/sampling/xparl_actors.py)."""

    def __init__(self, env_id, seed):
        self.env = make_env(env_id, seed)
        self.rng = np.random.default_rng(seed)

    def run(self, policy, scale, offset, count):
        return run_train_episodes(self.env, policy, self.rng, scale, offset, count)

    def get_state(self):
        return rng_state(self.env, self.rng)

    def set_state(self, state):
        set_rng_state(self.env, state, self.rng)

    def close(self):
        self.env.close()


def episode_shares(episodes, n_workers):
    """How many of a batch's episodes each worker runs: worker w runs episodes w, w+W, ..."""
    return [len(range(w, episodes, n_workers)) for w in range(n_workers)]


def merge_batch(per_worker, scaler):
    """The workers' episodes back in episode order, then one scaler update from all their
    unscaled observations."""
    n_workers, episodes = len(per_worker), sum(len(share) for share in per_worker)
    ordered = [per_worker[e % n_workers][e // n_workers] for e in range(episodes)]
    scaler.update(np.concatenate([t.pop("unscaled_obs") for t in ordered]))
    return ordered


def _worker_loop(conn, env_id, seed):
    """Child process: an EpisodeWorker serving the parent's requests ("run", "get_state",
    "set_state") until "close"."""
    # Ctrl-C, SIGTERM and SIGHUP reach the whole process group (a terminal, `timeout`, a
    # scheduler): stopping is the parent's, which ends its workers in close(); a worker whose
    # parent was killed outright sees its pipe close and exits.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    try:
        worker = EpisodeWorker(env_id, seed)
        conn.send(("ready", None))
        while True:
            command, *args = conn.recv()
            if command == "close":
                break
            conn.send(("ok", getattr(worker, command)(*args)))
        worker.close()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone (killed): nothing to report to, and nobody to read it
    except Exception as exc:  # reported to the parent, which raises it with context
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except (BrokenPipeError, ConnectionResetError):
            pass
    finally:
        conn.close()


class _ChildWorker:
    def __init__(self, env_id, seed, context, timeout_s):
        self.timeout_s = timeout_s
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_loop, args=(child, env_id, seed),
                                       daemon=True)
        self.process.start()
        child.close()
        self.receive("starting", time.monotonic() + timeout_s)  # "ready", or make_env's error

    def send(self, message):
        try:
            self.conn.send(message)
        except (BrokenPipeError, ConnectionResetError):
            raise self._died() from None

    def receive(self, doing, deadline):
        """The worker's answer; SamplingError past ``deadline`` (time.monotonic()), or
        Interrupted once a stop request is STOP_GRACE_S old."""
        while not self.conn.poll(POLL_S):
            self._check_wait(doing, deadline)
        try:
            status, payload = self.conn.recv()
        except (EOFError, ConnectionResetError):
            raise self._died() from None
        if status == "error":
            raise SamplingError(f"sampling worker failed: {payload}")
        return payload

    def _check_wait(self, doing, deadline):
        """Give the worker up (kill it: it may be stopped, which no "close" reaches) past the
        deadline or the grace of a stop request."""
        stop = pending_stop()
        if stop is not None and time.monotonic() > stop[1] + STOP_GRACE_S:
            self.process.kill()
            raise Interrupted(stop[0])
        if time.monotonic() > deadline:
            self.process.kill()
            raise SamplingError(f"sampling worker (pid {self.process.pid}) did not finish "
                                f"{doing} within --worker_timeout {self.timeout_s:g} s (it is "
                                f"stopped, stuck, or that slow)")

    def _died(self):
        self.process.join(timeout=1)
        return SamplingError(f"sampling worker (pid {self.process.pid}) died "
                             f"(exit code {self.process.exitcode})")

    def ask_to_close(self):
        try:
            self.conn.send(("close",))
        except (BrokenPipeError, OSError):
            pass

    def end(self, deadline):
        """Wait for the process to exit until ``deadline``, then kill it (a stopped one too)."""
        self.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class EpisodeSampler:
    """Samples a batch of whole episodes with ``len(seeds)`` workers, one environment each;
    a worker has ``timeout_s`` for its share of a batch (SamplingError past it)."""

    def __init__(self, env_id, seeds, timeout_s=300.0):
        self.env = make_env(env_id, seeds[0])  # worker 0, in this process
        self.timeout_s = timeout_s
        context = mp.get_context("spawn")  # no fork of a process that runs Paddle's threads
        self.children = []
        try:
            for seed in seeds[1:]:
                self.children.append(_ChildWorker(env_id, seed, context, timeout_s))
        except BaseException:
            self.close()
            raise

    def collect(self, agent, scaler, episodes):
        """``episodes`` whole episodes, in episode order, then one scaler update from all their
        unscaled observations. Each trajectory: obs (scaled, float32), actions, rewards."""
        policy = agent.numpy_policy()
        scale, offset = scaler.get()
        shares = episode_shares(episodes, 1 + len(self.children))
        deadline = time.monotonic() + self.timeout_s
        for child, share in zip(self.children, shares[1:]):
            if share:
                child.send(("run", policy, scale, offset, share))
        per_worker = [run_train_episodes(self.env, policy, agent.rng, scale, offset, shares[0])]
        per_worker += [child.receive("sampling", deadline) if share else []
                       for child, share in zip(self.children, shares[1:])]
        return merge_batch(per_worker, scaler)

    def _receive_all(self, doing):
        deadline = time.monotonic() + self.timeout_s
        return [child.receive(doing, deadline) for child in self.children]

    def get_state(self):
        """The random states of every worker's environment and stream (worker 0's stream is
        the agent's, saved with the agent)."""
        for child in self.children:
            child.send(("get_state",))
        return [rng_state(self.env)] + self._receive_all("saving its state")

    def set_state(self, states):
        set_rng_state(self.env, states[0])
        for child, state in zip(self.children, states[1:]):
            child.send(("set_state", state))
        self._receive_all("restoring its state")

    def close(self):
        self.env.close()
        for child in self.children:
            child.ask_to_close()
        deadline = time.monotonic() + CLOSE_GRACE_S
        for child in self.children:
            child.end(deadline)
