"""Run inside fresh network and process namespaces by tests/test_parl2_cluster.py:

    python tests/parl2_xparl_session.py OUT_DIR

Brings loopback up, starts an xparl cluster on 127.0.0.1 with 2 CPUs whose processes import this
checkout's mujoco_ppo, runs `train.py --algo parl2` on CartPole-v1 with its 2 environments on the
cluster, stopped by SIGTERM and resumed there, and the same run locally; writes
OUT_DIR/session.json with their exit statuses and progress.csv rows.
"""
import json
import os
import signal
import subprocess
import sys
import time

from helpers import ROOT, read_progress, run_train

from mujoco_ppo.xparl.local import bring_loopback_up, local_cluster

RUN = ["--algo", "parl2", "--env", "CartPole-v1", "--env_num", "2", "--step_nums", "32",
       "--train_total_steps", "1280", "--test_every_steps", "500", "--checkpoint_every", "2",
       "--seed", "7"]


def main(out):
    bring_loopback_up()
    os.environ["PYTHONPATH"] = ROOT  # the cluster's jobs import this checkout's mujoco_ppo
    session = {}
    with open(os.path.join(out, "cluster.log"), "w") as log, \
            local_cluster(8010, 2, log) as address:
        remote = os.path.join(out, "remote")
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "train.py"), *RUN,
                                 "--xparl_addr", address, "--output_dir", remote], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if os.path.exists(os.path.join(remote, "progress.csv")) and \
                    len(read_progress(remote)) >= 3:
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(0.1)
        _, stderr = proc.communicate(timeout=300)
        session["stopped"] = {"rc": proc.returncode, "stderr": stderr[-2000:]}
        resumed = run_train("--resume", remote, timeout=600)
        session["resumed"] = {"rc": resumed.returncode, "stderr": resumed.stderr[-2000:]}
        session["remote_rows"] = read_progress(remote)
    local = run_train(*RUN, "--output_dir", os.path.join(out, "local"), timeout=600)
    session["local"] = {"rc": local.returncode, "stderr": local.stderr[-2000:]}
    session["local_rows"] = read_progress(os.path.join(out, "local"))
    with open(os.path.join(out, "session.json"), "w") as f:
        json.dump(session, f)


if __name__ == "__main__":
    main(sys.argv[1])
