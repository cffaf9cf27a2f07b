"""What every Outdials admin shares: tenancy, list filters, form rules, paging.

Staff users who are not superusers work inside their own customer: every
queryset, every foreign-key choice and every new row is limited to it.
Superusers see every customer's rows and get a customer filter instead.
"""

import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.db.models import Exists, OuterRef

from .. import validators
from ..forms import check_rule
from ..models import (
    AccessKey,
    Attempt,
    Customer,
    Destination,
    DialingPolicy,
    ImportBatch,
    Outdial,
    OutdialTarget,
    User,
)
from .paging import EstimatingPaginator

# The models a customer owns rows of: each reaches its customer by its
# QuerySet's ``owned_by`` (a user by its own ``customer``).
TENANT_MODELS = (
    Customer,
    User,
    AccessKey,
    Outdial,
    ImportBatch,
    OutdialTarget,
    Attempt,
    Destination,
    DialingPolicy,
)


def sees_every_customer(user) -> bool:
    return user.is_superuser


def owned_by(queryset, customer):
    """The rows of ``customer``: the models' own tenancy rule (``owned_by``);
    a user belongs to a customer directly (its manager is Django's)."""
    if queryset.model is User:
        return queryset.filter(customer=customer)
    return queryset.owned_by(customer)


def scoped(queryset, user):
    """``queryset`` limited to what ``user`` may see in the admin."""
    if sees_every_customer(user):
        return queryset
    if user.customer_id is None:
        return queryset.none()
    return owned_by(queryset, user.customer_id)


def changes_of(form) -> dict:
    """The fields a person changed in ``form``, with their new values."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


def as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def uuid_param(value: str):
    """A list filter's id parameter; a malformed one sends the changelist back
    to its unfiltered form with Django's "?e=1" notice, not a server error."""
    parsed = as_uuid(value)
    if parsed is None:
        raise IncorrectLookupParameters(f"{value!r} is not an id")
    return parsed


class RulesForm(forms.ModelForm):
    """A model form that runs the shared validators named in ``RULES``
    (field name → rule) and puts each message on its field."""

    RULES: dict = {
        "name": validators.validate_name,
        "target_name": validators.validate_name,
        "detail": validators.validate_detail,
        "data": validators.validate_data,
    }

    def check(self, field: str, rule, *args) -> bool:
        return check_rule(self, field, rule, *args)

    def clean(self):
        cleaned = super().clean()
        for field, rule in self.RULES.items():
            if field in self.fields and field in cleaned:
                self.check(field, rule, cleaned[field] or "")
        return cleaned


class CustomerFilter(admin.SimpleListFilter):
    """Superusers only: one customer's rows."""

    title = "customer"
    parameter_name = "customer"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name) for pk, name in Customer.objects.values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return owned_by(queryset, uuid_param(value))


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted rows leave the list unless asked for, as in the API.

    Live is the default, which also lets the partial indexes on live rows serve
    the changelist's ordering.
    """

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "no"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "no"
        if value == "no":
            return queryset.live()
        if value == "yes":
            return queryset.deleted()
        if value == "all":
            return queryset
        raise IncorrectLookupParameters(f"deleted={value!r}")


class OutdialFilter(admin.SimpleListFilter):
    """One outdial's rows. Lists the outdials the user may see (a superuser who
    picked a customer sees that customer's)."""

    title = "outdial"
    parameter_name = "outdial"
    lookup = "outdial_id"

    def lookups(self, request, model_admin):
        outdials = scoped(Outdial.objects.all(), request.user)
        customer = as_uuid(request.GET.get(CustomerFilter.parameter_name, ""))
        if customer is not None:
            outdials = outdials.owned_by(customer)
        return [
            (str(pk), str(name or pk))
            for pk, name in outdials.values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(**{self.lookup: uuid_param(value)})


class DestinationTypeFilter(admin.SimpleListFilter):
    """Targets with at least one destination of a type. ``EXISTS`` keeps one
    row per target (no ``DISTINCT`` over a million rows)."""

    title = "destination type"
    parameter_name = "destination_type"

    def lookups(self, request, model_admin):
        return [(type_, type_) for type_ in validators.ADDRESS_TYPES]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in validators.ADDRESS_TYPES:
            raise IncorrectLookupParameters(f"destination_type={value!r}")
        return queryset.filter(
            Exists(
                Destination.objects.filter(outdial_target=OuterRef("pk"), type=value)
            )
        )


class KeysetChangeList(ChangeList):
    """A click on a time column sorts by it with the id in the same
    direction: the order of the (…, -tm_x, -id) indexes, read backwards for
    oldest first, where Django's own tie-breakers would sort the list."""

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if ORDER_VAR in self.params and isinstance(first, str):
            if first.lstrip("-").startswith("tm_"):
                return [first, "-pk" if first.startswith("-") else "pk"]
        return ordering


class TenantAdmin(admin.ModelAdmin):
    """A ModelAdmin scoped to the signed-in user's customer.

    ``id_search`` names the id columns a pasted UUID is matched against
    exactly (indexed), instead of a text scan over a cast id.
    """

    paginator = EstimatingPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    id_search: tuple[str, ...] = ("pk",)

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_changelist(self, request, **kwargs):
        return KeysetChangeList

    def get_paginator(self, request, queryset, per_page, **kwargs):
        try:
            page = max(int(request.GET.get(PAGE_VAR, 1)), 1)
        except ValueError:
            page = 1
        return self.paginator(queryset, per_page, page=page, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if sees_every_customer(request.user):
            filters.insert(0, CustomerFilter)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in TENANT_MODELS and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, *args):
        user = request.user
        allowed = super().has_add_permission(request, *args)
        return allowed and (sees_every_customer(user) or user.customer_id is not None)

    def get_search_results(self, request, queryset, search_term):
        pk = as_uuid(search_term)
        if pk is not None and self.id_search:
            matches = queryset.none()
            for field in self.id_search:
                matches = matches | queryset.filter(**{field: pk})
            return matches, False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        """The customer is chosen once, on creation, and only by a superuser."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self._has_customer_field():
            fields.append("customer")
        return fields

    def get_fields(self, request, obj=None):
        """A non-superuser's new rows belong to their customer: no field for it."""
        fields = list(super().get_fields(request, obj))
        if obj is None and not sees_every_customer(request.user):
            fields = [field for field in fields if field != "customer"]
        return fields

    def save_model(self, request, obj, form, change):
        if (
            not change
            and self._has_customer_field()
            and not sees_every_customer(request.user)
        ):
            obj.customer_id = request.user.customer_id
        super().save_model(request, obj, form, change)

    def _has_customer_field(self) -> bool:
        return self.model in (User, AccessKey, Outdial)


class ReadOnlyAdmin(TenantAdmin):
    """Rows the system writes (attempts, destinations, imports): look, don't touch."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
