"""A target a dialer holds cannot be changed by people.

Every write a person makes to a target (the staff pages, the admin, the API)
goes through :func:`write`: one conditional ``UPDATE`` that passes over a
target that is ``progressing`` or deleted, whose row count is checked. A
check in Python before an unconditional write would let a claim slip in
between; here the database decides, and on PostgreSQL the updated row stays
locked until the change commits, so a claim passes over it (SKIP LOCKED).
Sets of targets use the same QuerySet rule, ``not_held()``.
"""

from django.utils import timezone

from .models import OutdialTarget, TargetStatus


class Refused(Exception):
    """A change the rules refuse; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class TargetInProgress(Refused):
    """A dialer holds the target; people may not change it now."""

    def __init__(self, action: str = "change it"):
        super().__init__(
            "TARGET_IN_PROGRESS",
            f"A dialer holds this target; {action} after its attempt ends.",
        )


class TargetGone(Refused):
    """The target was deleted meanwhile."""

    def __init__(self):
        super().__init__("TARGET_NOT_FOUND", "The target was not found.")


def write(
    target: OutdialTarget,
    action: str,
    *,
    unless: dict | None = None,
    delete: bool = False,
    **fields,
) -> bool:
    """Write ``fields`` and a new ``tm_update`` (and ``tm_delete`` with
    ``delete``) to ``target`` unless a dialer holds it or it is deleted;
    ``unless`` names values that make the write needless (answers ``False``
    then). Raises :class:`TargetInProgress`
    (naming ``action``, e.g. "delete it") or :class:`TargetGone`.

    Call it inside the transaction of any further writes (the destinations),
    so they commit or roll back with the guarded row.
    """
    now = timezone.now()
    if delete:
        fields["tm_delete"] = now
    candidates = OutdialTarget.objects.filter(pk=target.pk).live().not_held()
    if unless:
        candidates = candidates.exclude(**unless)
    if candidates.update(tm_update=now, **fields):
        for name, value in {**fields, "tm_update": now}.items():
            setattr(target, name, value)
        return True
    current = OutdialTarget.objects.filter(pk=target.pk).values("status", "tm_delete")
    found = next(iter(current), None)
    if found is None or found["tm_delete"] is not None:
        raise TargetGone()
    if found["status"] == TargetStatus.PROGRESSING:
        raise TargetInProgress(action)
    return False
