"""What ablate.py run says while a grid runs: the plan, a line when a run really starts, `done
k/N` with the time left, and at the end what to run next. The runs here are stand-ins that end
after a set time (the grid runner's own loop, decisions and locks, no train.py)."""
import os
import re
import sys
import time

import pytest

from helpers import ROOT

from mujoco_ppo import cli
from mujoco_ppo.cli import shortest_path
from mujoco_ppo.grid.plan import DEFAULTS
from mujoco_ppo.grid.runner import Progress, duration, run_grid

pytestmark = pytest.mark.unit

SETTING = "Hopper-v4/CLIP_clip_epsilon0.2"


class StandInJobs:
    """Two at once; each run 'trains' for its seed's number of seconds and exits 0."""

    one_core_each = True

    def __init__(self, seconds):
        self.seconds, self.launched = seconds, []

    def describe(self):
        return "2 at once"

    def room(self, running):
        return 2 - len(running)

    def cpus(self):
        pass

    def launch(self, grid_dir, relative, args, status, algo):
        self.launched.append(relative)
        return StandInJob(relative, self.seconds[relative])


class StandInJob:
    lost = None

    def __init__(self, relative, seconds):
        self.relative, self.seconds, self.started = relative, seconds, time.time()

    def poll(self):
        return 0 if time.time() - self.started >= self.seconds else None

    def close(self):
        pass


def test_a_run_is_said_when_it_starts_and_when_it_ends_with_the_count_and_the_time_left(
        tmp_path, capsys, monkeypatch):
    """Hostile case: `ablate.py run` printed `start` for every run of the plan before any had
    started, then bare `done` lines, with no count, no time left, and no word of aggregate or
    report once the grid was done."""
    monkeypatch.setattr(cli, "_invocation", {})  # started as scripts/ablate.py starts it
    cli.invoked_as("ablate.py", "ablate.py", [sys.executable, os.path.join(ROOT, "scripts",
                                                                         "ablate.py")])
    grid = dict(DEFAULTS, env=["Hopper-v4"], loss_type=["CLIP"], seeds=[0, 1, 2], steps=1000,
                jobs=2)
    jobs = StandInJobs({f"{SETTING}/seed0": 1, f"{SETTING}/seed1": 3, f"{SETTING}/seed2": 1})
    assert run_grid(str(tmp_path / "grid"), grid, jobs) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    # the plan: nothing has started yet
    assert lines[:4] == [f" to start  {SETTING}/seed{seed}" for seed in (0, 1, 2)] + [
        "3 runs, 3 to run, 2 at once"]
    events = lines[4:-1]
    assert events[:2] == [f"    start  {SETTING}/seed0  (1 of 3)",
                          f"    start  {SETTING}/seed1  (2 of 3)"]
    assert re.fullmatch(rf" done 1/3  {SETTING}/seed0  \(\d s; about \d s left\)", events[2])
    assert events[3] == f"    start  {SETTING}/seed2  (3 of 3)"
    # the one still running has taken longer than the mean already
    assert re.fullmatch(rf" done 2/3  {SETTING}/seed\d  \(\d s; (about \d s left|1 still running)\)",
                        events[4])
    assert re.fullmatch(rf" done 3/3  {SETTING}/seed\d  \(\d s\)", events[5]), events
    assert len(events) == 6 and jobs.launched == [f"{SETTING}/seed{s}" for s in (0, 1, 2)]
    grid_dir = tmp_path / "grid"
    assert lines[-1] == (
        f"every run is done; next: {next_command()} aggregate {grid_dir} (tables and curves), "
        f"or {next_command()} report {grid_dir} (those and one page, {grid_dir}/report.md, "
        f"with the statistics and figures)")


def next_command():
    return (f"{shortest_path(sys.executable)} "
            f"{shortest_path(os.path.join(ROOT, 'scripts', 'ablate.py'))}")


def test_the_time_left_schedules_the_rest_on_the_jobs_at_the_mean_time_of_a_run():
    progress = Progress(5)
    assert progress.started("a", 1) == "1 of 5" and progress.started("b", 2) == "2 of 5"
    assert progress.time_left([], 4) is None  # no run finished: no estimate
    progress.ended("a", 100.0)
    now = time.time()
    running = [StandInJob("b", 0)]
    running[0].started = now - 40  # 60 s left of the mean 100
    # 2 at once: b's slot ends at 60, the free slot takes c (100) then e (200); d follows b (160)
    assert progress.time_left(running, 3) == pytest.approx(200, abs=1)
    # both slots free (two runs ended in the same second): still 2 at once
    assert progress.time_left([], 2) == pytest.approx(100)
    assert progress.time_left([], 0) is None  # nothing left
    assert progress.started("a", 1) == "1 of 5"  # started again: its own number
    assert progress.ended("b") == "2/5"  # a failed run counts as ended, its time does not
    assert progress.finished == [100.0]
    assert [duration(s) for s in (45, 89.4, 600, 5340, 5400, 12000)] == [
        "45 s", "89 s", "10 min", "89 min", "1 h 30 min", "3 h 20 min"]
