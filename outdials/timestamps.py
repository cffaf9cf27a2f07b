"""The wire format of times (SPEC §3): UTC, six fraction digits, no zone.

A time that has not happened yet (never updated, not deleted) is the sentinel
``9999-01-01 00:00:00.000000``; the database stores it as NULL.
"""

from datetime import UTC, datetime

SENTINEL = "9999-01-01 00:00:00.000000"
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def format_ts(value: datetime | None) -> str:
    """A stored time as the API writes it; ``None`` is the sentinel."""
    if value is None:
        return SENTINEL
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(FORMAT)


def parse_ts(text: str) -> datetime:
    """The inverse of :func:`format_ts` for real times; raises ``ValueError``."""
    if len(text) != 26:
        raise ValueError("not a timestamp")
    return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)
