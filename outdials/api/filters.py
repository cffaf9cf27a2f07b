import django_filters

from ..models import OutdialTarget, TargetStatus


class TargetFilter(django_filters.FilterSet):
    """Filters on the targets list, combinable with paging."""

    status = django_filters.ChoiceFilter(choices=TargetStatus.choices)

    class Meta:
        model = OutdialTarget
        fields = ["status"]
