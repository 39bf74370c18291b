"""PARL's ``xparl`` command for this package:
``python -m mujoco_ppo.xparl [--host ADDRESS [--allow_remote]] ARGS``.

ARGS are those of ``xparl`` (start, connect, status, stop). PARL's own ``xparl`` does not start on
Paddle 3 (its backend detection imports ``paddle.fluid``); run through this module it gets the
environment that ``import mujoco_ppo`` sets (PARL_BACKEND=paddle, ...), and so do the master,
worker and jobs it starts, which inherit it.

An xparl cluster has no authentication: whoever reaches one of its ports can run any code on its
machines. PARL 2.2.1 listens on every interface (ZeroMQ's ``tcp://*``, gRPC's ``[::]``, Flask's
``0.0.0.0``). Here every process of the cluster listens on ``--host`` only, 127.0.0.1 unless the
user names another address and, for one that is not loopback, confirms it with
``--allow_remote``; ``start`` and ``connect`` then print every address that listens. The same
address is the one the cluster announces for this machine: PARL learns that from
``get_ip_address()``, which returns None on a machine whose only address is 127.0.0.1 (the
cluster then announces "None" and its worker dies). Both reach the processes PARL starts (master,
worker, monitor, log server, jobs) through ``XPARL_PYTHON``, PARL's documented setting for the
interpreter that runs them, which runs them through this module.
"""
import argparse
import contextlib
import fcntl
import getpass
import ipaddress
import os
import runpy
import shutil
import socket
import struct
import subprocess
import sys
import time

from .errors import UserError

LOOPBACK = "127.0.0.1"
# What each of PARL's processes is, by the script it runs.
ROLES = {"remote/start.py --name master": "master", "remote/start.py --name worker": "worker",
         "remote/monitor.py": "monitor", "remote/log_server.py": "log server",
         "remote/job.py": "job"}


class ListeningBeyondHost(Exception):
    """A process of the cluster listens on another address than --host (exit status 1)."""


def serve_on(host):
    """Make PARL, in this process, listen on ``host`` only and announce ``host`` as this
    machine's address. Call before ``import parl`` where possible."""
    _replace_parl_functions({"get_ip_address": lambda: host,
                             "get_free_tcp_port": lambda: _free_port(host)})
    _bind_zmq_to(host)
    _bind_grpc_to(host)
    _bind_flask_to(host)


def _replace_parl_functions(replacements):
    import parl.utils
    import parl.utils.machine_info

    originals = {name: getattr(parl.utils.machine_info, name) for name in replacements}
    # PARL's modules import these functions by name: replace every copy already imported, and
    # those in parl.utils that modules imported later will copy.
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("parl"):
            for name, original in originals.items():
                if getattr(module, name, None) is original:
                    setattr(module, name, replacements[name])


def _free_port(host):
    """A port free on ``host`` (PARL's get_free_tcp_port asks on every interface)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return str(probe.getsockname()[1])


def _bind_zmq_to(host):
    """The master's, workers' and jobs' sockets: PARL binds them to ``tcp://*``."""
    import zmq

    bind, connect = zmq.Socket.bind, zmq.Socket.connect

    def bind_on_host(sock, address):  # bind_to_random_port binds through bind too
        return bind(sock, address.replace("tcp://*:", f"tcp://{host}:"))

    def connect_on_host(sock, address):
        # `xparl start` points its worker and monitor at the master as localhost, where the
        # master no longer listens unless ``host`` is loopback.
        return connect(sock, address.replace("tcp://localhost:", f"tcp://{host}:"))

    zmq.Socket.bind, zmq.Socket.connect = bind_on_host, connect_on_host


def _bind_grpc_to(host):
    """The heartbeat servers: PARL adds them on ``[::]:0``."""
    import grpc

    create = grpc.server

    def server_on_host(*args, **kwargs):
        server = create(*args, **kwargs)
        add_port = server.add_insecure_port
        server.add_insecure_port = lambda address: add_port(address.replace("[::]:", f"{host}:"))
        return server

    grpc.server = server_on_host


def _bind_flask_to(host):
    """The monitor's and the log server's web pages: PARL runs them on host 0.0.0.0."""
    import flask

    run = flask.Flask.run

    def run_on_host(app, *args, **kwargs):
        kwargs.pop("host", None)
        return run(app, host, *args[1:], **kwargs)

    flask.Flask.run = run_on_host


def address_towards(address):
    """This machine's address on the route to ``address`` (HOST:PORT), where a cluster there
    reaches this process. A UDP socket's connect only looks the route up: it sends nothing."""
    host, _, port = address.rpartition(":")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, int(port)))
            return probe.getsockname()[0]
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot reach an xparl cluster at {address}: {exc}") from None


def exposure_warning(host, allow_remote):
    """None for a loopback ``host``; for another address the warning to print if
    ``allow_remote`` accepts it, else UserError."""
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise UserError(f"--host {host} is not an IPv4 address (name the address of one of "
                        f"this machine's interfaces, such as {LOOPBACK})") from None
    if address.is_unspecified:
        raise UserError(f"--host {host} means every interface: name the address of one")
    if address.is_loopback:
        return None
    if not allow_remote:
        raise UserError(f"--host {host} is not a loopback address, and whoever reaches it can "
                        f"run any code on every machine of the cluster: add --allow_remote to "
                        f"listen there anyway (on a trusted network only; see the README)")
    return (f"warning: the cluster listens on {host}, without authentication: whoever reaches "
            f"that address can run any code on every machine of the cluster as "
            f"{getpass.getuser()}; keep it on a trusted network or behind a firewall")


def check_interface(host):
    """UserError unless ``host`` is an address of this machine."""
    try:
        _free_port(host)
    except OSError as exc:
        raise UserError(f"--host {host} is not an address of this machine "
                        f"({exc.strerror})") from None


def listening_sockets(processes):
    """(address, port, role) of every TCP socket that listens in ``processes``, by port."""
    import psutil

    found = []
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            command = " ".join(proc.cmdline())
            role = next((role for script, role in ROLES.items() if script in command), command)
            found += [(conn.laddr.ip, conn.laddr.port, role)
                      for conn in proc.net_connections(kind="tcp")
                      if conn.status == psutil.CONN_LISTEN]
    return sorted(found, key=lambda row: row[1])


def ipv4_of(address):
    """``address`` as IPv4 where it is one: gRPC listens on an IPv4 address through an IPv6
    socket bound to the IPv4-mapped address (::ffff:127.0.0.1), which takes IPv4 only."""
    ip = ipaddress.ip_address(address)
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def report_listening(host):
    """Print every address that listens in the processes this command started; stop them, and
    ListeningBeyondHost, if one is not on ``host``."""
    import psutil

    started = psutil.Process().children(recursive=True)
    sockets = listening_sockets(started)
    print(f"# Listening now ({len(sockets)} TCP sockets; the jobs started later listen on "
          f"{host} too):")
    for address, port, role in sockets:
        print(f"#   {address}:{port}  {role}")
    beyond = [f"{address}:{port} ({role})" for address, port, role in sockets
              if ipv4_of(address) != host]
    if beyond:
        for proc in started:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        raise ListeningBeyondHost(f"{', '.join(beyond)} listen beyond --host {host}, so the "
                                  f"processes this command started are stopped")


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


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m mujoco_ppo.xparl",
        description="PARL's xparl command (start, connect, status, stop, with their options) on "
                    "Paddle 3, every process of its cluster listening on --host only.")
    parser.add_argument("--host", default=LOOPBACK,
                        help="the address of this machine that the cluster's processes here "
                             "listen on and announce (default: %(default)s, reachable from this "
                             "machine only)")
    parser.add_argument("--allow_remote", action="store_true",
                        help="accept a --host that is not loopback: whoever reaches it can run "
                             "any code on every machine of the cluster")
    parser.add_argument("xparl_args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="xparl's arguments, such as: start --port 8010 --cpu_num 4")
    return parser.parse_args(argv)


def _serve_on(host):
    # The cluster's processes need PARL's networking only, not its Paddle core; a job even
    # refuses to start once Paddle is imported (it sets this variable itself, first thing).
    os.environ["XPARL_igonre_core"] = "true"  # sic: PARL's spelling
    serve_on(host)
    del os.environ["XPARL_igonre_core"]


def run_cluster_process(host, argv):
    """A process of the cluster, which PARL starts as `XPARL_PYTHON SCRIPT ARGS`."""
    _serve_on(host)
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
    runpy.run_path(argv[0], run_name="__main__")


def run_xparl_command(host, allow_remote, argv):
    warning = exposure_warning(host, allow_remote)
    check_interface(host)
    if warning:
        print(warning, file=sys.stderr)
    # Read when PARL is imported: the processes it starts run through this module, on ``host``.
    os.environ["XPARL_PYTHON"] = f"{sys.executable} -m mujoco_ppo.xparl --host {host}"
    _serve_on(host)
    from parl.remote.scripts import main as xparl

    sys.argv = ["xparl", *argv]
    try:
        xparl()
    except SystemExit as exc:  # click ends every command so
        if exc.code:
            raise
    if argv[:1] in (["start"], ["connect"]):
        report_listening(host)


def main(argv):
    args = parse_args(argv)
    if args.xparl_args[:1] and args.xparl_args[0].endswith(".py"):
        run_cluster_process(args.host, args.xparl_args)
    else:
        run_xparl_command(args.host, args.allow_remote, args.xparl_args)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except UserError as exc:
        print(f"xparl: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ListeningBeyondHost as exc:
        print(f"xparl: error: {exc}", file=sys.stderr)
        sys.exit(1)
