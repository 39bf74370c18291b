#!/usr/bin/env bash
# Is HalfCheetah's KLPEN plateau a property of the MuJoCo engine version? Runs the same grid as
# results/reproduce (HalfCheetah-v2 -> v4, KLPEN) on the oldest MuJoCo that PyPI has for Python 3.11
# (2.3.1; PARL's curves came from mujoco-py on MuJoCo 1.5/2.0, which cannot be installed here).
#   bash scripts/older_mujoco.sh [GRID_DIR] [extra scripts/ablate.py run flags...]
# Creates a side virtualenv (default /tmp/venv-mujoco231, or $SIDE_VENV) that differs from .venv only
# in the mujoco version, then runs scripts/ablate.py with it. Rerunning resumes the grid.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SIDE_VENV:-/tmp/venv-mujoco231}
GRID=${1:-results/older_mujoco}
shift || true
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import mujoco_ppo" 2>/dev/null; then
    python3 -m venv "$VENV"
    grep -v '^mujoco==' requirements.txt | sed 's/gymnasium\[mujoco\]/gymnasium/' > "$VENV/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet -r "$VENV/requirements.txt" mujoco==2.3.1.post1
    "$VENV/bin/python" -m pip install --quiet --no-deps parl==2.2.1
    "$VENV/bin/python" -m pip install --quiet --no-deps -e .
fi
"$VENV/bin/python" -c "import mujoco; print('mujoco', mujoco.__version__)"
"$VENV/bin/python" scripts/ablate.py run "$GRID" --env HalfCheetah-v2 --loss_type KLPEN \
    --seeds 0 1 2 --steps 1e6 "$@"
"$VENV/bin/python" scripts/ablate.py aggregate "$GRID"
