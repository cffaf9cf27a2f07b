"""Loaded before Django starts (``-p tests.environment``): the test settings."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef"
)
# Tests speak plain HTTP; the HTTPS-only settings have their own tests.
os.environ.setdefault("DJANGO_HTTPS", "0")
