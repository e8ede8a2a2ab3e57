"""Times shown to and typed by people are in the deployment's time zone (default Asia/Tokyo).

Stored times are UTC; SQLite hands them back without tzinfo, so naive values are read as UTC.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, timezone-aware UTC (also the timestamp default of every model's columns)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime: a naive one is a stored UTC time (SQLite returns them without tzinfo), an aware
    one in another zone (a time staff typed, read by :func:`parse_local`) is converted — SQLite would otherwise
    store its wall-clock digits and read them back as UTC, nine hours off in Japan."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("MACHIMADO_TIMEZONE", "Asia/Tokyo"))


def local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return as_utc(value).astimezone(zone())


def local_str(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    shown = local(value)
    return shown.strftime(fmt) if shown else ""


def parse_local(value: str) -> datetime:
    """ISO date-time typed by staff; without an offset it means the deployment's local time."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone())


WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def full_date(value: datetime | None, japanese: bool = True, with_time: bool = True) -> str:
    """A date as residents read it without guessing (no 12/01 that could be January 12): 令和8年12月1日（火）14時30分
    in Japanese, 2026-12-01 (Tue) 14:30 otherwise; in the deployment's time zone."""
    shown = local(value)
    if shown is None:
        return ""
    if japanese:
        era = shown.year - 2018
        text = f"令和{'元' if era == 1 else era}年{shown.month}月{shown.day}日（{WEEKDAYS_JA[shown.weekday()]}）"
        return text + (f"{shown.hour}時{shown.minute:02d}分" if with_time else "")
    text = f"{shown:%Y-%m-%d} ({WEEKDAYS_EN[shown.weekday()]})"
    return text + (f" {shown:%H:%M}" if with_time else "")
