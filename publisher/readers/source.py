"""Reading input files into text: encoding detection, BOM and line ends.

Every reader goes through :func:`read_source`, so all of them accept UTF-8
with or without BOM, CRLF line ends and GB18030 (detected, or forced with
``encoding=``), and all of them fail the same way: an :class:`InputError`
whose message has the file, line and column.  The way back, text to the
bytes its source had, is :func:`publisher.textutil.encode`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
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
            encoding = "utf-8"
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
    return SourceText(path, text, encoding, bom, newline)


def read_source(path: str | Path, encoding: str | None = None) -> SourceText:
    """Read and decode a file; any failure is an :class:`InputError`."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(Diagnostic(ERROR, "is a directory, not a file", name)) from None
    except OSError as exc:
        raise InputError(Diagnostic(ERROR, f"cannot read file: {exc.strerror or exc}", name)) from None
    return decode(data, name, encoding)
