"""``tripline local``: the whole pipeline on one machine, with moto standing in for AWS.

The order matters. The environment is set first and the container forgotten, because the app
builds its clients and engine from the environment on first use. The resources are created next,
from settings read for the purpose, since the alerts topic's ARN exists only once its topic does;
that ARN and the API's URL join the environment, and only then is the container built.
Everything started is registered on one ``ExitStack`` as it starts, so a failure half-way through
startup, Ctrl-C and SIGTERM all stop the same things in reverse order: HTTP, schedules, pollers,
mailbox, moto. The API is started last, so ``/health`` answering means the pollers are polling.

The parent serves the API and runs the mailbox and the schedules (threads: the schedules run a
short tick a minute, one at a time, as their reserved concurrency of 1 asks); moto and each SQS
poller run in child processes of their own (``supervisor``), which end with it whichever way it
ends. A child that cannot be replaced (moto) stops the runtime when it dies: exit status 1.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, MutableMapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib import bootstrap
from chalicelib.domain.errors import DependencyError
from chalicelib.settings import DEFAULT_DATABASE_URL, Settings
from chalicelib.topology import BUCKET
from tripline.local import console
from tripline.local.admin_key import KEY_FILE, local_admin_key
from tripline.local.credentials import FAKE_CREDENTIALS
from tripline.local.demo import start_demo
from tripline.local.http_server import serve_app
from tripline.local.logs import local_logger
from tripline.local.mailbox import DEFAULT_MAILBOX_DIR, Mailbox, start_mailbox, subscribe_mailbox
from tripline.local.moto_server import (
    MOTO_HOST,
    MOTO_STOP_SECONDS,
    ensure_port_free,
    start_moto_process,
)
from tripline.local.resources import CreatedResources, ensure_resources
from tripline.local.schedules import Schedules, start_schedules
from tripline.local.signal_wake import setter_for_signal_handlers
from tripline.local.supervisor import Supervisor
from tripline.local.triggers import Pumps, start_pumps

log = local_logger(__name__)

ANY_ADDRESS = ("", "0.0.0.0")  # noqa: S104 (names the wildcard, binds nothing)
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@dataclass(frozen=True)
class LocalOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 4566
    demo: bool = False
    mailbox_dir: str = DEFAULT_MAILBOX_DIR
    schedule_seconds: float | None = None  # every schedule's period, instead of its rate

    @property
    def api_url(self) -> str:
        """Where a client on this machine reaches the API (the wildcard is no address to call)."""
        host = "127.0.0.1" if self.host in ANY_ADDRESS else self.host
        return f"http://{host}:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://{MOTO_HOST}:{self.aws_port}"


def local_environment(env: MutableMapping[str, str], options: LocalOptions) -> None:
    """Point the app at moto with fake credentials; keep the user's database and region.

    Credentials are always replaced and a profile dropped: nothing started here may ever reach a
    real account. Metrics are off unless asked for: there is no CloudWatch to read them, and their
    JSON blobs on stdout would bury the console. Failed messages come back sooner than on AWS.
    """
    env["TRIPLINE_AWS_ENDPOINT_URL"] = options.aws_url
    env.update(FAKE_CREDENTIALS)
    env.pop("AWS_PROFILE", None)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    env["AWS_REGION"] = region
    env.setdefault("AWS_DEFAULT_REGION", region)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = DEFAULT_DATABASE_URL
    env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # A failed message back in a second, at most 15 s: ten deliveries cover a database outage of
    # about 90 s, and the pipeline resumes within 15 s of the database's return.
    env.setdefault("TRIPLINE_RETRY_FIRST_SECONDS", "1")
    env.setdefault("TRIPLINE_RETRY_LONGEST_SECONDS", "15")


def run_local(options: LocalOptions) -> int:
    """Start everything, wait for SIGINT or SIGTERM, stop everything; 0 on a clean stop, 1 when
    a part that cannot be replaced died."""
    console.configure_logging()
    stop = threading.Event()
    previous = _stop_on_signals(stop)
    try:
        ensure_port_free(options.host, options.port, "--port")
        local_environment(os.environ, options)
        bootstrap.reset()
        with ExitStack() as running:
            running.callback(bootstrap.reset)
            moto = _start(options, stop, running)
            while not stop.wait(0.5):
                pass
            log.info("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if moto.failure:
        log.error("stopped", extra={"failure": moto.failure})
        return 1
    log.info("stopped")
    return 0


def _start(options: LocalOptions, stop: threading.Event, running: ExitStack) -> Supervisor:
    """Start each part, registering how to stop it before the next one starts; moto's process.

    ``app`` is imported only now, once the environment is set: nothing in it reads the environment
    at import today, and importing it late keeps that from ever mattering.
    """
    import app as app_module

    moto = start_moto_process(options.aws_port, stop)
    running.callback(moto.stop, MOTO_STOP_SECONDS)
    if stop.is_set():  # Ctrl-C while moto was starting: nothing more to start
        return moto
    resources = create_resources(Settings.from_env(os.environ))
    for name in announce_resources(os.environ, resources, options):
        running.callback(os.environ.pop, name, None)
    bootstrap.reset()
    container = bootstrap.container()
    _migrate()
    admin_key = local_admin_key(container.keys, os.environ)
    mailbox = _start_mailbox(container.settings, Path(options.mailbox_dir), stop)
    running.callback(mailbox.stop)
    pumps = start_pumps(app_module.app, container.settings, resources.queue_urls, stop)
    running.callback(pumps.stop)
    schedules = start_schedules(
        app_module.app,
        container.settings.aws_region,
        stop,
        period_override=options.schedule_seconds,
    )
    running.callback(schedules.stop)
    # The API last: once it answers, every poller is polling, so what it accepts is processed
    # at once (a caller that waits for /health is not timing the pollers' start).
    http = serve_app(app_module.app, Path(app_module.__file__).parent, options.host, options.port)
    running.callback(http.stop)
    console.show(_banner(options, resources, pumps, schedules, mailbox, admin_key).lines())
    if options.demo:
        start_demo(options.api_url, stop, admin_key=admin_key)
    return moto


def _migrate() -> None:
    """Bring the database to head; an unreachable server is a ``DependencyError`` naming it."""
    from sqlalchemy.exc import SQLAlchemyError

    from chalicelib.adapters.db import migrations

    engine = bootstrap.container().engine
    try:
        migrations.upgrade(engine)
    except SQLAlchemyError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(exc).splitlines()[0]
        raise DependencyError(f"database {shown} unavailable: {reason}") from exc


def announce_resources(
    env: MutableMapping[str, str], resources: CreatedResources, options: LocalOptions
) -> list[str]:
    """Tell the app where the alerts and digests topics and the API are, unless the user already
    did; the names set, to be taken out again when the runtime stops (a second run in this
    process may serve on another port)."""
    wanted = {
        "TRIPLINE_ALERTS_TOPIC_ARN": resources.topic_arn,
        "TRIPLINE_DIGESTS_TOPIC_ARN": resources.digests_topic_arn,
        "TRIPLINE_API_URL": options.api_url,
    }
    chosen = [name for name in wanted if not env.get(name)]
    env.update({name: wanted[name] for name in chosen})
    return chosen


def _start_mailbox(settings: Settings, directory: Path, stop: threading.Event) -> Mailbox:
    """Alert and digest emails as files: a queue subscribed to the topics the app publishes to (the one
    created here unless the user named another), and its pump. It starts before anything can
    publish: SNS delivers only to the subscribers a topic has when a message arrives."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.adapters.aws.clients import make_client

    topic_arn = settings.alerts_topic_arn or ""
    topics = [topic_arn, *([settings.digests_topic_arn] if settings.digests_topic_arn else [])]
    sqs = make_client("sqs", settings)
    try:
        queue_url = subscribe_mailbox(sqs, make_client("sns", settings), *topics)
    except (BotoCoreError, ClientError) as exc:
        reason = str(exc).splitlines()[0]
        raise DependencyError(
            f"cannot subscribe the local mailbox to {topic_arn}: {reason}"
        ) from exc
    return start_mailbox(sqs, queue_url, directory, stop)


def create_resources(settings: Settings) -> CreatedResources:
    """The queues, bucket and topic of ``topology`` on the endpoint the app will use."""
    from chalicelib.adapters.aws.clients import make_client

    return ensure_resources(
        make_client("sqs", settings),
        make_client("s3", settings),
        make_client("sns", settings),
        BUCKET,
    )


def _banner(
    options: LocalOptions,
    resources: CreatedResources,
    pumps: Pumps,
    schedules: Schedules,
    mailbox: Mailbox,
    admin_key: str,
) -> console.Banner:
    settings = bootstrap.container().settings
    return console.Banner(
        api_url=options.api_url,
        aws_url=options.aws_url,
        region=settings.aws_region,
        database_url=settings.database_url,
        queues=pumps.describe(),
        bucket=resources.bucket,
        topic_arn=settings.alerts_topic_arn or resources.topic_arn,
        schedules=schedules.describe(),
        mailbox=str(mailbox.directory),
        admin_key=admin_key,
        admin_key_file="" if os.environ.get("TRIPLINE_LOCAL_ADMIN_KEY") else str(KEY_FILE),
    )


def _stop_on_signals(stop: threading.Event) -> dict[int, SignalHandler]:
    """SIGINT and SIGTERM set ``stop`` (through ``signal_wake``: the main thread may be inside
    ``stop.wait``); the previous handlers are returned to be put back."""
    set_stop = setter_for_signal_handlers(stop)

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            print("tripline: stopping already; a moment", file=sys.stderr, flush=True)
        set_stop()

    return {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
