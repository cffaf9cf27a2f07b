"""Changelist paging over tables of millions of rows.

Django's paginator runs ``COUNT(*)`` over the whole filtered list on every page;
over a million targets that costs more than the page itself. This one counts
exactly only up to ``EXACT_LIMIT`` rows (a ``COUNT`` over a ``LIMIT``ed
subquery, so at most that many index entries are read) and above it takes
PostgreSQL's planner estimate (``reltuples``-based statistics, no scan). A
database without a planner estimate shows "more than EXACT_LIMIT" and pages up
to the page asked for (and ten more), so a deep page keeps its filters;
filters and search narrow the list from there.
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

    # Pages counted past the one asked for when the count is capped.
    pages_ahead = 10

    def __init__(self, *args, page: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False
        self.capped = False
        self.page_asked = page

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        # Deep pages count deeper: the page asked for always exists when its
        # rows do, so Django does not send the list back to page 1 unfiltered.
        limit = max(
            self.exact_limit, (self.page_asked + self.pages_ahead) * self.per_page
        )
        exact = queryset[: limit + 1].count()
        if exact <= limit:
            return exact
        self.estimated = True
        estimate = planner_estimate(queryset)
        if estimate is None:
            self.capped = True
            return limit
        # The planner can guess low; never below what was just counted.
        return max(estimate, limit + 1)

    @property
    def count_label(self) -> str:
        count = self.count
        if self.capped:
            return f"more than {count:,}"
        if self.estimated:
            return f"about {count:,}"
        return str(count)
