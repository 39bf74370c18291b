"""The package's layers point one way: PARL 1.x's maths (parl1/'s model, algorithm, TRPO, agent,
scaler, data, and the config of their defaults) imports nothing else of the package, neither PPO
imports the other, and no two of its folders import each other, directly or round a longer
circle. Read from the modules' import statements (every one, also those inside functions),
without importing them."""
import ast
import pathlib

import pytest

pytestmark = pytest.mark.unit

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "mujoco_ppo"


def module_name(path):
    """``mujoco_ppo.parl2.env_utils`` of .../mujoco_ppo/parl2/env_utils.py; a package's own name
    for its __init__.py."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """The dotted names of the package's own modules that the file at ``path`` imports."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]  # relative imports start from the module's package
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # `from . import env_state` imports a module of that package, not a name in it
            found |= ({module} if node.module else {f"{module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.split(".")[0] == PACKAGE.name}


def folder_of(module):
    """The package's folder (or top-level module) that ``module`` belongs to."""
    return module.split(".")[1] if "." in module else module


def module_files():
    return sorted(PACKAGE.rglob("*.py"))


def test_the_import_reader_sees_relative_and_nested_imports():
    assert "mujoco_ppo.parl1.numpy_policy" in imported_modules(PACKAGE / "parl1" / "agent.py")
    parallel_env = imported_modules(PACKAGE / "parl2" / "parallel_env.py")
    assert "mujoco_ppo.parl2.env_state" in parallel_env  # `from . import env_state`
    assert "mujoco_ppo.xparl.actors" in parallel_env  # imported inside a method


# PARL 1.x's PPO as PARL splits it, maths only: what the loop, samplers and checkpoints build on;
# and its settings' defaults (config.py: plain values), which the maths takes its defaults from
PARL1_MATHS = {f"mujoco_ppo.parl1.{name}" for name in (
    "model", "distributions", "algorithm", "trpo", "objectives", "agent", "numpy_policy", "scaler",
    "data", "build", "config")}


def test_parl1s_maths_imports_nothing_of_the_package_but_itself():
    assert all((PACKAGE.parent / (name.replace(".", "/") + ".py")).is_file()
               for name in PARL1_MATHS)
    outside = {f"{name} imports {module}" for name in sorted(PARL1_MATHS)
               for module in imported_modules(PACKAGE.parent / (name.replace(".", "/") + ".py"))
               if module not in PARL1_MATHS}
    assert not outside, sorted(outside)


def test_neither_ppo_imports_the_other():
    graph = folder_graph()
    assert "parl2" not in graph.get("parl1", {}), graph["parl1"]["parl2"]
    assert "parl1" not in graph.get("parl2", {}), graph["parl2"]["parl1"]


def folder_graph():
    """folder -> {folder it imports: [the imports that make the edge]}."""
    graph = {}
    for path in module_files():
        here = folder_of(module_name(path))
        for module in imported_modules(path):
            there = folder_of(module)
            if there not in (here, PACKAGE.name):
                graph.setdefault(here, {}).setdefault(there, []).append(
                    f"{path.relative_to(PACKAGE)} imports {module}")
    return graph


def find_circle(graph):
    """A list of folders [a, b, ..., a] that import each other round a circle, or None."""
    done, path = set(), []

    def visit(folder):
        if folder in path:
            return path[path.index(folder):] + [folder]
        if folder in done:
            return None
        path.append(folder)
        for there in sorted(graph.get(folder, {})):
            circle = visit(there)
            if circle:
                return circle
        path.pop()
        done.add(folder)
        return None

    return next(filter(None, (visit(folder) for folder in sorted(graph))), None)


def test_the_circle_finder_finds_a_circle_and_none_where_there_is_none():
    assert find_circle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b": [], "c": []}, "b": {"c": []}}) is None


def test_no_import_circle_between_the_package_folders():
    graph = folder_graph()
    circle = find_circle(graph)
    edges = circle and [why for a, b in zip(circle, circle[1:]) for why in sorted(graph[a][b])]
    assert circle is None, f"{' -> '.join(circle)}: {edges}"


# where the name of PARL 2.x's PPO may be told apart from another: the registry and its own folder
NAME_ASKED = "parl2"
MAY_COMPARE = ("mujoco_ppo/algorithms.py", "mujoco_ppo/parl2/")


def name_comparisons(source, filename="<test>"):
    """(line, text) of every comparison (==, !=, in, not in, is) in ``source`` that has the
    string NAME_ASKED on a side, alone or in a tuple, list or set."""
    def names_it(node):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(map(names_it, node.elts))
        return isinstance(node, ast.Constant) and node.value == NAME_ASKED

    return [(node.lineno, ast.get_source_segment(source, node))
            for node in ast.walk(ast.parse(source, filename))
            if isinstance(node, ast.Compare) and any(map(names_it, [node.left, *node.comparators]))]


def test_the_comparison_finder_finds_every_form():
    found = name_comparisons('a == "parl2"\nb = x != "parl2"\nif y in ("parl1", "parl2"): pass\n'
                             'z = "parl2" not in w\nlabel = "parl2"\nc = d == "parl1"\n')
    assert [line for line, _ in found] == [1, 2, 3, 4]


def test_only_the_registry_and_parl2_tell_parl2_apart_by_its_name():
    """Every other module asks the registry (mujoco_ppo/algorithms.py) for a run's or a
    command line's spec, so that a third PPO is one folder and one line of the registry."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
             for path in module_files()
             if not str(path.relative_to(PACKAGE.parent)).startswith(MAY_COMPARE)
             for line, text in name_comparisons(path.read_text(), str(path))]
    assert not found, found

