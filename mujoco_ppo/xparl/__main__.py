"""``python -m mujoco_ppo.xparl [--host ADDRESS [--allow_remote]] ARGS``: cluster.py's command,
also the interpreter that runs every process of the cluster (XPARL_PYTHON)."""
import sys

from ..errors import UserError
from .cluster import ListeningBeyondHost, main

if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except UserError as exc:
        print(f"xparl: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ListeningBeyondHost as exc:
        print(f"xparl: error: {exc}", file=sys.stderr)
        sys.exit(1)
