"""``manage.py purge_staged_uploads``: delete uploaded files whose mapping step
expired without an import (run it from cron, say hourly)."""

from django.core.management.base import BaseCommand

from outdials.importing import staging


class Command(BaseCommand):
    help = "Delete expired uploaded files waiting for their import; prints how many."

    def handle(self, *args, **options):
        self.stdout.write(str(staging.sweep()))
