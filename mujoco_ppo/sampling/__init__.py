"""Environments and sampling: creating environments (envs.py), whole episodes on local worker
processes (episodes.py), and on the actors of an xparl cluster (xparl_actors.py)."""
