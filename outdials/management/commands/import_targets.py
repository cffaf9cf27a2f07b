"""``manage.py import_targets OUTDIAL_ID FILE``: a CSV or spreadsheet import
from a shell."""

import getpass
import json
import sys
import uuid
from argparse import BooleanOptionalAction

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from outdials import importing
from outdials.importing import background
from outdials.models import Outdial


class ProgressBars:
    """A bar per phase on a terminal (bytes checked, then targets written);
    nothing when standard error is not one."""

    def __init__(self, stream):
        self.stream = stream
        self.enabled = stream.isatty()
        self.bar = None
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = tqdm(
                total=total,
                desc="checking" if phase == "check" else "writing",
                unit="B" if phase == "check" else " targets",
                unit_scale=phase == "check",
                file=self.stream,
                leave=False,
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import a CSV or spreadsheet (.xlsx, .xls, .ods) file of targets into an "
        "outdial and print the report; "
        "exits 1 when a row is invalid or the file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdial_id")
        parser.add_argument("file", help="a CSV file, or - for standard input")
        parser.add_argument(
            "--region", help="default country of national numbers, e.g. US or GB"
        )
        parser.add_argument("--dry-run", action="store_true", help="check only")
        parser.add_argument(
            "--on-duplicate", choices=importing.ON_DUPLICATE, default="skip"
        )
        parser.add_argument("--on-error", choices=importing.ON_ERROR, default="abort")
        parser.add_argument(
            "--on-suppressed", choices=importing.ON_SUPPRESSED, default="skip"
        )
        parser.add_argument(
            "--strict",
            action=BooleanOptionalAction,
            default=None,
            help="refuse numbers phonenumbers does not know as assigned",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the report as JSON"
        )
        parser.add_argument(
            "--map",
            action="append",
            metavar="COLUMN=FIELD",
            help="which field a column fills (repeat it; FIELD empty leaves the "
            "column out), or a whole JSON object; without it the header is "
            f"guessed. Fields: {', '.join(importing.mapping.FIELDS)}",
        )
        parser.add_argument(
            "--key",
            default="",
            help="a column (a CRM id, say): rows whose key matches a live "
            "target update it instead of adding another",
        )
        parser.add_argument(
            "--unmapped-to-data",
            action="store_true",
            help="keep the columns not mapped in data, as a JSON object",
        )
        parser.add_argument("--sheet", help="the sheet of a workbook to read")
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue the import as a job for the worker (manage.py db_worker) "
            "and print its id, instead of importing here",
        )

    def handle(self, *args, **options):
        outdial = self._outdial(options["outdial_id"])
        columns = self._mapping(options["map"])
        path = options["file"]
        bars = ProgressBars(sys.stderr)
        try:
            stream = sys.stdin.buffer if path == "-" else open(path, "rb")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        if options["background"]:
            return self._queue(outdial, stream, path, options, columns)
        try:
            report = importing.import_csv(
                outdial,
                stream,
                file_name="" if path == "-" else path.rsplit("/", 1)[-1],
                region=options["region"],
                on_duplicate=options["on_duplicate"],
                on_error=options["on_error"],
                on_suppressed=options["on_suppressed"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                created_by_name=f"command line ({getpass.getuser()})",
                progress=bars,
                columns=columns,
                key=options["key"],
                unmapped_to_data=options["unmapped_to_data"],
                sheet=options["sheet"],
            )
        except importing.ImportRejected as rejected:
            bars.close()
            self._print(rejected.report, options, refused=True)
            raise CommandError(rejected.message) from None
        finally:
            bars.close()
            if stream is not sys.stdin.buffer:
                stream.close()
        self._print(report, options)
        if report.invalid:
            rows = "1 row is" if report.invalid == 1 else f"{report.invalid} rows are"
            raise CommandError(f"{rows} invalid (listed above).")

    def _mapping(self, values: list[str] | None) -> dict | None:
        if not values:
            return None
        if len(values) == 1 and values[0].lstrip().startswith("{"):
            try:
                found = json.loads(values[0])
            except ValueError:
                raise CommandError("--map is not a JSON object.") from None
        else:
            found = {}
            for value in values:
                column, equals, field = value.rpartition("=")
                if not equals:
                    raise CommandError(
                        f"--map {value!r} is not COLUMN=FIELD "
                        "(e.g. Phone=destination_0)."
                    )
                found[column] = field
        try:
            return importing.mapping.parse(found)
        except ValueError as error:
            raise CommandError(f"--map {error}") from None

    def _queue(self, outdial, stream, path, options, columns) -> None:
        try:
            batch = background.queue_import(
                outdial,
                File(stream),
                file_name="" if path == "-" else path.rsplit("/", 1)[-1],
                region=options["region"],
                on_duplicate=options["on_duplicate"],
                on_error=options["on_error"],
                on_suppressed=options["on_suppressed"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                created_by_name=f"command line ({getpass.getuser()})",
                columns=columns,
                key=options["key"],
                unmapped_to_data=options["unmapped_to_data"],
                sheet=options["sheet"],
            )
        except importing.ImportRejected as rejected:
            raise CommandError(rejected.message) from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        if options["json"]:
            self.stdout.write(
                json.dumps({"import_id": str(batch.pk), "status": batch.status})
            )
            return
        self.stdout.write(
            f"Queued import {batch.pk}; a worker (manage.py db_worker) runs it. "
            f"Its page: /outdials/{outdial.pk}/imports/{batch.pk}/"
        )

    def _outdial(self, value: str) -> Outdial:
        try:
            pk = uuid.UUID(value)
        except ValueError:
            raise CommandError(f"{value!r} is not an outdial id (a UUID).") from None
        outdial = Outdial.objects.live().filter(pk=pk).first()
        if outdial is None:
            raise CommandError(f"There is no live outdial {value}.")
        return outdial

    def _print(self, report, options, refused: bool = False) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        if refused and not report.rows and not report.errors:
            return
        outcome = (
            "nothing written"
            if refused or options["dry_run"]
            else f"import {report.import_id}"
        )
        updates = (
            f"{report.updated} updated, {report.unchanged} unchanged, "
            if report.key
            else ""
        )
        self.stdout.write(
            f"{report.rows} rows: {report.created} created, {updates}"
            f"{report.duplicates} duplicates, {report.invalid} invalid ({outcome})"
        )
        for title, entries in (
            ("Errors", report.errors),
            ("Warnings", report.warnings),
        ):
            if entries:
                self.stdout.write(f"{title}:")
            for entry in entries:
                where = f"row {entry['row']}" if entry["row"] else "file"
                column = f", {entry['column']}" if entry["column"] else ""
                self.stdout.write(f"  {where}{column}: {entry['message']}")
