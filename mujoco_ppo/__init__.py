"""mujoco_ppo: PARL 1.x's MuJoCo PPO (examples/PPO) on Paddle 3, PARL 2.2.1 and Gymnasium.

PARL 2.2.1 needs two environment variables to import on Paddle 3 (its backend detection
imports ``paddle.fluid``, and its generated protobuf code predates protobuf 4). They are set
here, before anything imports ``parl``, unless the user has set them already.
"""
import os
import warnings

os.environ.setdefault("PARL_BACKEND", "paddle")
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

# Import-time notices of Paddle and of the pynvml that PARL imports, irrelevant to a CPU run.
warnings.filterwarnings("ignore", message="No ccache found")
warnings.filterwarnings("ignore", message="The pynvml package is deprecated")

__version__ = "0.1.0"
