"""Request bodies a client compressed (``Content-Encoding: gzip``), inflated within the body limit.

Segment's libraries gzip their batches when asked (``gzip=True``). The limit on a body is on what
the route reads, so it holds after inflation: the inflater stops one byte past the limit, and a
small gzip bomb is a 413 like any large body, never a large allocation. A route takes only the
encodings it names; any other is a 415 naming ``Content-Encoding``.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping

from chalicelib.domain.errors import (
    Detail,
    MalformedBody,
    PayloadTooLarge,
    UnsupportedMediaType,
)

GZIP = "gzip"
IDENTITY = "identity"
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # a gzip header and trailer around deflate


def decoded_body(
    headers: Mapping[str, str], body: bytes, max_bytes: int, encodings: Collection[str]
) -> bytes:
    """``body`` as sent, or inflated when its ``Content-Encoding`` is one of ``encodings``."""
    header = next(
        (value for name, value in headers.items() if name.lower() == "content-encoding"), ""
    )
    coding = header.strip().lower()
    if coding in ("", IDENTITY):
        return body
    if coding not in encodings:
        accepted = ", ".join(sorted(encodings)) or "none"
        raise UnsupportedMediaType(
            f"the body's Content-Encoding {coding!r} is not taken here (accepted: {accepted})",
            [Detail(f"one of: {accepted}", field="Content-Encoding", value=header)],
        )
    return inflate_gzip(body, max_bytes)


def inflate_gzip(body: bytes, max_bytes: int) -> bytes:
    """One gzip member, inflated to at most ``max_bytes``; ``PayloadTooLarge`` past them,
    ``MalformedBody`` for a stream that is not gzip or ends early."""
    inflater = zlib.decompressobj(_GZIP_WINDOW)
    try:
        inflated = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise MalformedBody(
            f"the body is not a valid gzip stream: {exc}",
            [Detail("Content-Encoding says gzip; the body is not", field="body")],
        ) from exc
    if len(inflated) > max_bytes:
        raise PayloadTooLarge(
            f"the body inflates to more than {max_bytes} bytes, the limit",
            [Detail(f"at most {max_bytes} bytes once inflated", field="body")],
        )
    if not inflater.eof:
        raise MalformedBody(
            "the gzip stream ends before its end",
            [Detail("truncated gzip stream", field="body")],
        )
    return inflated
