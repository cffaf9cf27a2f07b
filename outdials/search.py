"""Search that finds people: the targets list's ``q``, on every path (the
pages, the API, the export, bulk changes and the admin).

A query that reads as a phone number (with the outdial's country for one
written without ``+``: ``(201) 815-9083``, ``201-815-9083``, ``+1 201 815
9083``) matches that E.164 number exactly, through the destination address
index. Other digits (``815-90``) match addresses containing them; anything
else matches names and addresses containing it, case-insensitively (emails
and SIP addresses too). On PostgreSQL trigram indexes (migration 0015)
serve the contains-search; the query is one ``IN`` over a ``UNION`` so the
planner can drive it from those indexes rather than walk the list.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from . import validators
from .models import Destination

# What people type into a number: digits, a leading +, spaces and punctuation.
NUMBER_TEXT = re.compile(r"\+?[0-9 ().\-/]+")

Region = str | None | Callable[[], str | None]


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
        found = Destination.objects.filter(target__contains=digits)
        return queryset.filter(pk__in=found.values("outdial_target_id"))
    names = queryset.filter(name__icontains=text).order_by().values("pk")
    addresses = (
        Destination.objects.filter(target__icontains=text)
        .order_by()
        .values("outdial_target_id")
    )
    return queryset.filter(pk__in=names.union(addresses))
