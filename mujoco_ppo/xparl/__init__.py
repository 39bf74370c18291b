"""Sampling on an xparl cluster, and PARL's ``xparl`` command on Paddle 3 with every process of
its cluster listening on one address: the command (cluster.py, run as ``python -m
mujoco_ppo.xparl``), PARL's networking bound to that address (binding.py), the sampler whose actors
run a batch's episodes on the cluster (sampler.py), and a cluster on this machine for tests and
benchmarks (local.py).

Nothing is imported here: every process of the cluster runs ``python -m mujoco_ppo.xparl``,
which needs the command only.
"""
