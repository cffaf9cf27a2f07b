"""Search that finds people: the targets list's ``q``, on every path (the
pages, the API, the export, bulk changes and the admin).

A query that reads as a phone number (with the outdial's country for one
written without ``+``: ``(201) 815-9083``, ``201-815-9083``, ``+1 201 815
9083``) matches that E.164 number exactly, through the destination address
index. Other digits (``815-90``) match addresses containing them; anything
else matches names and addresses containing it, case-insensitively (emails
and SIP addresses too). A common text is found by reading the list in the
page's order until a page is full, each row's name and ``addresses`` (its
destinations' addresses, one a line: :func:`joined_addresses`) tested; a rare
one through its matches, which trigram indexes (migration 0018) find on
PostgreSQL (see ``_containing``).
"""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull

from . import counting, paging, validators
from .models import Destination

# What people type into a number: digits, a leading +, spaces and punctuation.
NUMBER_TEXT = re.compile(r"\+?[0-9 ().\-/]+")

Region = str | None | Callable[[], str | None]
# Up to this many names and addresses containing the text, a contains-search
# reads them by id; above it, reading the list in order finds a page sooner.
FEW = 2_000
# A text is common when at least DENSE of the newest SAMPLE targets have it
# (0.4 %): reading the list in order then fills a page of 50 within some
# 13,000 rows, some 2,500 for a last name in 2 % of the list (``make bench``:
# 1,000,000 targets). Between that and FEW matches (2,000 to 4,000 at
# 1,000,000) both ways are slow: FEW matches are read, then the list.
SAMPLE = 2_000
DENSE = 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Between two addresses in a target's ``addresses``: no valid address holds
# a line break, so a text without one is found there exactly when one of
# the addresses contains it.
LINE = "\n"


def joined_addresses(addresses: Iterable[str]) -> str:
    """A target's ``addresses`` column: its destinations' addresses, one a
    line. Every write of a target's destinations writes it (``targets``,
    the import)."""
    return LINE.join(addresses)


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

    Two ways to the same rows, chosen by what is cheaper for this text:

    - ``walk``: the list read in the page's order (its index), each row's
      name and ``addresses`` tested on the row itself (:func:`_walk`); a
      page is full after about 50 / (share of matches) rows.
    - by id: the matches read first (from the trigram indexes on
      PostgreSQL; SQLite, which has none, tests every row as the walk
      does), when there are at most ``FEW``; the page is read by their ids.
      Reading them costs their number (and on PostgreSQL a bitmap of the
      index, some 15 ms for a common text at 1,000,000).

    A text is common (``_common``) when enough of the newest ``SAMPLE``
    targets have it; on PostgreSQL the planner's estimate of the matches
    (from the statistics of the indexed expressions) first spares that
    test for a rare text. Any guess only costs time: the rows are the same.
    """
    if connections[queryset.db].vendor != "postgresql":
        # No trigram index: the matches are the walk's, in one pass of the
        # list (not of every name and then every address).
        walk = _walk(queryset, text, names=names)
        if _common(queryset, walk):
            return walk
        few = set(walk.order_by().values_list("pk", flat=True)[: FEW + 1])
        return queryset.filter(pk__in=few) if len(few) <= FEW else walk
    matches = (
        Destination.objects.using(queryset.db)
        .filter(target__icontains=text)
        .order_by()
        .values_list("outdial_target_id", flat=True)
    )
    if names:
        named = queryset.filter(name__icontains=text).order_by()
        matches = named.values_list("pk", flat=True).union(matches, all=True)
    rare = counting.estimated_rows(matches) <= FEW
    if not rare:
        walk = _walk(queryset, text, names=names)
        if _common(queryset, walk):
            return walk
    few = set(matches[: FEW + 1])
    if len(few) <= FEW:
        return queryset.filter(pk__in=few)
    return _walk(queryset, text, names=names) if rare else walk


def _walk(queryset: QuerySet, text: str, *, names: bool) -> QuerySet:
    """The rows of ``queryset`` whose ``addresses`` (or name, with
    ``names``) contains ``text``, tested row by row (PostgreSQL: some 1.5 µs
    a row, where a look at its destinations took 6).

    While some of them have no ``addresses`` yet (NULL: made before it was
    kept, not yet written by the housekeeping), those have their
    destinations looked up by their key (a scalar subquery, so the planner
    does not gather every matching address first). Only then: the planner
    prices that lookup for every row, and a plan that dear is compiled
    (JIT), which costs more than the walk."""
    if LINE in text:  # in no address (see LINE)
        found = Q(pk__in=[])
    else:
        found = Q(addresses__icontains=text)
        if queryset.filter(addresses__isnull=True).exists():
            first = Destination.objects.filter(
                outdial_target=OuterRef("pk"), target__icontains=text
            ).values("pk")[:1]
            looked_up = IsNull(Subquery(first), False)
            found |= Q(addresses__isnull=True) & Q(looked_up)
    if names:  # the name first: the shorter text
        found = Q(name__icontains=text) | found
    return queryset.filter(found)


def _common(queryset: QuerySet, walk: QuerySet) -> bool:
    """Whether reading ``walk`` in order fills a page soon: at least
    ``DENSE`` of the newest ``SAMPLE`` targets of ``queryset`` match (read
    newest first, stopping at ``DENSE``; all of them in a shorter list)."""
    newest = paging.newest_first(queryset).values("tm_create")
    edge = Coalesce(Subquery(newest[SAMPLE - 1 : SAMPLE]), Value(EPOCH))
    # Newer than the edge, not as new: rows written together share a time,
    # and the sample must stay below SAMPLE rows however many share it.
    sample = paging.newest_first(walk.filter(tm_create__gt=edge))
    return sample[:DENSE].count() >= DENSE
