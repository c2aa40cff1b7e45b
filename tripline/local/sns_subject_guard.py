"""A WSGI middleware that puts SNS's subject rule in front of moto.

moto publishes any subject up to 100 characters; SNS refuses one that is not printable ASCII,
that begins with a space, or that is not under 100 characters (its Publish reference: "ASCII
text that begins with a letter, number, or punctuation mark; must not include line breaks or
control characters; and must be less than 100 characters long"), and the whole message with it.
Without this guard a subject AWS would refuse would land in the local mailbox, and the local
runtime would hide the very failure that keeps on-call from hearing of an alert.

Only SNS's ``Publish`` is looked at: a form-encoded ``POST`` signed for the ``sns`` service (the
query protocol botocore speaks to SNS). Its body is small (SNS takes 256 KiB), so it is read
whole and handed on to moto as it came. A refused publish is answered here with SNS's error
document, ``400 InvalidParameter: Invalid parameter: Subject``, as AWS answers it.
"""

from __future__ import annotations

import io
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from chalicelib.domain.alerts import sns_takes_subject

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SNS_SCOPE = "/sns/aws4_request"
URLENCODED = "application/x-www-form-urlencoded"
SNS_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"


class SnsSubjectGuard:
    """Wraps a WSGI app (moto's) so that publishes SNS would refuse never reach it."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not _is_sns_form(environ):
            return self.app(environ, start_response)
        length = int(str(environ.get("CONTENT_LENGTH") or "0") or "0")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        subjects = form.get("Subject")
        if form.get("Action") == ["Publish"] and subjects and not sns_takes_subject(subjects[0]):
            return _invalid_subject(start_response)
        return self.app(environ, start_response)


def _is_sns_form(environ: WSGIEnvironment) -> bool:
    content_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and content_type == URLENCODED
        and SNS_SCOPE in str(environ.get("HTTP_AUTHORIZATION") or "")
    )


def _invalid_subject(start_response: StartResponse) -> list[bytes]:
    """SNS's query-protocol error document for a refused subject."""
    request_id = secrets.token_hex(16)
    root = ET.Element("ErrorResponse", xmlns=SNS_NAMESPACE)
    error = ET.SubElement(root, "Error")
    for tag, text in (
        ("Type", "Sender"),
        ("Code", "InvalidParameter"),
        ("Message", "Invalid parameter: Subject"),
    ):
        ET.SubElement(error, tag).text = text
    ET.SubElement(root, "RequestId").text = request_id
    body = ET.tostring(root)
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "text/xml"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", request_id),
        ],
    )
    return [body]
