"""`train.py --algo parl2` with its environments stepped by actors of a real xparl cluster."""
import json
import os
import signal
import subprocess
import sys

import pytest

from helpers import ROOT, assert_no_traceback, without_timings

pytestmark = pytest.mark.cluster

def test_xparl_environments_stopped_and_resumed_equal_a_local_run(tmp_path):
    """A real xparl cluster on 127.0.0.1 in private network and process namespaces (as
    tests/test_xparl.py), its 2 actors stepping CartPole for --algo parl2."""
    from mujoco_ppo.xparl.local import private_network_command
    command, reason = private_network_command(
        [sys.executable, os.path.join(ROOT, "tests", "parl2_xparl_session.py"), str(tmp_path)])
    if command is None:
        pytest.skip(f"no private network namespace on this machine: {reason}")
    assert subprocess.run(command, cwd=ROOT, timeout=900).returncode == 0
    session = json.loads((tmp_path / "session.json").read_text())
    assert session["stopped"]["rc"] == 128 + signal.SIGTERM, session["stopped"]["stderr"]
    assert session["resumed"]["rc"] == 0, session["resumed"]["stderr"]
    assert session["local"]["rc"] == 0, session["local"]["stderr"]
    for run in ("stopped", "resumed"):  # nor a traceback of PARL's forked heartbeat process
        assert_no_traceback(session[run]["stderr"])
    assert "Resumed" in (tmp_path / "remote" / "train.log").read_text()
    assert len(session["remote_rows"]) == 20
    assert without_timings(session["remote_rows"]) == without_timings(session["local_rows"])
