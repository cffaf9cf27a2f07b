"""The targets list's filters (django-filter), one set for every list and export."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from . import search
from .dialing import EXHAUSTED
from .models import AttemptOutcome, Outdial, OutdialTarget, TargetStatus

SEARCH_MAX_LENGTH = 200
NEVER = "never"
# The last outcomes a filter can ask for; "never": no attempt made yet.
OUTCOMES = [
    (value, label.lower())
    for value, label in AttemptOutcome.choices
    if value != AttemptOutcome.PENDING
] + [(NEVER, "never tried")]
YES_NO = [("true", "yes"), ("false", "no")]
MAX_TRIES = 1_000_000
# Up to this many targets in a try-count range are found by their ids on
# SQLite (``TargetFilter.by_tries``). Each costs about 6 µs that way, where
# walking the list costs 0.7 µs a target passed over: at 100,000 targets,
# 1,000 matches were read faster by the walk (3.7 ms against 8.3).
FEW_TRIED = 200


class CommaSeparatedMixin:
    """Several values as ``?outcome=failed,busy`` or as
    ``?outcome=failed&outcome=busy`` (what a form's checkboxes send)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if isinstance(values, str):
            values = [values]
        # Strictly as the API document's pattern says: "failed," or " busy"
        # hold a value that is no choice, and are refused, not guessed at.
        return [part for value in values or [] if value for part in value.split(",")]


class CommaSeparated(CommaSeparatedMixin, forms.SelectMultiple):
    pass


class CommaSeparatedCheckboxes(CommaSeparatedMixin, forms.CheckboxSelectMultiple):
    pass


class WholeNumberField(forms.IntegerField):
    """Digits only: ``IntegerField`` also takes " 5" and "5.0", which the
    API document's integer does not."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(
            r"[0-9]{1,18}", str(value)
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


UUID_PATTERN = (
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class StrictUUIDField(forms.UUIDField):
    """A UUID as the API writes one: ``UUIDField`` also takes 32 bare hex
    digits, braces and ``urn:uuid:``, which the API document does not."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(
            UUID_PATTERN, str(value)
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class UUIDFilter(django_filters.UUIDFilter):
    field_class = StrictUUIDField


class CountFilter(django_filters.NumberFilter):
    """A whole number (``NumberFilter`` takes decimals)."""

    field_class = WholeNumberField


class TargetFilter(django_filters.FilterSet):
    """Filters on the targets list, combinable with paging; the API, the staff
    pages and the CSV export all use this one set."""

    status = django_filters.ChoiceFilter(choices=TargetStatus.choices)
    outcome = django_filters.MultipleChoiceFilter(
        choices=OUTCOMES,
        method="by_outcome",
        widget=CommaSeparated,
        label="Last outcome",
        help_text="The outcome of the target's last settled attempt; "
        '"never": not tried yet. Several, comma-separated, match any of them.',
    )
    exhausted = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="by_exhausted",
        label="Exhausted",
        help_text="true: done because every destination used its attempts "
        "without an answer (as the summary counts them); false: the others.",
    )
    import_batch = UUIDFilter(
        field_name="import_batch_id",
        label="Import",
        help_text="The id of the import that created the targets.",
    )
    tries_min = CountFilter(
        method="by_tries",
        min_value=0,
        max_value=MAX_TRIES,
        label="Tries at least",
        help_text="At least this many tries over all destinations.",
    )
    tries_max = CountFilter(
        method="by_tries",
        min_value=0,
        max_value=MAX_TRIES,
        label="Tries at most",
        help_text="At most this many tries over all destinations.",
    )
    q = django_filters.CharFilter(
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        label="Search",
        help_text="Part of the name or of any destination address.",
    )

    class Meta:
        model = OutdialTarget
        fields = [
            "status",
            "q",
            "outcome",
            "exhausted",
            "import_batch",
            "tries_min",
            "tries_max",
        ]

    def by_outcome(self, queryset, name, values):
        """Targets whose last settled attempt ended so (the
        ``target_outcome_page`` index); ``never``: never attempted."""
        if not values:
            return queryset
        condition = Q(last_outcome__in=[v for v in values if v != NEVER])
        if NEVER in values:
            condition |= Q(tm_last_attempt__isnull=True)
        return queryset.filter(condition)

    def by_exhausted(self, queryset, name, value):
        """The summary's rule, ``dialing.EXHAUSTED``."""
        if value == "true":
            return queryset.filter(EXHAUSTED)
        if value == "false":
            return queryset.exclude(EXHAUSTED)
        return queryset

    def by_tries(self, queryset, name, value):
        """The target's tries over all destinations (``tries``, the
        ``target_tries_page`` index). SQLite keeps no statistics of a
        column's values, so it reads a page of a try-count range by walking
        the list in page order and testing each target: all of them when few
        or none match (35 ms at 100,000 targets). When few match, their ids,
        read from the try-count index, lead instead."""
        if value is None:
            return queryset
        low = self.form.cleaned_data.get("tries_min")
        high = self.form.cleaned_data.get("tries_max")
        if name == "tries_max" and low is not None:
            return queryset  # with tries_min, as one range
        if high is None or name == "tries_max":
            lookup = "gte" if name == "tries_min" else "lte"
            condition = Q(**{f"tries__{lookup}": value})
        elif low == high:
            # One value: the index's order then is the page's, no sort.
            condition = Q(tries=low)
        else:
            condition = Q(tries__gte=low, tries__lte=high)
        queryset = queryset.filter(condition)
        if connection.vendor == "sqlite":
            few = queryset.order_by().values_list("pk", flat=True)[: FEW_TRIED + 1]
            few = list(few)
            if len(few) <= FEW_TRIED:
                queryset = queryset.filter(pk__in=few)
        return queryset

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def search(self, queryset, name, value):
        """Targets a person's query finds: a number, an address, a name
        (``search.py``), national numbers read in the outdial's country."""
        return search.targets_matching(queryset, value, self.region)


class InvalidFilters(ValueError):
    """Filter values the targets list does not take; ``errors`` by field."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def matching(queryset: QuerySet, params, region: search.Region = None) -> QuerySet:
    """The targets of ``queryset`` that match the filters in ``params`` (a
    query dict), national numbers read in ``region``; raises
    :class:`InvalidFilters`."""
    filters = TargetFilter(params, queryset=queryset, region=region)
    if not filters.is_valid():
        raise InvalidFilters(filters.errors)
    return filters.qs


def filtered_targets(outdial_id, params, region: search.Region = None) -> QuerySet:
    """The live targets of outdial ``outdial_id`` that match ``params``; a
    search for a national number reads it in the outdial's country (looked
    up only then, unless given)."""
    if region is None:

        def region():
            return (
                Outdial.objects.filter(pk=outdial_id)
                .values_list("region", flat=True)
                .first()
            )

    live = OutdialTarget.objects.live().filter(outdial_id=outdial_id)
    return matching(live, params, region)


def is_filtered(params) -> bool:
    """Whether ``params`` names any of the targets list's filters."""
    return any(name in params for name in TargetFilter.base_filters)
