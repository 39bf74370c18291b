"""The literal -v2 stack's parts, in-process: the note where it is not installed, train.log's line,
and, where gym and mujoco_py are installed (.venv-v2; tests/test_v2_stack.py runs this file
there), the adapter's spaces, registry entries and physics state."""
import json
import re

import numpy as np
import pytest

from mujoco_ppo.envs import gym_v2
from mujoco_ppo.envs import make as envs
from mujoco_ppo.envs.stack import physics_line
from mujoco_ppo.errors import UserError

pytestmark = pytest.mark.unit

literal_stack = pytest.mark.skipif(not gym_v2.literal_stack_installed(),
                                   reason="gym and mujoco_py are not installed here (.venv-v2 "
                                          "has them; tests/test_v2_stack.py runs this file there)")


def test_without_the_literal_stack_v2_runs_as_v4_with_a_note_saying_how_to_get_it(monkeypatch):
    monkeypatch.setattr(gym_v2, "is_literal", lambda env_id: False)  # as in .venv
    resolved, note = envs.resolve_env_id("Hopper-v3")
    assert resolved == "Hopper-v4"
    assert note.startswith("Hopper-v3 is Gym's task on mujoco-py, not installed here; running "
                           "Hopper-v4 instead")
    assert note.endswith("For the literal Hopper-v3: `make install-v2`, then "
                         "`.venv-v2/bin/python train.py --env Hopper-v3 ...`.")
    assert envs.resolve_env_id("Hopper-v4") == ("Hopper-v4", None)  # asked for: always -v4


def test_the_physics_line_names_package_bindings_and_mujoco():
    literal = {"env_id": "HalfCheetah-v2", "environments": "gym", "environments_version": "0.26.2",
               "bindings": "mujoco-py", "bindings_version": "2.0.2.13", "mujoco_version": "2.1.0"}
    assert physics_line(literal) == "HalfCheetah-v2: Gym 0.26.2 on mujoco-py 2.0.2.13, MuJoCo 2.1.0"
    no_physics = {"env_id": "CartPole-v1", "environments": "gymnasium",
                  "environments_version": "1.4.0", "bindings": None, "bindings_version": None,
                  "mujoco_version": None}
    assert physics_line(no_physics) == "CartPole-v1: Gymnasium 1.4.0"
    assert gym_v2.mujoco_version(210) == "2.1.0" and gym_v2.mujoco_version(150) == "1.5.0"


RECORD = {"env_id": "InvertedPendulum-v4", "environments": "gymnasium",
          "environments_version": "1.4.0", "bindings": "mujoco", "bindings_version": "3.3.0",
          "mujoco_version": "3.3.0"}
LITERAL = {**RECORD, "environments": "gym", "environments_version": "0.26.2",
           "bindings": "mujoco-py", "bindings_version": "2.0.2.13", "mujoco_version": "2.1.0"}


@pytest.mark.parametrize("env_id, env, physics, phrase", [
    ("Hopper-v4", "InvertedPendulum-v4", RECORD, "contradicts itself: its env_id is Hopper-v4 "
                                                  "and its physics record is of "
                                                  "InvertedPendulum-v4; it was changed"),
    ("Hopper-v4", "InvertedPendulum-v4", {**RECORD, "env_id": "Hopper-v4"},
     "contradicts itself: it says the run ran Hopper-v4 on Gymnasium, and its --env "
     "InvertedPendulum-v4 makes InvertedPendulum-v4 here on Gymnasium's stack"),
    ("InvertedPendulum-v4", "InvertedPendulum-v4", LITERAL,
     "ran Gym's InvertedPendulum-v4 on mujoco-py (the literal -v2 stack), which this Python does "
     "not have: run .venv-v2/bin/python train.py --resume"),
    ("Hopper-v2", "Hopper-v2", None, "ran Hopper-v2, and this Python makes Hopper-v4 of its --env "
                                     "Hopper-v2: resume it where it was started"),
    ("InvertedPendulum-v4", "InvertedPendulum-v4", RECORD, None),
])
def test_resume_blames_config_json_or_the_python_rightly(tmp_path, monkeypatch, env_id, env,
                                                         physics, phrase):
    """Hostile case: a config.json whose env_id names another task was refused as "this Python
    ... resume it where it was started"; a physics record of mujoco-py with the id of a task
    Gymnasium has was resumed on Gymnasium, as only the ids were compared."""
    from mujoco_ppo.envs import stack
    monkeypatch.setattr(stack, "literal_stack_installed", lambda: False,  # as in .venv
                        raising=False)
    monkeypatch.setattr(stack, "is_literal", lambda env_id: False)
    config = {"env_id": env_id, "args": {"env": env}, **({"physics": physics} if physics else {})}
    (tmp_path / "config.json").write_text(json.dumps(config))
    here = envs.resolve_env_id(env)[0] if env.endswith("-v4") else "Hopper-v4"
    if phrase is None:
        stack.refuse_other_stack(str(tmp_path), here)
        return
    with pytest.raises(UserError, match=re.escape(phrase)):
        stack.refuse_other_stack(str(tmp_path), here)


@literal_stack
def test_gym_spaces_become_the_same_gymnasium_spaces():
    import gymnasium
    old, new = gym_v2.import_gym().spaces, gymnasium.spaces
    box = gym_v2.to_gymnasium_space(old.Box(np.float32([-1, 0]), np.float32([1, 10]),
                                            dtype=np.float32))
    assert type(box) is new.Box and box.dtype == np.float32 and box.shape == (2,)
    assert box.low.tolist() == [-1.0, 0.0] and box.high.tolist() == [1.0, 10.0]
    unbounded = gym_v2.to_gymnasium_space(old.Box(-np.inf, np.inf, (17,), np.float64))
    assert unbounded.dtype == np.float64 and not unbounded.is_bounded()
    discrete = gym_v2.to_gymnasium_space(old.Discrete(5, start=2))
    assert type(discrete) is new.Discrete and (discrete.n, discrete.start) == (5, 2)
    nested = gym_v2.to_gymnasium_space(old.Dict({
        "a": old.Tuple([old.MultiDiscrete([3, 4]), old.MultiBinary(3)]), "b": old.Discrete(2)}))
    inner = nested["a"]
    assert type(nested) is new.Dict and type(inner) is new.Tuple
    assert type(inner[0]) is new.MultiDiscrete and inner[0].nvec.tolist() == [3, 4]
    assert type(inner[1]) is new.MultiBinary and inner[1].n == 3 and nested["b"].n == 2
    with pytest.raises(UserError, match="Gym's Text space has no Gymnasium counterpart"):
        gym_v2.to_gymnasium_space(old.Text(5))


@literal_stack
def test_every_gym_mujoco_py_task_is_registered_with_gyms_episode_limit():
    import gymnasium
    ids = gym_v2.literal_ids()
    assert {"HalfCheetah-v2", "HalfCheetah-v3", "Hopper-v2", "Walker2d-v3",
            "Humanoid-v2", "InvertedPendulum-v2"} <= set(ids)
    for env_id, gym_spec in ids.items():
        assert gym_v2.is_literal(env_id)
        assert gymnasium.spec(env_id).max_episode_steps == gym_spec.max_episode_steps
    assert not gym_v2.is_literal("HalfCheetah-v4")
    assert envs.resolve_env_id("HalfCheetah-v2") == ("HalfCheetah-v2", None)


@literal_stack
def test_a_restored_physics_state_steps_as_the_captured_one_did():
    """Hopper in contact with the floor, where the solver's warm start matters."""
    env = envs.make_env("Hopper-v2", seed=3)
    base, actions = env.unwrapped, np.random.default_rng(0).uniform(-1, 1, (30, 3))
    for action in actions[:10]:
        env.step(action)
    saved = base.physics_state()
    first = [env.step(action)[0] for action in actions[10:]]
    for action in actions[:5]:  # elsewhere
        env.step(-action)
    base.set_physics_state(saved)
    again = [env.step(action)[0] for action in actions[10:]]
    assert np.array_equal(np.array(first), np.array(again))
    env.close()
