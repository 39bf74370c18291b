import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def requirements():
    """requirements.txt's pins, the versions the package is tested with: one list for `make
    install` and `pip install .` alike. parl==2.2.1 is not among them: its pinned dependencies
    conflict with Paddle 3, so it is installed with `pip install --no-deps parl==2.2.1` (the
    Makefile does this)."""
    with open(os.path.join(HERE, "requirements.txt")) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name="mujoco_ppo",
    version="0.1.0",
    description="PARL 1.x's MuJoCo PPO (CLIP and KLPEN) and PARL 2.x's PPO (Atari, MuJoCo, "
                "CartPole) on Paddle 3, PARL 2.2.1 and Gymnasium",
    packages=find_packages(include=["mujoco_ppo", "mujoco_ppo.*"]),
    package_data={"mujoco_ppo.analysis": ["reference/*.csv", "reference/*.md"]},
    python_requires=">=3.11",  # the Python requirements.txt's pins are tested on
    # every command under one name: `mujoco-ppo train`, `mujoco-ppo ablate`, ... (mujoco-ppo --help)
    entry_points={"console_scripts": ["mujoco-ppo = mujoco_ppo.commands:main"]},
    install_requires=requirements(),
)
