"""POST /uploads and the upload reads: what an operator is told before and after sending a file."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.functional.uploads import JSON, grant, put, run_pipeline


def test_a_grant_is_a_presigned_post_limited_to_its_key_type_and_size(client: Any) -> None:
    # WHEN an upload is granted
    response = grant(client, filename="orders 11.csv", size=10)
    # THEN it is 201 with a form whose policy pins the key, text/csv and the size range
    assert response.status_code == 201
    answer = json.loads(response.body)
    assert response.headers["Location"] == f"/uploads/{answer['upload_id']}"
    form = answer["upload"]
    assert form["fields"]["key"] == answer["key"]
    assert form["fields"]["Content-Type"] == "text/csv"
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 0, 1024**3] in policy["conditions"]
    assert {"key": answer["key"]} in policy["conditions"]
    # AND the upload waits for its file
    status = json.loads(client.http.get(f"/uploads/{answer['upload_id']}").body)
    assert status["status"] == "awaiting_upload" and status["chunks"]["total"] is None


def test_an_unknown_source_is_404_before_anything_is_signed(client: Any) -> None:
    response = grant(client, source="nope")
    assert response.status_code == 404
    detail = json.loads(response.body)["error"]["details"][0]
    assert detail["field"] == "source" and "shop" in detail["message"]


def test_a_declared_size_over_the_limit_is_413(client: Any, monkeypatch: Any) -> None:
    response = grant(client, size=1024**3 + 1)
    assert response.status_code == 413
    assert json.loads(response.body)["error"]["details"][0]["field"] == "size"


def test_a_path_as_filename_and_unknown_fields_are_400_naming_each(client: Any) -> None:
    response = client.http.post(
        "/uploads",
        headers=JSON,
        body=json.dumps({"source": "shop", "filename": "../etc/passwd", "sizee": 3}),
    )
    assert response.status_code == 400
    fields = {d["field"] for d in json.loads(response.body)["error"]["details"]}
    assert fields == {"filename", "sizee"}


def test_an_unknown_upload_is_404(client: Any) -> None:
    assert client.http.get("/uploads/0123456789abcdef0123456789abcdef").status_code == 404


def test_uploads_are_listed_newest_first_with_filters_and_a_cursor(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN three grants and one finished direct drop
    granted = [json.loads(grant(client, filename=f"f{n}.csv").body)["upload_id"] for n in range(3)]
    put(app_env, "incoming/shop/done.csv", b"order_id,ordered_at,store,unit_price\n")
    run_pipeline(client, app_env)
    # WHEN they are listed two at a time
    first = json.loads(client.http.get("/uploads?limit=2&status=awaiting_upload").body)
    second = json.loads(
        client.http.get(
            f"/uploads?limit=2&status=awaiting_upload&cursor={first['next_cursor']}"
        ).body
    )
    # THEN pages follow one another without overlap, filtered by status
    listed = [item["upload_id"] for item in first["items"] + second["items"]]
    assert sorted(listed) == sorted(granted) and second["next_cursor"] is None
    done = json.loads(client.http.get("/uploads?status=complete&source=shop").body)["items"]
    assert [item["filename"] for item in done] == ["done.csv"]


def test_a_bad_list_query_names_every_parameter(client: Any) -> None:
    response = client.http.get("/uploads?status=lost&limit=0&colour=red")
    assert response.status_code == 400
    fields = {d["field"] for d in json.loads(response.body)["error"]["details"]}
    assert fields == {"status", "limit", "colour"}
