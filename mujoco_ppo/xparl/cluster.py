"""PARL's ``xparl`` command for this package:
``python -m mujoco_ppo.xparl [--host ADDRESS [--allow_remote]] ARGS``.

ARGS are those of ``xparl`` (start, connect, status, stop). PARL's own ``xparl`` does not start on
Paddle 3 (its backend detection imports ``paddle.fluid``); run through this package it gets the
environment that ``import mujoco_ppo`` sets (PARL_BACKEND=paddle, ...), and so do the master,
worker and jobs it starts, which inherit it.

An xparl cluster has no authentication: whoever reaches one of its ports can run any code on its
machines. PARL 2.2.1 listens on every interface (ZeroMQ's ``tcp://*``, gRPC's ``[::]``, Flask's
``0.0.0.0``). Here every process of the cluster listens on ``--host`` only, 127.0.0.1 unless the
user names another address and, for one that is not loopback, confirms it with
``--allow_remote`` (binding.py makes PARL listen there and announce it); ``start`` and ``connect``
then print every address that listens. Both reach the processes PARL starts (master, worker,
monitor, log server, jobs) through ``XPARL_PYTHON``, PARL's documented setting for the
interpreter that runs them, which runs them through ``python -m mujoco_ppo.xparl`` too.
"""
import argparse
import contextlib
import getpass
import ipaddress
import os
import runpy
import sys

import zmq

from ..cli import OneLineErrorParser, program
from ..errors import UserError
from .binding import free_port, serve_on

PROG = "python -m mujoco_ppo.xparl"
LOOPBACK = "127.0.0.1"
# What each of PARL's processes is, by the script it runs.
ROLES = {"remote/start.py --name master": "master", "remote/start.py --name worker": "worker",
         "remote/monitor.py": "monitor", "remote/log_server.py": "log server",
         "remote/job.py": "job"}


class ListeningBeyondHost(Exception):
    """A process of the cluster listens on another address than --host (exit status 1)."""


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
                        f"listen there anyway (on a trusted network only; see docs/xparl.md)")
    return (f"warning: the cluster listens on {host}, without authentication: whoever reaches "
            f"that address can run any code on every machine of the cluster as "
            f"{getpass.getuser()}; keep it on a trusted network or behind a firewall")


def check_interface(host):
    """UserError unless ``host`` is an address of this machine."""
    try:
        free_port(host)
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


def cluster_cpus(address, timeout_s=5.0):
    """(used, free) CPUs of the xparl cluster whose master listens at ``address`` (the answer that
    ``xparl status`` prints), or UserError when no master answers there within ``timeout_s``."""
    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    socket.linger = 0
    socket.setsockopt(zmq.RCVTIMEO, int(timeout_s * 1000))
    try:
        socket.connect(f"tcp://{address}")
        socket.send_multipart([b"[STATUS]"])  # parl.remote.remote_constants.STATUS_TAG
        reply = socket.recv_multipart()
    except zmq.error.Again:
        raise UserError(f"no xparl cluster answers at {address} (start one with `python -m "
                        f"mujoco_ppo.xparl start --port PORT`, see docs/xparl.md)") from None
    except zmq.error.ZMQError as exc:
        raise UserError(f"cannot reach an xparl cluster at {address}: {exc}") from None
    finally:
        socket.close(0)
        context.term()
    # "has 0 used cpus, 2 vacant cpus, 0 used_gpus, 0 vacant_gpus."
    words = reply[-1].decode().split()
    return int(words[words.index("used") - 1]), int(words[words.index("vacant") - 1])


def parse_args(argv):
    parser = OneLineErrorParser(
        prog=PROG,
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


def serve_networking_only(host):
    # The cluster's processes need PARL's networking only, not its Paddle core; a job even
    # refuses to start once Paddle is imported (it sets this variable itself, first thing).
    os.environ["XPARL_igonre_core"] = "true"  # sic: PARL's spelling
    serve_on(host)
    del os.environ["XPARL_igonre_core"]


def run_cluster_process(host, argv):
    """A process of the cluster, which PARL starts as `XPARL_PYTHON SCRIPT ARGS`."""
    serve_networking_only(host)
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
    serve_networking_only(host)
    import click
    from parl.remote.scripts import cli as xparl

    if argv[:1] in (["stop"], ["status"]):
        # PARL finds the cluster's processes with `ps aux | grep`, and ps cuts its lines to the
        # terminal's width (80 columns where it has none): the command lines of processes
        # started through this module are longer, and none would be found and stopped
        os.environ["COLUMNS"] = "100000"
    sys.argv = ["xparl", *argv]
    try:
        # not standalone: click's usage errors come here (it would print a usage block first)
        status = xparl.main(args=list(argv), prog_name="xparl", standalone_mode=False)
    except click.UsageError as exc:
        command = exc.ctx.info_name if exc.ctx is not None and exc.ctx.parent else None
        raise UserError(f"{command + ': ' if command else ''}{exc.format_message().rstrip('.')} "
                        f"({program(PROG)} {command or ''} --help lists its "
                        f"options)".replace("  ", " ")) from None
    except SystemExit as exc:  # PARL's commands end so
        if exc.code:
            raise
    else:
        if isinstance(status, int) and status:  # click's exit status of a command
            sys.exit(status)
    if argv[:1] in (["start"], ["connect"]):
        report_listening(host)


def main(argv):
    args = parse_args(argv)
    if args.xparl_args[:1] and args.xparl_args[0].endswith(".py"):
        run_cluster_process(args.host, args.xparl_args)
    else:
        run_xparl_command(args.host, args.allow_remote, args.xparl_args)


def command():
    """The command line: python -m mujoco_ppo.xparl and mujoco-ppo xparl. Bad input is one
    sentence, named by xparl (PARL's name for the command it wraps) or by what the user typed
    where that is the package's command."""
    name = program(PROG)
    prefix = "xparl" if name == PROG else name
    try:
        main(sys.argv[1:])
    except UserError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ListeningBeyondHost as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        sys.exit(1)
