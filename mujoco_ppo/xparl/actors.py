"""Actors on an xparl cluster: one remote object per seed, called all at once.

A worker class (PARL 1.x's EpisodeWorker, mujoco_ppo/parl1/xparl_sampler.py; PARL 2.x's EnvWorker,
mujoco_ppo/parl2/parallel_env.py) is made a ``@parl.remote_class``: each actor owns one environment
and one random stream on the cluster.

Failures end the run with one sentence (SamplingError, or UserError for a wrong address or too
small a cluster) rather than a hang: the cluster is asked for its free CPUs before any actor is
created, and every call has a deadline (--xparl_timeout).
"""
import time

from ..errors import SamplingError, UserError
from .binding import address_towards, serve_on
from .cluster import cluster_cpus


def shippable(cls):
    """A subclass of ``cls`` that PARL sends to the cluster as a pickled class.

    PARL ships a remote class in one of two ways: as the source file of its module, which the job
    re-imports as a top-level module (this package's relative imports then fail, and the file is
    looked up relative to the working directory), or, for a class whose module has no file (one
    defined in a notebook), as the class itself, pickled. A subclass made here, outside any file,
    takes the second way: the job unpickles it and imports ``cls`` from the mujoco_ppo installed
    where the cluster runs."""
    return type(cls.__name__, (cls,), {"__module__": "mujoco_ppo_xparl_actor",
                                        "__doc__": cls.__doc__})


def first_line(exc):
    """The message of a PARL remote exception without its header and traceback lines."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("[Error occured in xparl"):  # sic
        return lines[1]
    return lines[0] if lines else "no message"


class RemoteActors:
    """One xparl actor per seed, each a ``worker(env_id, *worker_args, seed)`` on the cluster."""

    def __init__(self, address, env_id, seeds, timeout_s, worker, worker_args=()):
        # PARL's heartbeat servers in this process listen on, and announce, the one address
        # that the cluster reaches (127.0.0.1 for a cluster on loopback), not every interface.
        serve_on(address_towards(address))
        self._wait_for_cpus(address, len(seeds), timeout_s)
        import parl
        from parl.remote.exceptions import FutureObjectEmpty

        self.address, self.timeout_s = address, timeout_s
        self.result_timeout_error = FutureObjectEmpty  # what future.get raises past its timeout
        parl.connect(address)
        remote_worker = parl.remote_class(wait=False)(shippable(worker))
        self.actors = [remote_worker(env_id, *worker_args, seed) for seed in seeds]
        self._call_all("starting", "get_state", [()] * len(self.actors))

    @staticmethod
    def _wait_for_cpus(address, needed, timeout_s):
        """Return once the cluster has ``needed`` free CPUs. CPUs in use may be those of a run
        that has just ended (the cluster frees them a few seconds later): wait for them up to
        ``timeout_s``; a cluster too small altogether is an error at once."""
        deadline = time.monotonic() + timeout_s
        used, free = cluster_cpus(address)
        while free < needed and used + free >= needed and time.monotonic() < deadline:
            time.sleep(1.0)
            used, free = cluster_cpus(address)
        if free < needed:
            raise UserError(f"the xparl cluster at {address} has {free} free CPUs ({used} more "
                            f"in use) but --actor_num is {needed}: add CPUs (`xparl connect "
                            f"--address {address}` on another machine) or lower --actor_num")

    def _call_all(self, doing, method, args):
        """Call ``method`` on the first len(args) actors at once, actor i with args[i], and
        return their results; SamplingError once an actor fails or the deadline passes."""
        index = 0
        try:
            futures = [getattr(actor, method)(*a) for actor, a in zip(self.actors, args)]
            results = []
            for index, future in enumerate(futures):
                results.append(future.get(timeout=self.timeout_s))
            return results
        except self.result_timeout_error:
            raise SamplingError(f"xparl actor {index} at {self.address} did not finish {doing} "
                                f"within --xparl_timeout {self.timeout_s:g} s (its process died, "
                                f"or the cluster is that slow)") from None
        except Exception as exc:  # PARL's RemoteError and kin: the actor failed or died
            raise SamplingError(f"xparl actor {index} at {self.address} failed while {doing}: "
                                f"{type(exc).__name__}: {first_line(exc)}") from None

    def get_state(self):
        return self._call_all("saving its state", "get_state", [()] * len(self.actors))

    def set_state(self, states):
        self._call_all("restoring its state", "set_state", [(state,) for state in states])

    def close(self):
        # Only the actors: PARL's disconnect() destroys the connection's ZeroMQ context under
        # threads that may still wait on it (after a failed batch), which aborts the process;
        # its own threads and heartbeat process end with this process.
        for actor in getattr(self, "actors", []):
            actor.destroy()
