"""ablate.py run --xparl_addr: a grid's runs as jobs on a real xparl cluster, started with
tests/cluster_grid_session.py in private network and process namespaces (nothing binds or
connects beyond 127.0.0.1, nothing outlives the test), against the same grid run here."""
import json
import os
import sys
import tempfile

import psutil
import pytest

from helpers import (
    ROOT,
    assert_no_traceback,
    marked_environment,
    marked_processes,
    read_progress,
    without_timings,
)

from mujoco_ppo.parl1.checkpoint import checkpointer
from mujoco_ppo.xparl.local import private_network_command

pytestmark = pytest.mark.cluster

SETTING = os.path.join("runs", "InvertedPendulum-v4", "CLIP_clip_epsilon0.2")
RUNS = [f"InvertedPendulum-v4/CLIP_clip_epsilon0.2/seed{seed}" for seed in (0, 1)]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster_grid")
    command, reason = private_network_command(
        [sys.executable, os.path.join(ROOT, "tests", "cluster_grid_session.py"), str(out)])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    proc = psutil.Popen(command, cwd=ROOT, env=marked_environment(out))
    assert proc.wait(timeout=900) == 0, "tests/cluster_grid_session.py failed (see above)"
    with open(out / "session.json") as f:
        return {**json.load(f), "out": out}


def rows(session, grid, seed, setting=SETTING):
    return without_timings(read_progress(session["out"] / grid / setting / f"seed{seed}"))


def test_a_grid_on_the_cluster_equals_the_grid_run_here_row_for_row(session):
    for grid in ("local", "cluster"):
        assert session[grid]["rc"] == 0, session[grid]["stderr"]
        assert_no_traceback(session[grid]["stderr"])
    for seed in (0, 1):
        assert rows(session, "cluster", seed) == rows(session, "local", seed)
        run_dir = session["out"] / "cluster" / SETTING / f"seed{seed}"
        assert {"config.json", "progress.csv", "train.log", "tensorboard"} <= set(
            os.listdir(run_dir))
        checkpoints = checkpointer(str(run_dir)).intact_checkpoints()
        assert len(checkpoints) == 2  # the two newest, as train.py keeps them
        assert (run_dir / "checkpoints" / "latest").read_text().strip() == \
            os.path.basename(checkpoints[0][1])
        assert "Done: " in (run_dir / "train.log").read_text()
        config = json.loads((run_dir / "config.json").read_text())
        assert config["args"]["output_dir"] == str(run_dir)  # not the job's scratch directory
        assert config["cluster_scratch_dir"].startswith(tempfile.gettempdir())
    log = session["out"] / "cluster" / "logs" / (RUNS[0].replace("/", "_") + ".out")
    assert "Steps " in log.read_text()  # train.py's output, as a local grid keeps it


def test_a_parl2_grid_on_the_cluster_equals_the_grid_run_here(session):
    for grid in ("parl2_local", "parl2_cluster"):
        assert session[grid]["rc"] == 0, session[grid]["stderr"]
    setting = os.path.join("runs", "CartPole-v1", "parl2")
    cluster = rows(session, "parl2_cluster", 0, setting)
    assert cluster == rows(session, "parl2_local", 0, setting) and len(cluster) >= 2


def test_a_killed_job_is_finished_elsewhere_as_if_uninterrupted(session):
    killed = session["killed"]
    assert killed["rows"] >= killed["checkpoint"] > 0
    assert killed["rc"] == 0, killed["stderr"]
    assert f"   lost  {RUNS[0]}  (its actor did not answer" in killed["stdout"]
    assert "started again" in killed["stdout"]
    assert rows(session, "killed", 0) == rows(session, "local", 0)
    train_log = (session["out"] / "killed" / SETTING / "seed0" / "train.log").read_text()
    assert "Resumed" in train_log


def test_ctrl_c_stops_every_job_and_their_checkpoints_arrive(session):
    stopped = session["sigint"]
    assert stopped["rc"] == 130
    kept = "; ".join(f"{run} keeps iter_{n:06d}" for run, n in zip(RUNS, stopped["rows"]))
    assert stopped["stderr"].strip().splitlines()[-1] == (
        f"ablate.py: stopped by signal 2; the runs under way stopped ({kept}); run the same "
        f"command again to continue the grid.")
    # every finished iteration has its row and the checkpoint train.py saved as it stopped
    assert [c[0] for c in stopped["checkpoints"]] == stopped["rows"]
    assert stopped["left"] == []  # no train.py goes on on the cluster
    assert_no_traceback(stopped["stderr"])


def test_a_cluster_that_goes_away_loses_nothing_and_the_grid_finishes_here(session):
    gone, grid_dir = session["gone"], session["out"] / "stopped"
    assert gone["rc"] == 1
    lines = gone["stderr"].strip().splitlines()
    assert lines[-1].startswith("ablate.py: the xparl cluster at 127.0.0.1:8010 no longer "
                                f"answers; {grid_dir} keeps every row and checkpoint that "
                                f"arrived (")
    assert lines[-1].endswith(f"run `ablate.py run {grid_dir}` again (without --xparl_addr: "
                              f"on this machine) to continue the grid.")
    assert_no_traceback(gone["stderr"])
    for newest, count in zip(gone["checkpoints"], gone["rows"]):
        assert newest and newest[0] <= count  # the rows each checkpoint needs arrived first
    here = session["finished_here"]
    assert here["rc"] == 0, here["stderr"]
    assert f" resume  {RUNS[0]}" in here["stdout"] or f" resume  {RUNS[1]}" in here["stdout"]
    for seed in (0, 1):
        assert rows(session, "stopped", seed) == rows(session, "local", seed)


def test_nothing_of_the_grid_or_its_cluster_outlives_the_test(session):
    """Counted by this session's mark (helpers.SESSION_MARKER), which every process it started
    inherited: another cluster or grid on the machine is not this test's."""
    assert marked_processes(session["out"]) == []
