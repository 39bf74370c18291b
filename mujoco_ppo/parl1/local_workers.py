"""The local sampling workers: EpisodeSampler, a batch's episodes spread over an environment in
this process and child processes (mujoco_ppo/parl1/episodes.py runs the episodes).

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

from ..envs.make import make_env
from ..errors import Interrupted, SamplingError
from ..run.signals import STOP_SIGNALS, pending_stop
from .config import DEFAULTS
from .episodes import (
    EpisodeWorker,
    episode_shares,
    merge_batch,
    rng_state,
    run_train_episodes,
    set_rng_state,
)

# Seconds the workers still have once a stop is requested: enough for healthy ones to finish
# their batch (the run then saves a checkpoint); one that is stopped or stuck is given up, and
# the run ends on the signal with what it has kept.
STOP_GRACE_S = 10.0
POLL_S = 0.1  # how often a wait for a worker looks at the clock and at a stop request
CLOSE_GRACE_S = 5.0  # for the workers to exit on "close" before they are killed


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

    def __init__(self, env_id, seeds, timeout_s=DEFAULTS.worker_timeout):
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
