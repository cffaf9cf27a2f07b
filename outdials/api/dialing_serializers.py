"""What the dialing endpoints accept: bodies are strict about JSON types, query
strings must be plain whole numbers. Ranges come from ``outdials.dialing``."""

import re
from datetime import UTC, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import dialing, policy
from ..models import DESTINATION_SLOTS
from .serializers import StrictCharField, StrictIntegerField, StrictUUIDField

_WHOLE_NUMBER = re.compile(r"-?\d{1,12}")


class QueryIntegerField(serializers.IntegerField):
    """A whole number written in a query string: ``5``, never ``5.0`` or ``five``."""

    default_error_messages = {"invalid": "must be a whole number."}

    def get_value(self, dictionary):
        # ``?max_try_count_1=`` is a value that is not a number, not one left
        # out (DRF reads an empty form value as absent).
        if dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _WHOLE_NUMBER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


def _max_try_count(field_class):
    low, high = dialing.MAX_TRY_COUNT_RANGE
    return field_class(
        required=False,
        min_value=low,
        max_value=high,
        help_text="Left out: the outdial policy's default (1 unless set).",
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

    def maxima(self) -> list[int | None]:
        """``None`` for a maximum left out: the outdial policy fills it."""
        return [self.validated_data.get(f"{self.prefix}{i}") for i in DESTINATION_SLOTS]


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


@extend_schema_field(
    {
        "type": "string",
        "example": "2026-03-09 14:30:00",
        "description": "UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`, or ISO 8601 with "
        "an offset.",
    }
)
class CallbackTimeField(serializers.Field):
    """A time: ``2026-03-09 14:30:00`` (UTC, as the API writes times) or ISO
    8601 with an offset (``2026-03-09T10:30:00-04:00``)."""

    default_error_messages = {
        "invalid": "must be a time, e.g. 2026-03-09 14:30:00 (UTC) or "
        "2026-03-09T10:30:00-04:00."
    }

    def to_internal_value(self, data):
        try:
            value = parse_datetime(data) if isinstance(data, str) else None
            if value is not None:
                value = value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
        except (ValueError, OverflowError):
            value = None
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class ResultSerializer(serializers.Serializer):
    claim_id = StrictUUIDField()
    outcome = _choice([str(outcome) for outcome in dialing.RESULT_OUTCOMES])
    callback_at = CallbackTimeField(
        required=False,
        help_text="Call the target again at this time (not before); it stays "
        "idle while attempts remain, even when answered.",
    )
    callback_in = StrictIntegerField(
        required=False,
        min_value=0,
        max_value=int(policy.MAX_CALLBACK.total_seconds()),
        help_text="Call the target again in this many seconds.",
    )
    suppress = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The person asked not to be called again: the dialed "
        "address joins the outdial's default suppression list (made on "
        "demand), in the same transaction as the result.",
    )
    suppress_reason = StrictCharField(
        required=False,
        default="",
        max_length=255,
        help_text="Why, kept on the suppression entry.",
    )

    def validate(self, data):
        if "callback_at" in data and "callback_in" in data:
            raise serializers.ValidationError(
                {"callback_in": ["give callback_at or callback_in, not both."]}
            )
        now = timezone.now()
        if "callback_in" in data:
            data["callback_at"] = now + timedelta(seconds=data.pop("callback_in"))
        if "callback_at" in data:
            try:
                data["callback_at"] = policy.check_callback(data["callback_at"], now)
            except DjangoValidationError as error:
                raise serializers.ValidationError(
                    {"callback_at": error.messages}
                ) from None
        return data


class WindowSerializer(serializers.Serializer):
    days = serializers.ListField(child=_choice(policy.DAYS), min_length=1, max_length=7)
    start = StrictCharField(help_text="HH:MM, local time.")
    end = StrictCharField(help_text="HH:MM (up to 24:00), local time; exclusive.")


class RetryDelaysSerializer(serializers.Serializer):
    """Seconds before a target may be tried again, by the outcome that
    settled its attempt."""

    busy = StrictIntegerField(required=False, min_value=0)
    no_answer = StrictIntegerField(required=False, min_value=0)
    failed = StrictIntegerField(required=False, min_value=0)
    expired = StrictIntegerField(required=False, min_value=0)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(policy.DELAYED_OUTCOMES))
            if unknown:
                raise serializers.ValidationError(
                    [
                        f"names no outcome {', '.join(unknown)}; use "
                        f"{', '.join(policy.DELAYED_OUTCOMES)}."
                    ]
                )
        return super().to_internal_value(data)


def _policy_maximum():
    low, high = policy.MAX_TRY_COUNT_RANGE
    return StrictIntegerField(
        required=False,
        min_value=low,
        max_value=high,
        help_text="Used when a claim leaves its max_try_count_N out.",
    )


class PolicySerializer(serializers.Serializer):
    """An outdial's dialing policy; fields left out keep their current value.
    The rules themselves are checked by ``outdials.policy``."""

    max_try_count_0 = _policy_maximum()
    max_try_count_1 = _policy_maximum()
    max_try_count_2 = _policy_maximum()
    max_try_count_3 = _policy_maximum()
    max_try_count_4 = _policy_maximum()
    retry_delays = RetryDelaysSerializer(required=False)
    daily_cap = StrictIntegerField(
        required=False,
        min_value=0,
        max_value=policy.MAX_DAILY_CAP,
        help_text="Attempts per target per local day; 0 is no cap.",
    )
    calling_hours = WindowSerializer(
        many=True,
        required=False,
        max_length=policy.MAX_WINDOWS,
        help_text="Weekly windows in each target's local time; empty is any time.",
    )
    time_zone = StrictCharField(
        required=False,
        max_length=64,
        help_text="IANA name: the zone of targets whose own is not known.",
    )

    def __init__(self, *args, current: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def validate(self, data):
        merged = {**self.current, **data}
        merged["retry_delays"] = {
            **self.current["retry_delays"],
            **data.get("retry_delays", {}),
        }
        merged.pop("tm_update", None)
        try:
            return policy.check(merged)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class StatusSerializer(serializers.Serializer):
    status = _choice([str(status) for status in dialing.OVERRIDE_STATUSES])
