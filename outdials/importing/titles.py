"""Rows that exports put above a file's header: titles (one filled cell over
a wider table: ``Campaign export, November,,,``) and empty rows. Every reader
finds the header the same way, the CSV and sheet checks and the mapping
step: the first row with two filled cells among the first
``ABOVE_HEADER + 1``, the titles above it warned of, so rows keep the
numbers a spreadsheet shows; a file of one column has its first filled row
as header, as before."""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ABOVE_HEADER = 10


@dataclass
class Found:
    header: list[str] | None  # None: no filled row among the first rows
    row: int  # the header's row number; without one, the last row read
    titles: list[tuple[int, str]]  # (row, text) of each title passed over
    rest: Iterator[list[str]]  # the rows below the header
    gave_up: bool = False  # without a header: more rows followed


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def find_header(
    rows: Iterator[list[str]],
    first_row: int,
    row_done: Callable[[], None] = lambda: None,
) -> Found:
    """The header among ``rows``, whose first is row ``first_row``;
    ``row_done`` is called after each row read."""
    read, counts = [], []
    for cells in rows:
        row_done()
        read.append(cells)
        counts.append(_filled(cells))
        if counts[-1] >= 2 or len(read) > ABOVE_HEADER:
            break
    gave_up = len(read) > ABOVE_HEADER
    filled = [i for i, count in enumerate(counts) if count]
    if counts and counts[-1] >= 2:
        at = len(read) - 1
    elif len(filled) >= 2 or (filled and not gave_up):
        # One column: its first filled row, if another follows or the file
        # ends; a lone title over empty rows is no header.
        at = filled[0]
    else:
        return Found(None, first_row + len(read) - 1, [], rows, gave_up)
    titles = [
        (first_row + i, next(cell for cell in read[i] if cell.strip()))
        for i in filled
        if i < at
    ]
    rest = itertools.chain(read[at + 1 :], rows)
    return Found(read[at], first_row + at, titles, rest)


def warn_titles(report, found: Found) -> None:
    for row, title in found.titles:
        report.warn(
            row,
            "",
            f"“{title[:60]}” looks like a title, not a header; "
            f"row {found.row} is read as the header.",
        )
