"""moto's server, as the AWS endpoint of the local runtime: in this process (tests) or a child.

``GuardedMotoServer`` serves in the caller's process, so tests can reach the same backend. It is
served as moto's ``ThreadedMotoServer`` serves it (moto's dispatcher app, werkzeug's threaded
server, moto's request handler) with one difference: the app sits behind ``S3PostGuard``, because
moto stores any browser-form upload and S3 does not, and ``SnsSubjectGuard``, because moto
publishes subjects SNS refuses.

The runtime runs it in a child process of its own (``start_moto_process``): every API request and
every poll goes through moto, and in the parent it would share one GIL with the API's threads,
so both slowed down together under load. Nothing can replace moto once it is gone (its queues and
objects live in its memory), so its exit stops the runtime rather than restart it.

The socket is bound in the caller's thread, so ``start`` returns with the server listening. The
port is checked first all the same: werkzeug answers a failed bind with ``sys.exit``, and the
check turns a taken port into an error naming the option to change.
"""

from __future__ import annotations

import socket
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from chalicelib.domain.errors import ConfigurationError, DependencyError, Detail
from tripline.local.child_process import ChildSignals
from tripline.local.moto_speedups import apply_moto_speedups
from tripline.local.s3_post_guard import S3PostGuard
from tripline.local.sns_subject_guard import SnsSubjectGuard
from tripline.local.supervisor import ChildSpec, Supervisor

MOTO_HOST = "127.0.0.1"
MOTO_START_SECONDS = 60
MOTO_STOP_SECONDS = 10


class GuardedMotoServer:
    """moto behind the POST-policy and subject guards, on a daemon thread; ``start`` then
    ``stop``, once each."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        apply_moto_speedups()
        app = SnsSubjectGuard(S3PostGuard(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = self._server.port  # the one the system chose when asked for port 0
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._server.server_close()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def start_moto(port: int, host: str = MOTO_HOST) -> GuardedMotoServer:
    ensure_port_free(host, port, "--aws-port")
    server = GuardedMotoServer(host, port)
    try:
        server.start()
    except SystemExit:  # werkzeug's answer to a failed bind: the port was taken since the check
        ensure_port_free(host, port, "--aws-port")
        raise
    return server


def start_moto_process(
    port: int, runtime_stop: threading.Event, host: str = MOTO_HOST
) -> Supervisor:
    """moto in a child process, listening once this returns; its exit stops the runtime
    (``Supervisor.failure`` says so). Stop it with ``.stop(MOTO_STOP_SECONDS)``."""
    ensure_port_free(host, port, "--aws-port")
    moto = Supervisor(runtime_stop)
    try:
        moto.start([ChildSpec("moto", serve_moto, (host, port), restart=False)], MOTO_START_SECONDS)
    except DependencyError:
        moto.stop(MOTO_STOP_SECONDS)
        ensure_port_free(host, port, "--aws-port")  # taken since the check: say which option
        raise
    return moto


def serve_moto(host: str, port: int, signals: ChildSignals) -> None:
    """The child's side: listen, say ready, serve until told to stop."""
    stop = signals.begin()
    server = GuardedMotoServer(host, port)
    server.start()
    signals.ready()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()


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
