"""PARL's ``xparl`` command for this package: ``python -m mujoco_ppo.xparl [--loopback] ARGS``.

ARGS are those of ``xparl`` (start, connect, status, stop). PARL's own ``xparl`` does not start on
Paddle 3 (its backend detection imports ``paddle.fluid``); run through this module it gets the
environment that ``import mujoco_ppo`` sets (PARL_BACKEND=paddle, ...), and so do the master,
worker and jobs it starts, which inherit it.

``--loopback`` is for a machine whose only address is 127.0.0.1 (offline, or a private network
namespace as in tests/test_xparl.py). PARL 2.2.1 learns the address it announces for this machine
(master, worker, log server, jobs, and the client in train.py) from ``get_ip_address()``, which
returns None when the only address is 127.0.0.1 (it treats that as a failure): the cluster then
announces "None", ``xparl start`` prints "Fail to start the log server" and the worker dies. PARL's
warning asks to "set ip address manually", but it has no setting for that. With ``--loopback``
that function answers 127.0.0.1 without looking, in this process and, through ``XPARL_PYTHON``
(PARL's documented setting for the interpreter that runs the cluster's processes), in every
process the cluster starts. Such a cluster is reachable from this machine only.
"""
import contextlib
import fcntl
import os
import runpy
import shutil
import socket
import struct
import subprocess
import sys
import time

LOOPBACK = "127.0.0.1"


def _loopback_address():
    return LOOPBACK


def use_loopback():
    """Make PARL announce 127.0.0.1 for this machine, in this process and in the processes PARL
    starts from it. Call before ``import parl`` where possible (XPARL_PYTHON is read then)."""
    os.environ["XPARL_PYTHON"] = f"{sys.executable} -m mujoco_ppo.xparl --loopback"
    import parl.utils
    import parl.utils.machine_info

    original = parl.utils.machine_info.get_ip_address
    # PARL's modules import the function by name: replace every copy already imported, and the
    # two that modules imported later will copy.
    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "").startswith("parl")
                and getattr(module, "get_ip_address", None) is original):
            module.get_ip_address = _loopback_address


def private_network_command(argv):
    """``argv`` run in fresh network and process namespaces: the network has only a loopback
    device (down until bring_loopback_up), and every process started inside is killed when
    ``argv`` ends. None where this machine cannot create them (unshare(1) missing, or not
    permitted), with the reason as second value."""
    command = ["unshare", "--net", "--pid", "--fork", "--mount-proc", *argv]
    if shutil.which("unshare") is None:
        return None, "unshare(1) is not installed"
    probe = subprocess.run(command[:-len(argv)] + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"unshare cannot create the namespaces: {probe.stderr.strip()}"
    return command, None


def bring_loopback_up():
    """``ip link set lo up``, without needing iproute2: a new network namespace starts with its
    loopback device down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b""))


@contextlib.contextmanager
def local_cluster(port, cpu_num, log_file, timeout_s=120.0):
    """An xparl cluster on 127.0.0.1:``port`` with ``cpu_num`` CPUs for the duration of the
    block (its processes write to ``log_file``); ``xparl stop`` afterwards."""
    from .sampling.xparl_actors import cluster_cpus

    address = f"{LOOPBACK}:{port}"
    xparl = [sys.executable, "-m", "mujoco_ppo.xparl", "--loopback"]
    subprocess.run([*xparl, "start", "--port", str(port), "--cpu_num", str(cpu_num)],
                   stdout=log_file, stderr=subprocess.STDOUT, timeout=timeout_s, check=True)
    try:
        deadline = time.monotonic() + timeout_s
        while cluster_cpus(address)[1] < cpu_num:  # the worker registers after the master
            if time.monotonic() > deadline:
                raise TimeoutError(f"the xparl cluster at {address} did not offer {cpu_num} CPUs")
            time.sleep(0.5)
        yield address
    finally:
        subprocess.run([*xparl, "stop"], stdout=log_file, stderr=subprocess.STDOUT,
                       timeout=timeout_s)


def main(argv):
    if argv[:1] == ["--loopback"]:
        argv = argv[1:]
        # The cluster's processes need PARL's networking only, not its Paddle core; a job even
        # refuses to start once Paddle is imported (it sets this variable itself, first thing).
        os.environ["XPARL_igonre_core"] = "true"  # sic: PARL's spelling
        use_loopback()
        del os.environ["XPARL_igonre_core"]
    if argv and argv[0].endswith(".py"):  # a process of the cluster, as `python SCRIPT ARGS`
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    else:  # the xparl command
        from parl.remote.scripts import main as xparl
        sys.argv = ["xparl", *argv]
        xparl()


if __name__ == "__main__":
    main(sys.argv[1:])
