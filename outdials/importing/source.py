"""Reading the bytes: the size limit, the encoding, NUL bytes.

A scan of the raw bytes before any parsing checks the size, finds the encoding
(a BOM, else UTF-8, else Windows-1252) and copies a stream that cannot seek
(a request body) to a temporary file, so the check can read it as text.
"""

import codecs
import io
import tempfile
from dataclasses import dataclass

from .report import reject

READ_CHUNK = 1 << 20


@dataclass
class Source:
    file: io.IOBase  # binary, seekable, positioned anywhere
    start: int
    size: int
    encoding: str
    has_nul: bool


def binary(stream) -> io.IOBase | None:
    """The seekable binary file behind ``stream`` (a Django ``File`` wraps
    one), or ``None`` when it has to be copied first."""
    inner = stream
    while not isinstance(inner, io.IOBase) and hasattr(inner, "file"):
        inner = inner.file
    if isinstance(inner, io.IOBase) and inner.seekable():
        return inner
    return None


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def scan(stream, max_bytes: int) -> Source:
    """Check the size, find the encoding, note NUL bytes; copy the stream to a
    temporary file when it cannot seek (a request body)."""
    seekable = binary(stream)
    if seekable is not None:
        file, start, copy = seekable, seekable.tell(), False
    else:
        file, start, copy = tempfile.TemporaryFile(prefix="outdials-import-"), 0, True
    try:
        return _read_bytes(stream if copy else file, file, start, copy, max_bytes)
    except BaseException:
        if copy:
            file.close()
        raise


def _read_bytes(reader, file, start: int, copy: bool, max_bytes: int) -> Source:
    size, has_nul, encoding, decoder, newlines = 0, False, None, None, 0
    while True:
        chunk = reader.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise reject(
                "FILE_TOO_LARGE",
                f"The file is larger than the limit of {max_bytes} bytes; "
                "split it into several imports.",
                413,
            )
        if copy:
            file.write(chunk)
        if encoding is None:
            encoding = _bom_encoding(chunk[:4]) or "utf-8"
            decoder = codecs.getincrementaldecoder(encoding)()
        has_nul = has_nul or b"\x00" in chunk
        if decoder is not None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = newlines + chunk.count(b"\n", 0, error.start) + 1
                decoder, encoding = None, _fallback(encoding, line)
        newlines += chunk.count(b"\n")
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = _fallback(encoding, newlines + 1)
    if size == 0:
        raise reject("EMPTY_FILE", "The file is empty; send a header row and rows.")
    if encoding == "cp1252":
        _check_cp1252(file, start)
    return Source(file, start, size, encoding or "utf-8", has_nul)


def _fallback(encoding: str, line: int) -> str:
    if encoding == "utf-8":
        return "cp1252"
    raise reject(
        "UNREADABLE_FILE",
        f"Line {line} is not valid {encoding.upper().removesuffix('-SIG')} though "
        "the file starts with its byte order mark; save it again as UTF-8.",
    )


def _check_cp1252(file, start: int) -> None:
    file.seek(start)
    decoder = codecs.getincrementaldecoder("cp1252")()
    newlines = 0
    while chunk := file.read(READ_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = newlines + chunk.count(b"\n", 0, error.start) + 1
            raise reject(
                "UNREADABLE_FILE",
                f"Line {line} is neither UTF-8 nor Windows-1252 text; save the "
                "file as UTF-8 (CSV UTF-8 in Excel).",
            ) from None
        newlines += chunk.count(b"\n")


def has_text(text) -> bool:
    while chunk := text.read(READ_CHUNK):
        if chunk.strip():
            return True
    return False


class NulFound(Exception):
    pass


class RowTooLong(Exception):
    pass


class BoundedLines:
    """The lines of ``text``, refusing a row (a CSV record, which quoted line
    breaks may spread over several lines) longer than ``limit`` characters:
    no line is read further than that, so a file of one endless line costs
    ``limit`` characters of memory, not its length. The reader of the CSV
    calls :meth:`row_done` after each record."""

    def __init__(self, text, limit: int):
        self.text = text
        self.limit = limit
        self.pending = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1 - self.pending)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if self.pending > self.limit:
            raise RowTooLong
        return line

    def row_done(self) -> None:
        self.pending = 0


def refuse_nul(lines):
    for line in lines:
        if "\x00" in line:
            raise NulFound
        yield line
