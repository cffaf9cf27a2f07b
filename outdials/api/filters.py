import django_filters
from django.db.models import Exists, OuterRef, Q

from ..models import Destination, OutdialTarget, TargetStatus

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
