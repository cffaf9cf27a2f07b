"""``manage.py release_expired_claims``: settle claims whose lease has passed.

The job workers do this every 15 s (``jobs.housekeeping``), the one periodic
home of it; the command is for settling at once, by hand or from a script.
"""

from django.core.management.base import BaseCommand

from ... import dialing


class Command(BaseCommand):
    help = (
        "Settle claims whose lease passed without a result as 'expired'; their "
        "targets go back to idle, or to done when no attempts are left."
    )

    def handle(self, *args, **options):
        settled = dialing.settle_expired()
        noun = "claim" if settled == 1 else "claims"
        self.stdout.write(f"Settled {settled} expired {noun}.")
