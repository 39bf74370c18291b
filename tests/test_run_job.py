"""A cluster job's files on their way into the grid directory (xparl/run_job.py's RunJob and
grid/cluster.py's writing), here, without a cluster: whole lines only, appended rows,
replaced files, and checkpoints renamed into place after the rows they need."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from mujoco_ppo.errors import UserError
from mujoco_ppo.grid.cluster import write_changes
from mujoco_ppo.parl1.checkpoint import checkpointer
from mujoco_ppo.xparl.run_job import RunJob

pytestmark = pytest.mark.unit

RNG = np.random.default_rng(0).bit_generator.state
STATE = {"format": 2, "beta": 1.0, "scaler_count": 3.0,  # what a PARL 1.x checkpoint holds
         "counters": {"iteration": 1, "steps": 10, "episodes": 1, "test_flag": 0,
                      "wall_time": 1.0},
         "agent_rng": RNG, "eval_env_rng": RNG, "workers": [{"env_rng": RNG}]}


@pytest.fixture
def job():
    job = RunJob({"progress.csv": b"iteration,steps\n1,10\n", "train.log": b"resumed\n"})
    job.proc = subprocess.Popen(["true"])
    job.proc.wait()
    yield job
    job.close()


def test_only_what_changed_travels_and_only_whole_lines(job, tmp_path):
    local = tmp_path / "run"
    local.mkdir()
    (local / "progress.csv").write_bytes(b"iteration,steps\n1,10\n")
    with open(os.path.join(job.run_dir, "progress.csv"), "ab") as f:
        f.write(b"2,20\n3,3")  # a row being written
    changes = job.changes()
    assert changes["returncode"] == 0 and changes["checkpoint"] is None
    assert changes["files"] == [("progress.csv", "append", b"2,20\n")]
    write_changes(str(local), "parl1", changes)
    assert (local / "progress.csv").read_bytes() == b"iteration,steps\n1,10\n2,20\n"
    assert job.changes()["files"] == []  # nothing new: nothing sent

    with open(os.path.join(job.run_dir, "progress.csv"), "ab") as f:
        f.write(b"0\n")
    replaced = os.path.join(job.run_dir, "config.json")
    with open(replaced + ".tmp", "wb") as f:
        f.write(b'{"a": 1}\n')
    os.replace(replaced + ".tmp", replaced)
    write_changes(str(local), "parl1", job.changes())
    assert (local / "progress.csv").read_bytes().endswith(b"2,20\n3,30\n")
    assert (local / "config.json").read_bytes() == b'{"a": 1}\n'

    with open(os.path.join(job.run_dir, "progress.csv") + ".new", "wb") as f:
        f.write(b"iteration,steps\n1,10\n")  # a resume rewrites it to the checkpoint's rows
    os.replace(os.path.join(job.run_dir, "progress.csv") + ".new",
               os.path.join(job.run_dir, "progress.csv"))
    assert job.changes()["files"] == [("progress.csv", "replace", b"iteration,steps\n1,10\n")]


def test_a_jobs_config_names_the_grids_run_directory(job, tmp_path):
    """The scratch directory a job ran in is gone once it ends: config.json says where the run
    is, as a local grid's does, and keeps the scratch directory under its own name."""
    config = {"args": {"output_dir": job.run_dir, "gamma": 0.995}, "seed": 3}
    with open(os.path.join(job.run_dir, "config.json"), "w") as f:
        f.write(json.dumps(config) + "\n")  # sent up to its last newline
    write_changes(str(tmp_path / "run"), "parl1", job.changes())
    written = json.loads((tmp_path / "run" / "config.json").read_text())
    assert written == {"args": {"output_dir": str(tmp_path / "run"), "gamma": 0.995},
                       "seed": 3, "cluster_scratch_dir": job.run_dir}


def test_a_checkpoint_arrives_whole_and_the_two_newest_are_kept(job, tmp_path):
    local = tmp_path / "run"
    remote = checkpointer(job.run_dir)
    arrays = {"scaler/means": np.zeros(3), "scaler/vars": np.ones(3)}
    for iteration in (1, 2, 3):
        remote.save(iteration, arrays, STATE)
        os.makedirs(os.path.join(job.run_dir, "checkpoints", f"iter_{iteration + 1:06d}.tmp"))
        changes = job.changes()
        assert changes["checkpoint"][0] == f"iter_{iteration:06d}"  # never a .tmp
        write_changes(str(local), "parl1", changes)
        shutil.rmtree(os.path.join(job.run_dir, "checkpoints", f"iter_{iteration + 1:06d}.tmp"))
    assert job.changes()["checkpoint"] is None
    assert len(checkpointer(str(local)).intact_checkpoints()) == 2
    names = sorted(os.listdir(local / "checkpoints"))
    assert names == ["iter_000002", "iter_000003", "latest"]
    assert (local / "checkpoints" / "latest").read_text() == "iter_000003\n"
    for name in names[:2]:  # byte for byte what train.py saved, checksums intact
        for file in ("arrays.safetensors", "state.json"):
            assert (local / "checkpoints" / name / file).read_bytes() == open(
                os.path.join(job.run_dir, "checkpoints", name, file), "rb").read()


@pytest.mark.parametrize("name, file", [
    ("iter_000001", "../../escaped"), ("../iter_000001", "state.json"),
    ("iter_1/../..", "state.json"), ("iter_000001", "..")])
def test_a_checkpoint_named_outside_the_run_is_refused_and_nothing_written(tmp_path, name, file):
    """Hostile case: a job (whoever reaches the cluster runs code there) sends a checkpoint whose
    name or file would land outside the grid's run directory."""
    run_dir = tmp_path / "grid" / "run"
    changes = {"files": [], "checkpoint": (name, {file: b"x"})}
    with pytest.raises(UserError, match="a cluster job sent a file outside its run directory"):
        write_changes(str(run_dir), "parl1", changes)
    assert sorted(p.name for p in tmp_path.rglob("*")) == []
