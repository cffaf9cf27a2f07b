"""A file's header and a few sample values per column, read before any
mapping exists: the mapping step shows them even when no field can be guessed.
"""

import csv
import io
import itertools
from dataclasses import dataclass, field

from django.conf import settings

from . import formats, spreadsheet, titles
from .checking import _delimiter
from .source import scan

SAMPLES = 5
SAMPLE_ROWS = 1000


@dataclass
class Columns:
    header: list[str]
    samples: list[list[str]]
    sheets: list[str] = field(default_factory=list)  # a workbook's worksheets
    sheet: str = ""


def read_columns(file, file_name: str = "", sheet: str | None = None) -> Columns:
    """The header of the seekable binary ``file`` and up to five non-empty
    values per column from the rows below it; raises ``ImportRejected`` for a
    file the importer would refuse as a whole."""
    kind = formats.detect(file, file_name)
    if kind == "csv":
        source = scan(file, settings.OUTDIALS["UPLOAD_MAX_BYTES"])
        source.file.seek(source.start)
        text = io.TextIOWrapper(source.file, encoding=source.encoding, newline="")
        try:
            first = text.readline()
            lines = itertools.chain([first], text)
            found = titles.find_header(
                csv.reader(lines, delimiter=_delimiter(first)), 1
            )
            header, samples = _sample(found.header or [], found.rest)
        except csv.Error:
            header, samples = [], []
        finally:
            text.detach()
        return Columns(header, samples)
    opened = spreadsheet.open_sheet(
        file, kind, sheet, settings.OUTDIALS["IMPORT_MAX_ROWS"]
    )
    rows = opened.rows()  # from the header on (titles passed over)
    header, samples = _sample(next(rows, []), rows)
    return Columns(header, samples, opened.names, opened.name)


def _sample(header: list[str], rows) -> tuple[list[str], list[list[str]]]:
    samples: list[list[str]] = [[] for _ in header]
    for cells in itertools.islice(rows, SAMPLE_ROWS):
        for found, cell in zip(samples, cells, strict=False):
            if len(found) < SAMPLES and cell.strip():
                found.append(cell)
        if all(len(found) >= SAMPLES for found in samples):
            break
    return header, samples
