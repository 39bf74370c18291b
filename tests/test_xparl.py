"""train.py --xparl_addr on a real xparl cluster, started in private network and process
namespaces, so that nothing binds or connects beyond 127.0.0.1 and nothing outlives the test."""
import json
import os
import re
import sys
import time

import psutil
import pytest

from helpers import ROOT, eval_rewards, read_progress
from mujoco_ppo.xparl import private_network_command


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    out = tmp_path_factory.mktemp("xparl")
    command, reason = private_network_command(
        [sys.executable, os.path.join(ROOT, "tests", "xparl_session.py"), str(out)])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    started = time.time()
    proc = psutil.Popen(command, cwd=ROOT)
    assert proc.wait(timeout=900) == 0, "tests/xparl_session.py failed (see its output above)"
    with open(out / "session.json") as f:
        return {**json.load(f), "out": out, "started": started}


def test_short_training_on_the_cluster_logs_like_parl(session):
    assert session["train"]["rc"] == 0, session["train"]["last_line"]
    log = (session["out"] / "train.log").read_text()
    assert f"Remote actors log url: http://{session['address'].split(':')[0]}:" in log  # PARL's
    assert re.search(r"Steps \d+, Train reward: [-\d.]+, Policy loss: [-\d.e]+, KL: [-\d.e]+, "
                     r"Value loss: [-\d.e]+", log)
    assert len(re.findall(r"Steps \d+, Evaluate reward: [-\d.]+", log)) >= 3
    run = session["out"] / "run"
    assert int(read_progress(run)[-1]["steps"]) >= 3000
    assert len(eval_rewards(run)) >= 3
    cluster_log = (session["out"] / "cluster.log").read_text()
    assert "The Parl cluster is started at localhost:8010" in cluster_log


def test_discrete_actions_and_trpo_on_the_cluster(session):
    assert session["discrete"]["rc"] == 0, session["discrete"]["last_line"]
    rows = read_progress(session["out"] / "discrete")
    assert int(rows[-1]["steps"]) >= 2000 and rows[-1]["line_search_failures"] != ""


def test_too_few_cluster_cpus_is_one_sentence_and_writes_nothing(session):
    result = session["too_many_actors"]
    assert result["rc"] == 2
    assert re.search(r"has \d free CPUs .*but --actor_num is 3", result["last_line"])
    assert "too_many" not in session["output_dirs"]


def test_no_cluster_at_the_address_is_one_sentence(session):
    result = session["no_cluster"]
    assert result["rc"] == 2
    assert result["last_line"].startswith("train.py: error: no xparl cluster answers at "
                                          "127.0.0.1:8011")
    assert "no_cluster" not in session["output_dirs"]


def test_actors_killed_mid_run_end_it_with_a_message_and_keep_the_progress(session):
    result = session["actors_killed"]
    assert result["rc"] == 1
    assert "xparl actor" in result["last_line"], result["last_line"]
    assert result["iterations"] >= 3


def test_the_interrupted_run_resumes_on_the_cluster(session):
    result = session["resumed"]
    assert result["rc"] == 0, result["last_line"]
    assert result["steps_after"] >= result["steps_before"] + 2000
    assert "Resumed" in (session["out"] / "killed" / "train.log").read_text()


def test_the_cluster_is_gone_after_the_test(session):
    assert session["left_after_stop"] == []
    leftovers = [p.info["cmdline"] for p in psutil.process_iter(["cmdline", "create_time"])
                 if p.info["create_time"] >= session["started"]
                 and any("parl/remote/" in part for part in p.info["cmdline"] or [])]
    assert leftovers == []


def test_a_remote_error_is_reported_by_its_message_line():
    from parl.remote.exceptions import FutureFunctionError, RemoteError

    from mujoco_ppo.sampling.xparl_actors import _first_line

    remote = RemoteError("run", "ValueError: bad action\ntraceback:\n  File x, line 1")
    assert _first_line(remote) == "ValueError: bad action"
    assert _first_line(FutureFunctionError("__init__")).startswith(
        "There is an error raised when calling the future function `__init__`")
