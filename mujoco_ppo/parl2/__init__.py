"""PARL 2.x's PPO (examples/PPO at PARL's master): `train.py --algo parl2`.

The algorithm is PARL's own ``parl.algorithms.PPO`` (paddle backend), used unmodified; this
subpackage holds the rest of PARL's example:

- ``config.py``      atari_config.py, mujoco_config.py, a small classic-control config; the flags
- ``model.py``       atari_model.py, mujoco_model.py, and an MLP for discrete classic control
- ``agent.py``       agent.py (PPOAgent: minibatch epochs, linearly decayed learning rate)
- ``storage.py``     storage.py (RolloutStorage: GAE and returns)
- ``env_utils.py``   env_utils.py and parl.env's wrappers, on Gymnasium and ale-py
- ``train_loop.py``  train.py (the loop) and its run bookkeeping

What both PPO generations share (environment ids, the run's files, checkpoint files, errors) lives
in ``mujoco_ppo.envs.make``, ``mujoco_ppo.run`` and ``mujoco_ppo.errors``.
"""
