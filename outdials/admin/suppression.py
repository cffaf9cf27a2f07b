"""Suppression lists, their entries and change log (issue 16). Entries are
added and removed through ``suppression`` (so every change is logged and
normalized); the change log and the loads are read-only."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .. import suppression
from ..models import (
    SuppressionChange,
    SuppressionEntry,
    SuppressionList,
    SuppressionUpload,
)
from .base import ReadOnlyAdmin, TenantAdmin


class EntryListFilter(admin.SimpleListFilter):
    title = "list"
    parameter_name = "list"

    def lookups(self, request, model_admin):
        lists = SuppressionList.objects.order_by("name")
        if not request.user.is_superuser:
            lists = lists.owned_by(request.user.customer_id)
        return [(str(s.pk), s.name) for s in lists[:200]]

    def queryset(self, request, queryset):
        return queryset.filter(list_id=self.value()) if self.value() else queryset


@admin.register(SuppressionList)
class SuppressionListAdmin(TenantAdmin):
    list_display = ("name", "customer", "scope", "default_for", "tm_create")
    list_select_related = ("customer", "default_for")
    search_fields = ("name",)
    ordering = ("-tm_create", "-id")
    fields = ("customer", "name", "detail", "scope", "outdials", "default_for")
    filter_horizontal = ("outdials",)

    def _has_customer_field(self) -> bool:
        return True

    def get_queryset(self, request):
        return super().get_queryset(request).live()

    def get_deleted_objects(self, objs, request):
        """Not every entry listed (a list may have millions): a deletion
        removes them itself, a big list's in a background job."""
        shown = [f"{o} (and its entries)" for o in objs]
        return shown, {"suppression lists": len(shown)}, set(), []

    def save_model(self, request, obj, form, change):
        # Re-scoped away from an outdial: its targets are judged again.
        obj._applied_before = suppression.applied_to(obj) if change else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(form.instance, "_applied_before", set())
        suppression.release(before - suppression.applied_to(form.instance))

    def delete_model(self, request, obj):
        suppression.delete_list(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for found in queryset:
            suppression.delete_list(found, user=request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        from ..models import Outdial
        from .base import scoped

        if db_field.name == "outdials":
            kwargs["queryset"] = scoped(Outdial.objects.live(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from ..models import Outdial
        from .base import scoped

        if db_field.name == "default_for":
            kwargs["queryset"] = scoped(Outdial.objects.live(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(TenantAdmin):
    """One address or prefix of a list; saved through ``suppression.add``."""

    list_display = ("__str__", "list", "type", "kind", "tm_expire", "reason", "source")
    list_filter = (EntryListFilter, "kind", "type")
    list_select_related = ("list",)
    search_fields = ("address",)  # see get_search_results
    search_help_text = "An exact address (as stored: E.164, lower-case email)."
    ordering = ("-id",)
    sortable_by = ()
    fields = ("list", "type", "kind", "address", "tm_expire", "reason", "source")
    id_search = ()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(address=term), False  # the indexed column

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from .base import scoped

        if db_field.name == "list":
            kwargs["queryset"] = scoped(SuppressionList.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # An entry is added or removed, never edited in place (its change
        # log would not say what it was); adding again renews it.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            entry, _ = suppression.add(
                obj.list,
                type_=obj.type,
                address=obj.address,
                kind=obj.kind,
                tm_expire=obj.tm_expire,
                reason=obj.reason,
                source=obj.source,
                user=request.user,
            )
        except ValidationError as error:
            messages.error(request, f"{obj.address}: {' '.join(error.messages)}")
            return
        obj.pk = entry.pk

    def delete_model(self, request, obj):
        suppression.remove(obj.list, obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset.select_related("list"):
            suppression.remove(entry.list, entry, user=request.user)


@admin.register(SuppressionChange)
class SuppressionChangeAdmin(ReadOnlyAdmin):
    list_display = ("tm_create", "list", "action", "what", "created_by_name")
    list_filter = (EntryListFilter, "action")
    list_select_related = ("list",)
    ordering = ("-id",)
    sortable_by = ()
    id_search = ()
    fields = ("list", "action", "what", "created_by_name", "tm_create")


@admin.register(SuppressionUpload)
class SuppressionUploadAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "list", "status", "checked", "written", "tm_create")
    list_select_related = ("list",)
    ordering = ("-tm_create",)
    fields = ("list", "kind", "status", "file_name", "result", "error_message")
