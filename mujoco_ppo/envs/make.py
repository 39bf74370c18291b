"""Environment creation: PARL's -v2 ids, and clear refusals of what cannot run.

Gym's -v2/-v3 MuJoCo tasks run on mujoco-py and MuJoCo 2.1.0, which install only beside numpy 1.26
(``make install-v2``, into .venv-v2). Where they are installed, -v2/-v3 ids are Gym's own tasks
(gym_v2.py presents them as Gymnasium environments); elsewhere the ids of tasks that Gymnasium
has as -v4 run as -v4: the same models and reward code on the official ``mujoco`` bindings
(docs/v2-physics.md measures how far their physics differ). -v4 and -v5 ids are used as given.
"""
import contextlib
import difflib
import importlib
import re
import sys
import warnings

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium.envs.registration import load_env_creator

from ..errors import UserError
from . import gym_v2

_OLD_VERSION = re.compile(r"^(?P<base>.+)-v[23]$")


def _mujoco_warning(message):
    warnings.warn(f"MuJoCo: {message}", RuntimeWarning, stacklevel=2)


# MuJoCo's own handler prints each warning and appends it to MUJOCO_LOG.TXT in the working
# directory; MuJoCo 4 warns at every model load that Gymnasium's models use the deprecated
# `settotalmass`. As Python warnings they show once per process and leave no file behind.
mujoco.set_mju_user_warning(_mujoco_warning)


def resolve_env_id(name):
    """Returns (id to make, note to print or None). Raises UserError for an id that is unknown
    or whose code cannot be imported here (a missing optional package such as jax).
    ``module:EnvId`` (Gymnasium's syntax) first imports the module that registers EnvId."""
    if ":" in name:
        module, _, env_name = name.partition(":")
        if not module or module.startswith("."):
            raise UserError(f"{name!r} needs an absolute module name before ':' "
                            f"(module:EnvId, e.g. mypackage.envs:MyEnv-v0).")
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001  (the user's module: any error is its own)
            raise UserError(f"cannot import {module!r} for {name!r}: {exc}.") from None
        if env_name not in gym.registry:
            raise UserError(f"importing {module!r} did not register {env_name!r}.")
        _loadable(env_name)
        return name, None
    if gym_v2.is_literal(name):
        gym_v2.import_mujoco_py()  # a UserError here rather than in every sampling worker
        return name, None
    match = _OLD_VERSION.match(name)
    if match and f"{match['base']}-v4" in gym.registry:
        resolved = f"{match['base']}-v4"
        return resolved, (f"{name} is Gym's task on mujoco-py, not installed here; running "
                          f"{resolved} instead (same model and reward on the mujoco bindings; "
                          f"docs/v2-physics.md says how their physics differ). For the literal "
                          f"{name}: `make install-v2`, then `.venv-v2/bin/python train.py "
                          f"--env {name} ...`.")
    if name in gym.registry:
        _loadable(name)
        return name, None
    close = difflib.get_close_matches(name, list(gym.registry), n=3, cutoff=0.5)
    if is_atari(name):
        raise atari_refusal(name)
    hint = f"; closest known ids: {', '.join(close)}" if close else ""
    raise UserError(f"unknown environment id {name!r}{hint}.")


def atari_refusal(name):
    """The UserError of an Atari id given to PARL 1.x's PPO."""
    return UserError(f"{name} is an Atari game: Atari runs with train.py --algo parl2 (PARL "
                     f"2.x's PPO), not PARL 1.x's.")


def is_atari(name):
    """Whether ale-py, where installed, registers ``name``: only --algo parl2 imports it, so an
    Atari id is unknown to PARL 1.x's PPO (importing it here, for a refusal, is harmless)."""
    try:
        import ale_py
    except ImportError:
        return False
    gym.register_envs(ale_py)
    spec = gym.registry.get(name)
    return spec is not None and spec.entry_point == "ale_py.env:AtariEnv"


def _loadable(env_id):
    """UserError unless the code that env_id's registration names imports (phys2d/ ids need
    jax)."""
    entry_point = gym.spec(env_id).entry_point
    if isinstance(entry_point, str):
        try:
            load_env_creator(entry_point)
        except Exception as exc:  # noqa: BLE001  (an optional package's import)
            raise UserError(f"{env_id} cannot be created here: its code ({entry_point}) does not "
                            f"import ({type(exc).__name__}: {exc}).") from None


@contextlib.contextmanager
def environment_code(env_id):
    """Around code of the environment itself (its constructor, its reset): an exception it
    raises that is none of ours is the user's code failing, so its traceback is kept, with one
    line above it that says whose it is."""
    try:
        yield
    except UserError:
        raise
    except Exception as exc:
        print(f"the environment {env_id} raised {type(exc).__name__}: {exc}; its "
              f"traceback follows.", file=sys.stderr, flush=True)
        raise


def make_env(env_id, seed=None, **make_kwargs):
    """gym.make(env_id, **make_kwargs), checked for a bounded flat continuous (Box) or a
    Discrete action space and a flat observation, and reset once with ``seed`` so that later
    unseeded resets continue a seeded stream."""
    try:
        with warnings.catch_warnings(), environment_code(env_id):
            warnings.simplefilter("ignore")  # Gymnasium's "v4 is out of date" notice
            env = gym.make(env_id, **make_kwargs)
    except (gym.error.Error, ImportError) as exc:  # missing optional dependency and the like
        raise UserError(f"cannot create {env_id}: {exc}") from None
    if not isinstance(env.action_space, (gym.spaces.Box, gym.spaces.Discrete)):
        kind = type(env.action_space).__name__
        env.close()
        raise UserError(f"{env_id} has a {kind} action space; this package needs a continuous "
                        f"(Box) one, as the MuJoCo tasks have, or a Discrete one.")
    space = env.action_space
    if isinstance(space, gym.spaces.Box) and len(space.shape) != 1:
        env.close()
        raise UserError(f"{env_id} has a Box{space.shape} action space; this package needs a "
                        f"flat (1-D) one, one policy output per action dimension.")
    if isinstance(space, gym.spaces.Box) and not (np.all(np.isfinite(space.low))
                                                  and np.all(np.isfinite(space.high))):
        env.close()
        raise UserError(f"{env_id} has an unbounded action space; actions are mapped from "
                        f"[-1, 1] onto [low, high], which needs finite bounds.")
    obs_space = env.observation_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        env.close()
        raise UserError(f"{env_id} does not have a flat (1-D Box) observation space.")
    with environment_code(env_id):
        env.reset(seed=seed)
    return env


def space_dims(env):
    """(obs_dim with the time-step feature, act_dim, discrete): act_dim is the number of actions
    of a Discrete space, the length of a Box one."""
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    act_dim = int(env.action_space.n) if discrete else env.action_space.shape[0]
    return env.observation_space.shape[0] + 1, act_dim, discrete


def map_action(action, low, high):
    """Linear map of an action in [-1, 1] onto [low, high] (PARL's ActionMappingWrapper),
    clipped."""
    return np.minimum(np.maximum(low + (action + 1.0) * 0.5 * (high - low), low), high)
