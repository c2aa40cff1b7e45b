"""Peak memory of the fan-out on a large file, measured in a process that does nothing else.

moto's server runs as its own process (so the object's bytes are not counted against us), the
file is uploaded from this one, and a fresh child process invokes the ``fan_out_uploads`` handler
exactly as Lambda would, with the S3 notification the upload produced. The child reports its peak
resident set before and after the call: the second is what a Lambda function's memory setting
has to hold. It is read as ``VmHWM`` from ``/proc/self/status``, the peak of the child's own
memory map: ``ru_maxrss`` carries the parent's peak over ``exec`` on Linux, so a child of a
bench that had loaded pandas reported the parent's 407 MiB before importing anything.

The child's ``TRIPLINE_CSV_MAX_ROWS`` is the file's row count, set here: 1 GiB of shop rows is
14.4 million rows, past the default limit of 10 million, and a fan-out that stops at the limit
would measure a smaller file (and fail the check below). The run fails unless the upload is
``importing`` (fanned out, chunks queued) with every row of the file seen.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.local_aws import aws_client, free_port
from bench.shop_export import write_file

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, os, sys
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
import app
from chalicelib import bootstrap
from chalicelib.adapters.db import migrations
migrations.upgrade(bootstrap.container().engine)
before = peak_kib()
event = json.loads(sys.stdin.read())
answer = app.fan_out(event, None)
after = peak_kib()
upload = bootstrap.container().uploads.list_uploads(__import__(
    "chalicelib.domain.uploads.records", fromlist=["UploadQuery"]).UploadQuery()).items[0][0]
print(json.dumps({"before_kib": before, "after_kib": after, "answer": answer,
                  "chunks": upload.chunks_total, "rows": upload.rows_seen,
                  "status": upload.status, "reason": upload.status_reason}))
"""


def measure_fanout_memory(gib: float, workdir: Path, max_rows: int | None = None) -> str:
    """The figure's line; ``max_rows`` (the fan-out's row limit) defaults to the file's rows."""

    path = workdir / "big.csv"
    rows = max(1, int(gib * 1024**3 / 74.4))
    size = write_file(path, rows)
    port = free_port()
    moto = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "moto_server"), "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(endpoint)
        event = _upload(path, endpoint)
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{workdir / 'fanout.db'}",
            "TRIPLINE_AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "TRIPLINE_CSV_MAX_ROWS": str(max_rows or rows),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=json.dumps(event),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if (
        measured["answer"]["batchItemFailures"]
        or measured["rows"] != rows
        or measured["status"] != "importing"
        or not measured["chunks"]
    ):
        raise RuntimeError(
            f"the fan-out of {rows:,} rows failed ({measured}): {done.stderr[-2000:]}"
        )
    return (
        f"fan-out of {_size(size)} ({rows:,} rows, {measured['chunks']:,} chunk "
        f"tasks sent) in {seconds:.1f} s: peak RSS "
        f"{measured['after_kib'] / 1024:.0f} MiB (after imports {measured['before_kib'] / 1024:.0f}"
        f" MiB); this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def _size(size: int) -> str:
    return f"{size / 1024**3:.2f} GiB" if size >= 1024**3 / 10 else f"{size / 1024**2:.1f} MiB"


def _wait_for(endpoint: str) -> None:
    from urllib.request import urlopen

    for _ in range(100):
        try:
            with urlopen(endpoint, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto_server did not start")


def _upload(path: Path, endpoint: str) -> dict[str, Any]:
    """Create the resources, upload the file, and return the notification as Lambda's event."""
    from chalicelib.topology import UPLOADS_QUEUE
    from tripline.local.resources import ensure_resources

    sqs, s3, sns = (aws_client(name, endpoint) for name in ("sqs", "s3", "sns"))
    created = ensure_resources(sqs, s3, sns, "tripline-data")
    s3.upload_file(str(path), "tripline-data", "incoming/shop/big.csv")
    url = created.queue_urls[UPLOADS_QUEUE]
    for _ in range(50):
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            if "ObjectCreated" in message["Body"]:
                return {
                    "Records": [
                        {
                            "messageId": message["MessageId"],
                            "receiptHandle": message["ReceiptHandle"],
                            "body": message["Body"],
                            "attributes": {"ApproximateReceiveCount": "1"},
                            "messageAttributes": {},
                            "eventSource": "aws:sqs",
                            "eventSourceARN": "arn:aws:sqs:us-east-1:1:tripline-uploads",
                            "awsRegion": "us-east-1",
                        }
                    ]
                }
    raise RuntimeError("no ObjectCreated notification arrived")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tripline-fanout-") as folder:
        print(measure_fanout_memory(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0, Path(folder)))
