"""How many targets a filter matches, for people: exact up to
:data:`EXACT_UP_TO`, then an honest estimate.

Counting every match of a broad filter at a million targets reads them all,
so the count stops at ``EXACT_UP_TO + 1`` rows (``COUNT(*)`` over a
``LIMIT``ed subquery). Past that, PostgreSQL's planner estimates the rows
(``EXPLAIN``, no rows read), shown as "about N"; SQLite has no estimate to
give, so the page says "more than 10,000".
"""

import json
from dataclasses import dataclass

from django.db import connection, connections
from django.db.models import QuerySet

EXACT_UP_TO = 10_000


@dataclass(frozen=True)
class Tally:
    """A count for a page: ``value`` is exact when ``exact``, else at least
    ``EXACT_UP_TO + 1`` (an estimate when ``estimated``)."""

    value: int
    exact: bool = True
    estimated: bool = False

    def __str__(self) -> str:
        if self.exact:
            return f"{self.value:,}"
        if self.estimated:
            return f"about {self.value:,}"
        return f"more than {EXACT_UP_TO:,}"


def matching_count(queryset: QuerySet) -> Tally:
    """How many rows ``queryset`` matches (see the module's docstring)."""
    capped = queryset.order_by()[: EXACT_UP_TO + 1].count()
    if capped <= EXACT_UP_TO:
        return Tally(capped)
    if connection.vendor != "postgresql":
        return Tally(capped, exact=False)
    rows = estimated_rows(queryset.order_by().values("pk"))
    # The planner may guess under what was just counted: never say fewer.
    return Tally(_rounded(max(rows, capped)), exact=False, estimated=True)


def estimated_rows(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the rows ``queryset`` returns (``EXPLAIN``,
    no rows read)."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(n: int) -> int:
    """Two significant figures: an estimate should not look exact."""
    digits = len(str(n)) - 2
    return round(n, -digits) if digits > 0 else n
