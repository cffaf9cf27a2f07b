"""The preview of an import: the first rows as they would be stored, with each
row's problems beside it, and every column with sample values for the mapping
step. Collected by the check as it reads, so a preview costs no second pass.
"""

import json

from .mapping import label

SAMPLES = 5
# Rows scanned for samples of sparse columns after the preview rows are full.
SAMPLE_ROWS = 1000


def data_object(cells: list[str], extras: list[tuple[int, str]]) -> str:
    """The columns kept in ``data``: a JSON object of header → value, empty
    cells left out; ``""`` when every one is empty."""
    found = {header: cells[at] for at, header in extras if cells[at].strip()}
    return json.dumps(found, ensure_ascii=False) if found else ""


class Collector:
    def __init__(self, rows: int):
        self.rows = rows
        self.wanted = rows > 0
        self.entries: list[dict] = []
        self.samples: list[list[str]] = []
        self.scanned = 0

    def start(self, header: list[str], layout) -> None:
        self.header = [label(cell) for cell in header]
        self.layout = layout
        self.samples = [[] for _ in header]

    def add(self, row: int, cells: list[str], last, report) -> None:
        self.scanned += 1
        for samples, cell in zip(self.samples, cells, strict=False):
            if len(samples) < SAMPLES and cell.strip():
                samples.append(cell)
        if len(self.entries) < self.rows:
            self.entries.append(_entry(row, last, report))
        elif self.scanned >= SAMPLE_ROWS or all(
            len(samples) >= SAMPLES for samples in self.samples
        ):
            self.wanted = False

    def finish(self) -> tuple[list[dict] | None, list[dict] | None]:
        if not self.rows:
            return None, None
        columns = self.layout.columns if self.samples else {}
        key = self.layout.key
        return self.entries, [
            {
                "column": header,
                "field": columns.get(header, ""),
                "key": position == key,
                "samples": samples,
            }
            for position, (header, samples) in enumerate(
                zip(self.header, self.samples, strict=True)
            )
        ]


def _entry(row: int, last, report) -> dict:
    if last is None:  # a row with the wrong number of cells
        name = detail = data = external_id = ""
        destinations, action = (), "invalid"
    else:
        name, detail, data, destinations, external_id, action = last
    problems = [
        {"level": level, "column": entry["column"], "message": entry["message"]}
        for level, entries in (("error", report.errors), ("warning", report.warnings))
        for entry in _of_row(entries, row)
    ]
    return {
        "row": row,
        "action": action,
        "name": name,
        "detail": detail,
        "data": data,
        "external_id": external_id,
        "destinations": [
            {"index": n, "type": type_, "target": address, "target_name": target_name}
            for n, type_, address, target_name in destinations
        ],
        "problems": problems,
    }


def _of_row(entries: list[dict], row: int) -> list[dict]:
    """The entries of ``row``: the newest, at the end of the list."""
    found = []
    for entry in reversed(entries):
        if entry["row"] != row:
            break
        found.append(entry)
    return found[::-1]
