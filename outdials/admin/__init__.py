"""The Django admin, for operators and for what the staff pages don't cover.

Every model is registered in the module for its area; importing them here
registers them. Shared behaviour (tenancy, filters, paging) is in ``base``.
"""

from . import accounts, outdial, records, suppression, target  # noqa: F401
