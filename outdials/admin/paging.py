"""Changelist paging over tables of millions of rows.

Django's paginator runs ``COUNT(*)`` over the whole filtered list on every page;
over a million targets that costs more than the page itself. This one counts
as the pages do (``outdials.counting``): exactly up to ``EXACT_LIMIT`` rows (a
``COUNT`` over a ``LIMIT``ed subquery, bounded in time on PostgreSQL), above
it PostgreSQL's planner estimate (no scan). A database without a planner
estimate shows "more than EXACT_LIMIT" and pages up to the page asked for (and
ten more), so a deep page keeps its filters; filters and search narrow the
list from there.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .. import counting

EXACT_LIMIT = counting.EXACT_UP_TO


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
        tally = counting.matching_count(queryset, cap=limit)
        if tally.exact:
            return tally.value
        self.estimated = True
        if not tally.estimated:
            self.capped = True
            return limit
        return tally.value

    @property
    def count_label(self) -> str:
        count = self.count
        if self.capped:
            return f"more than {count:,}"
        if self.estimated:
            return f"about {count:,}"
        return str(count)
