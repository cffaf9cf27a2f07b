"""Keyset paging, newest first (SPEC §4): the one home of the page token, the
keyset bound and the page window, for the API, the staff pages, the admin, the
export and the commands.

The seed's token is the ``tm_create`` of the page's last item. When the row
after that item shares its ``tm_create`` (bulk writes do that), a plain time
would skip or repeat rows, so the token then also carries the item's id:
``<tm_create>,<id>``. Both forms are accepted back. Rows are ordered by
``(tm_create, id)`` descending, served by the partial indexes on each list.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import BooleanField, DateTimeField, Expression, F, Func, QuerySet

from .timestamps import format_token, parse_ts

# A parsed token: the last item's time and, when the next row shares it, its id.
Key = tuple[datetime, uuid.UUID | None]


class InvalidPageToken(ValueError):
    """A page token this server did not give out."""

    reason = "INVALID_PAGE_TOKEN"
    message = (
        "page_token is not one this API gave out; pass next_page_token back "
        "unchanged, or leave it out for the first page."
    )


class InvalidPageSize(ValueError):
    """A page size that is not a whole number."""

    reason = "INVALID_REQUEST_PARAMETER"
    message = 'The parameter "page_size" has an invalid format.'


@dataclass(frozen=True)
class Page:
    items: list
    next_page_token: str


_PAGE_SIZE = re.compile(r"[+-]?[0-9]{1,18}")


def page_size(raw: str) -> int:
    """A requested page size, as VoIPbin reads it: a whole number outside
    1..max becomes the max (bin-api-manager/server/outdials.go), none at all
    the default; anything that is not a whole number raises
    :class:`InvalidPageSize` (its generated binding, gens/openapi_server/gen.go,
    and server/error.go's reason)."""
    maximum = settings.OUTDIALS["MAX_PAGE_SIZE"]
    if raw == "":
        return settings.OUTDIALS["PAGE_SIZE"]
    # A regex, not isdigit(): that admits "²", which int() cannot take.
    if not _PAGE_SIZE.fullmatch(raw):
        raise InvalidPageSize(raw)
    size = int(raw)
    return size if 1 <= size <= maximum else maximum


def parse_token(token: str) -> Key:
    """``(tm_create, id or None)`` of a token; :class:`InvalidPageToken` if it
    is not one of ours."""
    stamp, _, last_id = token.partition(",")
    try:
        return parse_ts(stamp), (uuid.UUID(last_id) if last_id else None)
    except ValueError:
        raise InvalidPageToken(token) from None


def token_of(item) -> str:
    """A token that points exactly at ``item`` (time and id)."""
    return f"{format_token(item.tm_create)},{item.pk}"


class AttemptKey(Func):
    """The last-attempt order's key: ``tm_last_attempt``, or the Unix epoch
    for a target never attempted (they come last, newest first), so the key
    is never NULL and a row value can compare it. The database keeps it as
    the generated column ``attempt_key`` (indexed by ``target_attempt_page``),
    which the orders read; the epoch is written into the SQL, not bound, as a
    generated column's expression must be."""

    output_field = DateTimeField()

    def __init__(self):
        super().__init__(F("tm_last_attempt"))

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        epoch = "'1970-01-01 00:00:00'"  # as Django stores a UTC time
        if connection.vendor == "postgresql":
            epoch = "'1970-01-01 00:00:00+00'::timestamptz"
        return f"COALESCE({column}, {epoch})", params


class KeysetBound(Expression):
    """``(tm_create, id) < (t, i)`` (or ``>``), written as one row value.

    The same condition spelled ``tm_create < t OR (tm_create = t AND id < i)``
    (what Django writes on SQLite, and what a Q pair writes everywhere) gives
    the index a range on ``tm_create`` alone: inside a bulk write, where
    thousands of rows share one time, a deep page would read every row before
    it, and PostgreSQL turns the OR into a bitmap scan and a sort. As a row
    value both databases seek straight to the key (SQLite has row values
    since 3.15).
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, operator: str, tm_create, pk, key=None):
        super().__init__()
        self.operator = operator
        self.columns = [key if key is not None else F("tm_create"), F("pk")]
        self.values = (tm_create, pk)

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = exprs

    def as_sql(self, compiler, connection):
        left, params = [], []
        for column, value in zip(self.columns, self.values, strict=True):
            left.append(compiler.compile(column)[0])
            params.append(column.output_field.get_db_prep_value(value, connection))
        return f"({', '.join(left)}) {self.operator} (%s, %s)", params


def beyond(queryset: QuerySet, key: Key, *, older: bool = True) -> QuerySet:
    """The rows past ``key``: older ones (newest-first paging), or newer ones
    (``older=False``: oldest-first, as the export reads)."""
    tm_create, pk = key
    if pk is None:
        lookup = "tm_create__lt" if older else "tm_create__gt"
        return queryset.filter(**{lookup: tm_create})
    return queryset.filter(KeysetBound("<" if older else ">", tm_create, pk))


def after_token(queryset: QuerySet, token: str) -> QuerySet:
    """The rows that come after ``token`` in newest-first order."""
    return beyond(queryset, parse_token(token)) if token else queryset


def before_token(queryset: QuerySet, token: str) -> QuerySet:
    """The rows that come before ``token`` in newest-first order."""
    return beyond(queryset, parse_token(token), older=False)


def newest_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("-tm_create", "-pk")


def paginate(queryset: QuerySet, token: str, size: int) -> Page:
    """One page of ``queryset`` after ``token`` and the token for the next one."""
    return page_of(list(newest_first(after_token(queryset, token))[: size + 1]), size)


def page_of(rows: list, size: int) -> Page:
    """The first ``size`` of ``rows`` (read ``size + 1``, newest first) and the
    token for the page after them."""
    if not rows:
        return Page([], "")
    items = rows[:size]
    last = items[-1]
    next_token = format_token(last.tm_create)
    if len(rows) > size and rows[size].tm_create == last.tm_create:
        next_token = f"{next_token},{last.pk}"
    return Page(items, next_token)


@dataclass(frozen=True)
class Order:
    """An order of the staff pages' targets table: a key, then the id, both
    descending or both ascending, each served by an index (``target_page``
    read either way, ``target_attempt_page``). Its page tokens are
    ``<key>,<id>``, as the newest-first ones."""

    name: str
    label: str
    key: object
    descending: bool

    def _desc(self, reverse: bool) -> bool:
        return self.descending != reverse

    def ordered(self, queryset: QuerySet, *, reverse: bool = False) -> QuerySet:
        """``queryset`` in this order (or the reverse), each row carrying its
        key as ``sort_key``."""
        desc = self._desc(reverse)
        key = self.key.desc() if desc else self.key.asc()
        return queryset.annotate(sort_key=self.key).order_by(
            key, "-pk" if desc else "pk"
        )

    def beyond(self, queryset: QuerySet, key: Key, *, reverse: bool = False):
        """The rows that come after ``key`` in this order (or the reverse)."""
        value, pk = key
        operator = "<" if self._desc(reverse) else ">"
        if pk is None:
            return queryset.filter(
                **{f"sort_key__{'lt' if operator == '<' else 'gt'}": value}
            )
        return queryset.filter(KeysetBound(operator, value, pk, key=self.key))


ORDERS = {
    order.name: order
    for order in (
        Order("-created", "newest first", F("tm_create"), True),
        Order("created", "oldest first", F("tm_create"), False),
        Order("-last_attempt", "last attempted first", F("attempt_key"), True),
        Order("last_attempt", "last attempted last", F("attempt_key"), False),
    )
}
NEWEST = ORDERS["-created"]


def order_named(name: str) -> Order:
    """The order ``?order=`` names; newest first for any other value."""
    return ORDERS.get(name, NEWEST)


def key_token(item) -> str:
    """A token that points exactly at ``item`` in its order (its
    ``sort_key`` and id)."""
    return f"{format_token(item.sort_key)},{item.pk}"


@dataclass(frozen=True)
class Window:
    """A page for people: its items and links to the newer and older pages
    (empty when there is none), both ways by keyset, never by OFFSET."""

    items: list
    newer: str
    older: str


def window(
    queryset: QuerySet,
    *,
    after: str = "",
    before: str = "",
    size: int,
    order: Order = NEWEST,
):
    """The ``size`` rows after ``after`` (or just before ``before``) in
    ``order`` (newest first unless told); a token we did not give out (a
    tampered link) shows the first page. ``newer``/``older`` link the pages
    before and after this one in that order.

    Fetches one row more than shown to know whether another page follows, so
    no count is needed.
    """
    try:
        if before:
            back = order.beyond(
                order.ordered(queryset, reverse=True),
                parse_token(before),
                reverse=True,
            )
            rows = list(back[: size + 1])
            items = rows[:size][::-1]
            more_newer, more_older = len(rows) > size, bool(items)
        else:
            ahead = order.ordered(queryset)
            if after:
                ahead = order.beyond(ahead, parse_token(after))
            rows = list(ahead[: size + 1])
            items = rows[:size]
            more_newer, more_older = bool(after and items), len(rows) > size
    except InvalidPageToken:
        return window(queryset, size=size, order=order)
    return Window(
        items,
        key_token(items[0]) if more_newer else "",
        key_token(items[-1]) if more_older else "",
    )


def neighbours(queryset: QuerySet, item, order: Order) -> tuple:
    """The rows just before and just after ``item`` in ``order`` (``None``
    at either end): the previous and next target of a table's filter."""
    key = (
        order.ordered(queryset.model.objects.filter(pk=item.pk))
        .values_list("sort_key", flat=True)
        .first()
    )
    if key is None:
        return None, None
    previous = order.beyond(
        order.ordered(queryset, reverse=True), (key, item.pk), reverse=True
    ).first()
    following = order.beyond(order.ordered(queryset), (key, item.pk)).first()
    return previous, following
