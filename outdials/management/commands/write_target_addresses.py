"""``manage.py write_target_addresses``: write the addresses the search
reads of every target that has none yet (made before migration 0025, or
inserted raw).

The job workers do this a chunk at a time (``jobs.housekeeping``); the
command is for all of them at once, after an upgrade of a large database
(some 8 minutes at 1,000,000 targets on 2 busy vCPUs). Until a target has
them, the search finds it as before, by its destinations, only slower.
"""

from django.core.management.base import BaseCommand

from ... import targets


class Command(BaseCommand):
    help = (
        "Write the addresses the search reads of every target that has none "
        "yet (the workers do it a chunk at a time)."
    )

    def handle(self, *args, **options):
        total = 0
        while written := targets.write_missing_addresses():
            total += written
        noun = "target" if total == 1 else "targets"
        self.stdout.write(f"Wrote the addresses of {total} {noun}.")
