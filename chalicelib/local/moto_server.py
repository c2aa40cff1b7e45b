"""moto's server in this process, as the AWS endpoint of the local runtime.

In-process (``ThreadedMotoServer``) rather than a separate ``moto_server`` command: one process to
start and stop, and tests can reach the same backend. Its ``start()`` waits for a ready signal that
never comes when the port is taken, so the port is checked before it is called.
"""

from __future__ import annotations

import socket

from moto.server import ThreadedMotoServer

from chalicelib.domain.errors import ConfigurationError, Detail

MOTO_HOST = "127.0.0.1"


def start_moto(port: int, host: str = MOTO_HOST) -> ThreadedMotoServer:
    ensure_port_free(host, port, "--aws-port")
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def ensure_port_free(host: str, port: int, option: str) -> None:
    """Raise a ``ConfigurationError`` naming the option to change when ``port`` has a listener.

    ``SO_REUSEADDR`` as the servers themselves set it: a socket lingering in TIME_WAIT after the
    previous run is no reason to refuse.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another with {option}",
                [Detail("port unavailable", field=option, value=port)],
            ) from exc
