"""What the writers write to: any object with ``write`` and ``flush`` of bytes.

A local file, ``io.BytesIO`` or the S3 multipart sink alike; none has to seek, since xlsxwriter's
``zipfile`` streams into a file that cannot (it writes each member's sizes after its data).
"""

from __future__ import annotations

from typing import Protocol


class BinarySink(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...
