"""Translation catalogs: gettext PO files read and written with polib.

One PO entry per segment: ``msgctxt`` is the segment's context (``title``,
``institution``, ``heading``, ``text``, ``label``), ``msgid`` the Chinese
source, ``msgstr`` the English.  Standard PO conventions carry the review
workflow, so any PO editor (Poedit, Lokalize, Weblate, Crowdin …) works:

* ``#, fuzzy``: the translation needs review (the source changed since, or a
  machine drafted it); ``#| msgid "…"`` keeps the previous source text;
* ``#, fuzzy, machine``: a machine draft, with ``# machine translation: …``
  naming the engine; removing ``fuzzy`` (what an editor's "needs work"
  toggle does) marks it reviewed;
* ``#. …``: where the segment appears (institution, time, title, section);
* ``#~``: obsolete entries, no longer in the extracted digests, kept so that
  no translation is ever lost (they are still used for exact matches).

:func:`merge` is what ``publisher i18n extract`` does: it keeps every
existing translation whose source is unchanged, and gives a segment whose
text changed the old translation marked fuzzy with the old source, found
like ``msgmerge`` does: the most similar old entry of the same context,
preferring one from the same report (same file and line).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import polib

from .. import __version__
from .segments import Occurrence, Segment, SegmentTable

REVIEWED = "reviewed"
MACHINE = "machine"
FUZZY = "fuzzy"
MISSING = "missing"
GLOSSARY = "glossary"
STATES = (REVIEWED, GLOSSARY, MACHINE, FUZZY, MISSING)

#: How many references (``#: file:line``) an entry lists at most.
MAX_OCCURRENCES = 8
#: Similarity (difflib ratio) needed for a fuzzy match in the same report, and anywhere.
SAME_PLACE_RATIO = 0.5
ANYWHERE_RATIO = 0.75


class CatalogError(Exception):
    """A catalog that cannot be read; ``line`` is 1-based or 0."""

    def __init__(self, message: str, file: str, line: int = 0) -> None:
        super().__init__(message)
        self.message, self.file, self.line = message, file, line


def entry_state(entry: polib.POEntry) -> str:
    """``reviewed``, ``machine``, ``fuzzy`` or ``missing``."""
    if not entry.msgstr:
        return MISSING
    if "fuzzy" in entry.flags:
        return MACHINE if "machine" in entry.flags else FUZZY
    return REVIEWED


def read_po(path: str | Path) -> polib.POFile:
    """Read a PO file; :class:`CatalogError` with the line on a syntax error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogError("catalog not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", str(path)) from None
    return parse_po(text, str(path))


def parse_po(text: str, origin: str = "<catalog>") -> polib.POFile:
    try:
        po = polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as exc:
        message = str(exc)
        line = 0
        if "(line " in message:
            try:
                line = int(message.rsplit("(line ", 1)[1].split(")")[0])
            except ValueError:
                line = 0
        raise CatalogError(f"invalid PO catalog: {message}", origin, line) from None
    po.fpath = origin
    return po


class Catalog:
    """Lookups over one or more PO files: the best translation of each segment.

    Files listed first win; within one key a reviewed translation beats a
    machine draft, which beats a fuzzy one.  Obsolete entries count too:
    they are translations of exactly that text.
    """

    _RANK: ClassVar[dict[str, int]] = {REVIEWED: 0, MACHINE: 1, FUZZY: 2}

    def __init__(self, files: Iterable[polib.POFile] = ()) -> None:
        self.entries: dict[tuple[str, str], polib.POEntry] = {}
        self.files: list[polib.POFile] = []
        for po in files:
            self.add(po)

    def add(self, po: polib.POFile) -> None:
        self.files.append(po)
        for entry in po:
            state = entry_state(entry)
            if state == MISSING:
                continue
            key = (entry.msgctxt or "", entry.msgid)
            old = self.entries.get(key)
            if old is None or self._RANK[state] < self._RANK[entry_state(old)]:
                self.entries[key] = entry

    def get(self, segment: Segment) -> polib.POEntry | None:
        return self.entries.get(segment.key)

    def state(self, segment: Segment) -> str:
        entry = self.entries.get(segment.key)
        return entry_state(entry) if entry is not None else MISSING

    def __len__(self) -> int:
        return len(self.entries)


def new_po(language: str, when: datetime) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.header = "Translations of research digests, maintained with `publisher i18n`."
    po.metadata = {
        "Project-Id-Version": "research digests",
        "POT-Creation-Date": when.strftime("%Y-%m-%d %H:%M%z"),
        "PO-Revision-Date": when.strftime("%Y-%m-%d %H:%M%z"),
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Generator": f"publisher {__version__}",
    }
    return po


@dataclass
class MergeStats:
    """What :func:`merge` did, for the user."""

    total: int = 0
    new: int = 0
    kept: int = 0
    fuzzy: int = 0
    revived: int = 0
    obsolete: int = 0
    dropped: int = 0
    states: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [
            f"{self.total} entries",
            f"{self.kept} kept",
            f"{self.new} new",
            f"{self.fuzzy} fuzzy (source changed)",
        ]
        if self.revived:
            parts.append(f"{self.revived} taken from obsolete entries")
        parts.append(f"{self.obsolete} obsolete")
        if self.dropped:
            parts.append(f"{self.dropped} dropped")
        done = ", ".join(f"{self.states[s]} {s}" for s in (REVIEWED, MACHINE, FUZZY, MISSING))
        return f"{'; '.join(parts)} — now {done}"


class _Similar:
    """Finds the old entry most like a new text (bigram index, then difflib)."""

    def __init__(self, entries: list[polib.POEntry]) -> None:
        self.entries = entries
        self.by_place: dict[tuple[str, str, str], list[int]] = {}
        self.by_bigram: dict[tuple[str, str], list[int]] = {}
        for i, entry in enumerate(entries):
            ctx = entry.msgctxt or ""
            for file, line in entry.occurrences:
                self.by_place.setdefault((ctx, file, str(line)), []).append(i)
            for gram in set(_bigrams(entry.msgid)):
                self.by_bigram.setdefault((ctx, gram), []).append(i)

    def best(self, segment: Segment, occurrences: list[Occurrence]) -> polib.POEntry | None:
        ctx, text = segment.context, segment.text
        near = {i for o in occurrences for i in self.by_place.get((ctx, o.file, str(o.line)), ())}
        found = self._pick(text, near, SAME_PLACE_RATIO)
        if found is not None:
            return found
        votes: Counter[int] = Counter()
        for gram in set(_bigrams(text)):
            posting = self.by_bigram.get((ctx, gram), ())
            if len(posting) <= 5000:
                votes.update(posting)
        return self._pick(text, [i for i, _ in votes.most_common(12)], ANYWHERE_RATIO)

    def _pick(self, text: str, indices: Iterable[int], threshold: float) -> polib.POEntry | None:
        best, best_ratio = None, threshold
        for i in sorted(indices):
            entry = self.entries[i]
            matcher = difflib.SequenceMatcher(None, entry.msgid, text, autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio or (ratio == best_ratio and best is None):
                best, best_ratio = entry, ratio
        return best


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)] or [text]


def merge(
    old: polib.POFile | None,
    table: SegmentTable,
    *,
    language: str = "en",
    when: datetime,
    hints: dict[Segment, str] | None = None,
    keep_obsolete: bool = True,
) -> tuple[polib.POFile, MergeStats]:
    """The catalog for ``table``'s segments, keeping what ``old`` knew.

    ``hints`` are extracted comments to add (the glossary's translation).
    """
    stats = MergeStats()
    po = new_po(language, when)
    if old is not None:
        po.header = old.header or po.header
        po.metadata = dict(old.metadata)
        po.metadata.setdefault("Language", language)
        po.metadata["POT-Creation-Date"] = when.strftime("%Y-%m-%d %H:%M%z")
    old_entries = list(old) if old is not None else []
    active = {(e.msgctxt or "", e.msgid): e for e in old_entries if not e.obsolete}
    obsolete = {(e.msgctxt or "", e.msgid): e for e in old_entries if e.obsolete}
    sources = [e for e in old_entries if e.msgstr]
    similar = _Similar(sources) if sources else None
    used: set[tuple[str, str]] = set()
    hints = hints or {}

    for segment in table:
        occurrences = table.occurrences[segment]
        entry = polib.POEntry(msgctxt=segment.context, msgid=segment.text, msgstr="")
        entry.occurrences = [(o.file, str(o.line) if o.line else "") for o in occurrences[:MAX_OCCURRENCES]]
        comments = []
        if occurrences:
            more = len(occurrences) - 1
            comments.append(occurrences[0].where + (f" (and {more} more)" if more else ""))
        if segment in hints:
            comments.append(f"glossary: {hints[segment]}")
        entry.comment = "\n".join(comments)
        key = segment.key
        previous = active.get(key) or obsolete.get(key)
        if previous is not None:
            used.add(key)
            entry.msgstr = previous.msgstr
            entry.tcomment = previous.tcomment
            entry.flags = list(previous.flags)
            if "fuzzy" in entry.flags:
                entry.previous_msgid = previous.previous_msgid
                entry.previous_msgctxt = previous.previous_msgctxt
            else:
                entry.flags = [f for f in entry.flags if f != "machine"]
            if key in active:
                stats.kept += 1
            else:
                stats.revived += 1
        else:
            match = similar.best(segment, occurrences) if similar is not None else None
            if match is not None:
                entry.msgstr = match.msgstr
                entry.flags = ["fuzzy"] + (["machine"] if "machine" in match.flags else [])
                entry.previous_msgid = match.msgid
                entry.tcomment = match.tcomment
                stats.fuzzy += 1
            else:
                stats.new += 1
        stats.states[entry_state(entry)] += 1
        po.append(entry)

    stats.total = len(po)
    if keep_obsolete:
        for e in old_entries:
            key = (e.msgctxt or "", e.msgid)
            if key in used or not e.msgstr:
                if key not in used:
                    stats.dropped += 1
                continue
            gone = polib.POEntry(
                msgctxt=e.msgctxt, msgid=e.msgid, msgstr=e.msgstr, flags=list(e.flags), tcomment=e.tcomment
            )
            gone.obsolete = True
            po.append(gone)
            stats.obsolete += 1
    else:
        stats.dropped = sum(1 for e in old_entries if (e.msgctxt or "", e.msgid) not in used)
    if old is not None and _body(po) == _body(old):
        po.metadata = dict(old.metadata)  # nothing changed: keep the dates, keep the file as it is
    return po, stats


def _body(po: polib.POFile) -> str:
    copy = polib.POFile(wrapwidth=0)
    copy.extend(po)
    return str(copy)


def po_text(po: polib.POFile) -> str:
    """The PO file as text (no line wrapping: one line per string, friendly to diffs)."""
    po.wrapwidth = 0
    text = str(po)
    return text if text.endswith("\n") else text + "\n"
