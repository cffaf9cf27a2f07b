"""What the system writes: destinations (edited through their target),
dialing attempts and CSV imports. Read-only here."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from .. import importing, search
from ..models import Attempt, Destination, ImportBatch, default_region
from .base import OutdialFilter, ReadOnlyAdmin, as_uuid


def exact_address(term: str) -> str:
    """A searched address as stored: a number as people write it (read in
    the default country) in E.164, anything else as typed."""
    return search.as_number(term, default_region()) or term


class TargetsOutdialFilter(OutdialFilter):
    lookup = "outdial_target__outdial_id"


@admin.register(Destination)
class DestinationAdmin(ReadOnlyAdmin):
    """Every filled slot, to find who holds an address. Change a destination
    on its target's page, where the slot rules and try counts are kept."""

    list_display = ("__str__", "type", "index", "try_count", "outdial_target")
    list_filter = (TargetsOutdialFilter, "type", "index")
    list_select_related = ("outdial_target",)
    search_fields = ("target",)  # see get_search_results
    search_help_text = "An exact address or number, or a target id."
    # The order of the (outdial_target, index) unique index.
    ordering = ("outdial_target_id", "index")
    sortable_by = ()
    fields = (
        "outdial_target",
        "index",
        "type",
        "target",
        "target_name",
        "name",
        "detail",
        "try_count",
    )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        target_id = as_uuid(term)
        if target_id is not None:
            return queryset.filter(outdial_target_id=target_id), False
        # the indexed column, exactly; a number as people write it too
        return queryset.filter(target=exact_address(term)), False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    """The dialing log: one row per attempt, its id is the dialer's claim id."""

    list_display = (
        "address",
        "outdial_target",
        "destination_index",
        "try_count",
        "outcome_label",
        "tm_start",
        "lease_expires",
        "tm_end",
    )
    list_filter = ("outcome", OutdialFilter, "destination_index")
    list_select_related = ("outdial_target",)
    search_fields = ("address",)  # see get_search_results
    search_help_text = "An exact address or number, a claim id or a target id."
    # The order of the attempt log index: one target's attempts, newest first.
    ordering = ("outdial_target_id", "-tm_start", "-id")
    sortable_by = ("tm_start",)  # the attempt_log index, either way
    fields = (
        "id",
        "outdial",
        "outdial_target",
        "destination_index",
        "address",
        "try_count",
        "max_try_counts",
        "outcome_label",
        "lease_expires",
        "tm_start",
        "tm_end",
    )
    readonly_fields = ("outcome_label",)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_label(self, obj: Attempt) -> str:
        return obj.get_outcome_display()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        pk = as_uuid(term)
        if pk is not None:
            return queryset.filter(pk=pk) | queryset.filter(outdial_target_id=pk), False
        return queryset.filter(address=exact_address(term)), False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "outdial",
        "created_by_name",
        "rows",
        "created",
        "duplicates",
        "invalid",
        "tm_create",
        "tm_undo",
    )
    list_filter = (OutdialFilter,)
    list_select_related = ("outdial",)
    search_fields = ("file_name", "created_by_name")
    date_hierarchy = "tm_create"
    ordering = ("-tm_create", "-id")
    sortable_by = ("tm_create",)
    fields = (
        "id",
        "outdial",
        "file_name",
        "created_by_name",
        "rows",
        "created",
        "duplicates",
        "invalid",
        "report_json",
        "tm_create",
        "tm_undo",
    )
    readonly_fields = ("report_json",)
    actions = ("undo_selected",)

    def has_undo_permission(self, request) -> bool:
        # Undo soft-deletes the batch's targets: a change to targets.
        return request.user.has_perm("outdials.change_outdialtarget")

    @admin.action(description="Undo selected imports", permissions=["undo"])
    def undo_selected(self, request, queryset):
        """Each batch through ``importing.undo_import``: its untouched targets
        go, targets with a dialing history stay."""
        deleted = kept = undone = 0
        for batch in queryset.filter(tm_undo__isnull=True):
            try:
                result = importing.undo_import(batch)
            except importing.ImportRejected as refused:
                messages.warning(request, f"{batch}: {refused.message}")
                continue
            undone += 1
            deleted, kept = deleted + result.deleted, kept + result.kept
        messages.success(
            request,
            f"Undid {undone} import(s): {deleted} target(s) deleted, {kept} kept "
            "because a dialer has tried them.",
        )

    @admin.display(description="report")
    def report_json(self, obj: ImportBatch) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.report, indent=2, ensure_ascii=False)
        )
