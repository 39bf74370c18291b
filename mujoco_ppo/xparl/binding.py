"""PARL's networking on one address: every socket that PARL opens in this process listens on the
given host only, and the cluster announces that host as this machine's address.

PARL 2.2.1 listens on every interface (ZeroMQ's ``tcp://*``, gRPC's ``[::]``, Flask's
``0.0.0.0``), and learns the address it announces from ``get_ip_address()``, which returns None on
a machine whose only address is 127.0.0.1 (the cluster then announces "None" and its worker dies).
"""
import os
import socket
import sys

from ..errors import UserError


def serve_on(host):
    """Make PARL, in this process, listen on ``host`` only and announce ``host`` as this
    machine's address. Call before ``import parl`` where possible."""
    _replace_parl_functions({"get_ip_address": lambda: host,
                             "get_free_tcp_port": lambda: free_port(host)})
    _bind_zmq_to(host)
    _bind_grpc_to(host)
    _bind_flask_to(host)
    _heartbeat_server_built_where_it_runs()


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


def free_port(host):
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


def _heartbeat_server_built_where_it_runs():
    """PARL's client answers its jobs' heartbeats from a forked process (HeartbeatServerProcess)
    whose gRPC server it builds, and binds, before the fork and starts after it: with grpcio
    1.85 that server never listens in the child, every job's heartbeat to the client fails,
    and each job exits ("lost connection with the client") about 30 s after it was given to
    the client, with its actor. Here the child builds, binds and starts its server itself, and
    the parent waits for its port."""
    import multiprocessing as mp
    from concurrent import futures

    import grpc
    import parl.remote.client
    from parl.remote.grpc_heartbeat import heartbeat_pb2_grpc
    from parl.remote.grpc_heartbeat.heartbeat_server import GrpcHeartbeatServer

    class HeartbeatServerProcess(mp.Process):
        def __init__(self, port, client_count, host_is_alive, dead_job_queue):
            super().__init__()
            self.port, self.server_args = port, (client_count, host_is_alive, dead_job_queue)
            self.listening = mp.Event()

        def start(self):
            super().start()
            self.listening.wait(timeout=60)  # the client reads the port right after start()

        def run(self):
            for proxy in ("http_proxy", "https_proxy"):  # as PARL's own does
                os.environ.pop(proxy, None)
            server = grpc.server(futures.ThreadPoolExecutor(max_workers=500),
                                 options=[("grpc.max_receive_message_length", -1),
                                          ("grpc.max_send_message_length", -1)])
            heartbeats = GrpcHeartbeatServer(*self.server_args)
            heartbeat_pb2_grpc.add_GrpcHeartbeatServicer_to_server(heartbeats, server)
            with self.port.get_lock():
                self.port.value = server.add_insecure_port("[::]:0")
            server.start()
            self.listening.set()
            heartbeats.timeout_time_mp()  # until the client ends
            server.stop(0)

    parl.remote.client.HeartbeatServerProcess = HeartbeatServerProcess


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
