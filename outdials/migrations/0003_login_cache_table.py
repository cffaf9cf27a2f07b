"""The sign-in throttle's cache table, so that ``migrate`` alone sets up a
database (``createcachetable`` skips a table that exists)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [("outdials", "0002_target_settled_outcome")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
