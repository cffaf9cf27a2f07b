"""Targets, with their five destination slots inline.

Writes go through ``outdials.targets`` (timestamps, try counts kept or reset,
a target a dialer holds refused), status changes through ``outdials.dialing``
and the CSV through ``outdials.exporting``: the admin holds none of their
rules. A refused change shows as a message on the target's page.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import format_html

from .. import dialing, exporting, filters, guards, targets, validators
from ..models import (
    DESTINATION_SLOTS,
    Attempt,
    Destination,
    Outdial,
    OutdialTarget,
    TargetStatus,
    default_region,
)
from ..targets import Address
from .base import (
    DeletedFilter,
    DestinationTypeFilter,
    OutdialFilter,
    RulesForm,
    TenantAdmin,
    as_uuid,
    changes_of,
    scoped,
)
from .outdial import changelist_url


class DestinationForm(RulesForm):
    # A blank first choice, so that an untouched extra row stays unchanged.
    index = forms.TypedChoiceField(
        label="slot",
        coerce=int,
        empty_value=None,
        choices=[("", "---------")]
        + [(i, f"destination_{i}") for i in DESTINATION_SLOTS],
    )

    class Meta:
        model = Destination
        fields = ("index", "type", "target", "target_name", "name", "detail")
        # Five slots side by side fit a 1280 px screen: the admin's default
        # inputs (and a 40-column textarea) made the page 2,221 px wide.
        widgets = {
            "target": forms.TextInput(attrs={"size": 16}),
            "target_name": forms.TextInput(attrs={"size": 9}),
            "name": forms.TextInput(attrs={"size": 9}),
            "detail": forms.Textarea(attrs={"rows": 1, "cols": 10}),
        }

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region  # the outdial's country, for national numbers

    def clean(self):
        cleaned = super().clean()
        type_, address = cleaned.get("type"), cleaned.get("target")
        read = validators.read_address
        if type_ and self.check("type", validators.validate_address_type, type_):
            if address is not None and self.check(
                "target", read, type_, address, self.region
            ):
                cleaned["target"] = read(type_, address, self.region)
        return cleaned

    def address(self) -> Address:
        data = self.cleaned_data
        return Address(
            type=data["type"],
            target=data["target"],
            target_name=data["target_name"],
            name=data["name"],
            detail=data["detail"],
        )


class DestinationFormSet(BaseInlineFormSet):
    """The slots as a whole: destination 0 is required, as on every other path."""

    def get_form_kwargs(self, index):
        # The parent form has set the target's outdial by now (also on a
        # new target): national numbers are read in its country.
        target = self.instance
        outdial = target.outdial if target.outdial_id else None
        region = outdial.region if outdial is not None else default_region()
        return {**super().get_form_kwargs(index), "region": region}

    def kept_forms(self):
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            yield form

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("index") == 0 for form in self.kept_forms()):
            raise ValidationError("Destination 0 needs an address.")

    def slots(self) -> list[Address | None]:
        slots: list[Address | None] = [None] * len(DESTINATION_SLOTS)
        for form in self.kept_forms():
            slots[form.cleaned_data["index"]] = form.address()
        return slots


class DestinationInline(admin.TabularInline):
    model = Destination
    form = DestinationForm
    formset = DestinationFormSet
    max_num = len(DESTINATION_SLOTS)
    extra = 1
    ordering = ("index",)
    fields = ("index", "type", "target", "target_name", "name", "detail", "try_count")
    readonly_fields = ("try_count",)

    def get_formset(self, request, obj=None, **kwargs):
        # Refuse a sixth row on the server too, not only in the page's script.
        return super().get_formset(request, obj, validate_max=True, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and not editable(obj):
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not editable(obj):
            return False
        return super().has_delete_permission(request, obj)


def editable(target: OutdialTarget) -> bool:
    """A deleted target, or one in a deleted outdial, is read-only until
    restored (the API answers 404 to changes)."""
    return not target.is_deleted and not target.outdial.is_deleted


class TargetsListFilter(admin.SimpleListFilter):
    """One of the targets list's filters (``outdials.filters``), offered in
    the admin's sidebar with its own choices."""

    def lookups(self, request, model_admin):
        return filters.TargetFilter.base_filters[self.parameter_name].extra["choices"]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            return filters.matching(queryset, {self.parameter_name: self.value()})
        except filters.InvalidFilters as error:
            raise IncorrectLookupParameters(error) from None


class OutcomeFilter(TargetsListFilter):
    title = "last outcome"
    parameter_name = "outcome"


class ExhaustedFilter(TargetsListFilter):
    title = "exhausted"
    parameter_name = "exhausted"


class TargetForm(RulesForm):
    class Meta:
        model = OutdialTarget
        fields = ("outdial", "name", "detail", "data")


@admin.register(OutdialTarget)
class OutdialTargetAdmin(TenantAdmin):
    form = TargetForm
    inlines = (DestinationInline,)
    list_display = (
        "__str__",
        "outdial",
        "status",
        "destinations",
        "tm_last_attempt",
        "tm_create",
        "tm_update",
    )
    list_filter = (
        OutdialFilter,
        "status",
        OutcomeFilter,
        ExhaustedFilter,
        DestinationTypeFilter,
        DeletedFilter,
    )
    list_select_related = ("outdial",)
    # Newest first within an outdial: the order of the (outdial, -tm_create,
    # -id) index, so a page is an index range scan, never a sort of the list.
    ordering = ("outdial_id", "-tm_create", "-id")
    # Sorted by an index (KeysetChangeList): within an outdial, newest or
    # oldest first is the target_page index read either way.
    sortable_by = ("tm_create",)
    search_fields = ("name",)  # see get_search_results
    search_help_text = "Part of a name or of a destination address, or a target id."
    autocomplete_fields = ("outdial",)
    fields = (
        "outdial",
        "name",
        "detail",
        "data",
        "status",
        "id",
        "import_batch",
        "attempt_log",
        "tm_last_attempt",
        "time_zone",
        "tm_next_attempt",
        "day_attempts",
        "tm_create",
        "tm_update",
        "tm_delete",
    )
    readonly_fields = (
        "status",
        "id",
        "import_batch",
        "attempt_log",
        "tm_last_attempt",
        "time_zone",
        "tm_next_attempt",
        "day_attempts",
        "tm_create",
        "tm_update",
        "tm_delete",
    )
    actions = (
        "reset_to_idle",
        "mark_done",
        "export_csv",
        "soft_delete_selected",
        "restore_selected",
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("outdial").with_destinations()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "outdial":
            kwargs["queryset"] = scoped(
                db_field.related_model.objects.live(), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in self.readonly_fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "outdial") if obj is not None else fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and not editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete instead: the row stays for the record

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        """A target id exactly; otherwise the targets list's own search (part
        of the name or of any destination address), as on every other page."""
        term = search_term.strip()
        if not term:
            return queryset, False
        pk = as_uuid(term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        try:
            region = partial(self._outdial_region, request)  # asked only if needed
            return filters.matching(queryset, {"q": term}, region), False
        except filters.InvalidFilters as invalid:
            raise IncorrectLookupParameters(invalid.errors) from None

    @staticmethod
    def _outdial_region(request):
        """The country of the outdial the list is filtered to, else the
        default; national numbers in a search are read in it."""
        outdial = as_uuid(request.GET.get(OutdialFilter.parameter_name, ""))
        if outdial is None:
            return default_region()
        found = scoped(Outdial.objects.filter(pk=outdial), request.user)
        return found.values_list("region", flat=True).first() or default_region()

    @admin.display(description="destinations")
    def destinations(self, obj: OutdialTarget) -> str:
        return ", ".join(str(slot) for slot in obj.slots() if slot is not None)

    @admin.display(description="attempts")
    def attempt_log(self, obj: OutdialTarget) -> str:
        return format_html(
            '<a href="{}">attempt log</a>',
            changelist_url(Attempt, outdial_target=obj.pk),
        )

    # Saving: the inline formset is the form for the slots; the domain writes.

    def save_model(self, request, obj, form, change):
        pass  # written in save_related, once the slots are known

    def save_related(self, request, form, formsets, change):
        slots_formset = formsets[0]
        if not change:
            created = targets.create_target(
                form.cleaned_data["outdial"],
                name=form.cleaned_data["name"],
                detail=form.cleaned_data["detail"],
                data=form.cleaned_data["data"],
                slots=slots_formset.slots(),
            )
            # The admin goes on with the object it built (log, redirect).
            form.instance.__dict__.update(created.__dict__)
            return
        changes = changes_of(form)
        slots = slots_formset.slots() if slots_formset.has_changed() else None
        if changes or slots is not None:
            targets.update_target(form.instance, slots=slots, **changes)

    def construct_change_message(self, request, form, formsets, add):
        message = super().construct_change_message(request, form, [], add)
        if not add and any(formset.has_changed() for formset in formsets):
            message.append({"changed": {"fields": ["destinations"]}})
        return message

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A change a dialer's claim refuses rolls back (the admin saves in
        one transaction) and comes back to the page with the reason."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except guards.TargetInProgress as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        except guards.TargetGone as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(changelist_url(OutdialTarget))

    # Actions: each one statement over the selection (the domain's QuerySet
    # rules), targets a dialer holds left alone.

    def _done(self, request, done: str, held: int, why: str) -> None:
        messages.success(request, done)
        if held:
            messages.warning(
                request, f"Skipped {held} target(s) a dialer holds; {why}."
            )

    def _override(self, request, queryset, status: str, done: str) -> None:
        changed, held = dialing.override_status(queryset, status)
        self._done(
            request, done.format(n=changed), held, "their attempt decides their status"
        )

    @admin.action(description="Reset selected targets to idle", permissions=["change"])
    def reset_to_idle(self, request, queryset):
        self._override(
            request, queryset, TargetStatus.IDLE, "Reset {n} target(s) to idle."
        )

    @admin.action(description="Mark selected targets done", permissions=["change"])
    def mark_done(self, request, queryset):
        self._override(
            request, queryset, TargetStatus.DONE, "Marked {n} target(s) done."
        )

    @admin.action(description="Export selected targets as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """The export endpoint's file (columns, formula guard, BOM), streamed."""
        response = StreamingHttpResponse(
            exporting.iter_chunks(queryset.prefetch_related(None)),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="targets-{stamp}.csv"'
        return response

    @admin.action(description="Soft delete selected targets", permissions=["change"])
    def soft_delete_selected(self, request, queryset):
        deleted, held = targets.delete_targets(queryset)
        self._done(
            request,
            f"Deleted {deleted} target(s).",
            held,
            "delete them after their attempt ends",
        )

    @admin.action(description="Restore selected targets", permissions=["change"])
    def restore_selected(self, request, queryset):
        restored = queryset.restore()
        messages.success(request, f"Restored {restored} target(s).")
