"""Reading input files into text: encoding detection, BOM and line ends.

Every reader goes through :func:`read_source`, so all of them accept UTF-8
with or without BOM, CRLF line ends and GB18030 (detected, or forced with
``encoding=``), and all of them fail the same way: an :class:`InputError`
whose message has the file, line and column.  The way back, text to the
bytes its source had, is :func:`publisher.textutil.encode`.
"""

from __future__ import annotations

import codecs
import os
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, overload

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


#: How much of a file :class:`FileLines` reads at a time while it checks and hashes it.
_CHUNK = 1 << 20


class FileLines:
    """The lines of a UTF-8 or GB18030 file, read as a parse goes forward, never all at once.

    A lazy build of a large feed reads its digest through this instead of
    :class:`SourceText`: memory then holds the lines between the reader's
    ``cursor`` and where it reads, not the whole file three times over (its
    bytes, its text and its lines).  The file is read three times: once to
    check its encoding, count its lines and feed its bytes to ``hasher``
    (:func:`open_lines`), once by ``iter`` (a pass that keeps no line), and
    once as the parse asks for lines (``lines[i]``, ``lines[i:j]``, only at
    or after the last ``drop_before``).  Lines are ``str.split("\n")``'s of
    the decoded text, with the same CRLF rule as :func:`decode`.
    """

    def __init__(
        self, path: str, encoding: str, bom: bool, newline: str, count: int, hasher: Any, stamp: tuple[int, int]
    ) -> None:
        self.path, self.encoding, self.bom, self.newline = path, encoding, bom, newline
        self.hasher = hasher
        self._count = count
        self._stamp = stamp  # the file's size and modification time when it was checked and hashed
        self._starts = array("Q", [0])  # byte offset of each line read so far (after a BOM)
        self._lines: list[str] = []  # lines _base … _base + len - 1
        self._raw: list[bytes] = []
        self._base = 0
        self._file: BinaryIO | None = None

    @property
    def offset(self) -> int:
        return len(codecs.BOM_UTF8) if self.bom else 0

    def __len__(self) -> int:
        return self._count

    def _decode(self, raw: bytes) -> str:
        line = raw.decode(self.encoding)
        if line.endswith("\n"):
            line = line[:-2] if self.newline == "\r\n" else line[:-1]
        return line

    def _check(self, f: BinaryIO) -> None:
        """The file is the one checked and hashed (its lines were counted in it), or an ``InputError``."""
        st = os.fstat(f.fileno())
        if (st.st_size, st.st_mtime_ns) != self._stamp:
            message = "the file changed while it was being read: build again"
            raise InputError(Diagnostic(ERROR, message, self.path))

    def __iter__(self) -> Iterator[str]:
        """Every line, read again from the file (none is kept)."""
        n = 0
        with open(self.path, "rb") as f:
            self._check(f)
            f.seek(self.offset)
            for raw in f:
                n += 1
                yield self._decode(raw)
            self._check(f)
        if n < self._count:
            yield ""  # after the last newline (or an empty file): split's last, empty line

    def _read_to(self, index: int) -> None:
        """Read lines until line ``index`` is held."""
        if self._file is None:
            self._file = open(self.path, "rb")  # closed by close(), after the last line is read
            self._check(self._file)
            self._file.seek(self.offset)
        end = self._base + len(self._lines)
        while end <= index:
            raw = self._file.readline() if end < self._count - 1 else self._file.read()
            self._starts.append(self._starts[-1] + len(raw))
            self._raw.append(raw)
            self._lines.append(self._decode(raw))
            end += 1
        if end >= self._count:
            self._check(self._file)
            self.close()

    @overload
    def __getitem__(self, key: int) -> str: ...
    @overload
    def __getitem__(self, key: slice) -> list[str]: ...
    def __getitem__(self, key: int | slice) -> str | list[str]:
        if isinstance(key, slice):
            start, stop, _ = key.indices(self._count)
            if stop <= start:
                return []
            if start < self._base:
                raise IndexError(f"line {start} was dropped (lines before {self._base} are no longer held)")
            self._read_to(stop - 1)
            return self._lines[start - self._base : stop - self._base]
        if not 0 <= key < self._count:
            raise IndexError(key)
        if key < self._base:
            raise IndexError(f"line {key} was dropped (lines before {self._base} are no longer held)")
        self._read_to(key)
        return self._lines[key - self._base]

    def drop_before(self, index: int) -> None:
        """Forget the lines before ``index``: the parse will not ask for them again."""
        k = min(index, self._base + len(self._lines)) - self._base
        if k > 0:
            del self._lines[:k], self._raw[:k]
            self._base += k

    def span(self, first: int, last: int) -> FileSpan:
        """Where lines ``first`` to ``last`` (held, inclusive) stand in the file (see ``SourceText.span``)."""
        self._read_to(last)
        raw = b"".join(self._raw[first - self._base : last + 1 - self._base])
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        start = self._starts[first]
        return FileSpan(self.path, self.offset + start, len(raw), zlib.crc32(raw), self.encoding, self.newline)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def open_lines(path: str, hasher: Any) -> FileLines | None:
    """A regular file's :class:`FileLines`, with a copy of ``hasher`` fed its bytes (after a BOM).

    ``None`` for what :func:`read_source` must read instead: not a regular
    file, a UTF-16 or binary file, or neither UTF-8 nor GB18030 (it makes
    the error, with its position).
    """
    try:
        if not Path(path).is_file():
            return None
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            head = f.read(len(codecs.BOM_UTF8))
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            bom = head == codecs.BOM_UTF8
            start = len(head) if bom else 0
            f.seek(start)
            if _looks_binary(f.read(1 << 16)) >= 0:
                return None
            for encoding in _SPANNED:  # the order decode tries them in
                f.seek(start)
                h = hasher.copy()
                decoder = codecs.getincrementaldecoder(encoding)()
                count, crlf, previous = 1, 0, b""
                try:
                    for chunk in iter(lambda: f.read(_CHUNK), b""):
                        decoder.decode(chunk)
                        h.update(chunk)
                        count += chunk.count(b"\n")
                        crlf += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
                        previous = chunk[-1:]
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    continue
                if os.fstat(f.fileno()).st_mtime_ns != st.st_mtime_ns or f.tell() != st.st_size:
                    return None  # changed while it was read: read it whole, once
                newline = "\r\n" if crlf and crlf == count - 1 else "\n"
                return FileLines(str(path), encoding, bom, newline, count, h, (st.st_size, st.st_mtime_ns))
    except OSError:
        pass  # read_source says why
    return None


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
