"""Customers, their users and their access keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from .. import credentials, targets
from ..models import AccessKey, Customer, User
from .base import (
    DeletedFilter,
    RulesForm,
    TenantAdmin,
    changes_of,
    sees_every_customer,
)

DEFAULT_ACCESS_KEY_SECONDS = 365 * 24 * 3600


@admin.register(Customer)
class CustomerAdmin(TenantAdmin):
    """Operators create customers; a customer's staff see their own, read-only."""

    list_display = ("name", "id", "tm_create")
    search_fields = ("name",)
    date_hierarchy = "tm_create"
    fields = ("name", "id", "tm_create")
    readonly_fields = ("id", "tm_create")

    def get_list_filter(self, request):
        return []

    def has_add_permission(self, request):
        return sees_every_customer(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return sees_every_customer(request.user) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        # A customer's outdials are protected; retiring one is an operator's
        # decision made in the database, not a button next to "Save".
        return False


@admin.register(User)
class OutdialsUserAdmin(TenantAdmin, UserAdmin):
    """Django's user admin plus the customer a user belongs to.

    A non-superuser manages the people of their own customer, but cannot see
    superusers nor hand out superuser status, groups or permissions.
    """

    list_display = (
        "username",
        "email",
        "customer",
        "is_staff",
        "is_superuser",
        "is_active",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active")
    list_select_related = ("customer",)
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (*UserAdmin.fieldsets, ("Customer", {"fields": ("customer",)}))
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Customer", {"fields": ("customer",)}),
    )
    PRIVILEGES = ("is_superuser", "groups", "user_permissions")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not sees_every_customer(request.user):
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and not sees_every_customer(request.user):
            fieldsets = fieldsets[:-1]  # their customer, set on save
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if sees_every_customer(request.user):
            # Unlike a list or a key, a person may move to another customer.
            return [field for field in fields if field != "customer"]
        return fields + [field for field in self.PRIVILEGES if field not in fields]


class AccessKeyAddForm(RulesForm):
    expire_seconds = forms.IntegerField(
        label="Valid for (seconds)",
        min_value=60,
        max_value=credentials.MAX_ACCESS_KEY_SECONDS,
        initial=DEFAULT_ACCESS_KEY_SECONDS,
        help_text="How long the key works, from now. One year is 31536000.",
    )

    class Meta:
        model = AccessKey
        fields = ("customer", "name", "detail")


class AccessKeyChangeForm(RulesForm):
    class Meta:
        model = AccessKey
        fields = ("name", "detail")


@admin.register(AccessKey)
class AccessKeyAdmin(TenantAdmin):
    """Access keys: the full key is shown once, when created; only its prefix
    and a hash are stored, and the hash never appears here."""

    list_display = ("name", "token_prefix", "customer", "tm_expire", "tm_create")
    list_filter = (DeletedFilter,)
    list_select_related = ("customer",)
    search_fields = ("name", "=token_prefix")
    date_hierarchy = "tm_create"
    ordering = ("-tm_create", "-id")
    sortable_by = ("tm_create",)
    actions = ("revoke",)
    readonly_fields = (
        "token_prefix",
        "tm_expire",
        "tm_create",
        "tm_update",
        "tm_delete",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = AccessKeyChangeForm if obj is not None else AccessKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            fields = ["customer", "name", "detail", "expire_seconds"]
        else:
            fields = ["customer", "name", "detail", *self.readonly_fields]
        if obj is None and not sees_every_customer(request.user):
            fields.remove("customer")
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays for the record

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.tm_delete is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            if form.changed_data:
                targets.update_fields(obj, **changes_of(form))
            return
        customer = (
            form.cleaned_data["customer"]
            if sees_every_customer(request.user)
            else request.user.customer
        )
        created, key = credentials.new_access_key(
            customer,
            form.cleaned_data["name"],
            form.cleaned_data["detail"],
            form.cleaned_data["expire_seconds"],
        )
        # The admin goes on with the object it built (logging, redirect):
        # make it the saved one.
        obj.__dict__.update(created.__dict__)
        messages.warning(
            request,
            f"The new access key is {key} — copy it now: it is stored only as "
            "a hash and will not be shown again.",
        )

    @admin.action(description="Revoke selected access keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = queryset.soft_delete()
        messages.success(request, f"Revoked {revoked} access key(s).")
