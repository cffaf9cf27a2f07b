"""An outdial's dialing policy (issue 17): the one home of its rules.

- **Maxima**: a claim's ``max_try_count_N`` that the dialer leaves out comes
  from the policy (1 each by default), so claims that pass all five work
  exactly as before.
- **Retry delays** by the outcome that settled an attempt (``busy``,
  ``no_answer``, ``failed``, ``expired``) and **callbacks** (a time a result
  or a person asks for) both set the target's ``tm_next_attempt``: a claim
  takes no target before it.
- **Calling hours**: weekly windows in each person's local time. A claim
  works out in Python, with ``zoneinfo`` (so daylight saving comes from the
  zone database), which time zones are inside their hours right now, and the
  claim statement takes only targets whose ``time_zone`` is one of them.
- **Daily cap**: attempts per target per local day (midnight to midnight in
  the target's zone), counted by the claim statement in ``day_attempts``.
- **Time zones**: a target's own (an import's ``timezone`` column), else the
  single zone of its first phone number's country (from the zone database's
  ``zone.tab``), else "" — the policy's default zone, so changing the default
  moves every such target at once.

The engine (``dialing``, ``dialing_sql``) asks this module for values and
conditions; the API, the pages and the admin validate with it.
"""

import functools
import importlib.resources
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import guards
from .models import (
    DESTINATION_SLOTS,
    DialingPolicy,
    Outdial,
    OutdialTarget,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DELAYED_OUTCOMES = ("busy", "no_answer", "failed", "expired")
MAX_TRY_COUNT_RANGE = (0, 100)
MAX_DELAY_SECONDS = 30 * 24 * 3600
MAX_DAILY_CAP = 1000
MAX_WINDOWS = 28
MAX_CALLBACK = timedelta(days=366)
DEFAULT_TIME_ZONE = "UTC"


# --- time zones ------------------------------------------------------------------


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA name zoneinfo knows, by its lower-case spelling."""
    names = zoneinfo.available_timezones() | {"UTC"}
    return {name.lower(): name for name in names}


def zone_names() -> list[str]:
    return sorted(_zone_names().values())


def canonical_zone(name: str) -> str:
    """``name`` as zoneinfo spells it (``america/new_york`` →
    ``America/New_York``); raises ``ValidationError`` for an unknown one."""
    found = _zone_names().get(name.strip().lower()) if name else None
    if found is None:
        raise ValidationError(
            f"'{name}' is not an IANA time zone name (e.g. America/New_York)."
        )
    return found


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_info(name: str) -> zoneinfo.ZoneInfo:
    """The zone database's rules for ``name`` (a canonical name)."""
    return _zone(name)


@functools.cache
def single_zone_regions() -> dict[str, str]:
    """Country (ISO 3166 code) → its zone, for the countries with one zone in
    the zone database's ``zone.tab`` (shipped by the ``tzdata`` package, so
    the same table on every platform)."""
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab")
    zones: dict[str, list[str]] = {}
    for line in text.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(country, []).append(zone)
    return {country: found[0] for country, found in zones.items() if len(found) == 1}


_PREFIX_ZONES: dict[str, str] = {}


def _zone_of(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        regions = phonenumbers.region_codes_for_country_code(number.country_code)
        region = regions[0] if len(regions) == 1 else None
    return single_zone_regions().get(region or "", "")


def zone_of_number(e164: str) -> str:
    """The zone of an E.164 number's country when it has only one, else "".

    The country is decided by a number's first digits (NANP: the area code;
    +44: up to four more), so the answer is kept per seven-character prefix:
    an import of a million numbers parses a few hundred."""
    if not e164.startswith("+"):
        return ""
    prefix = e164[:7]
    found = _PREFIX_ZONES.get(prefix)
    if found is None:
        if len(_PREFIX_ZONES) > 50_000:
            _PREFIX_ZONES.clear()
        found = _PREFIX_ZONES[prefix] = _zone_of(e164)
    return found


def zone_for_target(given: str, addresses: Iterable[tuple[str, str]]) -> str:
    """The ``time_zone`` to store on a target: ``given`` (already canonical),
    else the single zone of the first phone number's country, else "" (the
    policy's default). ``addresses`` are (type, address) in slot order."""
    if given:
        return given
    for type_, address in addresses:
        if type_ == "tel":
            return zone_of_number(address)
    return ""


# --- calling hours -----------------------------------------------------------------

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")


@dataclass(frozen=True)
class Window:
    """A weekly calling window: these weekdays (0 = Monday), from ``start`` to
    ``end`` (minutes after local midnight; ``end`` up to 1440, exclusive)."""

    days: frozenset[int]
    start: int
    end: int

    def as_dict(self) -> dict:
        return {
            "days": [DAYS[d] for d in sorted(self.days)],
            "start": _clock(self.start),
            "end": _clock(self.end),
        }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text, where: str) -> int:
    if not isinstance(text, str) or not _CLOCK.fullmatch(text):
        raise ValidationError(f"{where} must be a time HH:MM from 00:00 to 24:00.")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def windows_from(data) -> tuple[Window, ...]:
    """Calling hours from their JSON form (a list of ``{"days", "start",
    "end"}``); raises ``ValidationError`` naming the window at fault."""
    if not isinstance(data, list):
        raise ValidationError("must be a list of windows.")
    if len(data) > MAX_WINDOWS:
        raise ValidationError(f"at most {MAX_WINDOWS} windows.")
    found = []
    for n, item in enumerate(data):
        where = f"window {n + 1}"
        if not isinstance(item, dict) or set(item) != {"days", "start", "end"}:
            raise ValidationError(
                f"{where} must be an object with days, start and end."
            )
        days = item["days"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, str) and d in DAYS for d in days)
        ):
            raise ValidationError(
                f"{where}: days must be a non-empty list of {', '.join(DAYS)}."
            )
        start = _minutes(item["start"], f"{where}: start")
        end = _minutes(item["end"], f"{where}: end")
        if start >= end:
            raise ValidationError(f"{where}: start must be before end.")
        found.append(Window(frozenset(DAYS.index(d) for d in days), start, end))
    return tuple(found)


_DAY_RANGE = re.compile(r"([a-z]{3})[a-z]*(?:\s*[-–]\s*([a-z]{3})[a-z]*)?")
_SPAN = re.compile(r"(\d{1,2}:\d\d)\s*[-–]\s*(\d{1,2}:\d\d)")


def parse_hours_text(text: str) -> list[dict]:
    """Calling hours as people write them, one window a line (or ``;``
    between): ``Mon–Fri 09:00–20:00``, ``Sat 10:00-14:00``, ``Mon, Wed
    09:00-12:00, 13:00-17:00``. Empty is any time. The JSON form, checked."""
    found = []
    for n, line in enumerate(re.split(r"[;\n]", text), start=1):
        line = line.strip().lower()
        if not line:
            continue
        first = re.search(r"\d", line)
        if first is None:
            raise ValidationError(f"Line {n} has no hours (e.g. Mon-Fri 09:00-20:00).")
        day_part, span_part = line[: first.start()], line[first.start() :]
        days: list[str] = []
        for piece in filter(None, (p.strip() for p in day_part.split(","))):
            match = _DAY_RANGE.fullmatch(piece)
            if not match or match[1] not in DAYS or (match[2] or "mon") not in DAYS:
                raise ValidationError(
                    f"Line {n}: '{piece}' is not a weekday or range (Mon-Fri)."
                )
            low = DAYS.index(match[1])
            high = DAYS.index(match[2]) if match[2] else low
            if high < low:
                raise ValidationError(f"Line {n}: '{piece}' runs backwards.")
            days += [d for d in DAYS[low : high + 1] if d not in days]
        if not days:
            raise ValidationError(f"Line {n} names no weekday (e.g. Mon-Fri).")
        spans = [s.strip() for s in span_part.split(",") if s.strip()]
        for span in spans:
            match = _SPAN.fullmatch(span)
            if not match:
                raise ValidationError(
                    f"Line {n}: '{span}' is not a time span (09:00-20:00)."
                )
            start, end = (f"{int(t[:-3]):02d}{t[-3:]}" for t in match.groups())
            found.append({"days": days, "start": start, "end": end})
    try:
        windows_from(found)
    except ValidationError as error:
        message = error.messages[0]
        raise ValidationError(message[:1].upper() + message[1:]) from None
    return found


def hours_text(data: list[dict]) -> str:
    """The JSON form as :func:`parse_hours_text` reads it."""
    lines = []
    for window in windows_from(data):
        days = sorted(window.days)
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            named = f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
        else:
            named = ", ".join(DAY_NAMES[d] for d in days)
        lines.append(f"{named} {_clock(window.start)}-{_clock(window.end)}")
    return "\n".join(lines)


def inside(windows: Sequence[Window], local: datetime) -> bool:
    """Is the local time ``local`` within one of ``windows``?"""
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    return any(day in w.days and w.start <= minute < w.end for w in windows)


def next_opening(windows: Sequence[Window], zone: str, now: datetime) -> datetime:
    """When calling hours next open in ``zone`` after ``now`` (aware, UTC)."""
    tz = _zone(zone)
    local = now.astimezone(tz)
    for ahead in range(8):
        day: date = local.date() + timedelta(days=ahead)
        starts = sorted(w.start for w in windows if day.weekday() in w.days)
        for start in starts:
            if start >= 1440:
                continue
            wall = datetime.combine(day, time(start // 60, start % 60), tzinfo=tz)
            opening = wall.astimezone(UTC)
            if opening > now:
                return opening
    raise ValueError("calling hours with no window")  # windows are never empty


@functools.lru_cache(maxsize=256)
def _callable_zones(windows: tuple[Window, ...], minute: datetime) -> frozenset:
    # Every zone's offset is a whole number of minutes, so the set changes
    # only on a minute: one computation a minute per process and hours.
    return frozenset(
        name
        for name in _zone_names().values()
        if inside(windows, minute.astimezone(_zone(name)))
    )


def callable_zones(windows: tuple[Window, ...], now: datetime) -> frozenset:
    """The time zones inside their calling hours at ``now``."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    return _callable_zones(windows, minute)


# --- the policy ------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A policy as the engine reads it."""

    max_try_counts: tuple[int, ...]
    retry_delays: dict
    daily_cap: int
    windows: tuple[Window, ...]
    time_zone: str

    def zone_of(self, target: OutdialTarget) -> str:
        """The zone the rules use for ``target``."""
        return target.time_zone or self.time_zone


DEFAULT_RULES = Rules(
    max_try_counts=(1,) * len(DESTINATION_SLOTS),
    retry_delays=dict.fromkeys(DELAYED_OUTCOMES, 0),
    daily_cap=0,
    windows=(),
    time_zone=DEFAULT_TIME_ZONE,
)


def stored(outdial: Outdial) -> DialingPolicy | None:
    """The outdial's policy row (loaded with it when it was looked up with
    ``select_related("policy")``), or ``None``."""
    try:
        return outdial.policy
    except DialingPolicy.DoesNotExist:
        return None


def rules_of(outdial: Outdial) -> Rules:
    row = stored(outdial)
    if row is None:
        return DEFAULT_RULES
    found = getattr(row, "_rules", None)
    if found is None:
        found = row._rules = _rules_of_row(row)
    return found


def _rules_of_row(row: DialingPolicy) -> Rules:
    return _rules(
        tuple(row.max_try_counts),
        tuple(sorted(row.retry_delays.items())),
        row.daily_cap,
        tuple((tuple(w["days"]), w["start"], w["end"]) for w in row.calling_hours),
        row.time_zone,
    )


@functools.lru_cache(maxsize=1024)
def _rules(maxima, delays, cap, hours, zone) -> Rules:
    # Parsed once per distinct policy: a claim pays a dictionary lookup.
    windows = windows_from(
        [{"days": list(days), "start": start, "end": end} for days, start, end in hours]
    )
    return Rules(maxima, dict(delays), cap, windows, zone)


def as_dict(outdial: Outdial) -> dict:
    """The policy's JSON form (the API's body, the pages' initial values)."""
    row = stored(outdial)
    rules = rules_of(outdial)
    body = {f"max_try_count_{i}": n for i, n in enumerate(rules.max_try_counts)}
    body["retry_delays"] = {
        outcome: rules.retry_delays.get(outcome, 0) for outcome in DELAYED_OUTCOMES
    }
    body["daily_cap"] = rules.daily_cap
    body["calling_hours"] = [w.as_dict() for w in rules.windows]
    body["time_zone"] = rules.time_zone
    body["tm_update"] = row.tm_update if row else None
    return body


def check(values: dict) -> dict:
    """Checks a whole policy in its JSON form (the five maxima, delays, cap,
    hours and zone, each already of the right JSON type); answers it cleaned
    or raises ``ValidationError`` with a message per field."""
    problems: dict[str, list[str]] = {}
    cleaned = dict(values)
    low, high = MAX_TRY_COUNT_RANGE
    for i in DESTINATION_SLOTS:
        n = values[f"max_try_count_{i}"]
        if not low <= n <= high:
            problems[f"max_try_count_{i}"] = [f"must be from {low} to {high}."]
    delays = values["retry_delays"]
    unknown = sorted(set(delays) - set(DELAYED_OUTCOMES))
    if unknown:
        problems["retry_delays"] = [
            f"names no outcome {', '.join(unknown)}; use {', '.join(DELAYED_OUTCOMES)}."
        ]
    for outcome in DELAYED_OUTCOMES:
        seconds = delays.get(outcome, 0)
        if not 0 <= seconds <= MAX_DELAY_SECONDS:
            problems[f"retry_delays.{outcome}"] = [
                f"must be from 0 to {MAX_DELAY_SECONDS} seconds (30 days)."
            ]
    cleaned["retry_delays"] = {o: delays.get(o, 0) for o in DELAYED_OUTCOMES}
    if not 0 <= values["daily_cap"] <= MAX_DAILY_CAP:
        problems["daily_cap"] = [f"must be from 0 (no cap) to {MAX_DAILY_CAP}."]
    try:
        cleaned["calling_hours"] = [
            w.as_dict() for w in windows_from(values["calling_hours"])
        ]
    except ValidationError as error:
        problems["calling_hours"] = error.messages
    try:
        cleaned["time_zone"] = canonical_zone(values["time_zone"])
    except ValidationError as error:
        problems["time_zone"] = error.messages
    if problems:
        raise ValidationError(problems)
    return cleaned


def save(outdial: Outdial, values: dict) -> dict:
    """Store a checked policy (see :func:`check`); answers its JSON form."""
    fields = {
        "max_try_counts": [values[f"max_try_count_{i}"] for i in DESTINATION_SLOTS],
        "retry_delays": values["retry_delays"],
        "daily_cap": values["daily_cap"],
        "calling_hours": values["calling_hours"],
        "time_zone": values["time_zone"],
        "tm_update": timezone.now(),
    }
    with transaction.atomic():
        row, _ = DialingPolicy.objects.update_or_create(
            outdial=outdial, defaults=fields
        )
    outdial.policy = row
    return as_dict(outdial)


def maxima(rules: Rules, given: Sequence[int | None]) -> list[int]:
    """A claim's maxima: its own, the policy's for those it left out."""
    return [rules.max_try_counts[i] if n is None else n for i, n in enumerate(given)]


# --- what the claim statement is given -------------------------------------------


@dataclass(frozen=True)
class ClaimConditions:
    """The policy's part of one claim: ``zones``, the zones inside their
    calling hours now as one text ``,A,B,…,`` ("" standing for the default
    zone, so ``,,`` when it is open), ``None`` when there are no calling
    hours; ``daily_cap`` or ``None``; the default zone."""

    zones: str | None
    daily_cap: int | None
    default_zone: str


def claim_conditions(rules: Rules, now: datetime) -> ClaimConditions:
    zones = None
    if rules.windows:
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        zones = _zone_text(rules.windows, rules.time_zone, minute)
    return ClaimConditions(zones, rules.daily_cap or None, rules.time_zone)


@functools.lru_cache(maxsize=256)
def _zone_text(windows: tuple[Window, ...], default: str, minute: datetime) -> str:
    # Built once a minute per process and policy: a claim pays a lookup.
    open_now = _callable_zones(windows, minute)
    names = sorted(open_now) + ([""] if default in open_now else [])
    return "," + ",".join(names) + ","


def day_end(zone: str, now: datetime) -> datetime:
    """The next local midnight in ``zone`` after ``now``, in UTC: where the
    daily cap's count starts again. A 23- or 25-hour day on a daylight-saving
    change is as long as the zone database says."""
    tz = _zone(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz).astimezone(UTC)


# --- next attempts: retry delays and callbacks -----------------------------------


def retry_at(rules: Rules, outcome: str, now: datetime) -> datetime | None:
    """When a target whose attempt settled with ``outcome`` may be tried again
    (``None``: at once)."""
    seconds = rules.retry_delays.get(outcome, 0)
    return now + timedelta(seconds=seconds) if seconds else None


def check_callback(when: datetime, now: datetime) -> datetime:
    """A callback time: not in the past, within a year."""
    if when < now - timedelta(minutes=1):
        raise ValidationError("is in the past; give a time to call back.")
    if when > now + MAX_CALLBACK:
        raise ValidationError("is more than a year ahead.")
    return max(when, now)


def schedule(target: OutdialTarget, when: datetime | None) -> OutdialTarget:
    """A person's callback: ``target`` is not claimed before ``when``
    (``None`` clears it). Through the held-target guard, as every change a
    person makes: refused while a dialer holds the target
    (``guards.TargetInProgress``), whose result sets the next attempt."""
    guards.write(target, "set the callback", tm_next_attempt=when)
    return target


# --- explaining --------------------------------------------------------------------


def waiting_reasons(rules: Rules, target: OutdialTarget, now: datetime) -> list:
    """``(code, message, until, extra)`` for each policy rule holding the
    target back now: SCHEDULED, OUTSIDE_CALLING_HOURS, DAILY_CAP_REACHED."""
    found = []
    if target.tm_next_attempt is not None and target.tm_next_attempt > now:
        found.append(
            (
                "SCHEDULED",
                "The target has a next-attempt time (a retry delay of the "
                "outdial's policy, or a callback); it is not dialed before it.",
                target.tm_next_attempt,
                {},
            )
        )
    zone = rules.zone_of(target)
    if rules.windows and not inside(rules.windows, now.astimezone(_zone(zone))):
        opening = next_opening(rules.windows, zone, now)
        local = opening.astimezone(_zone(zone))
        found.append(
            (
                "OUTSIDE_CALLING_HOURS",
                f"It is outside the calling hours in the target's time zone "
                f"{zone}; they open at {local:%Y-%m-%d %H:%M} {zone} "
                f"({opening:%Y-%m-%d %H:%M} UTC).",
                opening,
                {"time_zone": zone, "until_local": f"{local:%Y-%m-%d %H:%M:%S}"},
            )
        )
    if (
        rules.daily_cap
        and target.day_attempts >= rules.daily_cap
        and target.tm_day_end is not None
        and target.tm_day_end > now
    ):
        found.append(
            (
                "DAILY_CAP_REACHED",
                f"The target was tried {target.day_attempts} times today in "
                f"{zone}, the policy's daily cap; it may be tried again after "
                "local midnight.",
                target.tm_day_end,
                {},
            )
        )
    return found
