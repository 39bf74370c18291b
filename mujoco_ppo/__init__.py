"""mujoco_ppo: PARL 1.x's MuJoCo PPO (examples/PPO) and PARL 2.x's PPO on Paddle 3, PARL 2.2.1
and Gymnasium.

Importing this package sets, before anything imports ``parl`` or ``paddle`` (each only where the
user has not set it already):
- ``PARL_BACKEND=paddle``: PARL 2.2.1's backend detection imports ``paddle.fluid``, which Paddle 3
  no longer has;
- ``PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python``: PARL's generated protobuf code predates
  protobuf 4;
- ``OPENBLAS_NUM_THREADS=1``: NumPy's BLAS only serves sampling's one-row policy forwards, which
  gain nothing from threads and, on a busy machine, lose up to 10x to threads that wait for a core
  (Humanoid's 377x3770x800 forward: 2.5 ms with one thread, 25 ms with two under load);
- on AMD CPUs, ``MKL_DEBUG_CPU_TYPE=5``: the MKL inside Paddle's wheel otherwise takes a generic
  code path on non-Intel CPUs, and its matrix products run about 3x slower (scripts/bench.py).
"""
import os
import warnings

os.environ.setdefault("PARL_BACKEND", "paddle")
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS


def cpu_info(field):
    """A field of /proc/cpuinfo ('vendor_id', 'model name'), or None where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


if cpu_info("vendor_id") == "AuthenticAMD":
    os.environ.setdefault("MKL_DEBUG_CPU_TYPE", "5")

# Import-time notices of Paddle and of the pynvml that PARL imports, irrelevant to a CPU run.
warnings.filterwarnings("ignore", message="No ccache found")
warnings.filterwarnings("ignore", message="The pynvml package is deprecated")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")  # PARL's xparl

__version__ = "0.1.0"
