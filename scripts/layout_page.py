"""Write docs/development.md's layout from the docstrings of the modules, or check it (--check).

The layout lists every module of the package, the two commands at the top, every script and every
file of the suite, each with the first sentence of its docstring (a folder: its __init__.py's), so
that the page says what the code says and cannot miss a module. Only the block between BEGIN and
END is rewritten; the rest of the page is hand-written. Needs the standard library only: the
modules are read, not imported."""

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "development.md"
BEGIN = ("<!-- The layout below is written by scripts/layout_page.py from each module's docstring: "
         "change the docstrings, then run it. -->")
END = "<!-- End of the written layout. -->"
WIDTH = 100
# Where the top level keeps what is not code: one line each, as there is no docstring to read.
OTHER_FOLDERS = {
    "docs/": "the pages the README links to",
    "results/": "measured data (CSV/JSON) and figures, each made by a command on a docs/ page",
}
# A sentence ends at a full stop before a capital letter or at the end of the paragraph; "et al.
# 2015" goes on.
PARAGRAPH_END = re.compile(r"\n\s*\n|\n- ")
SENTENCE_END = re.compile(r"\.(?:\s+(?=[A-Z`])|$)")


class Refused(Exception):
    """A file the layout cannot describe, in one sentence."""


def summary(text, room):
    """The first sentence of ``text``'s first paragraph (which a list or an indented block also
    ends), on one line, without the punctuation it ends with; where that takes more than two lines
    of ``room`` characters, as much of it as fits in two, cut where a clause or list item ends (at
    a colon, semicolon or comma outside brackets)."""
    paragraph = " ".join(PARAGRAPH_END.split(text.strip())[0].split())
    end = SENTENCE_END.search(paragraph)
    sentence = (paragraph[:end.start()] if end else paragraph).rstrip(".,:;")
    if fits(sentence, room):
        return sentence
    cuts = [cut for cut in clause_ends(sentence) if fits(sentence[:cut], room)]
    return sentence[:cuts[-1]] if cuts else sentence


def fits(text, room):
    return len(textwrap.wrap(text, room, break_on_hyphens=False)) <= 2


def clause_ends(sentence):
    """The positions of the colons, semicolons and commas of ``sentence`` that are followed by a
    space and stand outside brackets."""
    depth, found = 0, []
    for i, char in enumerate(sentence):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and char in ":;," and sentence[i + 1:i + 2] == " ":
            found.append(i)
    return found


def docstring(path, root):
    """A Python file's docstring; Refused where it has none."""
    shown = path.relative_to(root)
    try:
        text = ast.get_docstring(ast.parse(path.read_text(), str(shown)))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise Refused(f"{shown} cannot be read as Python ({type(exc).__name__}).") from None
    if not text or not text.strip():
        raise Refused(f"{shown} has no docstring: its first sentence is its line in the layout; "
                      f"write one.")
    return text


def readme_title(folder, root):
    """A data folder's line: its README.md's title."""
    readme = folder / "README.md"
    if not readme.is_file():
        raise Refused(f"{folder.relative_to(root)} holds no module and no README.md to describe "
                      f"it.")
    return readme.read_text().splitlines()[0].lstrip("# ").strip()


def package_entries(folder, root, depth):
    """(indented name, docstring) of a package's modules, then of its sub-folders."""
    entries = []
    for path in sorted(folder.glob("*.py")):
        if path.name != "__init__.py":
            entries.append(("  " * depth + path.name, docstring(path, root)))
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if (sub / "__init__.py").is_file():
            entries.append(("  " * depth + sub.name + "/", docstring(sub / "__init__.py", root)))
            entries += package_entries(sub, root, depth + 1)
        elif any(sub.iterdir()):
            entries.append(("  " * depth + sub.name + "/", readme_title(sub, root)))
    return entries


def entries(root):
    """(name, docstring or None) of every line of the layout, in its order."""
    found = [(name, docstring(root / name, root)) for name in ("train.py", "evaluate.py")]
    found.append(("mujoco_ppo/", docstring(root / "mujoco_ppo" / "__init__.py", root)))
    found += package_entries(root / "mujoco_ppo", root, 1)
    for folder in ("scripts", "tests"):
        found.append((f"{folder}/", None))
        found += [(f"  {path.name}", docstring(path, root))
                  for path in sorted((root / folder).glob("*.py"))]
    return found + list(OTHER_FOLDERS.items())


def layout(root):
    """The block between BEGIN and END: a code block of names and their sentences, wrapped."""
    found = entries(root)
    column = max(len(name) for name, _ in found) + 2
    lines = []
    for name, text in found:
        if text is None:
            lines.append(name)
            continue
        wrapped = textwrap.wrap(summary(text, WIDTH - column), WIDTH - column,
                                break_on_hyphens=False)
        lines.append(name.ljust(column) + wrapped[0])
        lines += [" " * column + more for more in wrapped[1:]]
    return "```\n" + "\n".join(lines) + "\n```"


def split_page(page):
    """(before, written block, after) of the page; Refused where a marker is missing."""
    if not page.is_file():
        raise Refused(f"{page} does not exist.")
    text = page.read_text()
    before, begin, rest = text.partition(BEGIN)
    written, end, after = rest.partition(END)
    if not begin or not end:
        raise Refused(f"{page} lacks the lines between which the layout is written: {BEGIN} "
                      f"and {END}")
    return before, written, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the page's layout differs from the code's")
    parser.add_argument("--page", type=Path, default=PAGE,
                        help="the page to write or check (default: docs/development.md)")
    args = parser.parse_args()
    try:
        before, written, after = split_page(args.page)
        generated = layout(ROOT)
    except Refused as exc:
        sys.exit(f"layout_page.py: {exc}")
    if args.check:
        if written.strip() != generated:
            sys.exit(f"layout_page.py: the layout on {args.page} is stale: run "
                     f"`python scripts/layout_page.py` to rewrite it.")
        return
    args.page.write_text(before + BEGIN + "\n" + generated + "\n" + END + after)


if __name__ == "__main__":
    main()
