"""A customer's staff in the admin: the "Customer staff" group and its
permissions, which the admin's tenancy (``admin/base.py``) limits to the
user's own customer. Migration 0018 makes the group; the commands that make
staff users (``createcustomer --staff``, ``ensuredemo``) put them in it."""

STAFF_GROUP = "Customer staff"
# What a customer's staff may do in the admin, by model.
STAFF_PERMISSIONS = {
    "outdial": ("view", "add", "change"),
    "outdialtarget": ("view", "add", "change"),
    "destination": ("view", "add", "change", "delete"),
    "dialingpolicy": ("view", "add", "change"),
    "importbatch": ("view",),
    "attempt": ("view",),
    "accesskey": ("view", "add", "change"),
    "customer": ("view",),
    "user": ("view", "add", "change"),
}


def staff_group(group_model, permission_model):
    """The "Customer staff" group with exactly its permissions, made if
    missing; takes the models so that a migration can pass its own."""
    group, _ = group_model.objects.get_or_create(name=STAFF_GROUP)
    codenames = [
        f"{action}_{model}"
        for model, actions in STAFF_PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.set(
        permission_model.objects.filter(
            content_type__app_label="outdials", codename__in=codenames
        )
    )
    return group


def make_staff(user) -> None:
    """``user`` may use the admin for their own customer."""
    from django.contrib.auth.models import Group, Permission

    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(staff_group(Group, Permission))
