from setuptools import find_packages, setup

setup(
    name="mujoco_ppo",
    version="0.1.0",
    description="PARL 1.x's MuJoCo PPO (CLIP and KLPEN) and PARL 2.x's PPO (Atari, MuJoCo, "
                "CartPole) on Paddle 3, PARL 2.2.1 and Gymnasium",
    packages=find_packages(include=["mujoco_ppo", "mujoco_ppo.*"]),
    package_data={"mujoco_ppo.analysis": ["reference/*.csv", "reference/*.md"]},
    python_requires=">=3.9",
    # the command lines of scripts/ and evaluate.py, by the same mains
    entry_points={"console_scripts": [
        "mujoco-ppo-evaluate = mujoco_ppo.evaluation.command:command",
        "mujoco-ppo-ablate = mujoco_ppo.grid.ablate:command",
        "mujoco-ppo-compare = mujoco_ppo.comparison.compare:command",
        "mujoco-ppo-plot = mujoco_ppo.analysis.plot:command",
        "mujoco-ppo-steps-to-reward = mujoco_ppo.analysis.steps_to_reward:command",
    ]},
    # parl==2.2.1 is not listed: its pinned dependencies conflict with Paddle 3, so it is
    # installed with `pip install --no-deps parl==2.2.1` (the Makefile does this).
    install_requires=[
        "paddlepaddle>=3.0,<4",
        "gymnasium[mujoco]>=1.0",
        "ale-py>=0.9", "opencv-python-headless",  # Atari, for train.py --algo parl2
        "numpy",
        "scipy",
        "six", "termcolor", "psutil", "pyzmq", "cloudpickle", "grpcio", "pynvml",
        "flask", "flask-cors", "click", "requests", "tensorboardX",
        "tensorboard",  # compare_parl.py's reader of PARL 2.x's event files
        "rliable==1.2.0", "pandas<3",  # ablate.py's statistics; rliable 1.2.0 fails with pandas 3
    ],
)
