"""The product's settings plus the floor's routes: ``make bench`` serves the
API and its raw twins from one gunicorn (``benchmarks.floor.wsgi``). The
product's own configuration has no switch for them."""

from outdialsite.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.floor.urls"
