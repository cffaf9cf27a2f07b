"""Which kind of file an upload is: CSV text or a spreadsheet, else a refusal
that names what arrived and what is accepted.

The bytes decide (a spreadsheet is a ZIP or an OLE file whatever its name);
the name only helps to say what a refused file is.
"""

import zipfile

from .report import reject

SPREADSHEETS = ("xlsx", "xls", "ods")
ACCEPTED_TEXT = (
    "CSV (.csv, .tsv, .txt), Excel (.xlsx, .xls) or OpenDocument (.ods) files"
)
# The file picker's accept attribute: extensions and their media types.
ACCEPT_ATTRIBUTE = ",".join(
    [
        ".csv",
        ".tsv",
        ".txt",
        ".xlsx",
        ".xls",
        ".ods",
        "text/csv",
        "text/tab-separated-values",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.spreadsheet",
    ]
)

_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_ACCEPTED = {
    "pdf": "a PDF document",
    "doc": "a Word document",
    "docx": "a Word document",
    "pptx": "a PowerPoint presentation",
    "numbers": "a Numbers spreadsheet",
    "json": "a JSON file",
    "xml": "an XML file",
    "vcf": "a vCard file",
    "zip": "a ZIP archive",
}


def refuse(file_name: str, what: str):
    name = f"“{file_name}”" if file_name else "The file"
    return reject(
        "UNSUPPORTED_FILE_TYPE",
        f"{name} is {what}; upload one of {ACCEPTED_TEXT}. In a spreadsheet "
        "program, Save As or Download as one of those.",
    )


def detect(file, file_name: str = "") -> str:
    """``csv``, ``xlsx``, ``xls`` or ``ods`` for the seekable binary ``file``
    (read from and put back at its position); raises ``ImportRejected``
    (``UNSUPPORTED_FILE_TYPE``) for anything else."""
    start = file.tell()
    head = file.read(8)
    file.seek(start)
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if head.startswith(_ZIP):
        return _zip_kind(file, start, file_name, extension)
    if head.startswith(_OLE):
        if extension in ("doc", "ppt", "msg"):
            raise refuse(file_name, _NOT_ACCEPTED.get(extension, "an Office file"))
        return "xls"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise refuse(file_name, what)
    if extension in _NOT_ACCEPTED:
        raise refuse(file_name, _NOT_ACCEPTED[extension])
    return "csv"


def _zip_kind(file, start: int, file_name: str, extension: str) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError):
        raise refuse(file_name, "a damaged ZIP archive") from None
    finally:
        file.seek(start)
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
        return "ods"
    if "word/document.xml" in names:
        raise refuse(file_name, "a Word document")
    if any(name.startswith("ppt/") for name in names):
        raise refuse(file_name, "a PowerPoint presentation")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise refuse(file_name, "an OpenDocument file that is not a spreadsheet")
    raise refuse(file_name, _NOT_ACCEPTED.get(extension, "a ZIP archive"))
