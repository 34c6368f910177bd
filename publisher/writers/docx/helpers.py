"""The functions (and filters) a briefing template gets.

``pick``, ``sections``, ``key_figure`` and ``short_date``; the filters ``first_sentence`` and
``clause`` (a takeaway cut at a clause boundary within a width).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...content import ContentSettings
from ...model import ROLE_BODY, Block, Report, Section
from ...textutil import clause_cut, display_width, first_sentence
from ...transforms.metrics import extract as figures_in
from .outline import plain


def _first_sentence(value: Any) -> str:
    return first_sentence(plain(value)) if value is not None else ""


def _clause(value: Any, width: Any = 56) -> Any:
    """``value`` cut at a clause boundary within ``width`` columns; a block that fits stays a
    block (with its citations), a cut one becomes its plain text."""
    try:
        columns = max(int(width), 8)
    except (TypeError, ValueError):
        columns = 56
    if value is None:
        return ""
    text = plain(value)
    cut = clause_cut(text, columns)
    return value if cut == text.strip() and isinstance(value, Block) else cut


#: Widest subject a key figure shows in front of its value (columns; CJK count two).
KEY_SUBJECT_WIDTH = 16


#: Units of spans of time (``1-2个季度``): how long, not how much; never a report's key figure.
_DURATION_UNITS = frozenset({"个季度", "季度", "年", "个月", "月", "周", "天", "日", "小时", "years", "months", "days"})


def takeaway(report: Report) -> Block | None:
    """What a report says first: its key takeaway, else (a report with no summary section) the
    first block of its body, else its first block; ``None`` for a report with no text."""
    found = report.key_takeaway()
    if found is None:
        blocks = list(report.blocks())
        found = next((b for s, b in blocks if s.role == ROLE_BODY), blocks[0][1] if blocks else None)
    return found


def key_figure(report: Report) -> str:
    """The figure a reader remembers a report by: the first figure of its title, else of its
    takeaway (:func:`takeaway`; not a span of time), with its subject when that is short
    (``北证50涨幅 18%``); ``""`` if none."""
    takeaway_block = takeaway(report)
    for text in (report.title, plain(takeaway_block) if takeaway_block is not None else ""):
        for metric in figures_in(text):
            if (metric.value is None and metric.low is None) or metric.unit.strip() in _DURATION_UNITS:
                continue
            value = metric.value if metric.value is not None else f"{metric.low}-{metric.high}"
            shown = (
                f"{value}{metric.unit}"
                if not metric.unit[:1].isalpha() or not metric.unit.isascii()
                else f"{value} {metric.unit}"
            )
            subject = metric.subject.strip()
            if subject and display_width(subject) <= KEY_SUBJECT_WIDTH:
                return f"{subject} {shown}"
            return shown
    return ""


def short_date(report: Report) -> str:
    """``02-16``: the month and day a report was published."""
    return f"{report.published_at:%m-%d}"


def template_helpers(content: ContentSettings) -> dict[str, Callable[..., Any]]:
    """The functions (and filters) templates get."""

    def pick(
        report: Report, limit: Any = None, roles: list[str] | None = None, skip_takeaway: bool = False
    ) -> list[Block]:
        """Blocks of the sections whose role the profile includes, by role priority.

        ``limit`` defaults to ``content.max_bullets`` (0 = all), ``roles`` to
        ``content.roles``; ``skip_takeaway`` leaves out what :func:`takeaway` shows.
        """
        return content.pick(report, limit, roles, takeaway(report) if skip_takeaway else None)

    def sections(report: Report, roles: list[str] | None = None) -> list[Section]:
        """Top-level sections whose role the profile includes, in document order."""
        return content.sections(report, roles)

    return {
        "pick": pick,
        "sections": sections,
        "first_sentence": _first_sentence,
        "clause": _clause,
        "key_figure": key_figure,
        "takeaway": takeaway,
        "short_date": short_date,
    }
