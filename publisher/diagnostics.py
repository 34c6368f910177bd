"""Positioned warnings and errors, printed as ``FILE:LINE:COL: severity: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(slots=True, frozen=True)
class Diagnostic:
    """One message about the input, with where it applies."""

    severity: str
    message: str
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.severity}: {self.message}"


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
