"""PARL 1.x's MuJoCo PPO split: MujocoModel (model.py), the PPO algorithm (algorithm.py) and,
beside it, TRPO (trpo.py), their action distributions (distributions.py), MujocoAgent (agent.py),
the policy's forward pass in NumPy that sampling runs (numpy_policy.py), the observation Scaler
(scaler.py), the batch's targets and GAE (data.py), the objectives' names and the agent's default
settings (objectives.py), and the one function that builds a run's model, algorithm and agent
from its flags (build.py).

Math only: nothing here imports the rest of the package (tests/test_layers.py holds it so).
"""
