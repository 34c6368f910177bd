"""The functions (and filters) a briefing template gets: ``pick``, ``sections``, ``first_sentence``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...content import ContentSettings
from ...model import Block, Report, Section
from ...textutil import first_sentence
from .outline import plain


def _first_sentence(value: Any) -> str:
    return first_sentence(plain(value)) if value is not None else ""


def template_helpers(content: ContentSettings) -> dict[str, Callable[..., Any]]:
    """The functions (and filters) templates get: ``pick``, ``sections`` and ``first_sentence``."""

    def pick(
        report: Report, limit: Any = None, roles: list[str] | None = None, skip_takeaway: bool = False
    ) -> list[Block]:
        """Blocks of the sections whose role the profile includes, by role priority.

        ``limit`` defaults to ``content.max_bullets`` (0 = all), ``roles`` to
        ``content.roles``; ``skip_takeaway`` leaves out the key takeaway.
        """
        return content.pick(report, limit, roles, report.key_takeaway() if skip_takeaway else None)

    def sections(report: Report, roles: list[str] | None = None) -> list[Section]:
        """Top-level sections whose role the profile includes, in document order."""
        return content.sections(report, roles)

    return {"pick": pick, "sections": sections, "first_sentence": _first_sentence}
