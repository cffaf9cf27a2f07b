"""Bulk changes and exports over every target of an outdial matching a filter.

The outdial page offers them for "these 50" (the selected rows) or for "all N
matching" the table's filters. Each change is a domain write (``dialing``,
``targets``): a target a dialer holds is skipped, as a single change refuses
it. More than ``OUTDIALS["BULK_INLINE_MAX"]`` targets run as a background job
(:class:`~outdials.models.TargetsJob`), in chunks of :data:`CHUNK` targets,
each its own short transaction, with the job's progress page.
"""

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet

from . import dialing, exporting, jobs, targets
from .filters import InvalidFilters, filtered_targets
from .models import JobStatus, OutdialTarget, TargetsJob, TargetStatus

CHUNK = 1000
ACTIONS: dict[str, Callable[[QuerySet], tuple[int, int]]] = {
    "idle": lambda queryset: dialing.override_status(queryset, TargetStatus.IDLE),
    "done": lambda queryset: dialing.override_status(queryset, TargetStatus.DONE),
    "delete": targets.delete_targets,
    "redial": dialing.reset_try_counts,
}


def matching(outdial, filters: dict) -> QuerySet | None:
    """The live targets of ``outdial`` that ``filters`` (the targets table's
    ``status``/``q``) match, or ``None`` when the filters are not valid."""
    try:
        return filtered_targets(outdial.pk, filters, outdial.region)
    except InvalidFilters:
        return None


def held(queryset: QuerySet) -> int:
    """How many of ``queryset`` a dialer holds now (they will be skipped)."""
    return queryset.live().held().count()


def apply(kind: str, queryset: QuerySet) -> tuple[int, int]:
    """Apply a bulk change; answers ``(changed, skipped)``."""
    return ACTIONS[kind](queryset)


def is_large(count: int) -> bool:
    return count > settings.OUTDIALS["BULK_INLINE_MAX"]


def queue(
    outdial,
    kind: str,
    filters: dict,
    user,
    total: int | None,
    created_by_name: str = "",
) -> TargetsJob:
    """Queue a bulk change (or an export) of the targets ``filters`` match;
    ``total`` ``None``: not counted yet (the job counts them first)."""
    job = TargetsJob.objects.create(
        outdial=outdial,
        kind=kind,
        status=JobStatus.QUEUED,
        params={"filters": filters},
        total=total,
        created_by=user,
        created_by_name=(created_by_name or (user.get_username() if user else ""))[
            :255
        ],
    )
    from . import tasks

    jobs.enqueue(job, tasks.change_targets)
    return job


jobs.on_lost(
    TargetsJob,
    message="The targets it had changed before stay changed; run it again for "
    "the rest.",
)(jobs.remove_file)


def run_job(job_id: str) -> None:
    """The job: the change (or export) over the targets matching its filters."""
    job = TargetsJob.objects.select_related("outdial").filter(pk=job_id).first()
    if job is None or not jobs.begin(job):
        return
    queryset = matching(job.outdial, job.params.get("filters", {}))
    if queryset is None:
        jobs.fail(job, "INVALID_FILTER", "The filters are not valid.", 400)
        return
    try:
        fields = {}
        with jobs.Tracker(job) as tracker:
            if job.total is None:  # the request only estimated it
                tracker.update(total=queryset.count())
            if job.kind == "export":
                fields["file"], result = _export(job, queryset, tracker)
            else:
                result = _change(job.kind, queryset, tracker)
            tracker.stop()
        jobs.finish(job, result=result, **fields)
    except jobs.JobCancelled:
        jobs.remove_file(job)
    except Exception as error:
        jobs.fail(
            job,
            "JOB_FAILED",
            f"The job stopped on an unexpected error ({type(error).__name__}: "
            f"{error}); the targets it had changed stay changed.",
            500,
        )
        jobs.remove_file(job)
        raise


def _change(kind: str, queryset: QuerySet, tracker) -> dict:
    """Chunk by chunk in key order, each chunk one short transaction."""
    changed = skipped = seen = 0
    after = None
    ordered = queryset.order_by("pk")
    while True:
        page = ordered if after is None else ordered.filter(pk__gt=after)
        ids = list(page.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        with transaction.atomic():
            done, held_now = apply(kind, OutdialTarget.objects.filter(pk__in=ids))
        changed, skipped, seen = changed + done, skipped + held_now, seen + len(ids)
        after = ids[-1]
        tracker.update(checked=seen, written=changed)
    return {"matched": seen, "changed": changed, "skipped": skipped}


def _export(job: TargetsJob, queryset: QuerySet, tracker) -> tuple[str, dict]:
    """The CSV into a file in the default storage, downloaded when done: a
    big export never ends silently short the way a cut stream can."""
    rows = -1  # the header is no target
    with tempfile.TemporaryFile(prefix="outdials-export-") as spool:
        spool.write(exporting.BOM.encode("utf-8"))
        for line in exporting.iter_csv(queryset):
            spool.write(line.encode("utf-8"))
            rows += 1
            if not rows % CHUNK:
                tracker.update(checked=rows, written=rows)
        tracker.update(checked=rows, written=rows)
        spool.seek(0)
        name = default_storage.save(f"exports/{job.pk}.csv", File(spool))
    return name, {"rows": rows}


def prune_exports(older_than) -> int:
    """Remove export files of jobs that ended before ``older_than``."""
    removed = 0
    for job in TargetsJob.objects.filter(kind="export", tm_end__lt=older_than).exclude(
        file=""
    ):
        jobs.remove_file(job)
        TargetsJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return removed
