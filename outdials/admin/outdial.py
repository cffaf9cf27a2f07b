"""Outdials: the lists. Their targets are never an inline here (a list can
hold a million); the change page counts them by status and links to the
targets changelist, filtered."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .. import dialing, targets
from ..models import Attempt, ImportBatch, Outdial, OutdialTarget, TargetStatus
from .base import DeletedFilter, RulesForm, TenantAdmin, changes_of


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:outdials_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


class OutdialForm(RulesForm):
    class Meta:
        model = Outdial
        fields = ("customer", "name", "detail", "data", "campaign_id")


@admin.register(Outdial)
class OutdialAdmin(TenantAdmin):
    form = OutdialForm
    list_display = ("name", "customer", "campaign_id", "tm_create", "tm_update")
    list_filter = (DeletedFilter,)
    list_select_related = ("customer",)
    search_fields = ("name",)
    id_search = ("pk", "campaign_id")
    date_hierarchy = "tm_create"
    ordering = ("-tm_create", "-id")
    fields = (
        "customer",
        "name",
        "detail",
        "data",
        "campaign_id",
        "target_counts",
        "id",
        "tm_create",
        "tm_update",
        "tm_delete",
    )
    readonly_fields = ("target_counts", "id", "tm_create", "tm_update", "tm_delete")
    actions = ("soft_delete_selected", "restore_selected")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in self.readonly_fields]
        return fields

    @admin.display(description="targets")
    def target_counts(self, obj: Outdial) -> str:
        counts = dialing.summary(obj)
        links = [
            (
                changelist_url(OutdialTarget, outdial=obj.pk, status__exact=status),
                status,
                counts["status"][status],
            )
            for status in TargetStatus.values
        ]
        links.append(
            (changelist_url(OutdialTarget, outdial=obj.pk), "total", counts["total"])
        )
        return format_html(
            '<ul class="target-counts">{}</ul>'
            "<p>{} done without an answer (every destination tried).</p>"
            '<p><a href="{}">deleted targets</a> · <a href="{}">attempts</a> · '
            '<a href="{}">imports</a></p>',
            format_html_join("", '<li><a href="{}">{}</a>: {}</li>', links),
            counts["exhausted"],
            changelist_url(OutdialTarget, outdial=obj.pk, deleted="yes"),
            changelist_url(Attempt, outdial=obj.pk),
            changelist_url(ImportBatch, outdial=obj.pk),
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Deleting a list is a soft delete (its million targets stay for the
        # record and for undo); the cascade page could not even be drawn.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_deleted:
            return False  # restore it first, as the API refuses changes
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        elif form.changed_data:
            targets.update_fields(obj, **changes_of(form))

    @admin.action(description="Soft delete selected outdials", permissions=["change"])
    def soft_delete_selected(self, request, queryset):
        deleted = queryset.soft_delete()
        messages.success(request, f"Deleted {deleted} outdial(s).")

    @admin.action(description="Restore selected outdials", permissions=["change"])
    def restore_selected(self, request, queryset):
        restored = queryset.restore()
        messages.success(request, f"Restored {restored} outdial(s).")
