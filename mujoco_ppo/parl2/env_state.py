"""The exact state of a running Gymnasium environment, for checkpoints taken in the middle of
episodes (PARL 2.x's rollouts do not end episodes): the simulator's state, the wrappers' buffers
and counters, and the random streams. ``capture`` returns (arrays, state): NumPy arrays for
safetensors, and JSON-able values; ``restore`` puts them back into an environment built the
same way.

Simulators: MuJoCo's integration state (mj_getState), mujoco-py's for Gym's literal -v2 tasks
(envs/gym_v2.py: the same quantities, warm start included), ALE's system state with its
random stream (cloneState(include_rng=True)), and the ``state`` of Gymnasium's classic-control
tasks. The two MuJoCo states are stored under different names, so that a checkpoint of one stack
does not fit an environment of the other.
"""
from collections import deque

import gymnasium as gym
import mujoco
import numpy as np

from ..envs.gym_v2 import GymMujocoPyEnv
from ..errors import UserError
from ..run.checkpoint import RNG_STATE
from ..run.schema import COUNT, NUMBER, check
from .wrappers import EpisodeNormalizeReward, EpisodicLife

# The wrappers' fields that change while an environment runs (configuration ones are rebuilt).
WRAPPER_FIELDS = {
    gym.wrappers.TimeLimit: ("_elapsed_steps",),
    gym.wrappers.OrderEnforcing: ("_has_reset",),
    gym.wrappers.RecordEpisodeStatistics: ("episode_returns", "episode_lengths"),
    gym.wrappers.AtariPreprocessing: ("obs_buffer", "lives", "game_over"),
    EpisodicLife: ("lives", "game_over"),
    gym.wrappers.FrameStackObservation: ("obs_queue",),
    gym.wrappers.NormalizeObservation: ("obs_rms",),
    gym.wrappers.NormalizeReward: ("return_rms", "discounted_reward"),
    EpisodeNormalizeReward: ("return_rms", "discounted_reward"),
}
_MJ_STATE = mujoco.mjtState.mjSTATE_INTEGRATION
# The types of the values capture() puts in state.json, by the name they end in
STATE_TYPES = {"_elapsed_steps": COUNT, "_has_reset": bool, "episode_returns": NUMBER,
               "episode_lengths": COUNT, "lives": COUNT, "game_over": bool, "count": NUMBER,
               "np_random": RNG_STATE, "steps_beyond_terminated": (int, type(None))}
VARIABLE_SIZE = ".ale"  # ALE's serialised system state: its length varies with the game's state


def _layers(env):
    """(key, layer) of every wrapper with fields to save, then the base environment."""
    depth = 0
    while isinstance(env, gym.Wrapper):
        fields = next((f for cls, f in WRAPPER_FIELDS.items() if type(env) is cls), ())
        if fields:
            yield f"{depth}.{type(env).__name__}", env, fields
        env, depth = env.env, depth + 1
    yield f"{depth}.{type(env).__name__}", env, ()


def capture(env, prefix):
    arrays, state = {}, {}
    for key, layer, fields in _layers(env):
        for field in fields:
            name, value = f"{prefix}/{key}.{field}", getattr(layer, field)
            if isinstance(value, np.ndarray):
                arrays[name] = value.copy()
            elif isinstance(value, (list, deque)):  # frame buffers: equal-shaped frames
                arrays[name] = np.stack(value)
            elif isinstance(value, gym.wrappers.utils.RunningMeanStd):
                arrays[f"{name}.mean"], arrays[f"{name}.var"] = value.mean, value.var
                state[f"{name}.count"] = float(value.count)
            else:
                state[name] = value.item() if isinstance(value, np.generic) else value
    base, name = env.unwrapped, f"{prefix}/base"
    state[f"{name}.np_random"] = base.np_random.bit_generator.state
    if hasattr(base, "ale"):
        raw = base.ale.cloneState(include_rng=True).__getstate__()
        arrays[f"{name}.ale"] = np.frombuffer(raw, dtype=np.uint8).copy()
    elif hasattr(base, "data") and isinstance(base.data, mujoco.MjData):
        physics = np.empty(mujoco.mj_stateSize(base.model, _MJ_STATE))
        mujoco.mj_getState(base.model, base.data, physics, _MJ_STATE)
        arrays[f"{name}.mujoco"] = physics
    elif isinstance(base, GymMujocoPyEnv):
        arrays[f"{name}.mujoco_py"] = base.physics_state()
    elif getattr(base, "state", None) is not None:  # classic control
        arrays[f"{name}.state"] = np.array(base.state)
        state[f"{name}.steps_beyond_terminated"] = getattr(base, "steps_beyond_terminated", None)
    return arrays, state


def _checks_done(env):
    """Gymnasium's PassiveEnvChecker checks the first reset and steps of an environment, and
    the captured one has had them: without this, the restored one's first step would compare
    against a reset it never saw."""
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.PassiveEnvChecker):
            env.checked_reset = env.checked_step = env.checked_data_reuse = True
            env._previous_data = None
        env = env.env


def check_fits(env, prefix, arrays, state):
    """UserError unless ``arrays`` and ``state`` hold every entry that restore() reads for
    ``env``, with its shape or type (a checkpoint of another environment has other ones)."""
    expected_arrays, expected_state = capture(env, prefix)
    for name, expected in expected_arrays.items():
        saved = arrays.get(name)
        if saved is None or (saved.shape != expected.shape and not name.endswith(VARIABLE_SIZE)):
            found = "missing" if saved is None else f"of shape {list(saved.shape)}"
            raise UserError(f"arrays.safetensors: {name} is {found}, this environment's is "
                            f"{list(expected.shape)} (a checkpoint of another environment?)")
    check(state, {name: STATE_TYPES[name.rpartition(".")[2]] for name in expected_state},
          "state.json")


def restore(env, prefix, arrays, state):
    """Put a captured state back into ``env``; UserError (check_fits), before anything is
    changed, if it is not one of an environment built like ``env``."""
    check_fits(env, prefix, arrays, state)
    _checks_done(env)
    for key, layer, fields in _layers(env):
        for field in fields:
            name, old = f"{prefix}/{key}.{field}", getattr(layer, field)
            if isinstance(old, np.ndarray):
                setattr(layer, field, arrays[name].copy())
            elif isinstance(old, deque):
                setattr(layer, field, deque(list(arrays[name]), maxlen=old.maxlen))
            elif isinstance(old, list):
                setattr(layer, field, list(arrays[name]))
            elif isinstance(old, gym.wrappers.utils.RunningMeanStd):
                old.mean, old.var = arrays[f"{name}.mean"].copy(), arrays[f"{name}.var"].copy()
                old.count = state[f"{name}.count"]
            else:
                setattr(layer, field, state[name])
    base, name = env.unwrapped, f"{prefix}/base"
    base.np_random.bit_generator.state = state[f"{name}.np_random"]
    if hasattr(base, "ale"):
        import ale_py
        saved = ale_py.ALEState.__new__(ale_py.ALEState)
        saved.__setstate__(arrays[f"{name}.ale"].tobytes())
        base.ale.restoreState(saved)
    elif f"{name}.mujoco" in arrays:
        mujoco.mj_setState(base.model, base.data, arrays[f"{name}.mujoco"], _MJ_STATE)
        mujoco.mj_forward(base.model, base.data)
    elif f"{name}.mujoco_py" in arrays:
        base.set_physics_state(arrays[f"{name}.mujoco_py"])
    elif f"{name}.state" in arrays:
        base.state = arrays[f"{name}.state"].copy()
        base.steps_beyond_terminated = state[f"{name}.steps_beyond_terminated"]
