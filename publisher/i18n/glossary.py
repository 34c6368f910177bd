"""The finance glossary: exact Chinese → English terms.

The bundled glossary (``publisher/i18n/glossary.toml``) lists institutions,
indices, common report headings, sectors, units, market terms and the
labels of the templates, one ``"中文" = "English"`` line each, grouped in
tables by category.  Users add their own files (same TOML form, or a
two-column TSV ``中文<TAB>English``); later files override earlier ones.

The glossary is applied **exactly**: a segment is translated by it only
when its whole text (after stripping surrounding spaces) is a glossary
key, and term hints in running text are only whole-key matches (longest
first).  There is no fuzzy matching: a glossary entry is a reviewed
decision, not a guess.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

#: Categories whose terms are pointed out inside running text (hints in the HTML).
HINT_CATEGORIES = frozenset({"institutions", "indices", "sectors", "terms", "user"})


class GlossaryError(Exception):
    """A glossary file that cannot be read; ``line`` is 1-based or 0."""

    def __init__(self, message: str, file: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.column = message, file, line, column


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry."""

    source: str
    target: str
    category: str
    origin: str


class Glossary:
    """Exact lookups and term hints over one or more glossary files."""

    def __init__(self) -> None:
        self.entries: dict[str, Term] = {}
        self._pattern: re.Pattern[str] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, source: str, target: str, category: str, origin: str) -> None:
        source, target = source.strip(), target.strip()
        if source and target:
            self.entries[source] = Term(source, target, category, origin)
            self._pattern = None

    def lookup(self, text: str) -> Term | None:
        """The entry whose key is exactly ``text`` (surrounding spaces ignored)."""
        return self.entries.get(text.strip())

    def categories(self) -> dict[str, list[Term]]:
        out: dict[str, list[Term]] = {}
        for term in self.entries.values():
            out.setdefault(term.category, []).append(term)
        return out

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex matching every hint term, longest match first (compiled from a trie)."""
        if self._pattern is None:
            words = [t.source for t in self.entries.values() if t.category in HINT_CATEGORIES and len(t.source) > 1]
            self._pattern = _trie_regex(words) if words else re.compile(r"(?!x)x")
        return self._pattern

    def hints(self, text: str) -> list[tuple[int, int, Term]]:
        """Non-overlapping ``(start, end, term)`` of hint terms found in ``text``."""
        entries = self.entries
        return [(m.start(), m.end(), entries[m.group()]) for m in self.pattern.finditer(text)]

    # --- loading ---------------------------------------------------------------

    def load_toml(self, text: str, origin: str) -> None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line, column = _toml_position(str(exc))
            raise GlossaryError(f"invalid glossary: {exc}", origin, line, column) from None
        for key, value in data.items():
            if isinstance(value, dict):
                for source, target in value.items():
                    self._add_checked(source, target, key, origin, text)
            else:
                self._add_checked(key, value, "user", origin, text)

    def _add_checked(self, source: str, target: object, category: str, origin: str, text: str) -> None:
        if not isinstance(target, str):
            line = _line_of(text, source)
            raise GlossaryError(f"glossary entry {source!r}: the English must be a string", origin, line, 1)
        self.add(source, target, category, origin)

    def load_tsv(self, text: str, origin: str) -> None:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
                raise GlossaryError("expected 'Chinese<TAB>English[<TAB>category]'", origin, number, 1)
            category = parts[2].strip() if len(parts) > 2 and parts[2].strip() else "user"
            self.add(parts[0], parts[1], category, origin)

    def load_file(self, path: str | Path) -> None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise GlossaryError("glossary file not found", str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise GlossaryError(f"cannot read glossary: {exc}", str(path)) from None
        if path.suffix.lower() in (".tsv", ".txt", ".tab"):
            self.load_tsv(text, str(path))
        else:
            self.load_toml(text, str(path))


def bundled_text() -> str:
    return resources.files("publisher.i18n").joinpath("glossary.toml").read_text(encoding="utf-8")


@cache
def _bundled() -> Glossary:
    glossary = Glossary()
    glossary.load_toml(bundled_text(), "publisher:glossary.toml")
    return glossary


def load_glossary(paths: Iterable[str | Path] = (), bundled: bool = True) -> Glossary:
    """The bundled glossary (unless ``bundled=False``) plus the user's files, later ones winning."""
    glossary = Glossary()
    if bundled:
        glossary.entries.update(_bundled().entries)
    for path in paths:
        glossary.load_file(path)
    return glossary


def _toml_position(message: str) -> tuple[int, int]:
    m = re.search(r"line (\d+), column (\d+)", message)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if key in line:
            return number
    return 0


def _trie_regex(words: list[str]) -> re.Pattern[str]:
    """One regex for many literal words: a trie, so matching is fast and longest-first."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        end = "" in node
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return re.compile(build(trie))
