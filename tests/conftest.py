"""The suite's shared setup: this checkout's mujoco_ppo for every command line, one kind
(unit, e2e or cluster) per test, and the finished runs several tests read (TrainedRuns)."""
import os

import pytest

import mujoco_ppo  # noqa: F401  (sets PARL's environment variables before parl is imported)

# isort: split
import paddle

from helpers import ROOT, run_train

# Every command line a test runs (scripts/*.py, python -m mujoco_ppo.xparl, the cluster's
# processes) imports this checkout's mujoco_ppo: the virtualenv's editable install names one
# checkout, and another git worktree sharing the virtualenv would otherwise test that one's.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))

# Each test is of one kind (pytest.ini describes them); `pytest -m unit` is the fast subset.
KINDS = ("unit", "e2e", "cluster")


def pytest_collection_modifyitems(config, items):
    """A test with no kind, or more than one, would fall out of (or into two of) the subsets:
    refuse the whole collection, naming them."""
    unsorted = []
    for item in items:
        kinds = [mark.name for mark in item.iter_markers() if mark.name in KINDS]
        if len(kinds) != 1:
            unsorted.append(f"{item.nodeid} ({', '.join(kinds) or 'no kind'})")
    if unsorted:
        raise pytest.UsageError(f"each test needs exactly one of the markers {', '.join(KINDS)}; "
                                f"these have not: {'; '.join(unsorted)}")


@pytest.fixture(autouse=True)
def _seeded():
    paddle.seed(1234)
    yield


class TrainedRuns:
    """Finished runs of train.py, each trained once a session (under pytest-xdist, once a worker)
    for its flags however many tests read it. Tests read these directories and never change them:
    a test that must change one copies it first."""

    def __init__(self, tmp_path_factory):
        self._tmp_path_factory = tmp_path_factory
        self._runs = {}

    def __call__(self, *flags):
        """The directory of a finished run of ``train.py FLAGS --output_dir DIR``."""
        return self.process(*flags)[0]

    def process(self, *flags):
        """(directory, CompletedProcess) of that run: its stdout and stderr too."""
        key = tuple(map(str, flags))
        if key not in self._runs:
            out = self._tmp_path_factory.mktemp("trained") / "run"
            proc = run_train(*key, "--output_dir", out)
            assert proc.returncode == 0, proc.stderr
            self._runs[key] = out, proc
        return self._runs[key]


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """``trained_run(*flags)``: the directory of a finished run with those flags (see
    TrainedRuns)."""
    return TrainedRuns(tmp_path_factory)
