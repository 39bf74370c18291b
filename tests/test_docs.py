"""The documentation cannot drift: the flags page is what the parsers print, and every relative link
in README.md and docs/ points at a file that exists."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "README.md").exists())
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")

pytestmark = pytest.mark.unit


def pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_usage_page_is_what_every_command_help_prints():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "usage_page.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_usage_check_names_the_stale_section(tmp_path):
    page = ROOT / "docs" / "usage.md"
    original = page.read_text()
    stale = original.replace("show this help message and exit", "show this help", 1)
    assert stale != original
    (tmp_path / "usage.md").write_text(stale)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "usage_page.py"), "--check",
                           "--page", str(tmp_path / "usage.md")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"{tmp_path / 'usage.md'} is stale in the section `train.py`:")
    assert "Traceback" not in done.stderr


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
