"""CSV uploads on `tripline local` as an operator makes them: the CLI, a direct drop, bad POSTs.

The runtime is a subprocess with moto's server guarded by the local POST-policy check, so the
presigned upload's limits (expiry, size) are enforced here exactly as S3 enforces them.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from tests.e2e.test_local_runtime import ADMIN_KEY, REPO, LocalRun, http, wait_until
from tripline.upload_client import call_api, post_form

pytestmark = pytest.mark.slow
LIMITS = {"TRIPLINE_MAX_UPLOAD_BYTES": "4096", "TRIPLINE_UPLOAD_EXPIRY_SECONDS": "3"}
ORDERS = (
    "order_id,ordered_at,store,unit_price\n"
    "E-1,2026-11-22T08:00:00Z,berlin-1,9.50\n"
    "E-2,2026-11-22T08:01:00Z,berlin-1,not-a-price\n"
    "E-3,2026-11-22T08:02:00Z,berlin-1,1.25\n"
)


def tripline_upload(run: LocalRun, path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tripline.cli",
            "upload",
            str(path),
            "--source",
            "shop",
            "--api-url",
            run.api,
            "--api-key",
            ADMIN_KEY,
            "--timeout",
            "30",
            *options,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def upload_named(run: LocalRun, filename: str) -> dict[str, Any] | None:
    status, page = http("GET", f"{run.api}/uploads?source=shop")
    assert status == 200, page
    return next((item for item in page["items"] if item["filename"] == filename), None)


def check_uploads_end_to_end(run: LocalRun, tmp_path: Path) -> None:
    # WHEN an operator uploads a file with one bad row through the CLI
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    done = tripline_upload(run, path)
    # THEN it waits for the import and says how it went (exit 3: complete with errors)
    assert done.returncode == 3, done.stdout + done.stderr + run.output()
    assert "complete_with_errors" in done.stdout
    assert "3 seen, 2 accepted" in done.stdout
    # AND both reports can be fetched from the links it printed
    links = dict(
        line.strip().split(": ", 1)
        for line in done.stdout.splitlines()
        if line.strip().startswith(("report.json", "rejects.csv"))
    )
    with urlopen(links["rejects.csv"], timeout=10) as response:
        rejects = list(csv.reader(io.StringIO(response.read().decode())))
    assert [row[4:6] for row in rejects[1:]] == [["3", "unit_price"]]
    with urlopen(links["report.json"], timeout=10) as response:
        assert json.loads(response.read())["rows"]["rejected"] == 1

    # WHEN a file is dropped straight into the bucket, as `aws s3 cp` would
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{run.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
    )
    s3.put_object(
        Bucket="tripline-data",
        Key="incoming/shop/dropped.csv",
        Body=ORDERS.replace("E-", "D-").encode(),
    )
    # THEN it is imported as well, and its reports are next to it
    wait_until(
        lambda: (upload_named(run, "dropped.csv") or {}).get("status") == "complete_with_errors",
        20,
        "the dropped file imported",
        run,
    )
    listed = s3.list_objects_v2(Bucket="tripline-data", Prefix="reports/shop/")["Contents"]
    assert len(listed) == 4  # two files for each upload, none under incoming/

    # WHEN the CLI is asked to upload a file over the size limit
    big = tmp_path / "big.csv"
    big.write_text(ORDERS + "x" * 5000)
    refused = tripline_upload(run, big, "--no-wait")
    # THEN the API refuses it (413) before a byte is sent
    assert refused.returncode == 2
    assert "413" in refused.stderr and "limited to 4096" in refused.stderr
    # AND a form granted without a size still cannot carry it: S3 (the local guard) refuses it
    grant = call_api(
        "POST", f"{run.api}/uploads", {"source": "shop", "filename": "big.csv"}, key=ADMIN_KEY
    )
    with pytest.raises(Exception, match="EntityTooLarge"):
        post_form(grant["upload"], big, lambda sent: None)

    # WHEN a granted form is used after it expired
    grant = call_api(
        "POST", f"{run.api}/uploads", {"source": "shop", "filename": "late.csv"}, key=ADMIN_KEY
    )
    time.sleep(4)
    late = tmp_path / "late.csv"
    late.write_text(ORDERS)
    with pytest.raises(Exception, match="Policy expired"):
        post_form(grant["upload"], late, lambda sent: None)
    status = http("GET", f"{run.api}/uploads/{grant['upload_id']}")[1]
    assert status["status"] == "awaiting_upload"

    # WHEN the CLI uploads a file whose name holds quotes and letters outside ASCII
    named = tmp_path / 'bestellungen "öffnung" €.csv'
    named.write_text("order_id,ordered_at,store,unit_price\nQ-1,2026-11-22T09:00:00Z,köln-2,4.75\n")
    done = tripline_upload(run, named)
    # THEN it is imported under that name, from the object S3 stored under the granted key
    assert done.returncode == 0, done.stdout + done.stderr + run.output()
    record = upload_named(run, named.name)
    assert record is not None and record["status"] == "complete"
    assert record["key"].endswith(f"/{named.name}") and record["size"] == named.stat().st_size
    head = s3.head_object(Bucket="tripline-data", Key=record["key"])
    assert head["ContentLength"] == named.stat().st_size


def test_uploads_on_sqlite(start_local: Callable[..., LocalRun], tmp_path: Path) -> None:
    run = start_local(f"sqlite:///{tmp_path / 'tripline.db'}", LIMITS)
    check_uploads_end_to_end(run, tmp_path)


@pytest.mark.mysql
def test_uploads_on_mysql(
    start_local: Callable[..., LocalRun], fresh_mysql_url: str, tmp_path: Path
) -> None:
    run = start_local(fresh_mysql_url, LIMITS)
    check_uploads_end_to_end(run, tmp_path)
