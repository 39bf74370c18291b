"""The registry of the PPOs (mujoco_ppo/algorithms.py): each spec comes from its own folder, a
run's config.json names its PPO (or, without an "algo" field, the default's), and a name the
registry does not hold is refused in one sentence naming the field."""
import dataclasses

import pytest

from mujoco_ppo.algorithms import (
    ALGORITHMS,
    DEFAULT,
    algo_flags,
    algorithm_of,
    common_algorithm,
    split_algo,
)
from mujoco_ppo.errors import UserError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_each_spec_is_filled_in_its_own_folder(name):
    spec = ALGORITHMS[name]
    assert spec.name == name
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if callable(value):
            assert value.__module__.startswith(f"mujoco_ppo.{name}."), (field.name, value)


def test_a_config_json_names_its_ppo_and_without_algo_it_is_the_defaults():
    assert algorithm_of({"args": {}}) is DEFAULT and DEFAULT.name == "parl1"
    assert algorithm_of({"algo": "parl2"}) is ALGORITHMS["parl2"]
    assert common_algorithm([{"config": {"algo": "parl2"}}] * 2) is ALGORITHMS["parl2"]
    assert common_algorithm([{"config": {"algo": "parl2"}}, {"config": {}}]) is DEFAULT
    assert algo_flags(DEFAULT) == [] and algo_flags(ALGORITHMS["parl2"]) == ["--algo", "parl2"]


@pytest.mark.parametrize("algo", ["parl3", "parl1", 2, ["parl2"]])
def test_an_algo_field_naming_no_other_ppo_is_refused_naming_the_field(algo):
    with pytest.raises(UserError) as refusal:
        algorithm_of({"algo": algo}, "run/config.json")
    assert str(refusal.value) == (f"run/config.json: field 'algo' should be \"parl2\" or absent "
                                  f"(PARL 1.x's PPO), not {algo!r}.")


def test_train_py_runs_the_ppo_of_algo_and_passes_the_rest_on():
    assert split_algo(["--algo", "parl2", "--env", "CartPole-v1"]) == (
        ALGORITHMS["parl2"], ["--env", "CartPole-v1"])
    assert split_algo(["--env", "CartPole-v1"]) == (DEFAULT, ["--env", "CartPole-v1"])
