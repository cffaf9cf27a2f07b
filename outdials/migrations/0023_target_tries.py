"""OutdialTarget.tries: the sum of a target's destinations' try counts, for
the try-count filter (one indexed column instead of a sum per target); the
statements that change a try count write it too.

Existing rows are filled from their destinations (only targets tried at
least once: the others stay 0).
"""

from django.db import migrations, models


def fill_tries(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # As in 0002: no trigger events left pending before the index.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    OutdialTarget = apps.get_model("outdials", "OutdialTarget")
    Destination = apps.get_model("outdials", "Destination")
    quote = schema_editor.quote_name
    targets = quote(OutdialTarget._meta.db_table)
    destinations = quote(Destination._meta.db_table)
    schema_editor.execute(
        f"UPDATE {targets} SET tries = (SELECT COALESCE(SUM(d.try_count), 0)"
        f" FROM {destinations} d WHERE d.outdial_target_id = {targets}.id)"
        f" WHERE EXISTS (SELECT 1 FROM {destinations} d"
        f" WHERE d.outdial_target_id = {targets}.id AND d.try_count > 0)"
    )
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("outdials", "0022_attempt_order_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="outdialtarget",
            name="tries",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill_tries, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                condition=models.Q(("tm_delete__isnull", True)),
                fields=["outdial", "tries", "-tm_create", "-id"],
                name="target_tries_page",
            ),
        ),
    ]
