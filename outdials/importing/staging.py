"""Uploaded files kept between the mapping, preview and import steps.

A file is saved in Django's default storage under a key of its own
(``imports/<customer>/<upload id>``, never the name the browser sent), and
found again only by its customer and outdial, so another customer's upload id
is as missing as an unknown one. It goes when imported, else when it expires:
:func:`sweep` runs at every new upload and from ``purge_staged_uploads``.
"""

import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from ..models import Outdial, StagedUpload


def stage(outdial: Outdial, uploaded, user=None) -> StagedUpload:
    """Keep ``uploaded`` (a Django ``File``) for ``outdial``'s customer."""
    sweep()
    pk = uuid.uuid4()
    name = default_storage.save(
        f"imports/{outdial.customer_id}/{pk.hex}/upload", uploaded
    )
    now = timezone.now()
    return StagedUpload.objects.create(
        id=pk,
        customer_id=outdial.customer_id,
        outdial=outdial,
        created_by=user,
        storage_name=name,
        file_name=(getattr(uploaded, "name", "") or "")[:255],
        size=getattr(uploaded, "size", 0) or 0,
        tm_create=now,
        tm_expire=now + settings.OUTDIALS["STAGED_UPLOAD_TTL"],
    )


def find(outdial: Outdial, pk) -> StagedUpload | None:
    """The unexpired upload ``pk`` of ``outdial`` (and so of its customer)."""
    return StagedUpload.objects.filter(
        pk=pk,
        outdial=outdial,
        customer_id=outdial.customer_id,
        tm_expire__gt=timezone.now(),
    ).first()


def open_file(staged: StagedUpload):
    """The kept file, binary and seekable; the caller closes it."""
    return default_storage.open(staged.storage_name, "rb")


def discard(staged: StagedUpload) -> None:
    default_storage.delete(staged.storage_name)
    staged.delete()


def sweep(now=None) -> int:
    """Delete the expired uploads and their files; answers how many."""
    expired = StagedUpload.objects.filter(tm_expire__lte=now or timezone.now())
    count = 0
    for staged in expired.iterator():
        discard(staged)
        count += 1
    return count
