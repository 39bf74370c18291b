"""Sampling on an xparl cluster (train.py --xparl_addr HOST:PORT --actor_num N).

Each of the N actors is an EpisodeWorker (episodes.py) made a ``@parl.remote_class``: it receives
the current policy (a NumPy copy of its weights) and the scaler's (scale, offset) with every batch,
and returns its whole episodes with their unscaled observations. Actor a runs episodes a, a+N,
a+2N, ... of a batch, as a local worker does; the scaler update, policy_learn and value_learn stay
in the learner. One batch is still ``episodes_per_batch`` whole episodes.
"""
from ..xparl.actors import RemoteActors
from .episodes import EpisodeWorker, episode_shares, merge_batch


class XparlSampler(RemoteActors):
    """Same contract as local_workers.EpisodeSampler, with the episodes run by xparl actors."""

    def __init__(self, address, env_id, seeds, timeout_s):
        super().__init__(address, env_id, seeds, timeout_s, worker=EpisodeWorker)

    def collect(self, agent, scaler, episodes):
        policy = agent.numpy_policy()
        scale, offset = scaler.get()
        shares = [share for share in episode_shares(episodes, len(self.actors)) if share]
        per_actor = self._call_all("sampling", "run",
                                   [(policy, scale, offset, share) for share in shares])
        return merge_batch(per_actor + [[]] * (len(self.actors) - len(shares)), scaler)
