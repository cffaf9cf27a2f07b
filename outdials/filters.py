"""The targets list's filters (django-filter), one set for every list and export."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Destination, OutdialTarget, TargetStatus

SEARCH_MAX_LENGTH = 200


class TargetFilter(django_filters.FilterSet):
    """Filters on the targets list, combinable with paging; the API, the staff
    pages and the CSV export all use this one set."""

    status = django_filters.ChoiceFilter(choices=TargetStatus.choices)
    q = django_filters.CharFilter(
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        label="Search",
        help_text="Part of the name or of any destination address.",
    )

    class Meta:
        model = OutdialTarget
        fields = ["status", "q"]

    def search(self, queryset, name, value):
        """Targets whose name, or any of whose destination addresses, contains
        ``value`` (case-insensitive). ``Exists`` keeps one row per target and
        lets the newest-first index drive the page."""
        value = value.strip()
        if not value:
            return queryset
        address = Destination.objects.filter(
            outdial_target=OuterRef("pk"), target__icontains=value
        )
        return queryset.filter(Q(name__icontains=value) | Exists(address))


class InvalidFilters(ValueError):
    """Filter values the targets list does not take; ``errors`` by field."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def matching(queryset: QuerySet, params) -> QuerySet:
    """The targets of ``queryset`` that match the filters in ``params`` (a
    query dict); raises :class:`InvalidFilters`."""
    filters = TargetFilter(params, queryset=queryset)
    if not filters.is_valid():
        raise InvalidFilters(filters.errors)
    return filters.qs


def filtered_targets(outdial_id, params) -> QuerySet:
    """The live targets of outdial ``outdial_id`` that match ``params``."""
    return matching(OutdialTarget.objects.live().filter(outdial_id=outdial_id), params)


def is_filtered(params) -> bool:
    """Whether ``params`` names any of the targets list's filters."""
    return any(name in params for name in TargetFilter.base_filters)
