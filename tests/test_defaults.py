"""One source of defaults per PPO: each config (parl1/config.py, parl2/config.py) is what the
parser's flags default to, what the constructors default to, and what the docs' tables of
defaults state."""
import inspect
import pathlib
import re

import pytest

from mujoco_ppo.parl1 import config as parl1_config
from mujoco_ppo.parl1.flags import build_parser as parl1_parser
from mujoco_ppo.parl2 import config as parl2_config

pytestmark = pytest.mark.unit

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def flag_defaults(parser):
    return {action.dest: action.default for action in parser._actions
            if action.option_strings and action.dest != "help"}


@pytest.mark.parametrize("config, parser, names", [
    (parl1_config, parl1_parser, [name for name, f in parl1_config.SETTINGS.items()
                                  if f.metadata["part"] != parl1_config.FIXED]),
    (parl2_config, parl2_config.build_parser, parl2_config.SETTINGS)], ids=["parl1", "parl2"])
def test_the_flags_are_the_configs_settings_with_their_defaults(config, parser, names):
    flags = flag_defaults(parser())
    assert sorted(flags) == sorted(names)
    assert flags == {name: getattr(config.DEFAULTS, name) for name in flags}
    assert vars(parser().parse_args([])) == flags


def test_parl1s_fixed_values_are_no_flags():
    fixed = {name for name, f in parl1_config.SETTINGS.items()
             if f.metadata["part"] == parl1_config.FIXED}
    assert fixed == {"init_logvar", "policy_learn_times", "value_learn_times",
                     "value_batch_size", "warmup_episodes"}
    assert not fixed & set(flag_defaults(parl1_parser()))


def signature_defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def test_parl1s_constructors_default_to_the_config():
    from mujoco_ppo.parl1.agent import MujocoAgent
    from mujoco_ppo.parl1.algorithm import PPO
    from mujoco_ppo.parl1.model import MujocoModel, PolicyModel
    from mujoco_ppo.parl1.trpo import TRPO

    d = parl1_config.DEFAULTS
    assert signature_defaults(MujocoModel)["init_logvar"] == d.init_logvar
    assert signature_defaults(PolicyModel)["init_logvar"] == d.init_logvar
    assert signature_defaults(PPO)["epsilon"] == d.clip_epsilon
    assert signature_defaults(TRPO) == {
        "max_kl": d.max_kl, "cg_iters": d.cg_iters, "cg_damping": d.cg_damping,
        "backtrack_ratio": d.ls_backtrack_ratio, "max_tries": d.ls_max_tries}
    assert {k: v for k, v in signature_defaults(MujocoAgent).items() if k != "rng"} == {
        name: getattr(d, name) for name in ("kl_targ", "loss_type", "beta", "policy_learn_times",
                                            "value_learn_times", "value_batch_size")}


@pytest.mark.parametrize("loss_type", ["CLIP", "TRPO"])
def test_build_agent_gives_a_setting_a_run_lacks_its_default(loss_type):
    import numpy as np

    from mujoco_ppo.parl1.build import build_agent

    d = parl1_config.DEFAULTS
    agent = build_agent({"loss_type": loss_type}, 4, 2, rng=np.random.default_rng(0))
    assert (agent.kl_targ, agent.beta, agent.policy_learn_times) == (
        d.kl_targ, d.beta, d.policy_learn_times)
    if loss_type == "TRPO":
        alg = agent.alg
        assert (alg.max_kl, alg.cg_iters, alg.cg_damping, alg.backtrack_ratio,
                alg.max_tries) == (d.max_kl, d.cg_iters, d.cg_damping, d.ls_backtrack_ratio,
                                   d.ls_max_tries)
    else:
        assert agent.alg.epsilon == d.clip_epsilon
    assert float(agent.alg.model.policy_model.logvars.numpy()[0]) == d.init_logvar


def parl1_defaults_table():
    """docs/algorithm.md's table of defaults, as parl1/config.py says them: every setting but
    the run's flags."""
    rows = ["| setting | default | what it is | kind |", "|---|---|---|---|"]
    for name, f in parl1_config.SETTINGS.items():
        part = f.metadata["part"]
        if part == parl1_config.RUN:
            continue
        shown = f.metadata["shown"] or f.default
        what = f.metadata["help"].replace("|", "\\|")
        rows.append(f"| `{'' if part == parl1_config.FIXED else '--'}{name}` | `{shown}` | "
                    f"{what} | {part} |")
    return "\n".join(rows) + "\n"


def test_docs_algorithm_md_states_the_defaults_of_the_config():
    table = parl1_defaults_table()
    assert table in (DOCS / "algorithm.md").read_text(), (
        f"docs/algorithm.md should hold this table of mujoco_ppo/parl1/config.py's defaults, "
        f"line for line:\n{table}")


def test_docs_parl2_md_states_the_configs_and_ppos_defaults():
    page = (DOCS / "parl2.md").read_text()
    kinds = ("atari", "mujoco", "classic")  # the table's columns, in order
    stated = {}
    for name, *cells in re.findall(r"^\| `--(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|", page,
                                   re.M):
        stated[name] = [cell.strip() for cell in cells]
    family = {name for name, f in parl2_config.SETTINGS.items()
              if f.metadata["part"] == parl2_config.FAMILY}
    assert set(stated) == family
    for name, cells in stated.items():
        for kind, cell in zip(kinds, cells):
            value = parl2_config.CONFIGS[kind][name]
            assert (cell == "true") if isinstance(value, bool) else float(cell) == value, (
                name, kind, cell)
    for name, value in parl2_config.PPO_DEFAULTS.items():
        assert f"`--{name} {value}`" in page


def test_parl2s_configs_hold_exactly_the_settings_the_family_sets():
    family = {name for name, f in parl2_config.SETTINGS.items()
              if f.metadata["part"] == parl2_config.FAMILY}
    assert all(getattr(parl2_config.DEFAULTS, name) is None for name in family)
    for config in parl2_config.CONFIGS.values():
        assert set(config) == family


def test_parl2s_gae_defaults_to_the_config():
    from mujoco_ppo.parl2.storage import RolloutStorage

    assert signature_defaults(RolloutStorage.compute_returns) == {
        "gamma": parl2_config.DEFAULTS.gamma, "gae_lambda": parl2_config.DEFAULTS.gae_lambda}
