"""PARL 1.x's MuJoCo PPO split: MujocoModel (model.py), the PPO algorithm (algorithm.py) and,
beside it, TRPO (trpo.py), their action distributions (distributions.py), MujocoAgent (agent.py),
the observation Scaler (scaler.py), the batch's targets and GAE (data.py), and the one function
that builds a run's model, algorithm and agent from its flags (build.py)."""
