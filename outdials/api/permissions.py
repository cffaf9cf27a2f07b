from rest_framework.permissions import BasePermission


class IsCustomerUser(BasePermission):
    """Only a caller that speaks for a customer reaches the API."""

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "customer", None) is not None
