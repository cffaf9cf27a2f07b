"""Resources as the API writes them (SPEC §1, §3): plain dicts, built by hand.

Serializing a page of 100 targets this way costs a fraction of a DRF
``ModelSerializer``; input is still checked by serializers. The rows they
read have the fields ``queries.py`` selects (``TARGET_FIELDS`` and the like).
"""

from ..dialing import Claim
from ..models import (
    DESTINATION_SLOTS,
    AccessKey,
    Attempt,
    BackgroundWork,
    Destination,
    ImportBatch,
    Outdial,
    OutdialTarget,
    TargetsJob,
)
from ..timestamps import format_ts, formatter


def outdials(rows) -> list[dict]:
    """Outdials from rows of ``queries.OUTDIAL_FIELDS`` (the time format read once)."""
    format_ts = formatter()
    return [outdial(row, format_ts) for row in rows]


def outdial(o: Outdial, format_ts=format_ts) -> dict:
    """An outdial from its model instance or a row of ``queries.OUTDIAL_FIELDS``."""
    return {
        "id": str(o.pk),
        "customer_id": str(o.customer_id),
        "campaign_id": str(o.campaign_id),
        "name": o.name,
        "detail": o.detail,
        "data": o.data,
        "tm_create": format_ts(o.tm_create),
        "tm_update": format_ts(o.tm_update),
        "tm_delete": format_ts(o.tm_delete),
    }


def address(d: Destination | None) -> dict | None:
    if d is None:
        return None
    return {
        "type": d.type,
        "target": d.target,
        "target_name": d.target_name,
        "name": d.name,
        "detail": d.detail,
    }


assert list(DESTINATION_SLOTS) == [0, 1, 2, 3, 4]  # as _target writes them


def target(t: OutdialTarget) -> dict:
    """One target from its model instance (destinations prefetched or not)."""
    slots = [
        None
        if d is None
        else (d.type, d.target, d.target_name, d.name, d.detail, d.try_count)
        for d in t.slots()
    ]
    return _target(t, str(t.outdial_id), slots, formatter())


def target_row(row, slots: list) -> dict:
    """One target from a row of ``TARGET_FIELDS`` and ``outdial_id``, and its
    five slots (see ``reads.target_with_slots``)."""
    return _target(row, str(row.outdial_id), slots, formatter())


def targets(outdial_id, rows, slots) -> list[dict]:
    """Targets of one outdial from rows of ``TARGET_FIELDS`` and, for each
    row in order, its five slots (see ``reads.destination_slots``)."""
    outdial_id, format_ts = str(outdial_id), formatter()
    return [
        _target(row, outdial_id, five, format_ts)
        for row, five in zip(rows, slots, strict=True)
    ]


def _target(t, outdial_id: str, slots: list, format_ts) -> dict:
    """The target shape; ``slots`` holds ``(type, target, target_name, name,
    detail, try_count)`` or ``None`` for each of the five slots."""
    # One dict display for the five slots, not a loop over them: a third of
    # the time of a page's 100 targets; an empty slot costs no call.
    s0, s1, s2, s3, s4 = slots
    return {
        "id": str(t.pk),
        "outdial_id": outdial_id,
        "name": t.name,
        "detail": t.detail,
        "data": t.data,
        "status": t.status,
        "destination_0": None if s0 is None else _slot_address(s0),
        "destination_1": None if s1 is None else _slot_address(s1),
        "destination_2": None if s2 is None else _slot_address(s2),
        "destination_3": None if s3 is None else _slot_address(s3),
        "destination_4": None if s4 is None else _slot_address(s4),
        "try_count_0": 0 if s0 is None else s0[5],
        "try_count_1": 0 if s1 is None else s1[5],
        "try_count_2": 0 if s2 is None else s2[5],
        "try_count_3": 0 if s3 is None else s3[5],
        "try_count_4": 0 if s4 is None else s4[5],
        "tm_create": format_ts(t.tm_create),
        "tm_update": format_ts(t.tm_update),
        "tm_delete": format_ts(t.tm_delete),
    }


def _slot_address(slot) -> dict:
    return {
        "type": slot[0],
        "target": slot[1],
        "target_name": slot[2],
        "name": slot[3],
        "detail": slot[4],
    }


def access_key(k: AccessKey, token: str | None = None) -> dict:
    body = {
        "id": str(k.id),
        "customer_id": str(k.customer_id),
        "name": k.name,
        "detail": k.detail,
        "token_prefix": k.token_prefix,
        "tm_expire": format_ts(k.tm_expire),
        "tm_create": format_ts(k.tm_create),
        "tm_update": format_ts(k.tm_update),
        "tm_delete": format_ts(k.tm_delete),
    }
    if token is not None:
        body["token"] = token
    return body


def attempt(a: Attempt) -> dict:
    """One entry of a target's attempt log; ``outcome`` is ``pending`` while
    the claim is open."""
    return {
        "claim_id": str(a.id),
        "target_id": str(a.outdial_target_id),
        "destination_index": a.destination_index,
        "address": a.address,
        "try_count": a.try_count,
        "outcome": a.outcome or "pending",
        "lease_expires": format_ts(a.lease_expires),
        "tm_start": format_ts(a.tm_start),
        "tm_end": format_ts(a.tm_end),
    }


def claim(c: Claim) -> dict:
    return {
        "claim_id": str(c.claim_id),
        "lease_expires": format_ts(c.lease_expires),
        "destination_index": c.destination_index,
        "destination": address(c.destination),
        "try_count": c.try_count,
        "target": target(c.target),
    }


def policy(outdial_id, values: dict) -> dict:
    """An outdial's dialing policy (``outdials.policy.as_dict``)."""
    return {
        "outdial_id": str(outdial_id),
        **{key: value for key, value in values.items() if key != "tm_update"},
        "tm_update": format_ts(values["tm_update"]),
    }


def import_batch(b: ImportBatch) -> dict:
    """One import as the imports list shows it (the report is left out): what
    it did, and how its job stands."""
    return {
        "id": str(b.id),
        "outdial_id": str(b.outdial_id),
        "file_name": b.file_name,
        "created_by": b.created_by_name,
        "rows": b.rows,
        "created": b.created,
        "updated": b.updated,
        "unchanged": b.unchanged,
        "duplicates": b.duplicates,
        "invalid": b.invalid,
        "tm_create": format_ts(b.tm_create),
        "tm_undo": format_ts(b.tm_undo),
        **job(b),
        "dry_run": b.dry_run,
    }


def export_path(j: TargetsJob) -> str:
    return f"/v1.0/outdials/{j.outdial_id}/exports/{j.pk}"


def export_job(j: TargetsJob) -> dict:
    """An export run as a job; ``file`` is its CSV's path once complete."""
    ready = j.status == "done" and j.file
    return {
        "id": str(j.pk),
        "outdial_id": str(j.outdial_id),
        "created_by": j.created_by_name,
        "filters": j.params.get("filters", {}),
        "rows": j.result.get("rows"),
        "file": export_path(j) + "/file" if ready else None,
        "tm_create": format_ts(j.tm_create),
        **job(j),
    }


def job(w: BackgroundWork) -> dict:
    """A background job's state, progress, times and why it failed."""
    return {
        "status": w.status,
        "progress": {"checked": w.checked, "written": w.written, "total": w.total},
        "tm_start": format_ts(w.tm_start),
        "tm_end": format_ts(w.tm_end),
        "error": (
            {"reason": w.error_reason, "message": w.error_message}
            if w.error_reason
            else None
        ),
    }


def suppression_list(s) -> dict:
    """A suppression list; its chosen outdials when prefetched."""
    return {
        "id": str(s.pk),
        "customer_id": str(s.customer_id),
        "name": s.name,
        "detail": s.detail,
        "scope": s.scope,
        "outdial_ids": sorted(str(o.pk) for o in s.outdials.all()),
        "default_for": str(s.default_for_id) if s.default_for_id else None,
        "tm_create": format_ts(s.tm_create),
        "tm_update": format_ts(s.tm_update),
    }


def suppression_deletion_path(j) -> str:
    return f"/v1.0/suppressions/{j.list_id}/deletion"


def suppression_deletion(j) -> dict:
    """The deletion of a big list's entries, run as a job."""
    return {
        "id": str(j.pk),
        "list_id": str(j.list_id),
        "created_by": j.created_by_name,
        "removed": j.result.get("removed"),
        "tm_create": format_ts(j.tm_create),
        **job(j),
    }


def suppression_entry(e) -> dict:
    return {
        "id": e.pk,
        "list_id": str(e.list_id),
        "kind": e.kind,
        "type": e.type,
        "address": e.address,
        "tm_expire": format_ts(e.tm_expire),
        "reason": e.reason,
        "source": e.source,
        "tm_create": format_ts(e.tm_create),
    }


def suppression_change(c) -> dict:
    return {
        "id": c.pk,
        "list_id": str(c.list_id),
        "action": c.action,
        "what": c.what,
        "created_by": c.created_by_name,
        "tm_create": format_ts(c.tm_create),
    }
