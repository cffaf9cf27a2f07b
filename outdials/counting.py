"""How many targets a filter matches, for people: exact up to
:data:`EXACT_UP_TO`, then an honest estimate. One rule for the outdial page,
the admin's lists and anyone else who shows a matching count.

Counting every match of a broad filter at a million targets reads them all,
and even stopping at ``EXACT_UP_TO + 1`` rows reads half a million when one
target in fifty matches (a common last name: the rows are read in list order
until enough match). So, in this order:

1. When the list's size is known, a sample: how many of the list's newest
   :data:`SAMPLE` targets the filter matches (at most ``SAMPLE`` rows read,
   by the list's index). When that share of the list is clearly over the cap
   (by half again), the count is that share of the list, shown as "about N"
   (two significant figures), and nothing more is read. A list shorter than
   the sample is counted so, exactly.
2. Else a count that stops at ``EXACT_UP_TO + 1`` rows: exact when at most
   ``EXACT_UP_TO``. On PostgreSQL it may take at most
   ``OUTDIALS["COUNT_BUDGET_MS"]`` (250 ms; the page itself takes some
   tens): ``statement_timeout`` and no JIT compiling are set locally in a
   savepoint that is rolled back, so the connection's own settings are back
   afterwards. When it takes longer, or finds more, the estimate is the
   sample's, else PostgreSQL's planner estimate (``EXPLAIN``, no rows read),
   shown as "about N"; with neither (SQLite, no sample) the page says "more
   than 10,000".
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet

EXACT_UP_TO = 10_000
# The newest targets a sample reads, and how far over the cap the sample's
# share of the list must be for it to stand alone (one target in 50 at
# 1,000,000 is some 40 in the sample: within about a sixth of the truth).
SAMPLE = 2_000
OVER = 1.5


@dataclass(frozen=True)
class Tally:
    """A count for a page: ``value`` is exact when ``exact``, else an
    estimate (when ``estimated``) or ``cap`` (more than that many)."""

    value: int
    exact: bool = True
    estimated: bool = False
    cap: int = EXACT_UP_TO

    def __str__(self) -> str:
        if self.exact:
            return f"{self.value:,}"
        if self.estimated:
            return f"about {self.value:,}"
        return f"more than {self.cap:,}"


def matching_count(
    queryset: QuerySet,
    *,
    within: QuerySet | None = None,
    size: int | None = None,
    cap: int | None = None,
) -> Tally:
    """How many rows ``queryset`` matches (see the module's docstring):
    ``within`` is the whole list it filters (``size`` rows, counted exactly
    elsewhere), for the sample; without them, no sample is taken. ``cap``:
    ``EXACT_UP_TO`` unless given."""
    cap = EXACT_UP_TO if cap is None else cap
    sampled = None
    if within is not None and size is not None and size > cap:
        sampled, whole = _sampled(queryset, within, size)
        if whole:  # the list is within the sample: counted, not estimated
            return Tally(sampled, cap=cap)
        if sampled > OVER * cap:
            return Tally(_rounded(sampled), exact=False, estimated=True, cap=cap)
    capped = _capped(queryset, cap)
    if capped is not None and capped <= cap:
        return Tally(capped, cap=cap)
    estimate = sampled if sampled is not None else planner_estimate(queryset)
    if estimate is None:
        return Tally(cap + 1, exact=False, cap=cap)
    if capped is not None and estimate <= cap:
        # The estimate guessed under what was just counted (the newest
        # targets are not like the rest): say only what is known.
        return Tally(cap + 1, exact=False, cap=cap)
    return Tally(_rounded(estimate), exact=False, estimated=True, cap=cap)


def _sampled(queryset: QuerySet, within: QuerySet, size: int) -> tuple[int, bool]:
    """``queryset``'s share of the newest ``SAMPLE`` rows of ``within``,
    times ``size``, and whether that sample is the whole list (the share
    then is the count). Newer than the ``SAMPLE``-th newest, not as new:
    rows written together share a time, and the sample stays within
    ``SAMPLE`` rows however many share it. The edge is read first, so the
    planner sees a time (and reads the list's index) in the two counts of at
    most ``SAMPLE`` rows."""
    newest = within.order_by("-tm_create", "-pk").values_list("tm_create", flat=True)
    edge = newest[SAMPLE - 1 : SAMPLE].first()
    if edge is None:
        return queryset.order_by().count(), True
    read = within.filter(tm_create__gt=edge).order_by().count()
    found = queryset.filter(tm_create__gt=edge).order_by().count()
    return (round(found * size / read) if read else 0), False


class _OverBudget(Exception):
    pass


def _capped(queryset: QuerySet, cap: int) -> int | None:
    """How many of ``queryset``, reading at most ``cap + 1``; ``None`` when
    that takes longer than the budget on PostgreSQL."""
    capped = queryset.order_by()[: cap + 1]
    connection = connections[queryset.db]
    budget = settings.OUTDIALS["COUNT_BUDGET_MS"]
    if connection.vendor != "postgresql" or not budget:
        return capped.count()
    from psycopg import errors

    counted = None
    try:
        # Rolled back either way: the settings go with the savepoint.
        with transaction.atomic(using=queryset.db):
            with connection.cursor() as cursor:
                # Compiling a plan (JIT) can take longer than the budget.
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true), "
                    "set_config('jit', 'off', true)",
                    [str(int(budget))],
                )
            try:
                counted = capped.count()
            except OperationalError as error:
                if not isinstance(error.__cause__, errors.QueryCanceled):
                    raise
            raise _OverBudget
    except _OverBudget:
        pass
    return counted


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows ``queryset`` matches; ``None``
    on a database without one."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    return estimated_rows(queryset.order_by().values("pk"))


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
