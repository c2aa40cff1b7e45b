"""Alert emails as files: an SNS notification envelope turned into the email on-call would get,
and written where a mail client (or ``cat``) can open it.

Files appear whole (written beside, then renamed), so a reader of the folder never sees half an
email; their names sort by arrival and never collide.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

DEFAULT_TO = "oncall@tripline.local"
SENDER = "Tripline <alerts@tripline.local>"
MESSAGE_ID_DOMAIN = "sns.tripline.local"
MAX_SLUG = 40
LONGEST_8BIT_LINE = 998  # RFC 5322; longer lines are sent quoted-printable


class MalformedNotification(ValueError):
    """A queue message that is not an SNS notification envelope (the mailbox drops it); never
    leaves the local mailbox."""


def mail_from_notification(envelope: Mapping[str, Any], to: str = DEFAULT_TO) -> EmailMessage:
    """The email on-call would get for one SNS notification envelope.

    ``X-Tripline-*`` headers carry the message attributes (``severity`` becomes
    ``X-Tripline-Severity``): the values a subscription's filter policy would select on.
    """
    if not isinstance(envelope, Mapping):
        raise MalformedNotification(f"not an SNS envelope: a JSON {type(envelope).__name__}")
    body, message_id = envelope.get("Message"), envelope.get("MessageId")
    if not isinstance(body, str) or not isinstance(message_id, str) or not message_id:
        raise MalformedNotification("not an SNS envelope: no Message or MessageId")
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = to
    mail["Subject"] = _one_line(str(envelope.get("Subject") or "(no subject)"))
    mail["Date"] = format_datetime(_timestamp(envelope.get("Timestamp")))
    mail["Message-ID"] = f"<{_one_line(message_id)}@{MESSAGE_ID_DOMAIN}>"
    for name, value in _attributes(envelope.get("MessageAttributes")).items():
        mail[_header_name(name)] = _one_line(value)
    long_lines = any(len(line.encode()) > LONGEST_8BIT_LINE for line in body.splitlines())
    mail.set_content(body, charset="utf-8", cte="quoted-printable" if long_lines else "8bit")
    return mail


def _timestamp(text: object) -> datetime:
    """SNS's ``2024-05-01T12:00:00.123Z``, as an aware UTC time."""
    if not isinstance(text, str):
        raise MalformedNotification("not an SNS envelope: no Timestamp")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise MalformedNotification(f"unreadable Timestamp {text!r}") from exc


def _attributes(raw: object) -> dict[str, str]:
    """``{"severity": {"Type": "String", "Value": "high"}}`` as ``{"severity": "high"}``."""
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(name): str(value.get("Value", ""))
        for name, value in raw.items()
        if isinstance(value, Mapping)
    }


def _header_name(attribute: str) -> str:
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", attribute) if part]
    return "X-Tripline-" + "-".join(part.capitalize() for part in parts)


def _one_line(text: str) -> str:
    """Header values may not hold line breaks (the email package refuses them)."""
    return " ".join(text.split())


def write_mail(directory: Path, message: EmailMessage, *, at: datetime | None = None) -> Path:
    """Write ``message`` as ``<UTC time>-<message id>-<subject>.eml``; the path.

    The time is when it reached the mailbox (``at``, default now) to the microsecond, so a
    listing sorts in arrival order; the message id's head keeps two in one microsecond apart.
    """
    when = (at or datetime.now(UTC)).astimezone(UTC)
    message_id = str(message.get("Message-ID") or "").strip("<>").split("@")[0]
    head = re.sub(r"[^A-Za-z0-9]", "", message_id)[:8] or uuid.uuid4().hex[:8]
    name = f"{when:%Y%m%dT%H%M%S.%f}-{head}-{_slug(str(message.get('Subject') or ''))}.eml"
    directory.mkdir(parents=True, exist_ok=True)
    # Beside the target (one file system, so the rename is atomic), hidden from *.eml listings,
    # and opened with the umask's permissions (mkstemp's 0600 would hide mail from its reader).
    temporary = directory / f".{name}.{uuid.uuid4().hex[:8]}.part"
    try:
        with temporary.open("xb") as out:
            out.write(message.as_bytes())
        target = directory / name
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _slug(subject: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:MAX_SLUG].rstrip("-")
    return slug or "no-subject"
