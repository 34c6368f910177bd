"""Translatable segments of a digest and their stable ids.

A *segment* is one piece of text a translator sees: a report title, an
institution name, a section heading, the text of a block (bullet, paragraph
or raw text, without its citation markers) or a label the templates show.

Its identity is its **context** (the kind of place it stands in: ``title``,
``institution``, ``heading``, ``text`` or ``label``) plus its exact source
text.  The same text in the same kind of place is one segment with one id,
however often and wherever it appears: a report that moves, a heading that
repeats in every report, a digest read again next week all keep their
translations.  This is exactly the key of a PO entry (``msgctxt`` +
``msgid``); :func:`segment_id` is a short hash of it for HTML and caches.

Text without a Chinese character (``DeepSeek V2``, ``OpenAI GPT``) needs no
translation: it is not a segment and is shown as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..content import ContentSettings
from ..model import Digest, Report, Section
from ..textutil import has_cjk

TITLE = "title"
INSTITUTION = "institution"
HEADING = "heading"
TEXT = "text"
LABEL = "label"
CONTEXTS = (TITLE, INSTITUTION, HEADING, TEXT, LABEL)

_EVERY_ROLE = ContentSettings()


def segment_id(context: str, text: str) -> str:
    """12 hex digits of SHA-256 over context and text (``\\x04`` between, as in MO files)."""
    return hashlib.sha256(f"{context}\x04{text}".encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Segment:
    """One translatable text in its context."""

    context: str
    text: str

    @property
    def id(self) -> str:
        return segment_id(self.context, self.text)

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.text)


@dataclass(slots=True)
class Occurrence:
    """Where a segment appears: file, line and a readable path for the translator."""

    file: str
    line: int
    where: str


@dataclass
class SegmentTable:
    """Segments in order of first appearance, with every occurrence."""

    occurrences: dict[Segment, list[Occurrence]] = field(default_factory=dict)

    def add(self, segment: Segment, occurrence: Occurrence | None = None) -> None:
        found = self.occurrences.setdefault(segment, [])
        if occurrence is not None:
            found.append(occurrence)

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.occurrences)

    def __len__(self) -> int:
        return len(self.occurrences)

    def __contains__(self, segment: object) -> bool:
        return segment in self.occurrences


def translatable(text: str) -> bool:
    """Does this text need translating into English, that is, does it hold Chinese?

    Decided per text, not per report: a report the reader found to be mostly
    English may still name a Chinese institution.
    """
    return has_cjk(text)


def included_sections(report: Report, roles: Iterable[str] | None = None) -> Iterator[Section]:
    """Top-level sections whose role is in ``roles`` (all when ``None``), in document order.

    The selection of :meth:`publisher.content.ContentSettings.sections`: what is
    translated is what the writers show.
    """
    yield from _EVERY_ROLE.sections(report, roles)


def report_segments(
    report: Report, file: str, roles: Iterable[str] | None = None, where: bool = True
) -> Iterator[tuple[Segment, Occurrence | None]]:
    """Every translatable segment of one report with where it stands (``where=False``: no occurrences)."""
    label = f"{report.institution} {report.timestamp} {report.title}" if where else ""
    line = report.pos.line
    if translatable(report.title):
        yield Segment(TITLE, report.title), Occurrence(file, line, label) if where else None
    if translatable(report.institution):
        yield Segment(INSTITUTION, report.institution), Occurrence(file, line + 1, label) if where else None
    for top in included_sections(report, roles):
        for section in top.walk():
            place = f"{label} › {' › '.join(report.section_path(section))}" if where else ""
            if translatable(section.heading):
                yield Segment(HEADING, section.heading), Occurrence(file, section.pos.line, place) if where else None
            for block in section.blocks:
                if translatable(block.text):
                    yield Segment(TEXT, block.text), Occurrence(file, block.pos.line, place) if where else None


def digest_segments(
    digest: Digest, roles: Iterable[str] | None = None, table: SegmentTable | None = None, where: bool = True
) -> SegmentTable:
    """All segments of a digest (added to ``table`` when given); ``where=False`` skips occurrences."""
    table = table if table is not None else SegmentTable()
    file = digest.source.replace("\\", "/").rsplit("/", 1)[-1] if digest.source else digest.name
    for report in digest.reports:
        for segment, occurrence in report_segments(report, file, roles, where):
            table.add(segment, occurrence)
    return table


def label_segments(labels: dict[str, str]) -> list[Segment]:
    """Segments of the template labels (``{key: Chinese text}``), in key order."""
    return [Segment(LABEL, text) for _, text in sorted(labels.items()) if translatable(text)]
