"""Changelist paging over tables of millions of rows.

Django's paginator runs ``COUNT(*)`` over the whole filtered list on every page;
over a million targets that costs more than the page itself. This one counts
exactly only up to ``EXACT_LIMIT`` rows (a ``COUNT`` over a ``LIMIT``ed
subquery, so at most that many index entries are read) and above it takes
PostgreSQL's planner estimate (``reltuples``-based statistics, no scan). A
database without a planner estimate shows "more than EXACT_LIMIT" and pages up
to that point; filters and search narrow the list from there.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_LIMIT = 10_000


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of how many rows ``queryset`` holds, or ``None``."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatingPaginator(Paginator):
    """A paginator whose ``count`` reads at most ``EXACT_LIMIT`` rows.

    ``estimated`` tells whether ``count`` is exact; ``count_label`` is what the
    changelist shows ("12", "about 1,000,000", "more than 10,000").
    """

    exact_limit = EXACT_LIMIT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False
        self.capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        exact = queryset[: self.exact_limit + 1].count()
        if exact <= self.exact_limit:
            return exact
        self.estimated = True
        estimate = planner_estimate(queryset)
        if estimate is None:
            self.capped = True
            return self.exact_limit
        # The planner can guess low; never below what was just counted.
        return max(estimate, self.exact_limit + 1)

    @property
    def count_label(self) -> str:
        count = self.count
        if self.capped:
            return f"more than {count:,}"
        if self.estimated:
            return f"about {count:,}"
        return str(count)
