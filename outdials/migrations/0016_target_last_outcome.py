"""OutdialTarget.last_outcome: the outcome of a target's newest settled
attempt, for the outcome filters ("the ones that failed"); the dialing engine
writes it in the statement that settles an attempt.

Existing rows are filled from the attempt log: the newest attempt with an
outcome (an open claim has none yet, so the one before it counts).
"""

from django.db import migrations, models

import outdials.paging


def fill_last_outcome(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # As in 0002: no trigger events left pending before the indexes.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    OutdialTarget = apps.get_model("outdials", "OutdialTarget")
    Attempt = apps.get_model("outdials", "Attempt")
    quote = schema_editor.quote_name
    targets = quote(OutdialTarget._meta.db_table)
    attempts = quote(Attempt._meta.db_table)
    # The attempt_log index serves the lookup per target.
    schema_editor.execute(
        f"UPDATE {targets} SET last_outcome = COALESCE((SELECT a.outcome"
        f" FROM {attempts} a WHERE a.outdial_target_id = {targets}.id"
        " AND a.outcome <> '' ORDER BY a.tm_start DESC, a.id DESC LIMIT 1), '')"
        " WHERE tm_last_attempt IS NOT NULL"
    )
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("outdials", "0014_dialing_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="outdialtarget",
            name="last_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "pending"),
                    ("answered", "Answered"),
                    ("no_answer", "No Answer"),
                    ("busy", "Busy"),
                    ("failed", "Failed"),
                    ("expired", "Expired"),
                ],
                db_default="",
                default="",
                editable=False,
                max_length=16,
            ),
        ),
        migrations.RunPython(fill_last_outcome, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                condition=models.Q(("tm_delete__isnull", True)),
                fields=["outdial", "last_outcome", "-tm_create", "-id"],
                name="target_outcome_page",
            ),
        ),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                models.F("outdial"),
                outdials.paging.AttemptKey().desc(),
                models.F("id").desc(),
                condition=models.Q(("tm_delete__isnull", True)),
                name="target_attempt_page",
            ),
        ),
    ]
