"""The wire format of times (SPEC §3), in either of VoIPbin's two eras.

``seed`` (the default): UTC, six fraction digits, no zone, and the sentinel
``9999-01-01 00:00:00.000000`` for a time that has not happened (the database
stores it as NULL), exactly as the seed tutorial writes them.

``rfc3339`` (``OUTDIALS_WIRE_TIMES=rfc3339``): VoIPbin's current form, Go's
``time.Time`` as JSON (RFC 3339 in UTC, trailing fraction zeros dropped,
``2020-09-20T03:23:21.995Z``) and ``null`` for a time that has not happened;
its page tokens have six fraction digits (``2020-09-20T03:23:21.995000Z``).

Page tokens in either form are read back in both modes.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from django.conf import settings

SEED = "seed"
RFC3339 = "rfc3339"
MODES = (SEED, RFC3339)

SENTINEL = "9999-01-01 00:00:00.000000"
FORMAT = "%Y-%m-%d %H:%M:%S.%f"
RFC3339_TOKEN_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# The seed's form, or RFC 3339 (a "T", any number of fraction digits, a zone).
_WIRE_TIME = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)"
    r"(?:"
    r" (?P<seed>\d\d:\d\d:\d\d\.\d{6})"
    r"|[Tt](?P<clock>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>[Zz]|[+-]\d\d:\d\d)"
    r")"
)


def mode() -> str:
    return settings.OUTDIALS["WIRE_TIMES"]


def format_seed(value: datetime | None) -> str:
    if value is None:
        return SENTINEL
    # isoformat writes the same text in a fifth of strftime's time (a page
    # writes 300 of them); an aware time ends in "+00:00" once in UTC. A year
    # before 1000 goes to strftime, which leaves it unpadded.
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
        if value.year >= 1000:
            return value.isoformat(" ", "microseconds")[:26]
    elif value.year >= 1000:
        return value.isoformat(" ", "microseconds")
    return value.strftime(FORMAT)


def format_rfc3339(value: datetime | None) -> str | None:
    """As Go's ``time.Time`` marshals to JSON in UTC (RFC3339Nano)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_ts(value: datetime | None) -> str | None:
    """A stored time as the API writes it in the mode that is on."""
    return formatter()(value)


def formatter() -> Callable[[datetime | None], str | None]:
    """``format_ts`` of the mode that is on, for writing many times at once
    (the mode is read once)."""
    return format_rfc3339 if mode() == RFC3339 else format_seed


def format_token(value: datetime) -> str:
    """A time as a page token: the seed's form, or VoIPbin's current token
    form (``bin-api-manager/server/outdials.go``: ``.000000Z``)."""
    if mode() == RFC3339:
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(RFC3339_TOKEN_FORMAT)
    return format_seed(value)


def parse_ts(text: str) -> datetime:
    """A time in either wire form (the seed's, or any RFC 3339 time); raises
    ``ValueError``. Fraction digits past the microsecond round up, so that
    ``tm_create < t`` keeps exactly the rows it would keep at full precision."""
    try:
        return _parse(text)
    except OverflowError:  # past year 9999 once its offset or rounding applies
        raise ValueError("not a timestamp") from None


def _parse(text: str) -> datetime:
    match = _WIRE_TIME.fullmatch(text)
    if match is None:
        raise ValueError("not a timestamp")
    if match["seed"]:
        return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)
    value = datetime.strptime(f"{match['date']} {match['clock']}", "%Y-%m-%d %H:%M:%S")
    digits = match["fraction"] or ""
    value = value.replace(microsecond=int(digits[:6].ljust(6, "0")))
    zone = match["zone"]
    if zone in ("Z", "z"):
        value = value.replace(tzinfo=UTC)
    else:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError("not a timestamp")
        offset = timedelta(hours=hours, minutes=minutes) * sign
        value = value.replace(tzinfo=timezone(offset)).astimezone(UTC)
    if digits[6:].strip("0"):
        value += timedelta(microseconds=1)
    return value
