"""PARL 1.x's MuJoCo PPO split: MujocoModel (model.py), the PPO algorithm (algorithm.py),
MujocoAgent (agent.py), the observation Scaler (scaler.py) and the batch's targets and GAE (data.py)."""
