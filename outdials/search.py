"""Search that finds people: the targets list's ``q``, on every path (the
pages, the API, the export, bulk changes and the admin).

A query that reads as a phone number (with the outdial's country for one
written without ``+``: ``(201) 815-9083``, ``201-815-9083``, ``+1 201 815
9083``) matches that E.164 number exactly, through the destination address
index. Other digits (``815-90``) match addresses containing them; anything
else matches names and addresses containing it, case-insensitively (emails
and SIP addresses too). On PostgreSQL trigram indexes (migration 0018)
find the first matches; when there are few the page is read by their ids,
when many the list is read newest first until a page is full.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery

from . import validators
from .models import Destination

# What people type into a number: digits, a leading +, spaces and punctuation.
NUMBER_TEXT = re.compile(r"\+?[0-9 ().\-/]+")

Region = str | None | Callable[[], str | None]
# Up to this many names and addresses containing the text, a contains-search
# reads them by id; above it, reading the list newest first finds a page
# sooner (``make bench``: 1,000,000 targets, a last name in 2% of them).
FEW = 2_000


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
    case-insensitively (``UPPER(column) LIKE``, what the trigram indexes
    hold).

    First up to ``FEW`` + 1 matches are read, from the trigram indexes on
    PostgreSQL: when that is all of them the page is read by their ids.
    When there are more, the list is read newest first until a page is full,
    each row's addresses looked up by its key (a scalar subquery, so the
    planner does not gather every matching address first). Either read
    stops early (the planner's estimates of LIKE, a first way to choose, were
    off by 200 times). Between a few thousand matches and a few percent of
    the list both reads are slowest: a few hundred ms at 1,000,000 targets.
    """
    matches = (
        Destination.objects.using(queryset.db)
        .filter(target__icontains=text)
        .order_by()
        .values_list("outdial_target_id", flat=True)
    )
    if names:
        named = queryset.filter(name__icontains=text).order_by()
        matches = named.values_list("pk", flat=True).union(matches, all=True)
    few = set(matches[: FEW + 1])
    if len(few) <= FEW:
        return queryset.filter(pk__in=few)
    first = Destination.objects.filter(
        outdial_target=OuterRef("pk"), target__icontains=text
    ).values("pk")[:1]
    found = Q(found_address__isnull=False)
    if names:  # the name first: the cheaper test, so the lookup often waits
        found = Q(name__icontains=text) | found
    return queryset.alias(found_address=Subquery(first)).filter(found)
