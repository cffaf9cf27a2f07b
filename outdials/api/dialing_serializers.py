"""What the dialing endpoints accept: bodies are strict about JSON types, query
strings must be plain whole numbers. Ranges come from ``outdials.dialing``."""

import re

from rest_framework import serializers

from .. import dialing
from ..models import DESTINATION_SLOTS
from .serializers import StrictIntegerField, StrictUUIDField

_WHOLE_NUMBER = re.compile(r"-?\d{1,12}")


class QueryIntegerField(serializers.IntegerField):
    """A whole number written in a query string: ``5``, never ``5.0`` or ``five``."""

    default_error_messages = {"invalid": "must be a whole number."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _WHOLE_NUMBER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


def _max_try_count(field_class):
    low, high = dialing.MAX_TRY_COUNT_RANGE
    return field_class(
        required=False,
        default=dialing.DEFAULT_MAX_TRY_COUNT,
        min_value=low,
        max_value=high,
    )


def _limit(field_class):
    low, high = dialing.LIMIT_RANGE
    return field_class(required=False, default=1, min_value=low, max_value=high)


def _try_interval(field_class):
    return field_class(
        required=False, default=0, min_value=0, max_value=dialing.MAX_TRY_INTERVAL_MS
    )


class _Maxima(serializers.Serializer):
    """Five per-destination maxima named ``{prefix}0`` … ``{prefix}4``."""

    prefix = "max_try_count_"

    def maxima(self) -> list[int]:
        return [self.validated_data[f"{self.prefix}{i}"] for i in DESTINATION_SLOTS]


class ClaimSerializer(_Maxima):
    max_try_count_0 = _max_try_count(StrictIntegerField)
    max_try_count_1 = _max_try_count(StrictIntegerField)
    max_try_count_2 = _max_try_count(StrictIntegerField)
    max_try_count_3 = _max_try_count(StrictIntegerField)
    max_try_count_4 = _max_try_count(StrictIntegerField)
    limit = _limit(StrictIntegerField)
    lease_seconds = StrictIntegerField(
        required=False,
        default=dialing.DEFAULT_LEASE_SECONDS,
        min_value=dialing.LEASE_SECONDS_RANGE[0],
        max_value=dialing.LEASE_SECONDS_RANGE[1],
    )
    try_interval = _try_interval(StrictIntegerField)

    def arguments(self) -> dict:
        data = self.validated_data
        return {
            "max_try_counts": self.maxima(),
            "limit": data["limit"],
            "lease_seconds": data["lease_seconds"],
            "try_interval_ms": data["try_interval"],
        }


class EligibilityQuerySerializer(_Maxima):
    """The claim's own names, in the query string."""

    max_try_count_0 = _max_try_count(QueryIntegerField)
    max_try_count_1 = _max_try_count(QueryIntegerField)
    max_try_count_2 = _max_try_count(QueryIntegerField)
    max_try_count_3 = _max_try_count(QueryIntegerField)
    max_try_count_4 = _max_try_count(QueryIntegerField)
    try_interval = _try_interval(QueryIntegerField)

    def arguments(self) -> dict:
        return {
            "max_try_counts": self.maxima(),
            "try_interval_ms": self.validated_data["try_interval"],
        }


def _alias(slot: int) -> serializers.IntegerField:
    low, high = dialing.MAX_TRY_COUNT_RANGE
    return QueryIntegerField(
        required=False,
        min_value=low,
        max_value=high,
        help_text=f"Old name of `max_try_count_{slot}`, kept for compatibility.",
    )


class AvailableQuerySerializer(EligibilityQuerySerializer):
    """The claim's names, plus ``limit``; VoIPbin's ``try_count_N`` is still
    taken for ``max_try_count_N`` when that is not given."""

    limit = _limit(QueryIntegerField)
    try_count_0 = _alias(0)
    try_count_1 = _alias(1)
    try_count_2 = _alias(2)
    try_count_3 = _alias(3)
    try_count_4 = _alias(4)

    def validate(self, data):
        for slot in DESTINATION_SLOTS:
            alias = data.pop(f"try_count_{slot}", None)
            if alias is not None and f"max_try_count_{slot}" not in self.initial_data:
                data[f"max_try_count_{slot}"] = alias
        return data

    def arguments(self) -> dict:
        return {**super().arguments(), "limit": self.validated_data["limit"]}


def _choice(choices) -> serializers.ChoiceField:
    names = ", ".join(choices)
    return serializers.ChoiceField(
        choices=list(choices),
        error_messages={"invalid_choice": f"must be one of {names}."},
    )


class ResultSerializer(serializers.Serializer):
    claim_id = StrictUUIDField()
    outcome = _choice([str(outcome) for outcome in dialing.RESULT_OUTCOMES])


class StatusSerializer(serializers.Serializer):
    status = _choice([str(status) for status in dialing.OVERRIDE_STATUSES])
