"""A Python without the packages (the system's python3, a shell where .venv is not activated)
runs no command of the package: each says in one sentence what to run, instead of a traceback
from its first import."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, assert_no_traceback

from mujoco_ppo import dependencies

# every command that needs the package; parl_example.py and usage_page.py need only the
# standard library (they run other interpreters), layout_page.py too (it reads the modules)
COMMANDS = ["train.py", "evaluate.py"] + sorted(
    f"scripts/{p.name}" for p in Path(ROOT, "scripts").glob("*.py")
    if p.name not in ("parl_example.py", "usage_page.py", "layout_page.py"))


def bare_python(*args, cwd=ROOT):
    """This interpreter without its site-packages (-S): the standard library alone, as a system
    python3 has it."""
    return subprocess.run([sys.executable, "-S", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=""))


@pytest.mark.e2e
def test_the_missions_command_without_the_packages_is_one_sentence(tmp_path):
    """Hostile case: `python train.py --env HalfCheetah-v2 --loss_type CLIP` with the machine's
    python printed a 13-line traceback ending in "No module named 'safetensors'"."""
    proc = bare_python("train.py", "--env", "HalfCheetah-v2", "--loss_type", "CLIP",
                       "--output_dir", tmp_path / "run")
    assert proc.returncode == 1
    assert_no_traceback(proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("train.py: this Python (")
    assert "lacks numpy, paddle, parl and 7 more of the packages mujoco_ppo needs" in lines[0]
    assert "make install" in lines[0] and "source .venv/bin/activate" in lines[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_without_the_packages_is_one_sentence(command):
    proc = bare_python(command, "--help")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert_no_traceback(proc.stderr, proc.stdout)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{os.path.basename(command)}: this Python ("), lines
    assert " lacks " in lines[0] and lines[0].endswith("."), lines[0]


@pytest.mark.unit
def test_the_sentence_says_what_to_run(tmp_path, monkeypatch):
    root = tmp_path / "checkout"
    root.mkdir()
    # no .venv yet: make install, then activate
    assert dependencies.how_to_install(str(root), cwd=str(root)) == (
        "`make install` installs them into .venv; then run `source .venv/bin/activate` and "
        "type the command again")
    elsewhere = dependencies.how_to_install(str(root), cwd=str(tmp_path))
    assert elsewhere.startswith("`make -C checkout install` installs them into checkout/.venv")
    # .venv made: activate it, or name its python
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").touch()
    assert dependencies.how_to_install(str(root), cwd=str(root)) == (
        "they are in .venv (`make install`): run `source .venv/bin/activate` and type the "
        "command again, or type .venv/bin/python instead of python")
    # the .venv itself incomplete: made again
    monkeypatch.setattr(sys, "prefix", str(root / ".venv"))
    assert dependencies.how_to_install(str(root), cwd=str(root)) == (
        "this is the virtualenv `make install` made, incomplete: `rm -rf .venv && make install` "
        "makes it again")


@pytest.mark.unit
def test_nothing_missing_says_nothing_and_a_scripts_extra_package_is_named():
    assert dependencies.missing_sentence("train.py") is None
    said = dependencies.missing_sentence("x.py", {"no_such_module_here": "pip install it"})
    assert said == (f"x.py: this Python ({sys.executable}) lacks no_such_module_here, which this "
                    f"script needs: pip install it.")
    assert dependencies.listed(["a"]) == "a"
    assert dependencies.listed(["a", "b", "c", "d"]) == "a, b, c and d"
    assert dependencies.listed(list("abcdef")) == "a, b, c and 3 more"


@pytest.mark.unit
def test_the_installed_command_without_a_checkout_is_told_what_to_pip_install():
    python = dependencies.shortest_path(sys.executable)
    said = dependencies.missing_sentence("mujoco-ppo train", stack=("no_such_module_here",))
    assert said == (f"mujoco-ppo train: this Python ({sys.executable}) lacks no_such_module_here "
                    f"of the packages mujoco_ppo needs; "
                    f"{dependencies.how_to_pip_install(['no_such_module_here'])}.")
    assert dependencies.how_to_pip_install(["parl"]) == (
        f"`{python} -m pip install --no-deps parl==2.2.1` installs PARL")
    assert dependencies.how_to_pip_install(["paddle", "parl"]) == (
        f"`{python} -m pip install --no-deps parl==2.2.1` installs PARL, and `{python} -m pip "
        f"install` of mujoco_ppo (its checkout, without --no-deps) the rest (README.md, Install)")
