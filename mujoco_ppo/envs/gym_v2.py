"""The literal -v2 stack: Gym 0.26's own MuJoCo tasks on mujoco-py and MuJoCo 2.1.0 (``make
install-v2`` installs them into .venv-v2), each presented as a Gymnasium environment, so that
Gymnasium's wrappers, both PPOs, their checkpoints and evaluate.py use it as they use a -v4 task.

Where gym and mujoco_py are installed, ``register_literal_ids`` puts every id of Gym's mujoco-py
tasks (HalfCheetah-v2, Hopper-v3, ...) into Gymnasium's registry with Gym's episode limit, in
place of Gymnasium's own entries for them, which only raise. gymnasium.make then wraps
GymMujocoPyEnv in Gymnasium's TimeLimit, OrderEnforcing and PassiveEnvChecker as it wraps a -v4
task. The adapter holds Gym's unwrapped environment: Gym's wrappers would repeat Gymnasium's, and
its time limit's counter would be state that a checkpoint does not see.
"""
import contextlib
import importlib.util
import io
import os
import sys
import warnings

import gymnasium
import numpy as np

from ..errors import UserError

# mujoco-py's state of a running simulation: what the next mj_step reads besides the model (the
# solver's warm start included, without which a restored step differs in the last digits)
PHYSICS_FIELDS = ("qpos", "qvel", "act", "qacc_warmstart", "ctrl", "qfrc_applied",
                  "xfrc_applied", "mocap_pos", "mocap_quat", "userdata")


def literal_stack_installed():
    """Whether gym and mujoco_py are installed (found, not imported: mujoco_py's import is slow
    and, where its extension was never built, compiles it)."""
    return all(importlib.util.find_spec(name) is not None for name in ("gym", "mujoco_py"))


def import_gym():
    """gym, imported without the notice it prints on stderr (gym-notices' "Gym has been
    unmaintained", which would come before every one-sentence error)."""
    with contextlib.redirect_stderr(io.StringIO()):
        import gym
    return gym


def import_mujoco_py():
    """mujoco_py; UserError saying why where it does not import (its extension not built)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mujoco_py
    except Exception as exc:  # noqa: BLE001  (its builder fails in many ways)
        first = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        raise UserError(f"mujoco_py is installed but does not import ({first}); rerun "
                        f"`make install-v2`, which builds its extension.") from None
    mujoco_py.cymj.set_error_callback(_fatal_mujoco_error)
    return mujoco_py


def _fatal_mujoco_error(message):
    """MuJoCo 2.1.0's errors are fatal (its handler must not return): one line, and exit,
    rather than its default handler's "Press Enter to exit", which waits on a terminal."""
    print(f"MuJoCo 2.1.0 (mujoco-py) failed: {message.decode(errors='replace')}", file=sys.stderr,
          flush=True)
    os._exit(1)


def literal_ids():
    """{id: Gym's spec} of every task of Gym's that runs on mujoco-py (the -v2 and -v3 ones)."""
    gym = import_gym()
    return {env_id: spec for env_id, spec in gym.envs.registry.items()
            if str(spec.entry_point).startswith("gym.envs.mujoco") and spec.version in (2, 3)}


def register_literal_ids():
    """Gym's mujoco-py tasks into Gymnasium's registry, where gym and mujoco_py are installed
    (done once, when this module is imported: every process that makes environments imports it,
    sampling workers and xparl actors too)."""
    if not literal_stack_installed():
        return
    for env_id, spec in literal_ids().items():
        gymnasium.registry.pop(env_id, None)  # Gymnasium's entry that says mujoco-py is missing
        gymnasium.register(env_id, entry_point=f"{__name__}:GymMujocoPyEnv",
                           max_episode_steps=spec.max_episode_steps,
                           reward_threshold=spec.reward_threshold,
                           kwargs={"gym_id": env_id, **spec.kwargs})


def is_literal(env_id):
    spec = gymnasium.registry.get(env_id)
    return spec is not None and spec.entry_point == f"{__name__}:GymMujocoPyEnv"


def to_gymnasium_space(space):
    """The Gymnasium space equal to Gym's ``space`` (same bounds, sizes and dtype)."""
    old, new = import_gym().spaces, gymnasium.spaces
    if isinstance(space, old.Box):
        return new.Box(space.low, space.high, space.shape, space.dtype)
    if isinstance(space, old.Discrete):
        return new.Discrete(int(space.n), start=int(space.start))
    if isinstance(space, old.MultiDiscrete):
        return new.MultiDiscrete(space.nvec, dtype=space.dtype)
    if isinstance(space, old.MultiBinary):
        return new.MultiBinary(space.n)
    if isinstance(space, old.Tuple):
        return new.Tuple([to_gymnasium_space(s) for s in space.spaces])
    if isinstance(space, old.Dict):
        return new.Dict({key: to_gymnasium_space(s) for key, s in space.spaces.items()})
    raise UserError(f"Gym's {type(space).__name__} space has no Gymnasium counterpart here.")


class GymMujocoPyEnv(gymnasium.Env):
    """Gym's environment ``gym_id`` (mujoco-py) as a Gymnasium one: its spaces converted, its
    reset, step, render and close as they are (Gym 0.26 has Gymnasium's step and reset API), its
    random stream as ``np_random``, and its simulation's state for checkpoints."""

    def __init__(self, gym_id, render_mode=None, **kwargs):
        gym = import_gym()
        mujoco_py = import_mujoco_py()
        with warnings.catch_warnings():  # Gym's "mujoco-py is no longer maintained" notice
            warnings.simplefilter("ignore")
            self.gym_env = gym.envs.registration.load(gym.spec(gym_id).entry_point)(
                render_mode=render_mode, **kwargs)
        self.observation_space = to_gymnasium_space(self.gym_env.observation_space)
        self.action_space = to_gymnasium_space(self.gym_env.action_space)
        self.metadata, self.render_mode = self.gym_env.metadata, render_mode
        self.versions = {"gym": gym.__version__, "mujoco_py": mujoco_py.__version__,
                         "mujoco": mujoco_version(mujoco_py.functions.mj_version())}

    @property
    def np_random(self):
        return self.gym_env.np_random

    def reset(self, *, seed=None, options=None):
        return self.gym_env.reset(seed=seed, options=options)

    def step(self, action):
        return self.gym_env.step(action)

    def render(self):
        return self.gym_env.render()

    def close(self):
        self.gym_env.close()

    def physics_state(self):
        """The simulation's time and PHYSICS_FIELDS, as one float64 vector."""
        data = self.gym_env.sim.data
        parts = [np.ravel(getattr(data, name)) for name in PHYSICS_FIELDS
                 if getattr(data, name) is not None]  # None: the model has none (no actuator
        return np.concatenate([[data.time], *parts])  # activations, mocap bodies, ...)

    def set_physics_state(self, state):
        sim = self.gym_env.sim
        sim.data.time, offset = float(state[0]), 1
        for name in PHYSICS_FIELDS:
            field = getattr(sim.data, name)
            if field is not None:
                field[...] = state[offset:offset + field.size].reshape(field.shape)
                offset += field.size
        sim.forward()


def mujoco_version(number):
    """MuJoCo's version from mj_version(): 210 -> "2.1.0"."""
    return f"{number // 100}.{number // 10 % 10}.{number % 10}"


register_literal_ids()
