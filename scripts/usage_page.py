"""Write docs/usage.md's flag sections from the --help of every command, or check them (--check).

The page's hand-written part (running, resuming, what goes wrong) ends at MARKER; everything after
it is rewritten here, one section per command, so the flags on the page are the parsers' own."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "usage.md"
MARKER = ("<!-- Everything below is written by scripts/usage_page.py from each command's --help: "
          "change the parsers' help texts, then run it. -->")
# A fixed width, so that argparse wraps the same way on every terminal and in CI.
COLUMNS = "100"
# Scripts whose --help is not shown: the generators of the pages, and the refactoring check, which
# are not tools for users of the package.
NOT_SHOWN = {"usage_page.py", "layout_page.py", "run_fingerprints.py"}
# Scripts that import a package .venv does not hold, so their --help cannot run there.
SIDE_VIRTUALENV = {
    "paddle_vs_torch.py": "torch (`.venv/bin/pip install torch==2.13.0`)",
}
SUBCOMMANDS = re.compile(r"\{([\w-]+(?:,[\w-]+)+)\} \.\.\.")


def commands():
    """(section title, argv after the interpreter) for each command, in the page's order."""
    listed = [("mujoco-ppo", ["-m", "mujoco_ppo"]),
              ("train.py", ["train.py"]),
              ("train.py --algo parl2", ["train.py", "--algo", "parl2"]),
              ("evaluate.py", ["evaluate.py"]),
              ("python -m mujoco_ppo.xparl", ["-m", "mujoco_ppo.xparl"])]
    scripts = sorted(p.name for p in (ROOT / "scripts").glob("*.py") if p.name not in NOT_SHOWN)
    return listed + [(f"scripts/{name}", [f"scripts/{name}"]) for name in scripts]


def run_help(argv):
    env = dict(os.environ, COLUMNS=COLUMNS,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, *argv, "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"usage_page.py: `{' '.join(argv)} --help` exited {done.returncode}: "
                 f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    return done.stdout.rstrip() + "\n"


def section(title, text):
    return f"## `{title}`\n\n```text\n{text}```\n"


def generated_sections():
    """{title: section text}, subcommands (such as `ablate.py run`) after their command."""
    sections = {}
    for title, argv in commands():
        name = Path(argv[0]).name
        if name in SIDE_VIRTUALENV:
            sections[title] = (f"## `{title}`\n\nIts --help needs {SIDE_VIRTUALENV[name]}; "
                               f"run it there with `--help`.\n")
            continue
        text = run_help(argv)
        sections[title] = section(title, text)
        usage = text.split("\n\n", 1)[0]
        found = SUBCOMMANDS.search(usage)
        for sub in found.group(1).split(",") if found else []:
            sections[f"{title} {sub}"] = section(f"{title} {sub}", run_help([*argv, sub]))
    return sections


def page_sections(generated_part):
    """{title: section text} of the generated part of the page as it is on disk."""
    sections = {}
    for chunk in re.split(r"(?m)^(?=## `)", generated_part):
        heading = re.match(r"## `(.+)`\n", chunk)
        if heading:
            sections[heading.group(1)] = chunk.rstrip() + "\n"
    return sections


def shown(page):
    return page.relative_to(ROOT) if page.is_relative_to(ROOT) else page


def split_page(page):
    if not page.is_file():
        sys.exit(f"usage_page.py: {shown(page)} does not exist.")
    hand_written, marker, generated_part = page.read_text().partition(MARKER)
    if not marker:
        sys.exit(f"usage_page.py: {shown(page)} lacks the line after which the "
                 f"flags are generated: {MARKER}")
    return hand_written, generated_part


def check(page, generated):
    on_page = page_sections(split_page(page)[1])
    stale = [title for title in {**generated, **on_page}
             if generated.get(title, "").rstrip() != on_page.get(title, "").rstrip()]
    if stale:
        print(f"{shown(page)} is stale in the section{'s' if len(stale) > 1 else ''} "
              f"{', '.join(f'`{t}`' for t in stale)}: run `python scripts/usage_page.py` "
              f"to rewrite it.", file=sys.stderr)
        sys.exit(1)


def write(page, generated):
    hand_written, _ = split_page(page)
    page.write_text(hand_written + MARKER + "\n\n" + "\n".join(generated.values()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 naming each section that differs from --help")
    parser.add_argument("--page", type=Path, default=PAGE,
                        help="the page to write or check (default: docs/usage.md)")
    args = parser.parse_args()
    page = args.page.resolve()
    generated = generated_sections()
    (check if args.check else write)(page, generated)


if __name__ == "__main__":
    main()
