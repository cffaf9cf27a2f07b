"""Dialing: leased claims, results, retries across destinations, the attempt log.

The one home of the dialing rules (SPEC §7), used by the API, the staff pages,
the admin and the commands:

- A target is *eligible* when it is live, ``idle``, some filled destination has
  a try count below its maximum, and ``try_interval`` has passed since its last
  attempt. Claims take the least recently attempted first (never attempted
  before all others), then the oldest.
- A claim marks the target ``progressing``, adds one to the try count of the
  first destination (in slot order) with attempts left, and records an
  :class:`~outdials.models.Attempt` whose id is the ``claim_id``. Try counts
  therefore always equal the attempts logged.
- A result settles the attempt: ``answered`` makes the target ``done``; any
  other outcome makes it ``idle`` when a destination still has attempts left
  under the maxima the claim was made with, else ``done``.
- A lease that passes without a result settles as ``expired`` (judged like a
  failed attempt) the next time the outdial is claimed, within seconds by the
  workers' housekeeping (``jobs.housekeeping``), and by ``manage.py
  release_expired_claims``. Reads (lists, the summary) never write.
- Every statement that changes a target's status also writes its
  ``settled_outcome``: the outcome that settled the attempt, or "" when a
  claim opens one or a person overrides the status. The summary counts
  exhausted targets from it (:data:`EXHAUSTED`, the one rule). Every
  statement that settles an attempt also writes the target's
  ``last_outcome``, which only the next settled attempt changes.

Two dialers never hold the same target. PostgreSQL picks rows with
``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent claims pass over each
other's rows instead of waiting. SQLite has no row locks; there every write
transaction is ``BEGIN IMMEDIATE`` (see settings), which holds the single
write lock from the first read. On both, every state change is a conditional
``UPDATE … WHERE status = …`` whose row count is checked, so a claim that
loses a race rolls back instead of handing a target out twice.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from . import dialing_sql, guards, metrics, policy, statistics, suppression
from .guards import Refused
from .models import (
    DESTINATION_SLOTS,
    Attempt,
    AttemptOutcome,
    Destination,
    DialingPolicy,
    Outdial,
    OutdialTarget,
    SuppressionEntry,
    SuppressionList,
    TargetStatus,
    destinations_in_slot_order,
)
from .queries import has_overdue_lease

# Input ranges (the API's serializers read them from here).
MAX_TRY_COUNT_RANGE = (0, 100)
DEFAULT_MAX_TRY_COUNT = 1
LIMIT_RANGE = (1, 100)
LEASE_SECONDS_RANGE = (10, 86_400)
DEFAULT_LEASE_SECONDS = 600
MAX_TRY_INTERVAL_MS = 30 * 24 * 3600 * 1000

# What a dialer may report; ``expired`` is written by the lease sweep only.
RESULT_OUTCOMES = (
    AttemptOutcome.ANSWERED,
    AttemptOutcome.NO_ANSWER,
    AttemptOutcome.BUSY,
    AttemptOutcome.FAILED,
)
# Settled outcomes that reached nobody.
UNANSWERED = (
    AttemptOutcome.NO_ANSWER,
    AttemptOutcome.BUSY,
    AttemptOutcome.FAILED,
    AttemptOutcome.EXPIRED,
)
OVERRIDE_STATUSES = (TargetStatus.IDLE, TargetStatus.DONE)
# The one rule of "exhausted", for the summary and the filters: ``done``
# because its last attempt was settled without an answer when no destination
# had attempts left under the maxima it was claimed with. A target a person
# closed is not (its ``settled_outcome`` was cleared).
EXHAUSTED = Q(status=TargetStatus.DONE, settled_outcome__in=UNANSWERED)

_SWEEP_BATCH = 500
_CLAIM_TRIES = 3


# A refusal of the dialing rules; ``reason`` is a stable code. A held target
# refuses people's changes (guards.py), which the API answers alike.
DialingError = Refused


class ClaimNotActive(DialingError):
    """The claim is unknown, expired or already settled another way."""


class TargetNotFound(DialingError):
    """No such target in the outdial."""


@dataclass(frozen=True)
class Claim:
    """One target handed to a dialer until ``lease_expires``."""

    claim_id: uuid.UUID
    lease_expires: datetime
    destination_index: int
    destination: Destination
    try_count: int
    target: OutdialTarget


def _maxima(
    max_try_counts: Sequence[int | None], rules: policy.Rules = policy.DEFAULT_RULES
) -> list[int]:
    """Five maxima; one given as ``None`` is the outdial policy's."""
    maxima = policy.maxima(rules, list(max_try_counts))
    maxima = [int(n) for n in maxima]
    if len(maxima) != len(DESTINATION_SLOTS) or min(maxima) < 0:
        raise ValueError("max_try_counts needs five whole numbers ≥ 0")
    return maxima


def next_destination(
    target: OutdialTarget, max_try_counts: Sequence[int]
) -> Destination | None:
    """The destination the next attempt dials: the first, in slot order, whose
    try count is below its maximum; ``None`` when every one is used up."""
    for slot in target.slots():
        if slot is not None and _tries_left(slot.index, slot.try_count, max_try_counts):
            return slot
    return None


def _tries_left(index: int, try_count: int, max_try_counts: Sequence[int]) -> bool:
    """Whether destination ``index``, tried ``try_count`` times, may be tried
    again under these maxima: the one test of "a destination has tries left"
    (the claim's statement writes it as SQL, per slot, from the same maxima)."""
    return try_count < max_try_counts[index]


def _has_room(try_counts: dict[int, int], max_try_counts: Sequence[int]) -> bool:
    """``try_counts`` maps filled slot → try count."""
    return any(_tries_left(i, n, max_try_counts) for i, n in try_counts.items())


def _eligible(outdial: Outdial, maxima, cutoff, now) -> tuple[QuerySet, QuerySet]:
    """The claim's querysets under the outdial's policy at ``now``."""
    conditions = policy.claim_conditions(policy.rules_of(outdial), now)
    return dialing_sql.eligible(
        outdial.pk,
        maxima,
        cutoff,
        now,
        zones=conditions.zones,
        cap=conditions.daily_cap,
    )


def available(
    outdial: Outdial,
    *,
    max_try_counts: Sequence[int | None],
    limit: int = 1,
    try_interval_ms: int = 0,
) -> list[OutdialTarget]:
    """The targets a claim with these arguments would take now, without
    claiming them (VoIPbin's read-only query), in claim order."""
    maxima = _maxima(max_try_counts, policy.rules_of(outdial))
    if not any(maxima):
        return []
    now = timezone.now()
    cutoff = now - timedelta(milliseconds=try_interval_ms)
    picked: list[OutdialTarget] = []
    for queryset in _eligible(outdial, maxima, cutoff, now):
        if len(picked) >= limit:
            break
        picked += queryset[: limit - len(picked)]
    prefetch_related_objects(picked, destinations_in_slot_order())
    return picked


def callable_counts(
    outdial: Outdial,
    *,
    max_try_counts: Sequence[int | None] = (None,) * len(DESTINATION_SLOTS),
    try_interval_ms: int = 0,
) -> dict:
    """Idle live targets with attempts left under these maxima: how many a
    claim could take now (``callable_now``) and how many wait for their
    calling hours, next-attempt time, daily cap or ``try_interval``
    (``waiting``). One counting query."""
    maxima = _maxima(max_try_counts, policy.rules_of(outdial))
    now = timezone.now()
    cutoff = now - timedelta(milliseconds=try_interval_ms)
    conditions = policy.claim_conditions(policy.rules_of(outdial), now)
    ready = dialing_sql.policy_conditions(
        now, conditions.zones, conditions.daily_cap
    ) & (Q(tm_last_attempt__isnull=True) | Q(tm_last_attempt__lte=cutoff))
    counts = (
        OutdialTarget.objects.live()
        .filter(outdial_id=outdial.pk, status=TargetStatus.IDLE)
        .filter(
            Exists(
                Destination.objects.filter(
                    dialing_sql.usable(maxima, outdial.pk, now),
                    outdial_target=OuterRef("pk"),
                )
            )
        )
        .aggregate(total=Count("pk"), ready=Count("pk", filter=ready))
        if any(maxima)
        else {"total": 0, "ready": 0}
    )
    ready = counts["ready"]
    return {"callable_now": ready, "waiting": counts["total"] - ready}


def claim(
    outdial: Outdial,
    *,
    max_try_counts: Sequence[int],
    limit: int = 1,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    try_interval_ms: int = 0,
) -> list[Claim]:
    """Atomically take up to ``limit`` eligible targets for a dialer.

    Each becomes ``progressing``; the chosen destination's try count goes up by
    one and an attempt is logged whose id is the claim id. Empty when nothing
    is eligible. Expired leases of the outdial are settled first: the claim
    statement itself takes nothing while one is overdue and says so, so the
    common case costs no separate check (see ``dialing_sql``).
    """
    rules = policy.rules_of(outdial)
    maxima = _maxima(max_try_counts, rules)
    if getattr(outdial, "leases_overdue", False) or not any(maxima):
        settle_if_overdue(outdial)
    if not any(maxima):
        return []
    postgresql = connection.vendor == "postgresql"
    for _ in range(_CLAIM_TRIES):
        now = timezone.now()
        cutoff = now - timedelta(milliseconds=try_interval_ms)
        # The policy's part, decided for this moment: which zones are inside
        # their calling hours now, the daily cap, the default zone.
        conditions = policy.claim_conditions(rules, now)
        try:
            if postgresql:
                taken = dialing_sql.claim_postgresql(
                    outdial.pk, maxima, limit, lease_seconds, cutoff, now, conditions
                )
            else:
                taken = dialing_sql.claim_sqlite(
                    outdial.pk,
                    maxima,
                    limit,
                    lease_seconds,
                    cutoff,
                    timezone.now,
                    conditions,
                    policy.day_end,
                )
        except dialing_sql.Overdue:
            settle_expired(outdial)
            continue
        except dialing_sql.Contended:
            continue  # the transaction rolled back; pick again
        claims = [_claim(item) for item in taken]
        metrics.claimed(len(claims))
        return claims
    return []


def prepare_claims(outdial: Outdial, limit: int = 1) -> None:
    """Make ready, in this process, the statements the outdial's claims of
    ``limit`` use under its policy now, whether suppression lists apply to
    it or not, as a process that has served dialers a while holds them.
    Nothing is read or written."""
    rules = policy.rules_of(outdial)
    dialing_sql.compile_claims(policy.claim_conditions(rules, timezone.now()), limit)


def _claim(taken: dialing_sql.Taken) -> Claim:
    destination = taken.destination or next(
        d for d in taken.target.slots() if d and d.index == taken.destination_index
    )
    return Claim(
        claim_id=taken.claim_id,
        lease_expires=taken.lease_expires,
        destination_index=destination.index,
        destination=destination,
        try_count=destination.try_count,
        target=taken.target,
    )


def report_result(
    outdial: Outdial,
    target_id: uuid.UUID,
    claim_id: uuid.UUID,
    outcome: str,
    callback_at: datetime | None = None,
    *,
    suppress: bool = False,
    suppress_reason: str = "",
    source: str = "",
) -> OutdialTarget:
    """Settle a claim (:func:`_settle`); with ``suppress`` (the person asked
    not to be called again) the dialed address also joins the outdial's
    default suppression list, with ``suppress_reason`` and ``source``, in the
    same transaction: both happen or neither."""
    if not suppress:
        return _settle(outdial, target_id, claim_id, outcome, callback_at)
    with transaction.atomic():
        target = _settle(outdial, target_id, claim_id, outcome, callback_at)
        index, address = (
            Attempt.objects.filter(pk=claim_id)
            .values_list("destination_index", "address")
            .get()
        )
        type_ = next(d.type for d in target.slots() if d and d.index == index)
        suppression.suppress_from_result(
            outdial,
            type_,
            address,
            reason=suppress_reason,
            source=source or f"result of claim {claim_id}",
        )
    return target


def _settle(
    outdial: Outdial,
    target_id: uuid.UUID,
    claim_id: uuid.UUID,
    outcome: str,
    callback_at: datetime | None = None,
) -> OutdialTarget:
    """Settle the claim ``claim_id`` on ``target_id`` with ``outcome``.

    Repeating the outcome a claim was settled with answers the target again and
    counts nothing twice. Raises :class:`TargetNotFound`, or
    :class:`ClaimNotActive` (changing nothing) for a claim that is unknown,
    belongs to another target, expired, or was settled with another outcome.

    A target that goes back to ``idle`` waits for the policy's retry delay
    for ``outcome``; ``callback_at`` (checked by ``policy.check_callback``)
    is its next-attempt time instead, and keeps it ``idle`` while attempts
    remain, even when answered: the person asked to be called again.
    """
    if outcome not in RESULT_OUTCOMES:
        raise ValueError(f"not an outcome a dialer reports: {outcome!r}")
    rules = policy.rules_of(outdial)
    if connection.vendor == "postgresql":
        return _report_in_one_statement(
            outdial, target_id, claim_id, outcome, rules, callback_at
        )
    now = timezone.now()
    target = dialing_sql.settle_sqlite(
        outdial.pk,
        target_id,
        claim_id,
        str(outcome),
        now,
        callback=callback_at is not None,
        next_attempt=callback_at or policy.retry_at(rules, outcome, now),
    )
    if target is not None:
        metrics.settle_on_commit(outcome)
        return target
    # Not settled: an unknown claim, one settled already or expired; judged
    # below (and settled, if another result settled nothing meanwhile).
    target = None
    # Twice at most: a settle that loses a race judges again what the winner wrote.
    for _ in range(2):
        attempt = (
            Attempt.objects.select_related("outdial_target")
            .filter(pk=claim_id, outdial=outdial, outdial_target_id=target_id)
            .first()
        )
        if attempt is None:
            _refuse_unknown(outdial, target_id)
        if target is None:
            target = attempt.outdial_target
            prefetch_related_objects([target], destinations_in_slot_order())
        if attempt.outcome == outcome:
            return target
        _refuse_settled(attempt)
        now = timezone.now()
        if attempt.lease_expires <= now:
            settle_expired(outdial, now=now)
            raise _expired(attempt)
        with transaction.atomic():
            settled = Attempt.objects.filter(pk=attempt.pk, outcome="").update(
                outcome=outcome, tm_end=now
            )
            if settled:
                metrics.settle_on_commit(outcome)
                status = _status_after(
                    outcome,
                    {d.index: d.try_count for d in target.destinations.all()},
                    attempt.max_try_counts,
                    callback=callback_at is not None,
                )
                following = None
                if status == TargetStatus.IDLE:
                    following = callback_at or policy.retry_at(rules, outcome, now)
                OutdialTarget.objects.filter(
                    pk=target.pk, status=TargetStatus.PROGRESSING
                ).update(
                    status=status,
                    settled_outcome=outcome,
                    last_outcome=outcome,
                    tm_update=now,
                    tm_next_attempt=following,
                )
                target.status, target.settled_outcome = status, outcome
                target.last_outcome = outcome
                target.tm_update, target.tm_next_attempt = now, following
                return target
    raise ClaimNotActive(
        "CLAIM_NOT_ACTIVE", "This claim was settled at the same moment; try again."
    )


def _report_in_one_statement(
    outdial, target_id, claim_id, outcome, rules, callback_at
) -> OutdialTarget:
    """PostgreSQL: look, settle and answer in one round trip; the checks
    below only interpret what the statement found."""
    for _ in range(2):
        now = timezone.now()
        found = dialing_sql.settle_postgresql(
            outdial.pk,
            target_id,
            claim_id,
            str(outcome),
            now,
            callback=callback_at is not None,
            next_attempt=callback_at or policy.retry_at(rules, outcome, now),
        )
        if found is None:
            _refuse_unknown(outdial, target_id)
        if found.settled:
            metrics.settle_on_commit(outcome)
            return found.target
        attempt = Attempt(
            pk=claim_id, outcome=found.outcome, lease_expires=found.lease_expires
        )
        if attempt.outcome == outcome:
            return found.target
        _refuse_settled(attempt)
        if attempt.lease_expires <= now:
            settle_expired(outdial, now=now)
            raise _expired(attempt)
        # Open and unexpired, yet not settled: another result won the race.
    raise ClaimNotActive(
        "CLAIM_NOT_ACTIVE", "This claim was settled at the same moment; try again."
    )


def _refuse_unknown(outdial: Outdial, target_id: uuid.UUID) -> NoReturn:
    if not OutdialTarget.objects.filter(outdial=outdial, pk=target_id).exists():
        raise TargetNotFound("TARGET_NOT_FOUND", "The target was not found.")
    raise ClaimNotActive(
        "CLAIM_NOT_ACTIVE",
        "This target has no claim with that claim_id; claim the target "
        "again and report with the claim_id you receive.",
    )


def _refuse_settled(attempt: Attempt) -> None:
    if attempt.outcome == AttemptOutcome.EXPIRED:
        raise _expired(attempt)
    if attempt.outcome:
        raise ClaimNotActive(
            "CLAIM_NOT_ACTIVE",
            f"This claim was already settled as {attempt.outcome}; "
            "a claim takes one result.",
        )


def _expired(attempt: Attempt) -> ClaimNotActive:
    return ClaimNotActive(
        "CLAIM_EXPIRED",
        f"The lease of this claim ended at {attempt.lease_expires:%Y-%m-%d %H:%M:%S} "
        "UTC and it was settled as expired; claim the target again.",
    )


def _status_after(
    outcome: str,
    try_counts: dict[int, int],
    max_try_counts: Sequence[int],
    callback: bool = False,
) -> str:
    again = callback or outcome != AttemptOutcome.ANSWERED
    if again and _has_room(try_counts, max_try_counts):
        return TargetStatus.IDLE
    return TargetStatus.DONE


def settle_if_overdue(outdial: Outdial) -> int:
    """Sweep ``outdial``'s expired leases, if it has any.

    Uses the ``leases_overdue`` annotation when the outdial was looked up with
    it (``queries.leases_overdue``), else asks the database.
    """
    overdue = getattr(outdial, "leases_overdue", None)
    if overdue is None:
        overdue = has_overdue_lease(outdial.pk)
    if not overdue:
        return 0
    settled = settle_expired(outdial)
    outdial.leases_overdue = False
    return settled


def settle_expired(outdial: Outdial | None = None, now: datetime | None = None) -> int:
    """Settle claims whose lease passed without a result as ``expired``.

    Their targets go back to ``idle`` when a destination has attempts left
    under the claim's maxima, else to ``done``. All outdials unless one is
    given. Answers how many claims were settled.
    """
    now = now or timezone.now()
    total = contended = 0
    while True:
        try:
            settled = _settle_batch(outdial, now)
        except dialing_sql.Contended:
            contended += 1
            if contended < _CLAIM_TRIES:
                continue
            raise
        total += settled
        if settled < _SWEEP_BATCH:
            metrics.expired(total)
            return total


def _settle_batch(outdial: Outdial | None, now: datetime) -> int:
    with transaction.atomic():
        overdue = Attempt.objects.overdue(now)
        if outdial is not None:
            overdue = overdue.filter(outdial=outdial)
        # SKIP LOCKED: an attempt a result is settling right now is left to it.
        found = list(
            overdue.select_for_update(skip_locked=True).values_list(
                "pk", "outdial_target_id", "max_try_counts", "outdial_id"
            )[:_SWEEP_BATCH]
        )
        if not found:
            return 0
        # The retry delay for ``expired`` of each outdial's policy.
        following = {}
        for outdial_id in {row[3] for row in found}:
            owner = Outdial(pk=outdial_id)
            owner.policy = DialingPolicy.objects.filter(outdial_id=outdial_id).first()
            rules = policy.rules_of(owner)
            following[outdial_id] = policy.retry_at(rules, AttemptOutcome.EXPIRED, now)
        rows = [(pk, target_id, maxima) for pk, target_id, maxima, _ in found]
        next_of = {row[1]: following[row[3]] for row in found}
        settled = Attempt.objects.filter(
            pk__in=[pk for pk, _, _ in rows], outcome=AttemptOutcome.PENDING
        ).update(outcome=AttemptOutcome.EXPIRED, tm_end=now)
        if settled != len(rows):
            # Rolls back; the rows were locked, so never expected.
            raise dialing_sql.Contended
        try_counts: dict[uuid.UUID, dict[int, int]] = {}
        for target_id, index, count in Destination.objects.filter(
            outdial_target_id__in=[target_id for _, target_id, _ in rows]
        ).values_list("outdial_target_id", "index", "try_count"):
            try_counts.setdefault(target_id, {})[index] = count
        becomes: dict[tuple, list[uuid.UUID]] = {}
        for _, target_id, maxima in rows:
            status = _status_after(
                AttemptOutcome.EXPIRED, try_counts.get(target_id, {}), maxima
            )
            then = next_of[target_id] if status == TargetStatus.IDLE else None
            becomes.setdefault((status, then), []).append(target_id)
        for (status, then), target_ids in becomes.items():
            OutdialTarget.objects.filter(
                pk__in=target_ids, status=TargetStatus.PROGRESSING
            ).update(
                status=status,
                settled_outcome=AttemptOutcome.EXPIRED,
                last_outcome=AttemptOutcome.EXPIRED,
                tm_update=now,
                tm_next_attempt=then,
            )
        return len(rows)


def eligibility(
    target: OutdialTarget,
    *,
    max_try_counts: Sequence[int | None],
    try_interval_ms: int = 0,
    now: datetime | None = None,
) -> dict:
    """Why a claim with these arguments would or would not take ``target`` now.

    ``{"eligible", "next_destination_index", "reasons": [{"code", "message",
    "until"}]}``; ``until`` is when the reason ends, where that is known.
    ``OUTSIDE_CALLING_HOURS`` also names ``time_zone`` and ``until_local``.
    """
    rules = policy.rules_of(target.outdial)
    maxima = _maxima(max_try_counts, rules)
    now = now or timezone.now()
    reasons = []

    def reason(code: str, message: str, until: datetime | None = None, **extra):
        reasons.append({"code": code, "message": message, "until": until, **extra})

    if target.is_deleted or target.outdial.is_deleted:
        reason("DELETED", "The target or its outdial is deleted.")
    if target.status == TargetStatus.DONE:
        reason(
            "DONE",
            "The target is done (answered, out of attempts, or closed by a "
            "person); set its status to idle to dial it again.",
        )
    elif target.status == TargetStatus.PROGRESSING:
        lease = lease_end(target)
        reason(
            "IN_PROGRESS",
            "A dialer holds the target until it reports a result or its lease ends.",
            lease,
        )
    following = next_destination(target, maxima)
    if following is None:
        reason(
            "EXHAUSTED",
            "Every destination has used the attempts these maxima allow "
            "(max_try_count_0..4).",
        )
    else:
        # A claim passes over a suppressed destination to the next one.
        roomy = [
            slot
            for slot in target.slots()
            if slot is not None and _tries_left(slot.index, slot.try_count, maxima)
        ]
        hits = suppression.find(
            target.outdial_id, [(d.type, d.target) for d in roomy], now
        )
        following = next((d for d in roomy if (d.type, d.target) not in hits), None)
        if following is None:
            lists = {}
            for hit in hits.values():
                lists.setdefault(str(hit.list_id), hit.list_name)
            reason(
                "SUPPRESSED",
                "Every destination with attempts left is on a suppression "
                "list: " + ", ".join(sorted(lists.values())) + ".",
                lists=[{"id": key, "name": name} for key, name in lists.items()],
            )
    if target.tm_last_attempt is not None:
        ready = target.tm_last_attempt + timedelta(milliseconds=try_interval_ms)
        if ready > now:
            reason(
                "WAITING_RETRY_INTERVAL",
                "The last attempt was too recent for try_interval; the target "
                "may be dialed again from the given time.",
                ready,
            )
    for code, message, until, extra in policy.waiting_reasons(rules, target, now):
        reason(code, message, until, **extra)
    return {
        "eligible": not reasons,
        "next_destination_index": following.index if following else None,
        "reasons": reasons,
    }


def lease_end(target: OutdialTarget) -> datetime | None:
    """When the lease of the dialer holding ``target`` ends (``None`` when
    no claim is open)."""
    return (
        Attempt.objects.filter(outdial_target=target, outcome=AttemptOutcome.PENDING)
        .order_by("-lease_expires")
        .values_list("lease_expires", flat=True)
        .first()
    )


def used_up(target: OutdialTarget) -> bool:
    """Whether every destination of ``target`` has used the attempts the
    outdial's policy allows: re-opened as it is, a claim would not take it
    (:func:`eligibility` says ``EXHAUSTED``) until its try counts are reset."""
    maxima = _maxima([None] * len(DESTINATION_SLOTS), policy.rules_of(target.outdial))
    return next_destination(target, maxima) is None


def attempts(target: OutdialTarget) -> QuerySet:
    """The attempt log of ``target``, newest first."""
    return Attempt.objects.filter(outdial_target=target).order_by("-tm_start", "-id")


def summary(outdial: Outdial) -> dict:
    """Counts over the outdial's live targets.

    ``status``: targets by status; ``attempts_by_destination``: attempts per
    slot 0–4; ``outcomes``: attempts by outcome (``pending`` while a claim is
    open); ``total``: live targets; ``exhausted``: targets ``done`` because
    their last attempt was settled without an answer (``no_answer``, ``busy``,
    ``failed`` or ``expired``) and no destination had attempts left under the
    maxima it was claimed with. A target a person marked done is not counted,
    whatever its attempts: it was closed, not used up (its ``settled_outcome`` is
    cleared), so ``done`` = answered + exhausted + closed by hand.

    ``callable_now`` and ``waiting`` split the idle targets by the outdial's
    policy (see :func:`_idle_counts`).

    Three queries whatever the size (with the outdial looked up with its
    ``policy``), the first two index-only, and no write (expired leases are
    settled by the housekeeping, not by reading): targets grouped by
    (status, settled_outcome) on ``target_summary``; and the
    outdial's attempts grouped by destination and outcome on
    ``attempt_count``, less the attempts of its deleted targets, found through
    ``target_deleted`` and ``attempt_log`` (far cheaper than joining
    every attempt to its target while deleted targets are the few); the idle
    targets by policy. Each count is exact as of its query.
    """
    by_status: Counter[str] = Counter()
    exhausted = 0
    for status, is_exhausted, n in (
        OutdialTarget.objects.live()
        .filter(outdial=outdial)
        .annotate(is_exhausted=ExpressionWrapper(EXHAUSTED, BooleanField()))
        .values_list("status", "is_exhausted")
        .annotate(n=Count("*"))
        .order_by()
    ):
        by_status[status] += n
        if is_exhausted:
            exhausted += n
    # Every attempt of the outdial, less those of its deleted targets, in one
    # round trip. The second part is joined from the deleted targets, so its
    # attempt side is index-only lookups by target; an outdial filter there
    # would tempt PostgreSQL into scanning all of the outdial's attempts.
    everything = _attempt_counts(Attempt.objects.filter(outdial=outdial), 1)
    deleted = _attempt_counts(
        Attempt.objects.filter(
            outdial_target__outdial=outdial, outdial_target__tm_delete__isnull=False
        ),
        -1,
    )
    counts: Counter[tuple[int, str]] = Counter()
    for index, outcome, sign, n in everything.union(deleted, all=True):
        counts[index, outcome] += sign * n
    per_slot: Counter[int] = Counter()
    per_outcome: Counter[str] = Counter()
    for (index, outcome), n in counts.items():
        per_slot[index] += n
        per_outcome[outcome] += n
    return {
        "status": {status: by_status[status] for status in TargetStatus.values},
        "attempts_by_destination": [per_slot[i] for i in DESTINATION_SLOTS],
        "outcomes": {
            (value or "pending"): per_outcome[value] for value in AttemptOutcome.values
        },
        "exhausted": exhausted,
        "total": sum(by_status.values()),
        **_idle_counts(outdial),
    }


def _idle_counts(outdial: Outdial) -> dict:
    """The summary's idle targets split in two: ``callable_now`` (no rule of
    the policy holds them back) and ``waiting`` (for their next-attempt time,
    calling hours or daily cap); and ``suppressed``: those a claim passes
    over because every destination with attempts left (under the policy's
    maxima) is on a suppression list. One query over the idle targets only
    (the ``target_claim`` index), so a list mostly done costs little; the
    suppression test is only made while a list with entries applies (an
    uncorrelated EXISTS, judged once)."""
    now = timezone.now()
    rules = policy.rules_of(outdial)
    conditions = policy.claim_conditions(rules, now)
    ready = dialing_sql.policy_conditions(now, conditions.zones, conditions.daily_cap)
    maxima = _maxima([None] * len(DESTINATION_SLOTS), rules)
    lists = SuppressionList.objects.applying_to(outdial.pk).values("pk")
    slots = Destination.objects.filter(outdial_target=OuterRef("pk"))
    suppressed = (
        Q(Exists(SuppressionEntry.objects.filter(list__in=lists)))
        & Q(Exists(slots.filter(dialing_sql.room(maxima))))
        & ~Q(Exists(slots.filter(dialing_sql.usable(maxima, outdial.pk, now))))
    )
    counts = (
        OutdialTarget.objects.live()
        .filter(outdial_id=outdial.pk, status=TargetStatus.IDLE)
        .aggregate(
            total=Count("pk"),
            ready=Count("pk", filter=ready),
            suppressed=Count("pk", filter=suppressed),
        )
    )
    return {
        "callable_now": counts["ready"],
        "waiting": counts["total"] - counts["ready"],
        "suppressed": counts["suppressed"],
    }


def _attempt_counts(attempts: QuerySet, sign: int) -> QuerySet:
    """(destination_index, outcome, sign, n) rows of ``attempts``."""
    return (
        attempts.annotate(sign=Value(sign, output_field=IntegerField()))
        .values_list("destination_index", "outcome", "sign")
        .annotate(n=Count("*"))
        .order_by()
    )


def set_status(target: OutdialTarget, status: str) -> OutdialTarget:
    """A person's override: ``idle`` (dial it again) or ``done`` (stop).

    The change clears ``settled_outcome``: the status is now the person's
    decision, not an attempt's, so a target closed by hand never counts as
    exhausted. Raises :class:`guards.TargetInProgress` while a dialer holds the
    target.
    """
    if status not in OVERRIDE_STATUSES:
        raise ValueError(f"a person may set idle or done, not {status!r}")
    changed = guards.write(
        target,
        "change its status",
        unless={"status": status},
        status=status,
        settled_outcome=AttemptOutcome.PENDING,
    )
    if not changed:
        target.status = status  # already so: nothing to write
    return target


def override_status(queryset: QuerySet, status: str) -> tuple[int, int]:
    """Set ``status`` on every live target of ``queryset`` not held by a dialer.

    Answers ``(changed, skipped)``: targets whose status changed, and targets
    left alone because they are ``progressing``. Clears ``settled_outcome`` as
    :func:`set_status` does.
    """
    if status not in OVERRIDE_STATUSES:
        raise ValueError(f"a person may set idle or done, not {status!r}")
    live = queryset.live()
    changed = (
        live.not_held()
        .exclude(status=status)
        .update(
            status=status,
            settled_outcome=AttemptOutcome.PENDING,
            tm_update=timezone.now(),
        )
    )
    statistics.refresh_after_bulk_write(changed, OutdialTarget)
    return changed, live.held().count()


def reset_try_counts(queryset: QuerySet) -> tuple[int, int]:
    """Dial the live targets of ``queryset`` again from the start: every try
    count back to 0, the status ``idle`` (a person's decision, so
    ``settled_outcome`` is cleared); their attempt log stays. A target a
    dialer holds is left alone. Answers ``(changed, skipped)``."""
    live = queryset.live()
    now = timezone.now()
    with transaction.atomic():
        # Locked rows are passed over by claims (SKIP LOCKED) until commit.
        free = list(
            live.not_held().select_for_update(no_key=True).values_list("pk", flat=True)
        )
        OutdialTarget.objects.filter(pk__in=free).update(
            status=TargetStatus.IDLE,
            settled_outcome=AttemptOutcome.PENDING,
            tries=0,
            tm_update=now,
            **dialing_sql.UNMARKED,  # tries back: judged again by the next claim
        )
        Destination.objects.filter(outdial_target_id__in=free, try_count__gt=0).update(
            try_count=0
        )
    statistics.refresh_after_bulk_write(len(free), OutdialTarget, Destination)
    return len(free), live.held().count()
