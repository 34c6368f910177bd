"""Positioned warnings and errors, printed as ``FILE:LINE:COL: severity: message``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"

# What must not reach a terminal or log verbatim from input text (file names in a JSON
# model, titles quoted in messages): control characters (ESC sequences, a line break that
# would forge another message), bidi controls that reorder the line, separators, and
# unpaired surrogates (which a strict UTF-8 stream cannot even print).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with characters that could spoof or break a message shown as escapes (``\\x1b``)."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(
        lambda m: repr(m.group())[1:-1] if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


@dataclass(slots=True, frozen=True)
class Diagnostic:
    """One message about the input, with where it applies."""

    severity: str
    message: str
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = printable(self.file) or "<input>"
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.severity}: {printable(self.message)}"


@dataclass
class Diagnostics:
    """A collector that readers, transforms and writers report into."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, file: str, line: int = 0, column: int = 0) -> None:
        self.items.append(Diagnostic(ERROR, message, file, line, column))

    def warning(self, message: str, file: str, line: int = 0, column: int = 0) -> None:
        self.items.append(Diagnostic(WARNING, message, file, line, column))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == WARNING]

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class InputError(Exception):
    """An input that cannot be read at all (the whole file is rejected)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic
