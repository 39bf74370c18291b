"""xparl, PARL's cluster engine, on Paddle 3 with every process of a cluster listening on one
address: the command (``python -m mujoco_ppo.xparl``), PARL's networking bound to that address,
the remote actors both PPOs use, a grid's job on a cluster, and a cluster on this machine for
tests and benchmarks.

Nothing is imported here: every process of the cluster runs ``python -m mujoco_ppo.xparl``,
which needs the command only.
"""
