"""OutdialTarget.settled_outcome: the outcome of the attempt that decided the
target's status, so the summary counts exhausted targets with one index-only
GROUP BY instead of a subquery per target.

Existing rows are filled from the attempt log. A status a person set by hand
left no record, but it shows against the engine's rule: after an unanswered
outcome the engine makes a target ``idle`` exactly when a destination still
has attempts left under the last claim's maxima, and an answered target is
always ``done``. A target that breaks the rule was overridden: its
``settled_outcome`` stays "".
"""

import django.db.models.deletion
from django.db import migrations, models

UNANSWERED = ["no_answer", "busy", "failed", "expired"]
CHUNK = 500


def fill_settled_outcome(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # Foreign keys are checked at commit; rows updated under them would
        # leave trigger events pending, and PostgreSQL refuses to build the
        # indexes that follow in the same transaction until they have fired.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _fill(apps, schema_editor)
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def _fill(apps, schema_editor):
    OutdialTarget = apps.get_model("outdials", "OutdialTarget")
    Attempt = apps.get_model("outdials", "Attempt")
    Destination = apps.get_model("outdials", "Destination")
    quote = schema_editor.quote_name
    targets, attempts = (
        quote(OutdialTarget._meta.db_table),
        quote(Attempt._meta.db_table),
    )
    # The newest attempt's outcome (the attempt_log index serves the lookup).
    # A progressing target's newest attempt is open, so "" already.
    schema_editor.execute(
        f"UPDATE {targets} SET settled_outcome = COALESCE((SELECT a.outcome"
        f" FROM {attempts} a WHERE a.outdial_target_id = {targets}.id"
        " ORDER BY a.tm_start DESC, a.id DESC LIMIT 1), '')"
        " WHERE tm_last_attempt IS NOT NULL AND status <> 'progressing'"
    )
    OutdialTarget.objects.filter(status="idle", settled_outcome="answered").update(
        settled_outcome=""
    )
    settled = OutdialTarget.objects.filter(
        status__in=["idle", "done"], settled_outcome__in=UNANSWERED
    ).order_by("pk")
    after = None
    while True:
        page = settled if after is None else settled.filter(pk__gt=after)
        rows = list(page.values_list("pk", "status")[:CHUNK])
        if not rows:
            return
        after = rows[-1][0]
        ids = [pk for pk, _ in rows]
        try_counts: dict = {}
        for target_id, index, count in Destination.objects.filter(
            outdial_target_id__in=ids
        ).values_list("outdial_target_id", "index", "try_count"):
            try_counts.setdefault(target_id, {})[index] = count
        maxima: dict = {}
        for target_id, limits in (
            Attempt.objects.filter(outdial_target_id__in=ids)
            .order_by("outdial_target_id", "-tm_start", "-id")
            .values_list("outdial_target_id", "max_try_counts")
        ):
            maxima.setdefault(target_id, limits)
        overridden = []
        for pk, status in rows:
            limits = maxima.get(pk) or []
            room = any(
                index < len(limits) and count < limits[index]
                for index, count in try_counts.get(pk, {}).items()
            )
            if room != (status == "idle"):
                overridden.append(pk)
        if overridden:
            OutdialTarget.objects.filter(pk__in=overridden).update(settled_outcome="")


class Migration(migrations.Migration):
    dependencies = [
        ("outdials", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outdialtarget",
            name="settled_outcome",
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
        # Filled before the new indexes exist: they are built once, not
        # maintained row by row through the update.
        migrations.RunPython(fill_settled_outcome, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(
                fields=["outdial", "destination_index", "outcome"],
                name="attempt_count",
            ),
        ),
        migrations.AlterField(
            model_name="attempt",
            name="outdial",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempts",
                to="outdials.outdial",
            ),
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(
                fields=["outdial_target", "destination_index", "outcome"],
                name="attempt_target_count",
            ),
        ),
        migrations.AlterField(
            model_name="attempt",
            name="outdial_target",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempts",
                to="outdials.outdialtarget",
            ),
        ),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                condition=models.Q(("tm_delete__isnull", True)),
                fields=["outdial", "status", "settled_outcome", "tm_delete"],
                name="target_summary",
            ),
        ),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                condition=models.Q(("tm_delete__isnull", False)),
                fields=["outdial", "-tm_create", "-id"],
                name="target_deleted",
            ),
        ),
    ]
