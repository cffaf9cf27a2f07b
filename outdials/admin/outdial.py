"""Outdials: the lists. Their targets are never an inline here (a list can
hold a million); the change page counts them by status and links to the
targets changelist, filtered."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .. import dialing, policy, targets
from ..forms import region_choices
from ..models import (
    NIL_UUID,
    Attempt,
    DialingPolicy,
    ImportBatch,
    Outdial,
    OutdialTarget,
    TargetStatus,
    default_region,
)
from .base import DeletedFilter, RulesForm, TenantAdmin, changes_of


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:outdials_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


class OutdialForm(RulesForm):
    region = forms.ChoiceField(
        label="country",
        choices=region_choices,
        required=False,
        help_text="Numbers typed without +country code are read as this "
        "country's, and shown in its national form; an upload's default.",
    )
    # Optional: an outdial need not belong to a campaign (stored as the nil
    # UUID, as the API writes it), so no nil UUID to type.
    campaign_id = forms.UUIDField(
        label="campaign id",
        required=False,
        help_text="Leave empty when the list is not attached to a campaign.",
    )

    class Meta:
        model = Outdial
        fields = ("customer", "name", "detail", "data", "region", "campaign_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("region", default_region())
        if self.initial.get("campaign_id") == NIL_UUID:
            self.initial["campaign_id"] = None

    def clean_region(self):
        return self.cleaned_data["region"] or default_region()

    def clean_campaign_id(self):
        return self.cleaned_data["campaign_id"] or NIL_UUID


class PolicyAdminForm(RulesForm):
    """The policy with its rules from ``outdials.policy``; calling hours as
    people write them (``Mon-Fri 09:00-20:00``, a window a line)."""

    hours = forms.CharField(
        label="calling hours",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One window a line in each target's local time, e.g. "
        "Mon-Fri 09:00-20:00. Empty: any time.",
    )

    class Meta:
        model = DialingPolicy
        fields = ("outdial", "max_try_counts", "retry_delays", "daily_cap", "time_zone")
        help_texts = {
            "max_try_counts": "Five numbers: tries per destination when a claim "
            "does not say, e.g. [3, 1, 1, 1, 1].",
            "retry_delays": 'Seconds by outcome, e.g. {"busy": 300, '
            '"no_answer": 3600, "failed": 600, "expired": 0}.',
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["hours"].initial = policy.hours_text(
                self.instance.calling_hours
            )

    def clean(self):
        cleaned = super().clean()
        try:
            hours = policy.parse_hours_text(cleaned.get("hours") or "")
            maxima = cleaned.get("max_try_counts")
            if not isinstance(maxima, list) or len(maxima) != 5:
                raise ValidationError({"max_try_counts": "Give five numbers."})
            delays = cleaned.get("retry_delays")
            if not isinstance(delays, dict) or not all(
                isinstance(v, int) for v in delays.values()
            ):
                raise ValidationError({"retry_delays": "Give seconds by outcome."})
            values = policy.check(
                {
                    **{f"max_try_count_{i}": n for i, n in enumerate(maxima)},
                    "retry_delays": delays,
                    "daily_cap": cleaned.get("daily_cap") or 0,
                    "calling_hours": hours,
                    "time_zone": cleaned.get("time_zone") or "",
                }
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    name = field.split(".")[0]
                    name = "hours" if name == "calling_hours" else name
                    if name.startswith("max_try_count_"):
                        name = "max_try_counts"
                    self.add_error(name if name in self.fields else None, messages)
            else:
                self.add_error("hours", error)
            return cleaned
        self.instance.calling_hours = values["calling_hours"]
        cleaned["retry_delays"] = values["retry_delays"]
        cleaned["time_zone"] = values["time_zone"]
        return cleaned


@admin.register(DialingPolicy)
class DialingPolicyAdmin(TenantAdmin):
    """An outdial's dialing policy (one per outdial; linked from it)."""

    form = PolicyAdminForm
    list_display = ("outdial", "daily_cap", "time_zone", "tm_update")
    list_select_related = ("outdial",)
    autocomplete_fields = ("outdial",)
    ordering = ("-tm_update",)
    search_fields = ("outdial__name",)
    fields = (
        "outdial",
        "max_try_counts",
        "retry_delays",
        "daily_cap",
        "hours",
        "time_zone",
    )

    def get_readonly_fields(self, request, obj=None):
        return ("outdial",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        obj.tm_update = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Outdial)
class OutdialAdmin(TenantAdmin):
    form = OutdialForm
    list_display = (
        "name",
        "customer",
        "region",
        "campaign_id",
        "tm_create",
        "tm_update",
    )
    list_filter = (DeletedFilter,)
    list_select_related = ("customer",)
    search_fields = ("name",)
    id_search = ("pk", "campaign_id")
    date_hierarchy = "tm_create"
    ordering = ("-tm_create", "-id")
    sortable_by = ("tm_create",)
    fields = (
        "customer",
        "name",
        "detail",
        "data",
        "region",
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
            '<a href="{}">imports</a> · <a href="{}">dialing policy</a></p>',
            format_html_join("", '<li><a href="{}">{}</a>: {}</li>', links),
            counts["exhausted"],
            changelist_url(OutdialTarget, outdial=obj.pk, deleted="yes"),
            changelist_url(Attempt, outdial=obj.pk),
            changelist_url(ImportBatch, outdial=obj.pk),
            self._policy_url(obj),
        )

    @staticmethod
    def _policy_url(obj: Outdial) -> str:
        if DialingPolicy.objects.filter(outdial=obj).exists():
            return reverse("admin:outdials_dialingpolicy_change", args=[obj.pk])
        add = reverse("admin:outdials_dialingpolicy_add")
        return f"{add}?{urlencode({'outdial': obj.pk})}"

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
