"""``manage.py export_targets OUTDIAL_ID [FILE]``: an outdial's targets as CSV."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from outdials import exporting, filters, queries
from outdials.models import Outdial, TargetStatus


class Command(BaseCommand):
    help = (
        "Write an outdial's live targets as CSV (UTF-8 with a BOM, the columns "
        "import_targets reads plus the server's) to FILE or standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdial_id")
        parser.add_argument("file", nargs="?", help="where to write; default stdout")
        parser.add_argument("--status", choices=TargetStatus.values)
        parser.add_argument("--q", help="part of a name or destination address")
        parser.add_argument(
            "--outcome",
            help="last outcome(s), comma-separated: answered, no_answer, busy, "
            "failed, expired, never",
        )
        parser.add_argument("--exhausted", choices=["true", "false"])

    def handle(self, *args, **options):
        try:
            pk = uuid.UUID(options["outdial_id"])
        except ValueError:
            raise CommandError(
                f"{options['outdial_id']!r} is not an outdial id (a UUID)."
            ) from None
        outdial = queries.one(Outdial.objects.live().filter(pk=pk))
        if outdial is None:
            raise CommandError(f"There is no live outdial {pk}.")
        names = ("status", "q", "outcome", "exhausted")
        wanted = {k: options[k] for k in names if options[k]}
        try:
            matching = filters.filtered_targets(outdial.pk, wanted)
        except filters.InvalidFilters as invalid:
            raise CommandError(f"Bad filter: {dict(invalid.errors)}") from None
        chunks = exporting.iter_chunks(matching)
        if not options["file"]:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        try:
            with open(options["file"], "w", encoding="utf-8", newline="") as out:
                for chunk in chunks:
                    out.write(chunk)
        except OSError as error:
            raise CommandError(
                f"Cannot write {options['file']}: {error.strerror}."
            ) from None
