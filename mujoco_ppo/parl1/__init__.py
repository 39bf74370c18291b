"""PARL 1.x's PPO (examples/PPO at PARL v1.4), whole: its maths (model, distributions,
algorithm, TRPO, agent, scaler, data, which import nothing else of the package), its samplers, its
flags, checkpoints and training loop."""
