"""The dialing operations: claims, results, what is available and why."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from .. import target_views, views
from ..dialing_serializers import (
    AvailableQuerySerializer,
    ClaimSerializer,
    EligibilityQuerySerializer,
    ResultSerializer,
    StatusSerializer,
)
from .components import (
    AUTHED,
    OUTDIAL_ID,
    PAGING,
    TARGET_EXAMPLE,
    TARGET_ID,
    WITH_BODY,
    AttemptOut,
    AvailableOut,
    ClaimOut,
    EligibilityOut,
    SummaryOut,
    TargetOut,
    answers,
    json_body,
    page_of,
    result_of,
)

DIALING = ["dialing"]

extend_schema_view(
    claim=extend_schema(
        tags=DIALING,
        summary="Claim targets to dial",
        operation_id="outdials_claim",
        description=(
            "Leases up to `limit` eligible targets to the caller for `lease_seconds`: "
            "each moves to `progressing` and the destination chosen (the first, in "
            "slot order, whose try count is under its `max_try_count_N`) has its try "
            "count raised. Two dialers never hold the same target. Report each with "
            "`POST …/targets/{target_id}/result` before the lease ends, or the "
            "attempt expires and the target goes back to `idle`. The outdial's "
            "policy fills the maxima left out and holds back, in the same "
            "statement, targets before their next-attempt time, outside their "
            "calling hours (in their own time zone) or at their daily cap."
        ),
        parameters=[OUTDIAL_ID],
        request=json_body(ClaimSerializer),
        responses=answers(result_of(ClaimOut, "Claim"), 404, *WITH_BODY, *AUTHED),
    ),
    available=extend_schema(
        tags=DIALING,
        summary="Targets a claim could take now",
        operation_id="outdials_available",
        description=(
            "Read-only: takes the claim's `max_try_count_N`; VoIPbin's `try_count_N` "
            "is accepted as an alias when `max_try_count_N` is not given. Also "
            "counts the idle targets with attempts left that a claim could take "
            "now (`callable_now`) and those the outdial's policy or `try_interval` "
            "holds back (`waiting`)."
        ),
        parameters=[OUTDIAL_ID, AvailableQuerySerializer],
        responses=answers(AvailableOut, 400, 404, *AUTHED),
    ),
    summary=extend_schema(
        tags=DIALING,
        summary="An outdial's progress",
        operation_id="outdials_summary",
        parameters=[OUTDIAL_ID],
        responses=answers(SummaryOut, 400, 404, *AUTHED),
    ),
)(views.OutdialViewSet)

extend_schema_view(
    result=extend_schema(
        tags=DIALING,
        summary="Report a claim's result",
        operation_id="outdials_targets_result",
        description=(
            "`answered` makes the target `done`; another outcome makes it `idle` "
            "again while attempts remain, else `done`. An idle target waits for "
            "the outdial policy's retry delay for the outcome, or for "
            "`callback_at` / `callback_in` when given (a callback keeps it idle "
            "while attempts remain, even when answered). A claim that is not the "
            "target's open one answers 409."
        ),
        parameters=[OUTDIAL_ID, TARGET_ID],
        request=json_body(ResultSerializer),
        responses=answers(TargetOut, 404, 409, *WITH_BODY, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
    eligibility=extend_schema(
        tags=DIALING,
        summary="Why a target would (not) be claimed",
        operation_id="outdials_targets_eligibility",
        parameters=[OUTDIAL_ID, TARGET_ID, EligibilityQuerySerializer],
        responses=answers(EligibilityOut, 400, 404, *AUTHED),
    ),
    attempts=extend_schema(
        tags=DIALING,
        summary="A target's attempts",
        operation_id="outdials_targets_attempts_list",
        description="Every claim of the target and how it ended, newest first.",
        parameters=[OUTDIAL_ID, TARGET_ID, *PAGING],
        responses=answers(page_of(AttemptOut, "Attempt"), 400, 404, *AUTHED),
    ),
    status=extend_schema(
        tags=DIALING,
        summary="Set a target's status by hand",
        operation_id="outdials_targets_status_update",
        description=(
            "`idle` dials it again, `done` stops it; a target being dialed answers 409."
        ),
        parameters=[OUTDIAL_ID, TARGET_ID],
        request=json_body(StatusSerializer),
        responses=answers(TargetOut, 404, 409, *WITH_BODY, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
)(target_views.TargetViewSet)
