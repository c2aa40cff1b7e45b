"""The weekly digest: which week is due, and the email that links to its workbook.

A week is an ISO week in the digest's time zone, Monday 00:00 to the next Monday 00:00 local
time (so a week holding a daylight-saving change is 167 or 169 hours long, as its readers lived
it). Last week's digest is due from Monday ``SEND_AT`` local time on; the schedule asks every
hour, so a digest missed at 07:00 (an outage) goes out at the next hour that works, and the
week's row makes sure it goes out once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import Detail, RequestError

SEND_AT = time(7, 0)
WEEK_PATTERN = re.compile(r"(\d{4})-W(\d{2})")
BUILDING, SENT = "building", "sent"  # or FAILED, as a report
# a digest building for longer than this was left by a function that died
BUILD_STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class DigestWeek:
    label: str  # 2026-W48
    starts_at: datetime  # Monday 00:00 local, as a UTC instant
    ends_at: datetime
    timezone: str

    def key(self, prefix: str) -> str:
        return f"{prefix}digests/{self.label}/tripline-digest-{self.label}.xlsx"

    @property
    def file_name(self) -> str:
        return f"tripline-digest-{self.label}.xlsx"


@dataclass(frozen=True)
class Digest:
    week: DigestWeek
    status: str
    created_at: datetime
    object_key: str | None = None
    headline: Mapping[str, Any] | None = None
    message_id: str | None = None
    reason: str | None = None
    sent_at: datetime | None = None

    def view(self, download_url: str | None, link_seconds: int) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "week": self.week.label,
            "starts_at": self.week.starts_at.isoformat(),
            "ends_at": self.week.ends_at.isoformat(),
            "timezone": self.week.timezone,
            "status": self.status,
            "headline": dict(self.headline or {}),
            "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
        }
        if download_url is not None:
            shown["download"] = {
                "url": download_url,
                "file_name": self.week.file_name,
                "expires_in_seconds": link_seconds,
            }
        if self.reason is not None:
            shown["reason"] = self.reason
        return shown


def week_of(day: date, zone_name: str) -> DigestWeek:
    """The ISO week holding ``day``, its bounds at local midnight in ``zone_name``."""
    zone = ZoneInfo(zone_name)
    monday = day - timedelta(days=day.weekday())
    year, number, _ = monday.isocalendar()
    starts = datetime.combine(monday, time(0), zone).astimezone(UTC)
    ends = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(UTC)
    return DigestWeek(f"{year}-W{number:02d}", starts, ends, zone_name)


def due_week(now: datetime, zone_name: str) -> DigestWeek:
    """The latest week whose digest is due at ``now``: last week from Monday ``SEND_AT`` on,
    the week before it until then."""
    local = now.astimezone(ZoneInfo(zone_name))
    monday = local.date() - timedelta(days=local.weekday())
    back = 7 if local.time() >= SEND_AT or local.weekday() > 0 else 14
    return week_of(monday - timedelta(days=back), zone_name)


def parse_week(text: str, zone_name: str, now: datetime) -> DigestWeek:
    """``2026-W48``, a week that has ended; ``RequestError`` naming ``week`` otherwise."""
    found = WEEK_PATTERN.fullmatch(text.strip())
    problem = "is not an ISO week such as 2026-W48"
    if found is not None:
        try:
            monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
        except ValueError:
            monday = None
        if monday is not None:
            week = week_of(monday, zone_name)
            if week.ends_at <= now:
                return week
            problem = "has not ended yet; a digest covers a whole week"
    raise RequestError("invalid week", [Detail(problem, field="week", value=text)])


def digest_email(
    digest_week: DigestWeek,
    headline: Mapping[str, Any],
    link: str,
    link_expires_at: datetime,
    api_url: str | None,
) -> tuple[str, str]:
    """The subject and plain-text body: the headline numbers, then the workbook's link, how
    long it lives, and how to get a fresh one (SNS email carries no attachment)."""
    subject = f"Tripline weekly digest {digest_week.label}"
    zone = ZoneInfo(digest_week.timezone)
    first = digest_week.starts_at.astimezone(zone).date()
    last = (digest_week.ends_at.astimezone(zone) - timedelta(days=1)).date()
    lines = [
        f"Tripline, week {digest_week.label}: {first} to {last} ({digest_week.timezone}).",
        "",
        *(f"  {_label(name)}: {_figure(value)}" for name, value in headline.items()),
        "",
        "The workbook (one sheet each: sources, uploads, rules, alerts, availability):",
        link,
        "",
        f"The link works until {link_expires_at:%Y-%m-%d %H:%M} UTC. For a fresh one:",
        f"  curl -H 'Authorization: Bearer $KEY' {api_url or '$TRIPLINE_API_URL'}/digests/latest",
    ]
    return subject, "\n".join(lines) + "\n"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _figure(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
