"""The wall time of one grid on a loopback xparl cluster of this machine's CPUs against the same
grid with local --jobs (scripts/cluster_grid_time.py).

The measurement runs inside fresh network and process namespaces (as tests/test_xparl.py does):
loopback only, and every process it started ends with it. Both grids run there, one after the
other, each from an empty grid directory; the load average before each is recorded, since the
machine may be shared."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .local import bring_loopback_up, local_cluster, private_network_command

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORT = 8010


def timed_grid(grid_dir, grid_args, extra):
    """(seconds, exit status) of ``ablate.py run GRID_DIR EXTRA GRID_ARGS``."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "ablate.py"), "run",
                           grid_dir, *extra, *grid_args], cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ablate.py ended with {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def measure(grid_args, cpus, scratch):
    """{'local_s', 'cluster_s', 'cluster_start_s', load averages}: in the namespaces."""
    bring_loopback_up()
    result = {"load_before_local": os.getloadavg()}
    result["local_s"] = timed_grid(os.path.join(scratch, "local"), grid_args,
                                   ["--jobs", str(cpus)])
    result["load_before_cluster"] = os.getloadavg()
    started = time.monotonic()
    with open(os.path.join(scratch, "cluster.log"), "w") as log:
        with local_cluster(PORT, cpus, log) as address:
            result["cluster_start_s"] = time.monotonic() - started
            result["cluster_s"] = timed_grid(os.path.join(scratch, "cluster"), grid_args,
                                             ["--xparl_addr", address, "--jobs", str(cpus)])
    return result


def run(grid_args, cpus, out):
    """Measure in the namespaces and write ``out`` (JSON); returns what it wrote."""
    scratch = tempfile.mkdtemp(prefix="cluster_grid_time_")
    try:
        inner = os.path.join(scratch, "result.json")
        command, reason = private_network_command(
            [sys.executable, "-m", "mujoco_ppo.xparl.grid_timing", inner, str(cpus), *grid_args])
        if command is None:
            raise RuntimeError(f"no private network namespace on this machine: {reason}")
        subprocess.run(command, cwd=ROOT, check=True)
        with open(inner) as f:
            result = json.load(f)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.update(grid=grid_args, cpus=cpus, machine=machine(),
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  cluster_over_local=result["cluster_s"] / result["local_s"])
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    return result


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                     "unknown CPU")
    return f"{model}, {os.cpu_count()} cores"


if __name__ == "__main__":  # inside the namespaces: RESULT_JSON CPUS GRID_ARGS...
    where, cpu_num = sys.argv[1], int(sys.argv[2])
    measured = measure(sys.argv[3:], cpu_num, os.path.dirname(where))
    with open(where, "w") as f:
        json.dump(measured, f)
