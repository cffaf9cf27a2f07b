"""OutdialTarget.addresses: its destinations' addresses, one a line, so a
contains-search that reads the list in order tests one column of each row
instead of looking up its destinations; written with the destinations.

Existing rows are not rewritten here (at 1,000,000 targets that took
minutes, every claim on them waiting): they start NULL, which the search
reads as "look at the destinations", and the workers' housekeeping writes
them in short chunks (``targets.write_missing_addresses``), found by the
partial index of the rows still NULL (which also tells the search whether a
list has any).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outdials", "0024_suppressed_targets"),
    ]

    operations = [
        migrations.AddField(
            model_name="outdialtarget",
            name="addresses",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="outdialtarget",
            index=models.Index(
                condition=models.Q(("addresses__isnull", True)),
                fields=["outdial"],
                name="target_addresses_missing",
            ),
        ),
    ]
