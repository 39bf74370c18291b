"""`python -m mujoco_ppo COMMAND ...`: the `mujoco-ppo` command (commands.py)."""
from .commands import main

if __name__ == "__main__":
    main(module_form=True)
