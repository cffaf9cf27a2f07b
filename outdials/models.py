"""Customers, their users and access keys, outdials, targets and destinations.

Per-row rules live on the models, per-set rules on their QuerySets; the dialing
and import workflows live in ``dialing.py`` and ``importing.py``.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import paging, statistics

NIL_UUID = uuid.UUID(int=0)
DESTINATION_SLOTS = range(5)


class OwnedQuerySet(models.QuerySet):
    """The per-set read rules every list shares: tenancy and newest-first
    keyset paging (``paging.py`` holds the token and the bound)."""

    # How a row reaches its customer: the one path tenancy reads.
    customer_path = "customer"

    def owned_by(self, customer):
        """The rows of ``customer`` (a Customer or its id): another
        customer's row is as absent as a missing one."""
        return self.filter(**{self.customer_path: customer})

    def newest_first(self):
        return paging.newest_first(self)

    def after(self, token: str):
        """The rows after page ``token`` in newest-first order; raises
        :class:`paging.InvalidPageToken` on a token we did not give out."""
        return paging.after_token(self, token)


class LiveQuerySet(OwnedQuerySet):
    """Soft deletion: a row with ``tm_delete`` set is kept but left out of lists."""

    def live(self):
        return self.filter(tm_delete__isnull=True)

    def deleted(self):
        return self.filter(tm_delete__isnull=False)

    def soft_delete(self) -> int:
        """Mark the live rows deleted, in one statement; answers how many."""
        now = timezone.now()
        return self._bulk(self.live().update(tm_delete=now, tm_update=now))

    def restore(self) -> int:
        """Bring the deleted rows back to their lists (a change, so
        ``tm_update`` moves on), in one statement; answers how many."""
        return self._bulk(
            self.deleted().update(tm_delete=None, tm_update=timezone.now())
        )

    def _bulk(self, changed: int) -> int:
        """After a write of many rows, the planner's statistics are renewed
        (``statistics.py``)."""
        statistics.refresh_after_bulk_write(changed, self.model)
        return changed


class CustomerQuerySet(OwnedQuerySet):
    customer_path = "pk"


class AccessKeyQuerySet(LiveQuerySet):
    def usable(self, now=None):
        """Keys that still open the API: live and not expired."""
        return self.live().filter(tm_expire__gt=now or timezone.now())


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person or script that signs in; staff users belong to one customer.

    Operators (superusers) may have no customer: they work in the admin only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # Login tokens carry the version they were issued under; signing out
    # (the API's or the pages') moves it on, which ends every one of them.
    token_version = models.PositiveIntegerField(default=0, editable=False)


class AccessKey(models.Model):
    """A long-lived API credential; only a hash of the key is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="access_keys"
    )
    name = models.CharField(max_length=255, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    token_prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    tm_expire = models.DateTimeField("expires")
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)
    tm_update = models.DateTimeField("updated", null=True, blank=True, editable=False)
    tm_delete = models.DateTimeField("deleted", null=True, blank=True, editable=False)

    objects = AccessKeyQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "-tm_create", "-id"],
                name="accesskey_page",
                condition=Q(tm_delete__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name or 'access key'} ({self.token_prefix}…)"


def default_region() -> str:
    """A new outdial's country: ``OUTDIALS_DEFAULT_REGION`` (``US``)."""
    return settings.OUTDIALS["DEFAULT_REGION"].upper()


class Outdial(models.Model):
    """A named list of dial targets owned by one customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="outdials"
    )
    campaign_id = models.UUIDField(default=NIL_UUID)
    name = models.CharField(max_length=255, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    data = models.TextField(blank=True, default="")
    # The country (ISO 3166 alpha-2) a person's national numbers are read
    # in on the pages and in the admin, shown in, and an upload's default.
    region = models.CharField(
        "country", max_length=2, default=default_region, db_default="US"
    )
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)
    tm_update = models.DateTimeField("updated", null=True, blank=True, editable=False)
    tm_delete = models.DateTimeField("deleted", null=True, blank=True, editable=False)

    objects = LiveQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "-tm_create", "-id"],
                name="outdial_page",
                condition=Q(tm_delete__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)

    @property
    def is_deleted(self) -> bool:
        return self.tm_delete is not None


class TargetStatus(models.TextChoices):
    IDLE = "idle"
    PROGRESSING = "progressing"
    DONE = "done"


class AttemptOutcome(models.TextChoices):
    PENDING = "", "pending"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    EXPIRED = "expired"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BackgroundWork(models.Model):
    """What a background job shows while it runs and after: its state, its
    progress, its times and why it failed. ``jobs.py`` holds the rules."""

    # Rows written before jobs existed were finished imports.
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.DONE
    )
    checked = models.PositiveBigIntegerField(default=0)
    written = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    # The job's options, and the file in the default storage it reads or writes.
    params = models.JSONField(default=dict, blank=True)
    file = models.CharField(max_length=255, blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    error_reason = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    error_status = models.PositiveSmallIntegerField(default=0)
    tm_start = models.DateTimeField("started", null=True, blank=True, editable=False)
    tm_end = models.DateTimeField("ended", null=True, blank=True, editable=False)
    tm_heartbeat = models.DateTimeField(
        "last heartbeat", null=True, blank=True, editable=False
    )

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class JobWorker(models.Model):
    """A ``db_worker`` process as last seen: its housekeeping thread writes
    ``tm_seen`` every few seconds, and ``/readyz`` asks whether one was seen
    recently when jobs are waiting (``jobs.py`` holds the rules)."""

    name = models.CharField(max_length=200, primary_key=True)
    tm_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name


class ImportBatchQuerySet(OwnedQuerySet):
    customer_path = "outdial__customer"


class ImportBatch(BackgroundWork):
    """One CSV import into an outdial (a check only, too); undoing it removes
    its untouched targets."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outdial = models.ForeignKey(
        Outdial, on_delete=models.CASCADE, related_name="imports"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who imported: a username or an access key's prefix, kept if the user goes.
    created_by_name = models.CharField(max_length=255, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    dry_run = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField("targets created", default=0)
    # Rows whose key column matched a live target (see ``importing.updating``).
    updated = models.PositiveIntegerField("targets updated", default=0)
    unchanged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    tm_create = models.DateTimeField("uploaded", default=timezone.now, editable=False)
    tm_undo = models.DateTimeField("undone", null=True, blank=True, editable=False)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "import batches"
        indexes = [models.Index(fields=["outdial", "-tm_create"], name="import_page")]

    def __str__(self) -> str:
        return f"{self.file_name or 'import'} ({self.created} created)"


class TargetsJobKind(models.TextChoices):
    IDLE = "idle", "reset to idle"
    DONE = "done", "mark done"
    DELETE = "delete", "delete"
    REDIAL = "redial", "reset try counts"
    EXPORT = "export", "export"


class TargetsJob(BackgroundWork):
    """A bulk change or an export over the targets of an outdial that match a
    filter (``params["filters"]``), run in the background."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outdial = models.ForeignKey(Outdial, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16, choices=TargetsJobKind.choices)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=255, blank=True, default="")
    # changed / skipped (held by a dialer) / already so, or an export's rows.
    result = models.JSONField(default=dict, blank=True)
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["outdial", "-tm_create"], name="job_page")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"


class OutdialTargetQuerySet(LiveQuerySet):
    customer_path = "outdial__customer"

    def with_destinations(self):
        return self.prefetch_related(destinations_in_slot_order())

    def in_live_outdial(self):
        """Live targets of a live outdial: what people may see and change."""
        return self.live().filter(outdial__tm_delete__isnull=True)

    def not_held(self):
        """Targets no dialer holds: a claim's lease makes a target
        ``progressing`` until its result or the lease's sweep."""
        return self.exclude(status=TargetStatus.PROGRESSING)

    def held(self):
        return self.filter(status=TargetStatus.PROGRESSING)

    def soft_delete(self) -> int:
        """Soft-delete the live targets no dialer holds, in one statement: a
        claim cannot slip in between a check and the write."""
        now = timezone.now()
        return self._bulk(self.live().not_held().update(tm_delete=now, tm_update=now))


def destinations_in_slot_order() -> models.Prefetch:
    """How a target's destinations are read with it: every slot, in order."""
    return models.Prefetch(
        "destinations", queryset=Destination.objects.order_by("index")
    )


class OutdialTarget(models.Model):
    """One person or thing to reach, with up to five destinations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outdial = models.ForeignKey(
        Outdial, on_delete=models.CASCADE, related_name="targets"
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="targets",
    )
    name = models.CharField(max_length=255, blank=True, default="")
    # Its destinations' addresses, one a line (search.joined_addresses),
    # written with them (outdials.targets, the import): a contains-search
    # reading the list in order tests this column, not each row's
    # destinations. NULL until written (a target made before the column, or
    # inserted raw): the search looks at its destinations then, and the
    # workers' housekeeping writes it (targets.write_missing_addresses).
    addresses = models.TextField(null=True, editable=False)  # noqa: DJ001
    detail = models.TextField(blank=True, default="")
    data = models.TextField(blank=True, default="")
    # The id another system (a CRM) knows this target by, from an import's key
    # column: a re-upload with the same key updates the target instead of
    # adding a second one. The database default keeps raw inserts valid.
    external_id = models.CharField(
        max_length=255, blank=True, default="", db_default=""
    )
    status = models.CharField(
        max_length=16, choices=TargetStatus.choices, default=TargetStatus.IDLE
    )
    # When the last attempt started: claims take the least recently tried first
    # and honour the retry interval from it.
    tm_last_attempt = models.DateTimeField(
        "last attempt", null=True, blank=True, editable=False
    )
    # The person's IANA time zone, for the calling hours and the daily cap:
    # from the import's ``timezone`` column, else the single zone of the first
    # phone number's country; "" follows the outdial policy's default zone
    # (outdials.policy). Written with the target, so a claim only compares.
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    # Not claimable before this time, whatever set it: a retry delay of the
    # outdial's policy or a callback (outdials.policy).
    tm_next_attempt = models.DateTimeField(
        "next attempt", null=True, blank=True, editable=False
    )
    # The daily cap's counter: attempts since the person's local midnight,
    # valid until ``tm_day_end`` (their next local midnight); a claim after
    # that starts the count again. Written by the claim statements.
    day_attempts = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Tries over all destinations: the sum of their try counts, written by
    # the statements that change one (a claim, a re-dial, an edit that
    # drops or readdresses a slot, an import's undo), so the try-count
    # filter reads one indexed column.
    tries = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    tm_day_end = models.DateTimeField("day ends", null=True, blank=True, editable=False)
    # A claim that found every destination with attempts left suppressed
    # marks the target so that later claims at the same maxima pass it over
    # from the index entry until this time (the earliest expiry of the
    # entries that suppress it, or a recheck a few minutes later); a list
    # that stops suppressing it, an edit of its destinations or a reset of
    # its tries clears the mark (``dialing_sql.unmarked``, ``suppression``).
    tm_suppressed_until = models.DateTimeField(
        "suppressed until", null=True, blank=True, editable=False
    )
    suppressed_maxima = models.CharField(
        max_length=32, blank=True, default="", db_default="", editable=False
    )
    # The outcome of the attempt whose settling set the current status,
    # written by the dialing engine in the same statement: "" before any
    # attempt, while a claim is open, and after a person overrides the status
    # (so unlike the newest attempt's outcome, which the export shows). The
    # summary counts exhausted targets from it. The database default keeps
    # raw inserts (the importer's COPY) valid.
    settled_outcome = models.CharField(
        max_length=16,
        choices=AttemptOutcome.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    # The outcome of the newest settled attempt: written by the dialing
    # engine in the statement that settles it (a result, or a lease that
    # expired), and kept when a person overrides the status or resets the
    # try counts, so staff can find "the ones that failed". "" while no
    # attempt was settled (``tm_last_attempt`` tells whether one was made).
    last_outcome = models.CharField(
        max_length=16,
        choices=AttemptOutcome.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)
    tm_update = models.DateTimeField("updated", null=True, blank=True, editable=False)
    tm_delete = models.DateTimeField("deleted", null=True, blank=True, editable=False)
    # The last-attempt order's key (paging.AttemptKey: never attempted is the
    # epoch), kept by the database as a column: SQLite seeks a row value
    # ``(key, id) < (…)`` in an index only when the key is a column, not an
    # expression, so a deep page sorted by last attempt starts at its place.
    attempt_key = models.GeneratedField(
        expression=paging.AttemptKey(),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name="last attempt order",
    )

    objects = OutdialTargetQuerySet.as_manager()

    class Meta:
        indexes = [
            # Keyset pagination: newest first, id breaks ties.
            models.Index(
                fields=["outdial", "-tm_create", "-id"],
                name="target_page",
                condition=Q(tm_delete__isnull=True),
            ),
            models.Index(
                fields=["outdial", "status", "-tm_create", "-id"],
                name="target_status_page",
                condition=Q(tm_delete__isnull=True),
            ),
            # Claims: idle targets, least recently attempted, then oldest;
            # the next-attempt time and the suppression mark ride along, so
            # a claim skips a scheduled or suppressed target from the index
            # entry.
            models.Index(
                fields=[
                    "outdial",
                    "tm_last_attempt",
                    "tm_create",
                    "tm_next_attempt",
                    "tm_suppressed_until",
                    "suppressed_maxima",
                ],
                name="target_claim",
                condition=Q(tm_delete__isnull=True, status="idle"),
            ),
            # The marked targets a list's change clears (few).
            models.Index(
                fields=["outdial", "tm_suppressed_until"],
                name="target_suppressed",
                condition=Q(tm_suppressed_until__isnull=False),
            ),
            # The summary: one index-only GROUP BY (status, settled_outcome).
            # tm_delete, NULL in every entry, makes it covering on SQLite,
            # which does not count the condition's column as in the index.
            models.Index(
                fields=["outdial", "status", "settled_outcome", "tm_delete"],
                name="target_summary",
                condition=Q(tm_delete__isnull=True),
            ),
            # Deleted targets of an outdial: few, so the summary subtracts
            # their attempts instead of joining every attempt to its target.
            models.Index(
                fields=["outdial", "-tm_create", "-id"],
                name="target_deleted",
                condition=Q(tm_delete__isnull=False),
            ),
            # The outcome filter, newest first (outdials.filters).
            models.Index(
                fields=["outdial", "last_outcome", "-tm_create", "-id"],
                name="target_outcome_page",
                condition=Q(tm_delete__isnull=True),
            ),
            # The try-count filter, newest first (outdials.filters).
            models.Index(
                fields=["outdial", "tries", "-tm_create", "-id"],
                name="target_tries_page",
                condition=Q(tm_delete__isnull=True),
            ),
            # The table sorted by last attempt, never attempted last
            # (paging.AttemptKey), read either way.
            models.Index(
                fields=["outdial", "-attempt_key", "-id"],
                name="target_attempt_page",
                condition=Q(tm_delete__isnull=True),
            ),
            # The targets whose addresses are still to be written (none once
            # the housekeeping has caught up): whether a list has any is one
            # probe (outdials.search).
            models.Index(
                fields=["outdial"],
                name="target_addresses_missing",
                condition=Q(addresses__isnull=True),
            ),
            # A re-upload finds its live targets by key.
            models.Index(
                fields=["outdial", "external_id"],
                name="target_external_id",
                condition=Q(tm_delete__isnull=True) & ~Q(external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)

    @property
    def is_deleted(self) -> bool:
        return self.tm_delete is not None

    def slots(self) -> list["Destination | None"]:
        """Destinations by slot 0–4, ``None`` for an empty slot.

        Uses the prefetched rows when there are any (see ``with_destinations``).
        """
        slots: list[Destination | None] = [None] * len(DESTINATION_SLOTS)
        # The prefetched rows read directly: the related manager is built
        # anew on every access, a third of this method's time.
        cached = getattr(self, "_prefetched_objects_cache", {}).get("destinations")
        for destination in self.destinations.all() if cached is None else cached:
            slots[destination.index] = destination
        return slots


class DestinationType(models.TextChoices):
    """Every type of VoIPbin's address model (bin-common-handler/models/
    address/main.go); ``validators.ADDRESS_RULES`` checks each."""

    TEL = "tel"
    SIP = "sip"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    AGENT = "agent"
    AI = "ai"
    AI_TEAM = "ai_team"
    CONFERENCE = "conference"
    EXTENSION = "extension"
    LINE = "line"
    WEBCHAT = "webchat"
    WEB_SESSION = "web_session"


class DestinationQuerySet(OwnedQuerySet):
    customer_path = "outdial_target__outdial__customer"


class Destination(models.Model):
    """One filled destination slot (0–4) of a target, with its try count.

    An internal row (never addressed by id on the wire), so a compact integer key.
    """

    outdial_target = models.ForeignKey(
        OutdialTarget, on_delete=models.CASCADE, related_name="destinations"
    )
    index = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=16, choices=DestinationType.choices)
    target = models.CharField(max_length=2000)
    target_name = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    try_count = models.PositiveIntegerField(default=0)

    objects = DestinationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["outdial_target", "index"], name="destination_slot_unique"
            ),
            models.CheckConstraint(
                condition=Q(index__gte=0, index__lte=4), name="destination_slot_range"
            ),
        ]
        indexes = [models.Index(fields=["target"], name="destination_address")]

    def __str__(self) -> str:
        return f"{self.type}:{self.target}" if self.type != "sip" else self.target


class AttemptQuerySet(OwnedQuerySet):
    customer_path = "outdial__customer"

    def overdue(self, now=None):
        """Open claims whose lease has passed, the longest overdue first: the
        sweep settles them. A probe for one then reads the open-lease index
        in order and stops at its first entry; unordered, a prepared plan
        that guesses many overdue scans every attempt of the table."""
        return self.filter(
            outcome=AttemptOutcome.PENDING, lease_expires__lte=now or timezone.now()
        ).order_by("lease_expires")


class Attempt(models.Model):
    """One dialing attempt: made by a claim, settled by a result or lease expiry.

    The attempt's id is the ``claim_id`` a dialer holds while the lease runs.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Both keys are indexed by the composite indexes below, which lead with them.
    outdial = models.ForeignKey(
        Outdial, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    outdial_target = models.ForeignKey(
        OutdialTarget,
        on_delete=models.CASCADE,
        related_name="attempts",
        db_index=False,
    )
    destination_index = models.PositiveSmallIntegerField()
    address = models.CharField(max_length=2000)
    try_count = models.PositiveIntegerField()
    # The per-destination maxima the dialer claimed with: a result is judged by them.
    max_try_counts = models.JSONField(default=list)
    outcome = models.CharField(
        max_length=16, choices=AttemptOutcome.choices, default="", blank=True
    )
    lease_expires = models.DateTimeField()
    tm_start = models.DateTimeField("started", default=timezone.now)
    tm_end = models.DateTimeField("ended", null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        indexes = [
            # A target's attempts, newest first; with the destination and
            # outcome, also the summary's count of a deleted target's
            # attempts (index-only). One index for both: a claim writes one
            # entry fewer than with a second index on the target.
            models.Index(
                fields=[
                    "outdial_target",
                    "-tm_start",
                    "-id",
                    "destination_index",
                    "outcome",
                ],
                name="attempt_log",
            ),
            models.Index(
                fields=["outdial", "lease_expires"],
                name="attempt_open_lease",
                condition=Q(outcome=""),
            ),
            # The summary's attempts of an outdial by destination and
            # outcome, index-only.
            models.Index(
                fields=["outdial", "destination_index", "outcome"],
                name="attempt_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} #{self.try_count} {self.outcome or 'pending'}"


def _default_max_try_counts() -> list[int]:
    return [1] * len(DESTINATION_SLOTS)


def _default_retry_delays() -> dict[str, int]:
    return {"busy": 0, "no_answer": 0, "failed": 0, "expired": 0}


class DialingPolicyQuerySet(OwnedQuerySet):
    customer_path = "outdial__customer"


class DialingPolicy(models.Model):
    """An outdial's dialing rules (issue 17); an outdial without a row has the
    defaults, which change nothing a claim asks for. The rules themselves
    live in ``outdials.policy``."""

    outdial = models.OneToOneField(
        Outdial, on_delete=models.CASCADE, primary_key=True, related_name="policy"
    )
    # Used for each max_try_count_N a claim leaves out.
    max_try_counts = models.JSONField(default=_default_max_try_counts)
    # Seconds before a target may be tried again, by the outcome that settled
    # its attempt: busy, no_answer, failed, expired.
    retry_delays = models.JSONField(default=_default_retry_delays)
    # Attempts per target per local day; 0 is no cap.
    daily_cap = models.PositiveIntegerField(default=0)
    # [{"days": ["mon", …], "start": "09:00", "end": "20:00"}, …] in each
    # person's local time; empty is any time.
    calling_hours = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    tm_update = models.DateTimeField("updated", null=True, blank=True, editable=False)

    objects = DialingPolicyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "dialing policies"

    def __str__(self) -> str:
        return f"dialing policy of {self.outdial}"


class RateCount(models.Model):
    """Calls counted in one window of a rate limit (outdials.limits), shared
    by every worker and server using this database."""

    key = models.CharField(primary_key=True, max_length=200)
    count = models.PositiveIntegerField(default=0)
    # When the window has passed (a Unix time); older rows are swept.
    expires = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class ImportChange(models.Model):
    """What one import changed on a target it updated (a re-upload with a key
    column): the values before, so undoing the import puts them back."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="changes"
    )
    outdial_target = models.ForeignKey(
        OutdialTarget, on_delete=models.CASCADE, related_name="+"
    )
    # {"name", "detail", "data", "destinations": [[index, type, target,
    #  target_name, name, detail], …]}
    before = models.JSONField()

    def __str__(self) -> str:
        return f"change of {self.outdial_target_id} by {self.batch_id}"


class SavedMapping(models.Model):
    """The column mapping staff saved for an outdial's uploads, offered again
    for the next file: ``columns`` maps a header to a field (``importing.
    mapping.FIELDS``)."""

    outdial = models.OneToOneField(
        Outdial, on_delete=models.CASCADE, related_name="saved_mapping"
    )
    columns = models.JSONField(default=dict)
    key = models.CharField(max_length=255, blank=True, default="")
    unmapped_to_data = models.BooleanField(default=False)
    tm_update = models.DateTimeField("updated", default=timezone.now)

    def __str__(self) -> str:
        return f"mapping of {self.outdial_id}"


class StagedUpload(models.Model):
    """A file uploaded on the staff pages and kept in the default storage until
    it is imported or expires: the mapping and preview steps read it again, so
    it is never uploaded twice. Owned by one customer and one outdial."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    outdial = models.ForeignKey(Outdial, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    storage_name = models.CharField(max_length=500)
    file_name = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)
    tm_expire = models.DateTimeField("expires")

    class Meta:
        indexes = [models.Index(fields=["tm_expire"], name="staged_upload_expire")]

    def __str__(self) -> str:
        return self.file_name or str(self.id)


class SuppressionScope(models.TextChoices):
    ALL = "all", "all outdials of the customer"
    CHOSEN = "chosen", "chosen outdials"


class SuppressionKind(models.TextChoices):
    ADDRESS = "address"
    PREFIX = "prefix"


class SuppressionListQuerySet(OwnedQuerySet):
    def applying_to(self, outdial_id):
        """The lists whose entries an outdial's claims and imports obey: its
        customer's lists of scope ``all``, and those that chose it."""
        chosen = SuppressionList.outdials.through.objects.filter(
            suppressionlist_id=models.OuterRef("pk"), outdial_id=outdial_id
        )
        owner = Outdial.objects.filter(pk=outdial_id).values("customer_id")
        return (
            self.live()
            .filter(customer_id=models.Subquery(owner))
            .filter(Q(scope=SuppressionScope.ALL) | models.Exists(chosen))
        )

    def live(self):
        """Lists not deleted: a list stops applying the moment its deletion
        is asked, while a job may still be removing its entries."""
        return self.filter(tm_delete__isnull=True)


class SuppressionList(models.Model):
    """A customer's do-not-call list (issue 16): its entries keep their
    addresses from every claim and import of the outdials in its scope. The
    rules live in ``outdials.suppression``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="suppression_lists"
    )
    name = models.CharField(max_length=255)
    detail = models.TextField(blank=True, default="")
    scope = models.CharField(
        max_length=16, choices=SuppressionScope.choices, default=SuppressionScope.ALL
    )
    outdials = models.ManyToManyField(
        Outdial, blank=True, related_name="suppression_lists"
    )
    # The list a result's ``suppress: true`` adds to, made on demand.
    default_for = models.OneToOneField(
        Outdial,
        verbose_name="default list of",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="default_suppression_list",
    )
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)
    tm_update = models.DateTimeField("updated", null=True, blank=True, editable=False)
    # When its deletion was asked: from then on it applies nowhere and is
    # gone from the API and the pages; its entries are removed (by a job for
    # a big list) and the row is kept with its change log.
    tm_delete = models.DateTimeField("deleted", null=True, blank=True, editable=False)

    objects = SuppressionListQuerySet.as_manager()

    class Meta:
        verbose_name = "suppression list"
        verbose_name_plural = "suppression lists"
        indexes = [
            models.Index(
                fields=["customer", "-tm_create", "-id"], name="supp_list_page"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SuppressionEntryQuerySet(OwnedQuerySet):
    customer_path = "list__customer"

    def active(self, now):
        """Entries that suppress at ``now``: an expired one stops by itself."""
        return self.filter(Q(tm_expire__isnull=True) | Q(tm_expire__gt=now))


class SuppressionEntry(models.Model):
    """One address of a list (normalized as targets are, see
    ``suppression.normalize``) or a phone prefix such as ``+1900``."""

    id = models.BigAutoField(primary_key=True)
    list = models.ForeignKey(
        SuppressionList, on_delete=models.CASCADE, related_name="entries"
    )
    kind = models.CharField(
        max_length=8, choices=SuppressionKind.choices, default=SuppressionKind.ADDRESS
    )
    type = models.CharField(
        "destination type", max_length=16, choices=DestinationType.choices
    )
    address = models.CharField(max_length=2000)
    tm_expire = models.DateTimeField("expires", null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, default="")
    # Who or what added it: a username, an access key, "import", "result".
    source = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        User,
        verbose_name="added by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tm_create = models.DateTimeField("added", default=timezone.now, editable=False)

    objects = SuppressionEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "suppression entry"
        verbose_name_plural = "suppression entries"
        constraints = [
            models.UniqueConstraint(
                fields=["list", "address"], name="supp_entry_unique"
            )
        ]
        indexes = [
            # The claim's and the import's lookup: an address and its own
            # prefixes, probed with IN; the list and expiry ride along.
            models.Index(
                fields=["address", "list", "tm_expire"], name="supp_entry_lookup"
            ),
            # A list's entries, newest first (keyset paging).
            models.Index(fields=["list", "-id"], name="supp_entry_page"),
            # A list's prefixes, which an import reads whole (they are few).
            models.Index(
                fields=["list", "address"],
                name="supp_entry_prefix",
                condition=Q(kind="prefix"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address}{'…' if self.kind == 'prefix' else ''}"


class SuppressionChange(models.Model):
    """Every change to a list, kept: who, when, what."""

    id = models.BigAutoField(primary_key=True)
    list = models.ForeignKey(
        SuppressionList, on_delete=models.CASCADE, related_name="changes"
    )
    action = models.CharField(max_length=32)
    # The address (or a count and file for a bulk load) and the details.
    what = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name="by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_name = models.CharField(
        "by (name)", max_length=255, blank=True, default=""
    )
    tm_create = models.DateTimeField("when", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "suppression list change"
        verbose_name_plural = "suppression list changes"
        indexes = [models.Index(fields=["list", "-id"], name="supp_change_page")]

    def __str__(self) -> str:
        return f"{self.action} on {self.list_id}"


class SuppressionUpload(BackgroundWork):
    """A CSV of entries loaded into a list in the background (millions of
    rows), an export of a list's entries to a file, or the removal of a
    deleted list's entries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    list = models.ForeignKey(
        SuppressionList, on_delete=models.CASCADE, related_name="uploads"
    )
    kind = models.CharField(max_length=16, default="load")  # load | export | delete
    created_by = models.ForeignKey(
        User,
        verbose_name="by",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_name = models.CharField(
        "by (name)", max_length=255, blank=True, default=""
    )
    file_name = models.CharField("file", max_length=255, blank=True, default="")
    # added / already there / invalid rows, and the first errors.
    result = models.JSONField(default=dict, blank=True)
    tm_create = models.DateTimeField("created", default=timezone.now, editable=False)

    objects = SuppressionEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "suppression list job"
        verbose_name_plural = "suppression list jobs"

    def __str__(self) -> str:
        return f"{self.kind} of {self.list_id} ({self.status})"
