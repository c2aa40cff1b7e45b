"""The app's routes on localhost through Chalice's own dev server, as ``chalice local`` serves them.

We reuse ``chalice.local`` (its API Gateway event conversion, Lambda context and threaded server)
rather than a WSGI bridge, so a route behaves here exactly as under ``chalice local``. What we do
not take from the ``chalice local`` command: the autoreloader (it forks a worker process; the
runtime starts and watches its own, ``supervisor``) and ``.chalice/config.json`` (its stage
variables are for AWS; the local runtime sets its own environment). The server runs in the
runtime's parent process, its own interpreter apart from moto's and the pollers'.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.deploy.validate import validate_routes
from chalice.local import CustomLocalChalice, LocalDevServer, create_local_server

LAMBDA_TIMEOUT_SECONDS = 30
LAMBDA_MEMORY_MB = 512
LISTEN_BACKLOG = 128


@dataclass
class RunningServer:
    server: LocalDevServer
    thread: threading.Thread

    def stop(self) -> None:
        """Stop accepting, finish the serve loop, release the socket."""
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server.server_close()


def _without_delay(
    accept: Callable[[], tuple[socket.socket, Any]],
) -> Callable[[], tuple[socket.socket, Any]]:
    """Accepted connections with Nagle's algorithm off. The handler writes an answer's headers
    and its body apart; on a kept-alive connection the body then waited for the client's
    delayed ACK of the headers, 40 ms a request (measured: one event per request through
    ``requests``, as Segment's client sends, 52 to 66 ms a request; 11 ms through ``urllib``,
    which closes each connection)."""

    def accepted() -> tuple[socket.socket, Any]:
        connection, address = accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    return accepted


def _own_class(app: Chalice) -> None:
    """Give ``app`` back its own class if it was served before in this process.
    ``create_local_server`` makes the app's class ``CustomLocalChalice``, whose base becomes the
    app's class; a second call would make that class its own base (an inheritance cycle), so a
    process could serve the app once only (tests serve it many times)."""
    if isinstance(app, CustomLocalChalice):
        app.__class__ = CustomLocalChalice.__bases__[-1]


def serve_app(app: Chalice, project_dir: Path, host: str, port: int) -> RunningServer:
    """Bind now (a port in use fails here, in the caller's thread); serve on a daemon thread."""
    validate_routes(app.routes)
    _own_class(app)
    config = Config(
        chalice_stage="local",
        user_provided_params={"chalice_app": app, "project_dir": str(project_dir)},
        default_params={
            "lambda_timeout": LAMBDA_TIMEOUT_SECONDS,
            "lambda_memory_size": LAMBDA_MEMORY_MB,
        },
    )
    server = create_local_server(app, config, host, port)
    # socketserver listens with a backlog of 5: a burst of integrators opening connections at
    # once overflowed it, and some were reset (measured: 32 clients, 3 to 7 resets in 15 s; none
    # with 128, werkzeug's and so moto's backlog). Listening again only changes the backlog.
    server.server.socket.listen(LISTEN_BACKLOG)
    server.server.get_request = _without_delay(server.server.get_request)
    thread = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
    thread.start()
    return RunningServer(server, thread)
