"""A WSGI middleware that puts S3's POST-policy check in front of moto.

moto stores any browser-form upload it is sent; S3 checks the form against its signed policy.
Only those uploads are intercepted: a ``POST`` of a form to a bucket URL. Everything else reaches
moto untouched, with the same environ and ``start_response``. Both form encodings count: moto
stores an urlencoded form carrying ``key`` and ``file`` as readily as a multipart one, which S3
refuses with 412; a signed urlencoded request is another service's query API, and passes.

The body is read once, into a ``SpooledTemporaryFile`` (a 1 GiB upload goes to disk, not to
memory), and decoded as it arrives with werkzeug's sans-IO multipart decoder rather than its form
parser: the order of the parts matters, since S3 ignores every field after the file, and the file
only needs counting. A refused upload is answered here with S3's XML error document; an accepted
one gets the spool, rewound, as its ``wsgi.input``: byte for byte what the client sent.

The bucket comes from the path (``/<bucket>``), the addressing style the local runtime's clients
use. A ``POST /`` takes it from a virtual-host ``Host`` (``<bucket>.<domain>``) as moto does; with
neither, the request is moto's to answer, and moto stores nothing without a bucket.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from tempfile import SpooledTemporaryFile
from typing import IO, TYPE_CHECKING, Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.wsgi import ClosingIterator

from tripline.local.credentials import local_secret
from tripline.local.post_policy import (
    PolicyViolation,
    SecretLookup,
    check_post_policy,
    invalid_argument,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

BUCKET_PATH = re.compile(r"/([^/]+)/?")
MULTIPART, URLENCODED = "multipart/form-data", "application/x-www-form-urlencoded"
SPOOL_IN_MEMORY = 1 << 20
READ_CHUNK = 1 << 16
PRE_FILE_LIMIT = 20 * 1024  # S3's limit on the fields before the file, in bytes
MALFORMED = PolicyViolation(
    400,
    "MalformedPOSTRequest",
    "The body of your POST request is not well-formed multipart/form-data.",
)
PRE_FILE_TOO_LARGE = PolicyViolation(
    400,
    "MaxPostPreDataLengthExceeded",  # S3's wording, typos included
    "Your POST request fields preceeding the upload file was too large.",
    (("MaxPostPreDataLengthBytes", str(PRE_FILE_LIMIT)),),
)
MISSING_LENGTH = PolicyViolation(
    411, "MissingContentLength", "You must provide the Content-Length HTTP header."
)
NOT_MULTIPART = PolicyViolation(
    412,
    "PreconditionFailed",
    "At least one of the pre-conditions you specified did not hold",
    (("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"),),
)
INCOMPLETE_BODY = PolicyViolation(
    400,
    "IncompleteBody",
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class S3PostGuard:
    """Wraps a WSGI app (moto's) so that form uploads S3 would refuse never reach it."""

    def __init__(
        self,
        app: WSGIApplication,
        secret_for: SecretLookup = local_secret,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.app = app
        self.secret_for = secret_for
        self.clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        bucket = form_upload_bucket(environ)
        if bucket is None:
            return self.app(environ, start_response)
        length = _content_length(environ)
        if length is None:
            return error_response(MISSING_LENGTH, start_response, environ)
        if _mimetype(environ) != MULTIPART:
            _discard(environ["wsgi.input"], length)
            return error_response(NOT_MULTIPART, start_response, environ)
        return self._upload(environ, start_response, bucket, length)

    def _upload(
        self, environ: WSGIEnvironment, start_response: StartResponse, bucket: str, length: int
    ) -> Iterable[bytes]:
        """Judge the spooled form; hand moto the spool, which closes once moto's answer has."""
        spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            violation = self._judge(environ, bucket, length, spool)
            if violation is None:
                spool.seek(0)
                environ["wsgi.input"] = spool
                return ClosingIterator(self.app(environ, start_response), spool.close)
        except BaseException:
            spool.close()
            raise
        spool.close()
        return error_response(violation, start_response, environ)

    def _judge(
        self, environ: WSGIEnvironment, bucket: str, length: int, spool: IO[bytes]
    ) -> PolicyViolation | None:
        _, options = parse_options_header(environ.get("CONTENT_TYPE"))
        if not options.get("boundary"):
            return MALFORMED
        form = UploadForm(options["boundary"].encode("latin-1"))
        if not form.read(environ["wsgi.input"], length, spool):
            return INCOMPLETE_BODY
        if form.refusal is not None:
            return form.refusal
        if form.file_parts != 1:
            return invalid_argument(
                "POST requires exactly one file upload per request.", "file", str(form.file_parts)
            )
        return check_post_policy(
            form.fields,
            size=form.size,
            filename=form.filename,
            bucket=bucket,
            now=self.clock(),
            secret_for=self.secret_for,
        )


def form_upload_bucket(environ: WSGIEnvironment) -> str | None:
    """The bucket a browser-form upload targets; ``None`` for any other request."""
    mimetype = _mimetype(environ)
    is_form = mimetype == MULTIPART or (
        mimetype == URLENCODED and "HTTP_AUTHORIZATION" not in environ
    )
    if environ.get("REQUEST_METHOD") != "POST" or not is_form:
        return None
    path = str(environ.get("PATH_INFO") or "/")
    if path == "/":
        return _virtual_host_bucket(str(environ.get("HTTP_HOST", "")))
    match = BUCKET_PATH.fullmatch(path)
    return match[1] if match else None


def _virtual_host_bucket(host: str) -> str | None:
    name = re.sub(r":\d+$", "", host).strip("[]")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        if "." in name and not name.startswith("localhost"):
            return name.split(".", 1)[0]
    return None


def _mimetype(environ: WSGIEnvironment) -> str:
    return parse_options_header(environ.get("CONTENT_TYPE"))[0].lower()


def _discard(stream: IO[bytes], length: int) -> None:
    """Read a refused body to its end: a connection closed on unread bytes may lose the answer."""
    while length > 0 and (chunk := stream.read(min(READ_CHUNK, length))):
        length -= len(chunk)


def _content_length(environ: WSGIEnvironment) -> int | None:
    text = str(environ.get("CONTENT_LENGTH") or "")
    return int(text) if text.isdigit() else None


class UploadForm:
    """The parts of an upload as S3 reads them: fields up to the file, then the file's size.

    Fields sent after the file are dropped, as S3 drops them; a field sent twice is kept as S3's
    comma-separated list. Field bytes are bounded (S3's 20 KiB), file bytes only counted.
    """

    def __init__(self, boundary: bytes) -> None:
        self.decoder = MultipartDecoder(boundary, max_form_memory_size=SPOOL_IN_MEMORY)
        self.fields: dict[str, str] = {}
        self.file_parts = 0
        self.size = 0
        self.filename: str | None = None
        self.refusal: PolicyViolation | None = None
        self._part: str | None = None  # the field being read; None in the file and after it
        self._in_file = False
        self._value = bytearray()
        self._field_bytes = 0

    def read(self, stream: IO[bytes], length: int, spool: IO[bytes]) -> bool:
        """Copy ``length`` bytes to ``spool``, decoding them; ``False`` if the body ends short."""
        remaining = length
        while remaining:
            chunk = stream.read(min(READ_CHUNK, remaining))
            if not chunk:
                return False
            remaining -= len(chunk)
            if self.refusal is None:  # once refused, the rest is only drained
                spool.write(chunk)
                self._feed(chunk)
        if self.refusal is None:
            self._feed(None)
        return True

    def _feed(self, chunk: bytes | None) -> None:
        try:
            self.decoder.receive_data(chunk)
            event = self.decoder.next_event()
            while not isinstance(event, NeedData | Epilogue):
                self._take(event)
                event = self.decoder.next_event()
        except RequestEntityTooLarge:
            self.refusal = PRE_FILE_TOO_LARGE
        except ValueError:  # the decoder's complaints and field text that is not UTF-8
            self.refusal = MALFORMED

    def _take(self, event: Any) -> None:
        if isinstance(event, Field | File):
            self._start(event)
        elif isinstance(event, Data):
            self._data(event)

    def _start(self, part: Field | File) -> None:
        """Only a part named ``file`` is the file, with or without a ``filename``."""
        if not part.name:
            raise ValueError("a part without a name")
        self._part, self._in_file = None, False
        if part.name.lower() == "file":
            self.file_parts += 1
            self._in_file = self.file_parts == 1
            if self._in_file and isinstance(part, File):
                self.filename = part.filename
        elif self.file_parts == 0:
            self._part = part.name

    def _data(self, data: Data) -> None:
        if self._in_file:
            self.size += len(data.data)
            return
        if self._part is None:
            return
        self._field_bytes += len(data.data)
        if self._field_bytes > PRE_FILE_LIMIT:
            raise RequestEntityTooLarge()
        self._value.extend(data.data)
        if not data.more_data:
            value = self._value.decode()
            joined = self.fields.get(self._part)
            self.fields[self._part] = value if joined is None else f"{joined},{value}"
            self._value.clear()


def error_response(
    violation: PolicyViolation, start_response: StartResponse, environ: WSGIEnvironment
) -> list[bytes]:
    """S3's error document: ``Code``, ``Message``, the details, then the request ids.

    A refusal of a page's form (one sent with an ``Origin``) is readable by that page, as S3's
    is under the bucket's CORS rule: moto's server allows every origin on what it answers, the
    accepted upload included (naming the origin back), so the refusal answered here in its place
    allows it the same way."""
    request_id = secrets.token_hex(8).upper()
    host_id = secrets.token_urlsafe(48)
    root = ET.Element("Error")
    elements = (
        ("Code", violation.code),
        ("Message", violation.message),
        *violation.details,
        ("RequestId", request_id),
        ("HostId", host_id),
    )
    for tag, text in elements:
        ET.SubElement(root, tag).text = text
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)
    status = f"{violation.status} {HTTPStatus(violation.status).phrase}"
    start_response(
        status,
        [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", host_id),
            *_allowed_origin(environ),
        ],
    )
    return [body]


def _allowed_origin(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    origin = str(environ.get("HTTP_ORIGIN") or "")
    return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")] if origin else []
