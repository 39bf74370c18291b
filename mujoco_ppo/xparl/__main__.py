"""``python -m mujoco_ppo.xparl [--host ADDRESS [--allow_remote]] ARGS``: cluster.py's command,
also the interpreter that runs every process of the cluster (XPARL_PYTHON)."""
from .cluster import command

if __name__ == "__main__":
    command()
