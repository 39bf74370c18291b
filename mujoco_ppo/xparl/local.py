"""An xparl cluster on this machine, for tests and benchmarks: fresh network and process
namespaces to run it in, and a cluster on 127.0.0.1 for the duration of a block."""
import contextlib
import fcntl
import shutil
import socket
import struct
import subprocess
import sys
import time

from .cluster import LOOPBACK, cluster_cpus


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
    address = f"{LOOPBACK}:{port}"
    xparl = [sys.executable, "-m", "mujoco_ppo.xparl"]
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
