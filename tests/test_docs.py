"""The documentation cannot drift: the flags page is what the parsers print, the layout on
docs/development.md is what the modules' docstrings say, and every relative link in README.md and
docs/ points at a file that exists."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import script

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "README.md").exists())
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")

pytestmark = pytest.mark.unit


def pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.fixture(scope="module")
def usage():
    """(scripts/usage_page.py, the sections it generates from every command's --help): the
    --help of some 25 commands, each a Python starting up, run once for both tests below."""
    usage_page = script("usage_page")
    return usage_page, usage_page.generated_sections()


def test_usage_page_is_what_every_command_help_prints(usage):
    usage_page, generated = usage
    usage_page.check(ROOT / "docs" / "usage.md", generated)  # `usage_page.py --check`: exit 1


def test_usage_check_names_the_stale_section(usage, tmp_path, capsys):
    usage_page, generated = usage
    page = ROOT / "docs" / "usage.md"
    original = page.read_text()
    stale = original.replace("show this help message and exit", "show this help", 1)
    assert stale != original
    (tmp_path / "usage.md").write_text(stale)
    with pytest.raises(SystemExit) as ended:
        usage_page.check(tmp_path / "usage.md", generated)
    assert ended.value.code == 1
    stderr = capsys.readouterr().err
    assert stderr.strip().startswith(f"{tmp_path / 'usage.md'} is stale in the section `train.py`:")
    assert "Traceback" not in stderr


def layout_page(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "layout_page.py"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_layout_is_what_the_modules_docstrings_say():
    done = layout_page("--check")
    assert done.returncode == 0, done.stderr


def test_a_stale_layout_is_named_and_rewritten(tmp_path):
    page = tmp_path / "development.md"
    original = (ROOT / "docs" / "development.md").read_text()
    stale = original.replace("  cli.py  ", "  cli_old.py  ", 1)
    assert stale != original
    page.write_text(stale)
    done = layout_page("--check", "--page", str(page))
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"layout_page.py: the layout on {page} is stale: run ")
    assert layout_page("--page", str(page)).returncode == 0
    assert page.read_text() == original


def layout_paths():
    """The paths the layout on docs/development.md names, from its names and their indentation."""
    block = (ROOT / "docs" / "development.md").read_text().split("<!-- The layout below")[1]
    block = block.split("```")[1]
    folders, paths = [], set()
    for line in block.splitlines():
        if not line.strip() or line.startswith(" " * 8):  # a description's next line
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        folders[depth:] = [name] if name.endswith("/") else []
        paths.add("".join(folders[:depth]) + name)
    return paths


def test_every_module_package_script_and_test_file_is_on_the_layout():
    """What the generator walks, checked from the other side: every file of code has its line."""
    files = [*(ROOT / "mujoco_ppo").rglob("*.py"), *(ROOT / "scripts").glob("*.py"),
             *(ROOT / "tests").glob("*.py")]
    named = {str(f.relative_to(ROOT).parent) + "/" if f.name == "__init__.py"
             else str(f.relative_to(ROOT)) for f in files}
    assert named - layout_paths() == set()


def test_a_module_without_a_docstring_is_refused_in_one_sentence(tmp_path):
    """The layout page's generator reads a copy of the checkout in which one module lost its
    docstring."""
    layout = script("layout_page")
    for name in ("train.py", "evaluate.py", "mujoco_ppo", "scripts", "tests"):
        target = tmp_path / name
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, target)
    (tmp_path / "mujoco_ppo" / "grid" / "plan.py").write_text("import os\n")
    with pytest.raises(layout.Refused, match=r"^mujoco_ppo/grid/plan.py has no docstring: its "
                                             r"first sentence is its line in the layout; write "
                                             r"one.$"):
        layout.layout(tmp_path)


def test_every_relative_link_points_at_a_file():
    broken = []
    for page in pages():
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_no_page_points_at_the_issue_tracker():
    mentions = [str(page.relative_to(ROOT)) for page in pages()
                if re.search(r"\bissue \d+|\bissue-\d+", page.read_text(), re.I)]
    assert not mentions, mentions
