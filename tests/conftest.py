import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import mujoco_ppo  # noqa: E402,F401  (sets PARL's environment variables before parl is imported)
import paddle  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    paddle.seed(1234)
    yield
