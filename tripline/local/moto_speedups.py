"""Fixes to moto's server that keep a request's cost flat as queues grow and clients add up.

moto 5 reads the clock through ``datetime`` (``utcnow()``, an import and an epoch subtraction
each time), and reads it for every message of a queue on every send and receive: sending a
message builds the queue's whole attribute map, whose three ``ApproximateNumberOf…`` counts ask
each message whether it is visible or delayed; receiving one checks its retention period through
``get_queue_attributes``, which builds that map three more times; deleting one asks every message
for every receipt handle it ever had. A message therefore cost time in proportion to the queue's
length: DESIGN.md found moto's SQS slowing as a queue grew, and the local runtime collapsed under
concurrent integrators, a backlog slowing moto, which slowed the pollers, which grew the backlog.
Every request also lists moto's package folder (a ``listdir`` and some 150 ``stat`` calls) while
holding the dispatcher's one lock, and every message converts 14 attribute names from camel case
and draws a receipt handle one letter per call.

Measured with moto alone (10-message batches, 2 vCPU): at 2,000 messages a send took 388 ms
before and 5 ms after, a receive and delete 1,229 ms before and 6 ms after; empty, 15 and 44 ms
before, 4 and 7 after. Under 16 concurrent integrators the runtime accepted 30 events/s before
(moto wedged) and about 2,000 after.

The answers stay moto's: the clock reads ``time.time()`` (the same UTC epoch seconds); the
retention check reads the queue's retention period directly; visibility and delay are read from
the same ``visible_at`` and ``delayed_until``; a send skips the counts, which it never reads. What
each patch replaces is checked first: a moto release that changed one gets a warning on the
console and runs unpatched, slower but right. Applied once per process.
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache, wraps
from typing import Any

from tripline.local.logs import local_logger

log = local_logger(__name__)

RECEIPT_HANDLE_LENGTH = 185  # moto's
_applied = False


def apply_moto_speedups() -> bool:
    """Patch moto in this process; True when patched (now or before)."""
    global _applied
    if _applied:
        return True
    from moto import backends
    from moto.sqs import models

    backend, queue = models.SQSBackend, models.Queue
    expected: list[tuple[object, str]] = [(models, "unix_time"), (models, "unix_time_millis")]
    expected += [(models, name) for name in ("camelcase_to_underscores", "generate_receipt_handle")]
    expected += [(backend, "is_message_valid_based_on_retention_period"), (backend, "send_message")]
    expected += [(queue, "delete_message"), (backends, "list_of_moto_modules")]
    if not all(callable(getattr(target, name, None)) for target, name in expected):
        log.warning("moto changed shape; running it without the speedups")
        return False
    _patch_clock(models)
    _patch_per_message_work(models)
    backend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign,assignment]
    backend.send_message = _uncounted(backend.send_message)  # type: ignore[method-assign]
    queue.messages = property(_visible_messages)  # type: ignore[assignment,method-assign]
    queue.approximate_number_of_messages = property(_count_visible)  # type: ignore[assignment,method-assign]
    queue.approximate_number_of_messages_not_visible = property(_count_not_visible)  # type: ignore[assignment,method-assign]
    queue.approximate_number_of_messages_delayed = property(_count_delayed)  # type: ignore[assignment,method-assign]
    queue.delete_message = _delete_message  # type: ignore[method-assign,assignment]
    listed = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = cache(lambda: listed)
    _applied = True
    return True


def _patch_clock(models: Any) -> None:
    from moto.core.utils import unix_time as slow_seconds
    from moto.core.utils import unix_time_millis as slow_millis

    def unix_time(dt: datetime | None = None) -> float:
        return time.time() if dt is None else slow_seconds(dt)

    def unix_time_millis(dt: datetime | None = None) -> float:
        return time.time() * 1000.0 if dt is None else slow_millis(dt)

    models.unix_time = unix_time
    models.unix_time_millis = unix_time_millis


def _patch_per_message_work(models: Any) -> None:
    """Attribute names converted once each (pure); a receipt handle drawn in one call from the
    same seeded generator moto uses, instead of one call a letter."""
    from moto.moto_api._internal import mock_random

    models.camelcase_to_underscores = lru_cache(maxsize=1024)(models.camelcase_to_underscores)

    def generate_receipt_handle() -> str:
        return "".join(mock_random.choices(string.ascii_lowercase, k=RECEIPT_HANDLE_LENGTH))

    models.generate_receipt_handle = generate_receipt_handle


def _retained(backend: Any, queue_name: str, message: Any) -> bool:
    """moto's retention check, reading the one attribute it needs."""
    retention = int(backend.get_queue(queue_name).message_retention_period)
    return bool(retention + message.sent_timestamp / 1000 > time.time())


class _Sending(threading.local):
    depth = 0


_sending = _Sending()


def _uncounted(send_message: Callable[..., Any]) -> Callable[..., Any]:
    """moto's ``send_message`` without the queue's counts: it builds the attribute map (for each
    message) only to read ``ContentBasedDeduplication``, which no count changes. Per thread,
    since the server answers each request on a thread of its own."""

    @wraps(send_message)
    def send_without_counting(*args: Any, **kwargs: Any) -> Any:
        _sending.depth += 1
        try:
            return send_message(*args, **kwargs)
        finally:
            _sending.depth -= 1

    return send_without_counting


# A message is visible once the clock passed ``visible_at`` and delayed until it reaches
# ``delayed_until`` (moto's ``Message.visible`` and ``Message.delayed``), read in one pass.


def _visible_messages(queue: Any) -> list[Any]:
    now = time.time() * 1000.0
    return [m for m in queue._messages if m.visible_at < now and m.delayed_until <= now]


def _count_visible(queue: Any) -> int:
    if _sending.depth:
        return 0
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if m.visible_at < now and m.delayed_until <= now)


def _count_not_visible(queue: Any) -> int:
    if _sending.depth:
        return 0
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if m.visible_at >= now)


def _count_delayed(queue: Any) -> int:
    if _sending.depth:
        return 0
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if m.delayed_until > now)


def _delete_message(queue: Any, receipt_handle: str) -> None:
    """moto's delete, in one pass: the message that has or had the handle leaves the queue."""
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in queue.deleted_messages:
        return  # deleted already: no error, as on SQS
    for index, message in enumerate(queue._messages):
        if receipt_handle == message.receipt_handle or (
            receipt_handle in message._old_receipt_handles
        ):
            # a new list, as moto builds one: a request reading the old one keeps it whole
            queue._messages = queue._messages[:index] + queue._messages[index + 1 :]
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)
            return
    raise ReceiptHandleIsInvalid()
