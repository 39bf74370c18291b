"""The package's one command, `mujoco-ppo COMMAND` (and `python -m mujoco_ppo COMMAND`): its
listing, its refusals, the names its commands' messages use, a package that refers to nothing of
its checkout, programs of scripts/ that import no other script, and a copy of the package
installed without its checkout that trains and runs a grid from another directory."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, assert_no_traceback, read_progress

from mujoco_ppo import cli, commands

PACKAGE = Path(ROOT, "mujoco_ppo")
SCRIPTS = Path(ROOT, "scripts")


@pytest.fixture
def invocation(monkeypatch):
    """cli's record of how this process's command was started, set back after the test."""
    monkeypatch.setattr(cli, "_invocation", {})


@pytest.mark.unit
def test_the_listing_names_every_command_in_one_screen(capsys):
    with pytest.raises(SystemExit) as ended:
        commands.main(["--help"])
    assert ended.value.code == 0
    listing = capsys.readouterr().out
    lines = listing.splitlines()
    assert lines[0] == "usage: mujoco-ppo COMMAND [ARGS ...]"
    for name in ("train", "evaluate", "ablate", "compare", "plot", "steps-to-reward",
                 "step-sizes", "xparl"):
        assert any(line.startswith(f"  {name} ") for line in lines), (name, listing)
    assert len(lines) <= 24 and max(map(len, lines)) <= 100, listing


@pytest.mark.unit
@pytest.mark.parametrize("argv, sentence", [
    (["trian"], "mujoco-ppo: error: no command 'trian'; did you mean train? the commands are "
                "train, evaluate, ablate, compare, plot, steps-to-reward, step-sizes, xparl."),
    (["--bogus"], "mujoco-ppo: error: no command '--bogus'; the commands are train, evaluate, "
                  "ablate, compare, plot, steps-to-reward, step-sizes, xparl."),
    ([], "mujoco-ppo: error: name a command: train, evaluate, ablate, compare, plot, "
         "steps-to-reward, step-sizes, xparl (mujoco-ppo --help says what each does)."),
])
def test_an_unknown_command_is_one_sentence_and_exit_2(argv, sentence, capsys):
    with pytest.raises(SystemExit) as ended:
        commands.main(argv)
    assert ended.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == sentence + "\n"


@pytest.mark.unit
def test_each_command_names_what_the_user_typed(invocation, tmp_path):
    # not started otherwise: the command's own name, run again by this interpreter
    assert cli.program("train.py --algo parl2") == "train.py --algo parl2"
    assert cli.command_line("train.py").endswith(" train.py")
    cli.invoked_as("train.py", "mujoco-ppo train", ["mujoco-ppo", "train"])
    assert cli.program("train.py") == "mujoco-ppo train"
    assert cli.program("train.py --algo parl2") == "mujoco-ppo train --algo parl2"
    assert cli.program("ablate.py") == "ablate.py"  # another command keeps its name
    assert cli.command_line("train.py") == "mujoco-ppo train"
    parser = cli.OneLineErrorParser(prog="train.py")
    assert parser.prog == "mujoco-ppo train"
    script = tmp_path / "with space" / "ablate.py"
    cli.invoked_as("ablate.py", "ablate.py", [sys.executable, str(script)])
    assert cli.command_line("ablate.py") == (
        f"{cli.shortest_path(sys.executable)} '{cli.shortest_path(str(script))}'")


def package_files():
    return sorted(PACKAGE.rglob("*.py"))


def checkout_paths(path):
    """What in the module at ``path`` reaches out of the package into its checkout: a directory
    above its own file (dirname of dirname of __file__, .parent.parent, a path with '..'), or a
    path built with a file or folder of the checkout (train.py, evaluate.py, scripts, results,
    tests)."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and str(node.value).startswith("../"):
            found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(
                node.value, ast.Attribute) and node.value.attr == "parent":
            found.append(f"line {node.lineno}: .parent.parent")
        elif isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            inner = node.args[0] if node.args else None
            if (called.endswith("dirname") and isinstance(inner, ast.Call)
                    and ast.unparse(inner.func).endswith("dirname")
                    and "__file__" in ast.unparse(inner)):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
            if called.endswith("path.join") or called in ("Path", "pathlib.Path"):
                names = {arg.value for arg in node.args if isinstance(arg, ast.Constant)}
                if names & {"..", "train.py", "evaluate.py", "scripts", "results", "tests"}:
                    found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.unit
def test_the_scan_finds_a_path_into_the_checkout(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom pathlib import Path\n"
                      "A = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                      "B = os.path.join(A, 'scripts', 'ablate.py')\n"
                      "C = Path(__file__).resolve().parent.parent\n"
                      "D = os.path.join(os.path.dirname(__file__), 'reference')\n"
                      "E = os.path.join(os.path.dirname(__file__), '..', 'train.py')\n"
                      "F = dict(hatch='..')\n")
    assert [line.split(":")[0] for line in checkout_paths(module)] == [
        "line 3", "line 4", "line 5", "line 7"]


@pytest.mark.unit
def test_no_module_of_the_package_reaches_into_its_checkout():
    found = {f"{path.relative_to(ROOT)} {where}" for path in package_files()
             for where in checkout_paths(path)}
    assert not found, sorted(found)


@pytest.mark.unit
def test_no_script_imports_another_and_the_package_imports_none():
    programs = {path.stem for path in SCRIPTS.glob("*.py")}
    found = set()
    for path in [*SCRIPTS.glob("*.py"), *package_files()]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            found |= {f"{path.relative_to(ROOT)} imports {name}" for name in names
                      if name.split(".")[0] in programs | {"scripts"}}
    assert not found, sorted(found)


@pytest.mark.e2e
def test_a_copy_installed_without_its_checkout_trains_and_runs_a_grid_from_elsewhere(tmp_path):
    """The package as `pip install .` (not editable) puts it, and nothing of the checkout:
    train and a two-run grid, from a directory that is neither, with only that copy on the
    path (the grid's runs are the package's training command, not a train.py)."""
    source, installed, elsewhere = tmp_path / "source", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    # what a build reads, copied: a build writes build/ and an egg-info beside its setup.py
    source.mkdir()
    for name in ("setup.py", "requirements.txt", "MANIFEST.in"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    shutil.copytree(PACKAGE, source / "mujoco_ppo",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--target", str(installed), str(source)],
                          cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (installed / "train.py").exists() and (installed / "mujoco_ppo").is_dir()
    env = dict(os.environ, PYTHONPATH=str(installed), OMP_NUM_THREADS="1")

    def package(*args):
        return subprocess.run([sys.executable, "-m", "mujoco_ppo", *map(str, args)],
                              cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=600)

    where = package("--help")  # the copy, not the checkout's package, answers
    assert where.returncode == 0 and where.stdout.startswith("usage: python -m mujoco_ppo")
    found = subprocess.run([sys.executable, "-c", "import mujoco_ppo; print(mujoco_ppo.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert found.stdout.strip() == str(installed / "mujoco_ppo" / "__init__.py")
    trained = package("train", "--env", "CartPole-v1", "--train_total_steps", 600,
                      "--episodes_per_batch", 2, "--num_workers", 1, "--output_dir", "run")
    assert trained.returncode == 0, trained.stderr
    assert_no_traceback(trained.stderr)
    assert read_progress(elsewhere / "run")
    grid = package("ablate", "run", "grid", "--env", "CartPole-v1", "--loss_type", "CLIP",
                   "--seeds", 0, 1, "--steps", 600, "--jobs", 2,
                   "--train_args", "--episodes_per_batch", 2)
    assert grid.returncode == 0, (grid.stdout, grid.stderr)
    for seed in (0, 1):
        run = elsewhere / "grid" / "runs" / "CartPole-v1" / "CLIP_clip_epsilon0.2" / f"seed{seed}"
        assert read_progress(run), (grid.stdout, grid.stderr)
    assert grid.stdout.rstrip().splitlines()[-1].startswith(
        f"every run is done; next: {cli.shortest_path(sys.executable, elsewhere)} -m mujoco_ppo "
        f"ablate aggregate grid ")
