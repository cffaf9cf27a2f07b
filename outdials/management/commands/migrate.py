"""``manage.py migrate``: Django's, without the request path's time bounds.

A schema change may rewrite a whole table (a stored column added to a million
targets takes most of a minute on PostgreSQL). The statement timeout and the
answer bound that protect requests would stop it halfway and fail the
deployment, so the migrating connection runs without them, and gets them
back afterwards.
"""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        try:
            with connection.answer_within(None):
                return super().handle(*args, **options)
        finally:
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    # Back to the connection's own (from DATABASE_STATEMENT_TIMEOUT).
                    cursor.execute("RESET statement_timeout")
