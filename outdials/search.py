"""Search that finds people: the targets list's ``q``, on every path (the
pages, the API, the export, bulk changes and the admin).

A query that reads as a phone number (with the outdial's country for one
written without ``+``: ``(201) 815-9083``, ``201-815-9083``, ``+1 201 815
9083``) matches that E.164 number exactly, through the destination address
index. Other digits (``815-90``) match addresses containing them; anything
else matches names and addresses containing it, case-insensitively (emails
and SIP addresses too). On PostgreSQL trigram indexes (migration 0015)
serve the contains-search when few rows match (one ``IN`` over a ``UNION``
the planner drives from those indexes); when many match, the list is read
newest first until a page is full.
"""

import json
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import OuterRef, Q, QuerySet, Subquery

from . import validators
from .models import Destination

# What people type into a number: digits, a leading +, spaces and punctuation.
NUMBER_TEXT = re.compile(r"\+?[0-9 ().\-/]+")

Region = str | None | Callable[[], str | None]
# Up to this many names and addresses containing the text (PostgreSQL's
# estimate), a contains-search starts from them through the trigram indexes;
# above it, reading the list newest first finds a page sooner (``make
# bench``: 1,000,000 targets, a last name in 2% of them).
COMMON = 2_000


def as_number(text: str, region: Region) -> str | None:
    """``text`` as an E.164 number if it reads as one, else ``None``.
    ``region`` may be a function, called only when the text needs it."""
    if not NUMBER_TEXT.fullmatch(text) or sum(c.isdigit() for c in text) < 4:
        return None
    if not text.startswith("+") and callable(region):
        region = region()
    try:
        return validators.read_tel(text, region if not callable(region) else None)
    except ValidationError:
        return None


def targets_matching(queryset: QuerySet, text: str, region: Region) -> QuerySet:
    """The targets of ``queryset`` that ``text`` finds (see the module)."""
    text = text.strip()
    if not text:
        return queryset
    number = as_number(text, region)
    if number is not None:
        found = Destination.objects.filter(target=number)
        return queryset.filter(pk__in=found.values("outdial_target_id"))
    digits = re.sub(r"[^0-9]", "", text)
    if digits and NUMBER_TEXT.fullmatch(text):
        return _containing(queryset, digits, names=False)
    return _containing(queryset, text, names=True)


def _containing(queryset: QuerySet, text: str, *, names: bool) -> QuerySet:
    """The targets whose address (or name, with ``names``) contains ``text``,
    case-insensitively: ``UPPER(column) LIKE``, what the trigram indexes
    hold."""
    if _is_common(queryset, text, names):
        # Many match: walk the list newest first and stop at a page, each
        # row's addresses looked up by its key (a scalar subquery, so the
        # planner does not gather every matching address first).
        first = Destination.objects.filter(
            outdial_target=OuterRef("pk"), target__icontains=text
        ).values("pk")[:1]
        found = Q(found_address__isnull=False)
        if names:
            found |= Q(name__icontains=text)
        return queryset.alias(found_address=Subquery(first)).filter(found)
    # Few match: start from them (the trigram indexes on PostgreSQL).
    matches = (
        Destination.objects.filter(target__icontains=text)
        .order_by()
        .values("outdial_target_id")
    )
    if names:
        named = queryset.filter(name__icontains=text).order_by().values("pk")
        matches = named.union(matches)
    return queryset.filter(pk__in=matches)


def _is_common(queryset: QuerySet, text: str, names: bool) -> bool:
    """Whether PostgreSQL's planner expects more than ``COMMON`` names and
    addresses to contain ``text`` (from the trigram indexes' statistics, no
    scan). SQLite has no estimate: its search always starts from the matches,
    a scan either way."""
    if connections[queryset.db].vendor != "postgresql":
        return False
    addresses = Destination.objects.using(queryset.db).filter(target__icontains=text)
    expected = _estimate(addresses)
    if names:
        expected += _estimate(queryset.filter(name__icontains=text))
    return expected > COMMON


def _estimate(queryset: QuerySet) -> int:
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])
