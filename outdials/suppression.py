"""Do-not-call and suppression lists (issue 16): the one home of their rules.

A customer's list applies to all of its outdials (scope ``all``) or to the
ones it chose. An entry is an address of any destination type, in the form
:func:`normalize` gives (E.164 for phone numbers, a lower-case email, a SIP
URI with its scheme and host in lower case), or a phone prefix such as
``+1900`` that suppresses every number starting with it. An entry with an
expiry stops suppressing by itself once it has passed.

Where it is enforced: every claim (``dialing_sql.unsuppressed``, written once
as a queryset the claim statement embeds), every import (``importing.
checking`` looks each chunk of rows up with :func:`find`), and a result with
``suppress: true`` adds its address here (:func:`suppress_from_result`). Every
change to a list is kept as a :class:`~outdials.models.SuppressionChange`.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import validators
from .dialing_sql import PHONE_TYPES, PREFIX_LENGTHS, UNMARKED
from .exporting import guard_cell, unguard_cell
from .models import (
    Destination,
    Outdial,
    OutdialTarget,
    SuppressionChange,
    SuppressionEntry,
    SuppressionKind,
    SuppressionList,
    SuppressionScope,
)

PREFIX = re.compile(rf"\+[1-9][0-9]{{0,{max(PREFIX_LENGTHS) - 2}}}")
LOAD_CHUNK = 5000
LOOKUP_BATCH = 5000
DELETE_CHUNK = 5000  # entries removed per transaction by a list's deletion


class Refused(ValueError):
    """A change the rules refuse; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


class ListDeleted(Refused):
    """The list was deleted while entries were being loaded into it."""

    def __init__(self):
        super().__init__(
            "LIST_DELETED", "The list was deleted; no more entries were loaded."
        )


def normalize(type_: str, address: str, kind: str = SuppressionKind.ADDRESS) -> str:
    """``address`` as entries keep it and claims compare it: the target's
    stored form (``validators.validate_address``; a phone number as people
    write it, ``classify_phone`` with the default country), with an email in
    lower case and a SIP URI's scheme and host in lower case; a prefix is
    ``+`` and 1–15 digits. Raises ``ValidationError``."""
    address = address.strip()
    if kind == SuppressionKind.PREFIX:
        if type_ not in PHONE_TYPES or not PREFIX.fullmatch(address):
            raise ValidationError(
                "a prefix is + and up to 15 digits of a phone number, like +1900."
            )
        return address
    validators.validate_address_type(type_)
    if type_ in PHONE_TYPES:
        # As people write numbers, national ones in the default country.
        region = settings.OUTDIALS["DEFAULT_REGION"]
        return validators.classify_phone(address, region, strict=False)[0]
    stored = validators.validate_address(type_, address, strict=False)
    return validators.lookup_key(type_, stored)


def candidates(type_: str, address: str) -> list[str]:
    """What a stored address is looked up as: its lookup key
    (``validators.lookup_key``, the form entries keep) and (a phone number)
    its own prefixes: the claim statement asks the same in SQL."""
    found = [validators.lookup_key(type_, address)]
    if type_ in PHONE_TYPES:
        found += [address[:n] for n in PREFIX_LENGTHS if n < len(address)]
    return found


def _matches(entry_kind: str, entry_address: str, type_: str, address: str) -> bool:
    if entry_kind == SuppressionKind.PREFIX:
        return type_ in PHONE_TYPES and address.startswith(entry_address)
    return entry_address == validators.lookup_key(type_, address)


@dataclass(frozen=True)
class Hit:
    """The entry that suppresses an address, and its list."""

    list_id: object
    list_name: str
    address: str
    kind: str


def applies(outdial: Outdial | object) -> bool:
    """Whether any list with entries applies to ``outdial``: while none
    does, an import looks nothing up."""
    lists = SuppressionList.objects.applying_to(getattr(outdial, "pk", outdial))
    return SuppressionEntry.objects.filter(list__in=lists.values("pk")).exists()


def find(
    outdial: Outdial | object, addresses: Iterable[tuple[str, str]], now=None
) -> dict[tuple[str, str], Hit]:
    """Which of ``addresses`` ((type, address) as targets store them) the
    lists applying to ``outdial`` suppress at ``now``. An import asks once
    per chunk of rows: the addresses in batches of ``LOOKUP_BATCH`` (IN over
    ``supp_entry_lookup``), and the lists' prefixes, which are few, in one
    query on their own index; then each address and its own prefixes are
    looked up in memory."""
    addresses = list(addresses)
    if not addresses:
        return {}
    outdial_id = getattr(outdial, "pk", outdial)
    lists = SuppressionList.objects.applying_to(outdial_id).values("pk")
    active = SuppressionEntry.objects.active(now or timezone.now()).filter(
        list__in=lists
    )
    fields = ("address", "list_id", "list__name")
    keys = {(t, a): validators.lookup_key(t, a) for t, a in addresses}
    exact: dict[str, tuple] = {}
    wanted = list(set(keys.values()))
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        for address, list_id, name in active.filter(
            kind=SuppressionKind.ADDRESS, address__in=batch
        ).values_list(*fields):
            exact.setdefault(address, (list_id, name))
    prefixes: dict[str, tuple] = {}
    if any(type_ in PHONE_TYPES for type_, _a in addresses):
        for address, list_id, name in active.filter(
            kind=SuppressionKind.PREFIX
        ).values_list(*fields):
            prefixes.setdefault(address, (list_id, name))
    found = {}
    for type_, address in addresses:
        matched = keys[type_, address]
        hit = exact.get(matched)
        kind = SuppressionKind.ADDRESS
        if hit is None and prefixes and type_ in PHONE_TYPES:
            own = candidates(type_, address)[1:] + [address]
            matched = next((p for p in own if p in prefixes), None)
            hit = prefixes.get(matched) if matched else None
            kind = SuppressionKind.PREFIX
        if hit is not None:
            found[type_, address] = Hit(hit[0], hit[1], matched, kind)
    return found


def check(customer, type_: str, address: str, now=None) -> list[dict]:
    """The customer's lists (whatever their scope) with an active entry for
    this address: ``[{"list_id", "list_name", "entry"}]``. Raises
    ``ValidationError`` for an address that is not one."""
    address = normalize(type_, address)
    rows = (
        SuppressionEntry.objects.owned_by(customer)
        .filter(list__tm_delete__isnull=True)
        .active(now or timezone.now())
        .filter(address__in=candidates(type_, address))
        .select_related("list")
        .order_by("list__name", "id")
    )
    return [
        {"list_id": entry.list_id, "list_name": entry.list.name, "entry": entry}
        for entry in rows
        if _matches(entry.kind, entry.address, type_, address)
    ]


# --- targets the claims pass over ---------------------------------------------------


def applied_to(suppression_list) -> set:
    """The ids of the outdials whose claims and imports ``suppression_list``
    applies to now (none once it is deleted): its customer's outdials for
    scope ``all``, else those it chose."""
    found = SuppressionList.objects.filter(pk=suppression_list.pk).live()
    outdials = Outdial.objects.filter(customer_id=suppression_list.customer_id)
    outdials = outdials.filter(
        Exists(found.filter(scope=SuppressionScope.ALL))
        | Exists(found.filter(outdials=OuterRef("pk")))
    )
    return set(outdials.values_list("pk", flat=True))


def release(outdial_ids, entry: SuppressionEntry | None = None) -> int:
    """Clear the marks by which claims pass over suppressed targets of these
    outdials (``dialing_sql.unmarked``), so the next claim judges them again:
    a list stopped suppressing there (deleted, re-scoped) or, with
    ``entry``, one entry did (removed, or its expiry brought forward): only
    the targets with a destination it names. One indexed update
    (``target_suppressed``); answers how many."""
    marked = OutdialTarget.objects.filter(
        outdial_id__in=list(outdial_ids), tm_suppressed_until__gt=timezone.now()
    )
    if entry is not None:
        slots = Destination.objects.filter(outdial_target=OuterRef("pk"))
        if entry.kind == SuppressionKind.PREFIX:
            slots = slots.filter(type__in=PHONE_TYPES, target__startswith=entry.address)
        else:
            slots = slots.alias(key=validators.lookup_key_sql("type", "target")).filter(
                key=entry.address
            )
        marked = marked.filter(Exists(slots))
    return marked.update(**UNMARKED)


# --- changes, each logged --------------------------------------------------------


def _log(suppression_list, action: str, what: dict, user=None, name: str = ""):
    SuppressionChange.objects.create(
        list=suppression_list,
        action=action,
        what=what,
        created_by=user if getattr(user, "pk", None) else None,
        created_by_name=(name or getattr(user, "username", "") or "")[:255],
    )


def _entry_what(entry: SuppressionEntry) -> dict:
    return {
        "address": entry.address,
        "kind": entry.kind,
        "type": entry.type,
        "reason": entry.reason,
        "source": entry.source,
        "tm_expire": entry.tm_expire.isoformat() if entry.tm_expire else None,
    }


def create_list(customer, *, name, detail="", scope="all", outdials=(), user=None):
    """A new list; ``outdials`` (the customer's own) for scope ``chosen``."""
    with transaction.atomic():
        made = SuppressionList.objects.create(
            customer=customer, name=name, detail=detail, scope=scope
        )
        if outdials:
            made.outdials.set(outdials)
        _log(made, "create_list", {"name": name, "scope": scope}, user)
    return made


def update_list(suppression_list, user=None, outdials=None, **fields):
    """Change a list; the outdials it no longer applies to have their
    targets judged again at their next claim (:func:`release`)."""
    with transaction.atomic():
        before = applied_to(suppression_list)
        for name, value in fields.items():
            setattr(suppression_list, name, value)
        suppression_list.tm_update = timezone.now()
        suppression_list.save()
        if outdials is not None:
            suppression_list.outdials.set(outdials)
        what = {k: v for k, v in fields.items() if k in ("name", "detail", "scope")}
        if outdials is not None:
            what["outdials"] = sorted(str(o.pk) for o in outdials)
        _log(suppression_list, "update_list", what, user)
        release(before - applied_to(suppression_list))
    return suppression_list


def add(
    suppression_list,
    *,
    type_: str,
    address: str,
    kind: str = SuppressionKind.ADDRESS,
    tm_expire: datetime | None = None,
    reason: str = "",
    source: str = "",
    user=None,
) -> tuple[SuppressionEntry, bool]:
    """Add one entry (``address`` normalized here); an address the list has
    already gets the new expiry, reason and source. Answers (entry, created).
    Raises ``ValidationError`` for an address that is not one."""
    normalized = normalize(type_, address, kind)
    values = {
        "kind": kind,
        "type": type_,
        "tm_expire": tm_expire,
        "reason": reason[:255],
        "source": (source or getattr(user, "username", "") or "")[:255],
        "created_by": user if getattr(user, "pk", None) else None,
    }
    with transaction.atomic():
        entry, created = SuppressionEntry.objects.select_for_update().get_or_create(
            list=suppression_list, address=normalized, defaults=values
        )
        if not created:
            sooner = tm_expire is not None and (
                entry.tm_expire is None or tm_expire < entry.tm_expire
            )
            for name, value in values.items():
                setattr(entry, name, value)
            entry.save()
            if sooner:  # a mark may rest on the later expiry
                release(applied_to(suppression_list), entry)
        _log(suppression_list, "add" if created else "renew", _entry_what(entry), user)
    return entry, created


def delete_list(suppression_list, user=None):
    """Delete a list: at once it applies nowhere (``tm_delete``; also no
    longer the default list of its outdial), its open loads are cancelled,
    and its entries are removed: here when there are at most
    ``SUPPRESSION_DELETE_IN_REQUEST``, else by a background job
    (``tasks.delete_suppressions``) in short transactions. The row stays,
    deleted, with its change log. Asking again resumes a deletion a job left
    unfinished. Answers the deletion job, or ``None`` when the entries are
    gone already."""
    from . import jobs, tasks
    from .models import JobStatus, SuppressionUpload

    threshold = settings.OUTDIALS["SUPPRESSION_DELETE_IN_REQUEST"]
    with transaction.atomic():
        found = SuppressionList.objects.select_for_update().get(pk=suppression_list.pk)
        running = found.uploads.filter(kind="delete", status__in=jobs.OPEN).first()
        if running is not None:
            return running
        entries = SuppressionEntry.objects.filter(list=found)
        many = entries.values("pk")[: threshold + 1].count() > threshold
        if found.tm_delete is None:
            applied = applied_to(found)
            found.tm_delete = found.tm_update = timezone.now()
            found.default_for = None
            found.save(update_fields=["tm_delete", "tm_update", "default_for"])
            _log(found, "delete_list", {"name": found.name}, user)
            release(applied)
        for load in found.uploads.filter(kind="load", status__in=jobs.OPEN):
            jobs.cancel(load)
        suppression_list.tm_delete = found.tm_delete
        if not many:
            entries.delete()
            return None
        job = SuppressionUpload.objects.create(
            list=found,
            kind="delete",
            status=JobStatus.QUEUED,
            created_by=user if getattr(user, "pk", None) else None,
            created_by_name=(getattr(user, "username", "") or "")[:255],
        )
        jobs.enqueue(job, tasks.delete_suppressions)
    return job


def run_delete(job_id: str) -> None:
    """The job: remove a deleted list's entries, ``DELETE_CHUNK`` at a time,
    each chunk its own short transaction (SQLite's writers, claims among
    them, wait at most one chunk)."""
    from . import jobs
    from .models import SuppressionUpload

    job = SuppressionUpload.objects.filter(pk=job_id, kind="delete").first()
    if job is None or not jobs.begin(job):
        return
    entries = SuppressionEntry.objects.filter(list_id=job.list_id)
    removed = 0
    try:
        with jobs.Tracker(job) as tracker:
            tracker.update(total=entries.count())
            while True:
                chunk = list(entries.values_list("pk", flat=True)[:DELETE_CHUNK])
                if not chunk:
                    break
                with transaction.atomic():
                    removed += SuppressionEntry.objects.filter(pk__in=chunk).delete()[0]
                tracker.update(checked=removed, written=removed)
            tracker.stop()
        jobs.finish(job, checked=removed, written=removed, result={"removed": removed})
    except jobs.JobCancelled:
        pass  # the list stays deleted; deleting it again removes the rest
    except Exception as error:
        jobs.fail(
            job,
            "DELETE_FAILED",
            f"The deletion stopped on an unexpected error ({type(error).__name__}); "
            "delete the list again to remove the rest of its entries.",
            500,
        )
        raise


def remove(suppression_list, entry: SuppressionEntry, user=None) -> None:
    """Remove one entry: the targets claims passed over for it are judged
    again at the next claim."""
    with transaction.atomic():
        SuppressionEntry.objects.filter(pk=entry.pk).delete()
        _log(suppression_list, "remove", _entry_what(entry), user)
        release(applied_to(suppression_list), entry)


def entry_by_address(suppression_list, type_: str, address: str, kind="address"):
    """The list's entry for this address, or ``None``."""
    try:
        normalized = normalize(type_, address, kind)
    except ValidationError:
        return None
    return SuppressionEntry.objects.filter(
        list=suppression_list, address=normalized
    ).first()


def default_list(outdial: Outdial) -> SuppressionList:
    """The outdial's default list, made on demand (scope: that outdial)."""
    found = SuppressionList.objects.live().filter(default_for=outdial).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            made = SuppressionList.objects.create(
                customer_id=outdial.customer_id,
                name=f"Do not call: {outdial.name or outdial.pk}"[:255],
                scope=SuppressionScope.CHOSEN,
                default_for=outdial,
            )
            made.outdials.add(outdial)
            _log(made, "create_list", {"name": made.name, "default_for": True})
            return made
    except IntegrityError:  # made at the same moment by another result
        return SuppressionList.objects.get(default_for=outdial)


def suppress_from_result(
    outdial: Outdial, type_: str, address: str, *, reason: str, source: str
) -> SuppressionEntry:
    """A result's ``suppress: true``: the dialed address joins the outdial's
    default list. Called inside the result's transaction."""
    entry, _ = add(
        default_list(outdial),
        type_=type_,
        address=address,
        reason=reason or "asked not to be called again",
        source=source,
    )
    return entry


# --- pages of entries and the change log ----------------------------------------


def page(queryset, after: str, size: int) -> tuple[list, str]:
    """Newest first by id (entries and changes have integer keys):
    ``(items, next_page_token)``; raises ``ValueError`` on a bad token."""
    queryset = queryset.order_by("-id")
    if after:
        if not after.isdigit() or len(after) > 19:
            raise ValueError(after)
        queryset = queryset.filter(id__lt=int(after))
    items = list(queryset[: size + 1])
    more = len(items) > size
    items = items[:size]
    return items, (str(items[-1].pk) if more and items else "")


# --- bulk load and export ----------------------------------------------------------

EXPORT_HEADER = ["type", "address", "kind", "expire", "reason", "source", "created"]


def _rows_of(text) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(text)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "address" not in header:
        raise Refused(
            "MISSING_HEADER",
            "The file's first row must be a header with an address column "
            "(and optionally type, kind, expire, reason, source).",
        )
    for row, cells in enumerate(reader, start=2):
        if any(cells):
            yield row, dict(zip(header, cells, strict=False))


def load(suppression_list, stream, *, user=None, name: str = "", progress=None) -> dict:
    """Add the entries of a CSV (``address`` and optional ``type``,
    ``kind``, ``expire``, ``reason``, ``source`` columns), in chunks of one
    query each; an address the list has is left as it is. Answers
    ``{"rows", "added", "existing", "invalid", "errors"}``. The background
    job (``tasks.load_suppressions``) runs it for big files."""
    from django.utils.dateparse import parse_datetime

    counts = {"rows": 0, "added": 0, "existing": 0, "invalid": 0, "errors": []}
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    source = (name or getattr(user, "username", "") or "upload")[:255]
    chunk: dict[str, SuppressionEntry] = {}

    def flush():
        if not chunk:
            return
        with transaction.atomic():
            # The list's row locked first: a deletion (which locks it too)
            # either comes after this chunk, and removes it with the rest,
            # or before, and then nothing more is written into the list.
            live = SuppressionList.objects.select_for_update().filter(
                pk=suppression_list.pk, tm_delete__isnull=True
            )
            if not live.exists():
                raise ListDeleted
            have = set(
                SuppressionEntry.objects.filter(
                    list=suppression_list, address__in=list(chunk)
                ).values_list("address", flat=True)
            )
            new = [entry for address, entry in chunk.items() if address not in have]
            SuppressionEntry.objects.bulk_create(
                new, batch_size=1000, ignore_conflicts=True
            )
        counts["added"] += len(new)
        counts["existing"] += len(chunk) - len(new)
        chunk.clear()
        if progress:
            progress(counts)

    try:
        for row, cells in _rows_of(text):
            counts["rows"] += 1
            written = unguard_cell(cells.get("address") or "").strip()
            kind = (cells.get("kind") or "address").strip().lower() or "address"
            type_ = (cells.get("type") or "").strip().lower()
            type_ = type_ or validators.infer_address_type(written)
            try:
                if kind not in SuppressionKind.values:
                    raise ValidationError("kind must be address or prefix.")
                address = normalize(type_, written, kind)
                expire = (cells.get("expire") or "").strip()
                when = parse_datetime(expire) if expire else None
                if expire and (when is None or when.tzinfo is None):
                    raise ValidationError("expire must be an ISO 8601 time with zone.")
            except ValidationError as error:
                counts["invalid"] += 1
                if len(counts["errors"]) < 100:
                    counts["errors"].append(
                        {"row": row, "message": f"{written}: {error.messages[0]}"}
                    )
                continue
            if address in chunk:
                counts["existing"] += 1
                continue
            chunk[address] = SuppressionEntry(
                list=suppression_list,
                kind=kind,
                type=type_,
                address=address,
                tm_expire=when,
                reason=(cells.get("reason") or "")[:255],
                source=(cells.get("source") or source)[:255],
                created_by=user if getattr(user, "pk", None) else None,
            )
            if len(chunk) >= LOAD_CHUNK:
                flush()
        flush()
    except (UnicodeDecodeError, csv.Error) as error:
        raise Refused(
            "MALFORMED_CSV", f"The file is not UTF-8 CSV ({error})."
        ) from None
    finally:
        text.detach()
    _log(
        suppression_list,
        "load",
        {k: counts[k] for k in ("rows", "added", "existing", "invalid")},
        user,
        name,
    )
    return counts


def export_rows(suppression_list) -> Iterator[list[str]]:
    """The list's entries as CSV rows, header first, streamed (a cell a
    spreadsheet would run is guarded, as the targets' export does)."""
    yield EXPORT_HEADER
    entries = (
        SuppressionEntry.objects.filter(list=suppression_list)
        .order_by("id")
        .values_list(
            "type", "address", "kind", "tm_expire", "reason", "source", "tm_create"
        )
    )
    for type_, address, kind, expire, reason, source, created in entries.iterator(
        chunk_size=5000
    ):
        yield [
            type_,
            guard_cell(address, "destination_0"),
            kind,
            expire.isoformat() if expire else "",
            guard_cell(reason, "reason"),
            guard_cell(source, "source"),
            created.isoformat(),
        ]


# --- the bulk load as a background job ---------------------------------------------


def queue_load(suppression_list, stream, *, file_name: str = "", user=None):
    """Keep the CSV ``stream`` and queue its load into the list (``load``,
    run by ``tasks.load_suppressions``); answers the queued job's row."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from . import jobs, tasks
    from .models import JobStatus, SuppressionUpload

    size = getattr(stream, "size", None)
    limit = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
    if size is not None and size > limit:
        raise Refused(
            "FILE_TOO_LARGE", f"The file is larger than the limit of {limit} bytes."
        )
    upload = SuppressionUpload(
        list=suppression_list,
        kind="load",
        status=JobStatus.QUEUED,
        created_by=user if getattr(user, "pk", None) else None,
        created_by_name=(getattr(user, "username", "") or "")[:255],
        file_name=file_name[:255],
    )
    name = f"jobs/suppressions/{upload.pk}"
    upload.file = default_storage.save(
        name, stream if isinstance(stream, File) else File(stream, name=name)
    )
    try:
        upload.save(force_insert=True)
        jobs.enqueue(upload, tasks.load_suppressions)
    except BaseException:
        default_storage.delete(upload.file)
        raise
    return upload


def run_load(upload_id: str) -> None:
    """The job: load the kept file into its list, then remove the file."""
    from django.core.files.storage import default_storage

    from . import jobs
    from .models import SuppressionUpload

    upload = (
        SuppressionUpload.objects.select_related("list", "created_by")
        .filter(pk=upload_id)
        .first()
    )
    if upload is None or not jobs.begin(upload):
        if upload is not None:
            jobs.remove_file(upload)
        return
    try:
        with jobs.Tracker(upload) as tracker, default_storage.open(upload.file) as file:

            def progress(counts):
                tracker.update(checked=counts["rows"], written=counts["added"])

            counts = load(
                upload.list,
                file,
                user=upload.created_by,
                name=upload.created_by_name or upload.file_name,
                progress=progress,
            )
            tracker.stop()
        jobs.finish(
            upload, checked=counts["rows"], written=counts["added"], result=counts
        )
    except ListDeleted:
        pass  # the deletion cancelled this load and removes what it wrote
    except Refused as refused:
        jobs.fail(upload, refused.reason, refused.message, 400)
    except jobs.JobCancelled:
        pass  # the entries added so far stay: each chunk is its own write
    except Exception as error:
        jobs.fail(
            upload,
            "LOAD_FAILED",
            f"The load stopped on an unexpected error ({type(error).__name__}).",
            500,
        )
        raise
    finally:
        jobs.remove_file(upload)


def export_lines(suppression_list) -> Iterator[str]:
    """:func:`export_rows` as CSV text, a few hundred lines at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for n, row in enumerate(export_rows(suppression_list), start=1):
        writer.writerow(row)
        if n % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
