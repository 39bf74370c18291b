"""Whether the Python running a command has the packages this package needs, said in one
sentence when it has not: `python3 train.py` with a system Python (no virtualenv activated)
would otherwise end in a traceback from the first import that fails.

Only the standard library here, and nothing is imported: ``importlib.util.find_spec`` finds a
top-level module without running it. The command-line shells of a checkout (train.py,
evaluate.py, scripts/*.py) call ``require`` with their checkout before they import anything
else, and are told to make its .venv; the installed `mujoco-ppo` command, without one, is told
what to install with pip.
"""
import importlib.util
import os
import shlex
import sys

from .cli import shortest_path  # the standard library only, as this module

# Top-level modules that every command of the package imports, directly or through Paddle and
# PARL; `make install` installs them into .venv (requirements.txt), `make install-v2` into .venv-v2.
STACK = ("numpy", "paddle", "parl", "gymnasium", "mujoco", "safetensors", "scipy", "matplotlib",
         "tqdm", "tensorboardX")
NAMED = 3  # missing modules named in the sentence; the rest are counted


def missing(modules):
    """Those of ``modules`` that this Python cannot import (not found on its path)."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require(prog, extra=None, stack=STACK, checkout=None):
    """Exit with status 1 and one sentence on stderr unless this Python has ``stack`` and the
    modules of ``extra`` ({module: how to get it}, for a script that needs more than the
    package); ``checkout``: the repository the command was started from, if it was."""
    sentence = missing_sentence(prog, extra or {}, stack, checkout)
    if sentence:
        print(sentence, file=sys.stderr)
        sys.exit(1)


def missing_sentence(prog, extra=None, stack=STACK, checkout=None):
    """The sentence ``require`` says, or None when nothing is missing."""
    lacking = missing(stack)
    if lacking:
        advice = how_to_install(checkout) if checkout else how_to_pip_install(lacking)
        return (f"{prog}: this Python ({sys.executable}) lacks {listed(lacking)} of the packages "
                f"mujoco_ppo needs; {advice}.")
    extra = extra or {}
    lacking = missing(extra)
    if lacking:
        return (f"{prog}: this Python ({sys.executable}) lacks {listed(lacking)}, which this "
                f"script needs: {extra[lacking[0]]}.")
    return None


def listed(names):
    """'numpy, paddle, parl and 7 more' / 'numpy and paddle' / 'numpy'."""
    shown = names[:NAMED] if len(names) > NAMED + 1 else names
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def how_to_pip_install(lacking):
    """What to run where the package was installed without a checkout's .venv: PARL alone is
    left out of the package's dependencies (its pins conflict with Paddle 3)."""
    pip = f"{shlex.quote(shortest_path(sys.executable))} -m pip install"
    parl = f"`{pip} --no-deps parl==2.2.1` installs PARL"
    if lacking == ["parl"]:
        return parl
    return (f"{parl}, and `{pip}` of mujoco_ppo (its checkout, without --no-deps) the rest "
            f"(README.md, Install)")


def how_to_install(root, cwd=None):
    """What to run so that the command works: activate this checkout's .venv, or create it."""
    venv = os.path.join(root, ".venv")
    activate = shlex.quote(shortest_path(os.path.join(venv, "bin", "activate"), cwd))
    python = shlex.quote(shortest_path(os.path.join(venv, "bin", "python"), cwd))
    here = os.path.realpath(cwd or os.getcwd()) == os.path.realpath(root)
    make = "make" if here else f"make -C {shlex.quote(shortest_path(root, cwd))}"
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return (f"this is the virtualenv `make install` made, incomplete: `rm -rf "
                f"{shlex.quote(shortest_path(venv, cwd))} && {make} install` makes it again")
    if os.path.exists(os.path.join(venv, "bin", "python")):
        return (f"they are in {shortest_path(venv, cwd)} (`make install`): run `source {activate}` "
                f"and type the command again, or type {python} instead of python")
    return (f"`{make} install` installs them into {shortest_path(venv, cwd)}; then run `source "
            f"{activate}` and type the command again")

