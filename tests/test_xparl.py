"""train.py --xparl_addr (and PARL 2.x's environments on actors) on a real xparl cluster, started
in private network and process namespaces, so that nothing binds or connects beyond 127.0.0.1 and
nothing outlives the test."""
import json
import os
import re
import signal
import subprocess
import sys

import psutil
import pytest

from helpers import (
    ROOT,
    assert_no_traceback,
    eval_rewards,
    marked_environment,
    marked_processes,
    read_progress,
    without_timings,
)

from mujoco_ppo.errors import UserError
from mujoco_ppo.xparl.cluster import exposure_warning, ipv4_of
from mujoco_ppo.xparl.local import private_network_command

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    out = tmp_path_factory.mktemp("xparl")
    command, reason = private_network_command(
        [sys.executable, os.path.join(ROOT, "tests", "xparl_session.py"), str(out)])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    proc = psutil.Popen(command, cwd=ROOT, env=marked_environment(out))
    assert proc.wait(timeout=900) == 0, "tests/xparl_session.py failed (see its output above)"
    with open(out / "session.json") as f:
        return {**json.load(f), "out": out}


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


def test_every_socket_of_the_cluster_and_the_run_listens_on_loopback_only(session):
    """Hostile case: PARL listens on every interface, and whoever reaches it runs code."""
    listening = session["actors_killed"]["listening"]  # master, worker, jobs, train.py
    assert {"127.0.0.1:8010", "127.0.0.1:8110"} <= set(listening)  # the master, its monitor
    assert len(listening) >= 10, listening  # the worker's, log server's, jobs' and heartbeats'
    assert [a for a in listening if ipv4_of(a.rpartition(":")[0]) != "127.0.0.1"] == []


def test_the_cluster_says_where_it_listens(session):
    cluster_log = (session["out"] / "cluster.log").read_text()
    listed = re.findall(r"^#   (\S+)  (.+)$", cluster_log, re.M)
    assert {("127.0.0.1:8010", "master"), ("127.0.0.1:8110", "monitor")} <= set(listed)
    assert {"worker", "log server"} <= {role for _, role in listed}
    assert all(ipv4_of(address.rpartition(":")[0]) == "127.0.0.1" for address, _ in listed)


def test_a_run_on_the_cluster_prints_no_traceback(session):
    """Hostile case: PARL's heartbeat process, forked from train.py, printed a traceback when
    train.py ended it, even after a run that succeeded."""
    for run in ("train", "discrete"):
        assert session[run]["rc"] == 0, session[run]["stderr"]
        assert_no_traceback(session[run]["stderr"])


@pytest.mark.parametrize("flags, phrase", [
    (["--host", "10.1.2.3"], "--host 10.1.2.3 is not a loopback address, and whoever reaches it "
                             "can run any code on every machine of the cluster: add --allow_remote"),
    (["--host", "0.0.0.0", "--allow_remote"], "--host 0.0.0.0 means every interface"),
    (["--host", "localhost"], "--host localhost is not an IPv4 address")])
def test_a_cluster_beyond_loopback_is_refused_before_it_starts(flags, phrase):
    command, reason = private_network_command(
        [sys.executable, "-m", "mujoco_ppo.xparl", *flags, "start", "--port", "8010"])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"xparl: error: {phrase}") and proc.stderr.count("\n") == 1
    assert proc.stdout == ""


def test_allow_remote_accepts_an_address_beyond_loopback_with_a_warning():
    assert exposure_warning("127.0.0.1", allow_remote=False) is None
    assert exposure_warning("127.0.0.2", allow_remote=False) is None
    warning = exposure_warning("10.1.2.3", allow_remote=True)
    assert warning.startswith("warning: the cluster listens on 10.1.2.3, without authentication")
    with pytest.raises(UserError, match="add --allow_remote"):
        exposure_warning("10.1.2.3", allow_remote=False)


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


def test_parl2_environments_on_the_cluster_stopped_and_resumed_equal_a_local_run(session):
    """`train.py --algo parl2` with its 2 CartPole environments stepped by the cluster's actors,
    stopped by SIGTERM and resumed there."""
    parl2 = session["parl2"]
    assert parl2["stopped"]["rc"] == 128 + signal.SIGTERM, parl2["stopped"]["stderr"]
    assert parl2["resumed"]["rc"] == 0, parl2["resumed"]["stderr"]
    assert parl2["local"]["rc"] == 0, parl2["local"]["stderr"]
    for run in ("stopped", "resumed"):  # nor a traceback of PARL's forked heartbeat process
        assert_no_traceback(parl2[run]["stderr"])
    assert "Resumed" in (session["out"] / "parl2_remote" / "train.log").read_text()
    assert len(parl2["remote_rows"]) == 20
    assert without_timings(parl2["remote_rows"]) == without_timings(parl2["local"]["rows"])


def test_the_cluster_is_gone_after_the_test(session):
    """Counted by this session's mark, not by name: another xparl cluster on the machine (a
    user's, a second checkout's tests) is not this test's business."""
    assert session["left_after_stop"] == []
    marked = session["marked_while_sampling"]  # the mark reaches every process of the cluster
    assert len(marked) >= 5 and all(found for _, found in marked), marked
    assert marked_processes(session["out"]) == []


def test_a_remote_error_is_reported_by_its_message_line():
    from parl.remote.exceptions import FutureFunctionError, RemoteError

    from mujoco_ppo.xparl.actors import first_line

    remote = RemoteError("run", "ValueError: bad action\ntraceback:\n  File x, line 1")
    assert first_line(remote) == "ValueError: bad action"
    assert first_line(FutureFunctionError("__init__")).startswith(
        "There is an error raised when calling the future function `__init__`")
