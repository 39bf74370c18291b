"""Run inside fresh network and process namespaces by tests/test_xparl.py:

    python tests/xparl_session.py OUT_DIR

Brings loopback up, starts an xparl cluster (by default, on 127.0.0.1) with 2 CPUs, runs train.py
against it (a short training, then the three failures a user can meet: too many actors, no cluster
at the address, actors killed mid-run, then that run resumed) and `train.py --algo parl2` with its
environments on the cluster's actors (stopped by SIGTERM, resumed there, and the same run here for
reference), stops the cluster, and writes
OUT_DIR/session.json with each run's exit status, error line and stderr, the TCP sockets that
listened while actors sampled, whether each cluster process then carried the session's mark
(helpers.SESSION_MARKER), and the cluster processes still alive after `xparl stop`.
"""
import contextlib
import glob
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time

import psutil

from helpers import ROOT, SESSION_MARKER, popen_train, read_progress, run_train

from mujoco_ppo.xparl.local import bring_loopback_up, local_cluster

PORT = 8010
SHORT_RUN = ["--env", "InvertedPendulum-v4", "--train_total_steps", 3000,
             "--test_every_steps", 1000, "--seed", 3]


def error_line(stderr):
    """train.py's own last message (PARL's threads may print after it)."""
    lines = [line for line in stderr.splitlines() if line.startswith("train.py: ")]
    return lines[-1] if lines else ""


def outcome(proc):
    return {"rc": proc.returncode, "last_line": error_line(proc.stderr),
            "stderr": proc.stderr[-4000:]}


def listening_addresses():
    """"ADDRESS:PORT" of every TCP socket listening in this network namespace, from the
    kernel's tables (addresses in hex, in 32-bit words of the host's byte order)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A":  # TCP_LISTEN
                    address, port = local.split(":")
                    raw = bytes.fromhex(address)
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                    found.append(f"{ipaddress.ip_address(words)}:{int(port, 16)}")
    return found


def cluster_processes():
    # -ww: whole command lines; without it ps cuts them to 80 columns when its output is not a
    # terminal but pytest's capture is around it, and no job's line shows "remote/job.py"
    ps = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line.strip() for line in ps.splitlines() if "parl/remote/" in line]


def marks_of_the_cluster():
    """[(command line, whether it carries the session's mark)] of every cluster process: the
    mark by which the test counts this session's processes must reach all of them."""
    marks = []
    for line in cluster_processes():
        with contextlib.suppress(psutil.Error):  # ended since ps listed it
            environment = psutil.Process(int(line.split()[0])).environ()
            marks.append((line, environment.get(SESSION_MARKER) == os.environ[SESSION_MARKER]))
    return marks


def kill_actors_mid_run(address, out):
    """A long run whose actors' processes are killed once it has saved a checkpoint."""
    output_dir = os.path.join(out, "killed")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "train.py"), *map(str, SHORT_RUN),
         "--train_total_steps", "10000000", "--xparl_addr", address, "--actor_num", "2",
         "--xparl_timeout", "20", "--output_dir", output_dir],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        progress = os.path.join(output_dir, "progress.csv")
        saved = os.path.exists(os.path.join(output_dir, "checkpoints", "latest"))
        if saved and os.path.exists(progress) and len(read_progress(output_dir)) >= 3:
            break
        time.sleep(0.2)
    listening = listening_addresses()
    marked = marks_of_the_cluster()
    for line in cluster_processes():
        if "remote/job.py" in line:
            subprocess.run(["kill", "-9", line.split()[0]])
    try:
        _, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    with open(os.path.join(out, "killed.log"), "w") as f:
        f.write(stderr)
    return {"rc": proc.returncode, "last_line": error_line(stderr),
            "iterations": len(read_progress(output_dir)), "listening": listening,
            "marked": marked}


PARL2_RUN = ["--algo", "parl2", "--env", "CartPole-v1", "--env_num", "2", "--step_nums", "32",
             "--train_total_steps", "1280", "--test_every_steps", "500", "--checkpoint_every",
             "2", "--seed", "7"]


def parl2_stopped_and_resumed(address, out):
    """`train.py --algo parl2` with its 2 environments on the cluster's actors, stopped by
    SIGTERM once it has 3 rows, then resumed there."""
    remote = os.path.join(out, "parl2_remote")
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "train.py"), *PARL2_RUN,
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
    resumed = run_train("--resume", remote, timeout=600)
    return {"stopped": {"rc": proc.returncode, "stderr": stderr[-2000:]},
            "resumed": {"rc": resumed.returncode, "stderr": resumed.stderr[-2000:]},
            "remote_rows": read_progress(remote)}


def parl2_here(out):
    """The same run of `train.py --algo parl2`, its environments in its own process, started
    (to be waited for by parl2_done) while the cluster starts: it needs no cluster, and starting
    one is mostly waiting."""
    return popen_train(*PARL2_RUN, "--output_dir", os.path.join(out, "parl2_local"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def parl2_done(local, out):
    _, stderr = local.communicate(timeout=600)
    return {"rc": local.returncode, "stderr": stderr[-2000:],
            "rows": read_progress(os.path.join(out, "parl2_local"))}


def main(out):
    bring_loopback_up()
    session = {}
    parl2_local = parl2_here(out)
    with open(os.path.join(out, "cluster.log"), "w") as log:
        with local_cluster(PORT, 2, log) as address:
            session["address"] = address
            output_dir = os.path.join(out, "run")
            proc = run_train(*SHORT_RUN, "--xparl_addr", address, "--actor_num", 2,
                             "--output_dir", output_dir)
            with open(os.path.join(out, "train.log"), "w") as f:
                f.write(proc.stdout + proc.stderr)
            session["train"] = outcome(proc)
            session["discrete"] = outcome(run_train(  # a categorical policy's actors, TRPO
                "--env", "CartPole-v1", "--loss_type", "TRPO", "--train_total_steps", 2000,
                "--test_every_steps", 1000, "--seed", 3, "--xparl_addr", address,
                "--actor_num", 2, "--output_dir", os.path.join(out, "discrete")))
            session["too_many_actors"] = outcome(run_train(
                *SHORT_RUN, "--xparl_addr", address, "--actor_num", 3,
                "--output_dir", os.path.join(out, "too_many")))
            session["no_cluster"] = outcome(run_train(
                *SHORT_RUN, "--xparl_addr", f"127.0.0.1:{PORT + 1}",
                "--output_dir", os.path.join(out, "no_cluster")))
            session["actors_killed"] = kill_actors_mid_run(address, out)
            session["marked_while_sampling"] = session["actors_killed"].pop("marked")
            killed = os.path.join(out, "killed")
            done = int(read_progress(killed)[-1]["steps"])
            resumed = run_train("--resume", killed, "--train_total_steps", done + 2000)
            session["resumed"] = {**outcome(resumed), "steps_before": done,
                                  "steps_after": int(read_progress(killed)[-1]["steps"])}
            session["parl2"] = parl2_stopped_and_resumed(address, out)
        time.sleep(2)
        session["left_after_stop"] = cluster_processes()
    session["parl2"]["local"] = parl2_done(parl2_local, out)
    session["output_dirs"] = sorted(os.path.basename(d) for d in glob.glob(os.path.join(out, "*"))
                                    if os.path.isdir(d))
    with open(os.path.join(out, "session.json"), "w") as f:
        json.dump(session, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
