"""Reading input files into text: encoding detection, BOM and line ends.

Every reader goes through :func:`read_source`, so all of them accept UTF-8
with or without BOM, CRLF line ends and GB18030 (detected, or forced with
``encoding=``), and all of them fail the same way: an :class:`InputError`
whose message has the file, line and column.  The way back, text to the
bytes its source had, is :func:`publisher.textutil.encode`.
"""

from __future__ import annotations

import codecs
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import ERROR, Diagnostic, InputError
from ..textutil import encode as encode  # the inverse of decode, shared with the writers


@dataclass(slots=True)
class SourceText:
    """Decoded text of one input file and how it was stored."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    #: The bytes the text was decoded from (after a BOM), for a file whose lines can be
    #: read back by their byte offsets (see ``span``); ``None`` for other text.
    data: bytes | None = field(default=None, repr=False)
    _starts: array | None = field(default=None, repr=False)

    def span(self, first: int, last: int) -> FileSpan | None:
        """Where lines ``first`` to ``last`` (0-based, inclusive) stand in the file, or ``None``.

        Only for a file in UTF-8 or GB18030 (a newline byte is never part of a
        character there): a reader keeps the span instead of the text, and
        reads the text back when it needs it.
        """
        data = self.data
        if data is None or self.encoding not in _SPANNED:
            return None
        starts = self._starts
        if starts is None:
            starts = self._starts = array("Q", [0])
            find, at = data.find, 0
            while (at := find(b"\n", at) + 1) > 0:
                starts.append(at)
        if last >= len(starts):
            return None  # (cannot happen: the text has as many lines)
        start = starts[first]
        end = starts[last + 1] - 1 if last + 1 < len(starts) else len(data)
        crc = zlib.crc32(memoryview(data)[start:end])
        return FileSpan(self.path, self.offset + start, end - start, crc, self.encoding, self.newline)

    @property
    def offset(self) -> int:
        """Where ``data`` starts in the file (after a BOM)."""
        return len(codecs.BOM_UTF8) if self.bom else 0


#: Encodings whose lines a file span can read back (a newline byte is a newline).
_SPANNED = ("utf-8", "gb18030")
#: Files held in memory, by path, for spans read where the file is not (see ``hold_files``).
_HELD: dict[str, bytes] = {}


def hold_files(files: dict[str, bytes]) -> None:
    """Read spans of these paths from these bytes, not from disk (a worker of another machine).

    Replaces what was held before.  The bytes are checked like a file's: a
    span whose CRC does not match is an error.
    """
    _HELD.clear()
    _HELD.update(files)


@dataclass(slots=True, frozen=True)
class FileSpan:
    """Lines of an input file by their bytes, read back (and checked) when needed.

    A build of a large feed keeps this instead of a report body's text: the
    memory of a build does not grow with the text it reads.  The text is
    checked against the CRC of the bytes read first; a file changed since
    is an :class:`InputError`.
    """

    path: str
    start: int
    size: int
    crc: int
    encoding: str
    newline: str

    def read(self, line: int) -> str:
        """The text (``line``: where it starts, for the message of a file changed since)."""
        held = _HELD.get(self.path)
        if held is not None:
            data = held[self.start : self.start + self.size]
        else:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.start)
                    data = f.read(self.size)
            except OSError as exc:
                message = f"cannot read file again: {exc.strerror or exc}"
                raise InputError(Diagnostic(ERROR, message, self.path)) from None
        if len(data) != self.size or zlib.crc32(data) != self.crc:
            message = "the file changed while it was being built from: build again"
            raise InputError(Diagnostic(ERROR, message, self.path, line, 1))
        text = data.decode(self.encoding)
        return text.replace("\r\n", "\n").removesuffix("\r") if self.newline == "\r\n" else text


def _position_of_byte(data: bytes, offset: int, encoding: str) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode(encoding, errors="replace")) + 1
    return line, column


def _looks_binary(data: bytes) -> int:
    """Offset of a NUL byte (a sure sign of a binary file), or -1."""
    return data.find(b"\x00", 0, 1 << 16)


def decode(data: bytes, path: str, encoding: str | None = None) -> SourceText:
    """Decode ``data``; detect UTF-8 (with or without BOM) and GB18030."""
    bom = False
    if encoding is None:
        if data.startswith(codecs.BOM_UTF8):
            data, bom, encoding = data[len(codecs.BOM_UTF8) :], True, "utf-8"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InputError(Diagnostic(ERROR, "file is UTF-16; save it as UTF-8 or GB18030", path, 1, 1))
    nul = _looks_binary(data)
    if nul >= 0 and (encoding or "utf-8").lower().replace("_", "-") not in ("utf-16", "utf-32"):
        line, column = _position_of_byte(data, nul, "utf-8")
        raise InputError(Diagnostic(ERROR, "not a text file (NUL byte)", path, line, column))
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(Diagnostic(ERROR, f"unknown encoding {encoding!r}", path)) from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line, column = _position_of_byte(data, exc.start, encoding)
            raise InputError(
                Diagnostic(
                    ERROR, f"cannot decode as {encoding}: byte 0x{data[exc.start]:02x} is invalid", path, line, column
                )
            ) from None
        if encoding.lower().replace("_", "-") in ("utf-8-sig",):
            bom = data.startswith(codecs.BOM_UTF8)
            data, encoding = data[len(codecs.BOM_UTF8) :] if bom else data, "utf-8"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text, encoding = data.decode("gb18030"), "gb18030"
            except UnicodeDecodeError:
                line, column = _position_of_byte(data, utf8_error.start, "utf-8")
                raise InputError(
                    Diagnostic(
                        ERROR,
                        f"not UTF-8 or GB18030 (byte 0x{data[utf8_error.start]:02x}); "
                        "give the encoding with --encoding",
                        path,
                        line,
                        column,
                    )
                ) from None
    newline = "\n"
    crlf = text.count("\r\n") if "\r" in text else 0  # a search for one character is far quicker
    if crlf and crlf == text.count("\n"):
        newline = "\r\n"
        text = text.replace("\r\n", "\n")
    source = SourceText(path, text, encoding, bom, newline)
    source.data = data
    return source


def read_source(path: str | Path, encoding: str | None = None) -> SourceText:
    """Read and decode a file; any failure is an :class:`InputError`."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(Diagnostic(ERROR, "is a directory, not a file", name)) from None
    except OSError as exc:
        raise InputError(Diagnostic(ERROR, f"cannot read file: {exc.strerror or exc}", name)) from None
    source = decode(data, name, encoding)
    if not Path(path).is_file():  # a pipe or a device is read once: nothing to read back
        source.data = None
    return source
