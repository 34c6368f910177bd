"""What of each report an audience gets: the ``[content]`` table of a profile.

:class:`ContentSettings` reads and checks every ``content.*`` value once:

* ``content.roles``: the section roles shown, in order of priority (default:
  every role of :data:`publisher.model.ROLES`);
* ``content.max_bullets``: how many bullets a report shows (``0``: all);
* ``content.citations``: how ``[n]`` markers are shown, one of
  :data:`CITATION_STYLES`; each writer names its own default (``md``:
  ``inline``; ``docx`` and ``html``: ``superscript``).

A wrong value is an :class:`~publisher.audiences.AudienceError` naming the key
and where it was set (``-D`` or ``FILE:LINE:COL`` of the profile), the same
whichever format or command reads it.  Every writer and the ``i18n`` commands
select through the same routines: :meth:`ContentSettings.sections` (the
top-level sections of the wanted roles), :meth:`ContentSettings.select` (those
sections and all below them with the blocks kept) and
:meth:`ContentSettings.pick` (blocks ranked by role priority, for templates).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .audiences import Audience, AudienceError, rooted_file
from .model import BULLET, ROLES, Block, Report, Section

#: The ways ``[n]`` citation markers can be shown.
CITATION_STYLES = ("superscript", "footnote", "inline", "none")

#: What ``content.max_bullets`` counts in :meth:`ContentSettings.select`: only
#: bullets (paragraphs are always kept; the ``md`` writer), or every block (``html``).
COUNT_BULLETS = "bullets"
COUNT_BLOCKS = "blocks"


@dataclass(frozen=True, slots=True)
class ContentSettings:
    """The checked ``content.*`` values of one audience."""

    roles: tuple[str, ...] = ROLES
    max_bullets: int = 0
    citations: str = "superscript"

    @classmethod
    def from_audience(cls, audience: Audience, *, citations: str = "superscript") -> ContentSettings:
        """Read and check the audience's ``content.*`` values; ``citations`` is the caller's default style."""
        table = audience.get("content")
        if table is not None and not isinstance(table, dict):
            raise _error(audience, "content", "must be a table (roles, max_bullets, citations)", table)
        roles = audience.get("content.roles", list(ROLES))
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
            raise _error(audience, "content.roles", f"must be a list of role names ({', '.join(ROLES)})", roles)
        max_bullets = audience.get("content.max_bullets", 0)
        if not isinstance(max_bullets, int) or isinstance(max_bullets, bool) or max_bullets < 0:
            raise _error(audience, "content.max_bullets", "must be a whole number (0 = all)", max_bullets)
        style = audience.get("content.citations", citations)
        if style not in CITATION_STYLES:
            raise _error(audience, "content.citations", f"must be one of {', '.join(CITATION_STYLES)}", style)
        return cls(tuple(roles), max_bullets, style)

    def sections(self, report: Report, roles: Iterable[str] | None = None) -> list[Section]:
        """The top-level sections of the wanted roles (``roles``, else :attr:`roles`), in document order."""
        wanted = self.roles if roles is None else roles
        if not isinstance(wanted, (tuple, list, set, frozenset)):
            wanted = list(wanted)
        return [s for s in report.sections if s.role in wanted]

    def select(self, report: Report, count: str = COUNT_BULLETS) -> list[tuple[Section, int, list[Block]]]:
        """What a report shows: the sections of :meth:`sections` and every section below them.

        In document order, each with its depth (1 for a top-level section) and
        the blocks kept: with ``max_bullets``, the first ``max_bullets``
        bullets of the report (``count=COUNT_BLOCKS``: blocks of any kind).
        """
        if count not in (COUNT_BULLETS, COUNT_BLOCKS):
            raise ValueError(f"count must be {COUNT_BULLETS!r} or {COUNT_BLOCKS!r}, not {count!r}")
        limit = self.max_bullets
        every = count == COUNT_BLOCKS
        used = 0
        chosen: list[tuple[Section, int, list[Block]]] = []
        stack = [(s, 1) for s in reversed(self.sections(report))]
        while stack:  # not recursive: a JSON model may nest sections hundreds of levels deep
            section, depth = stack.pop()
            if not limit:
                kept = list(section.blocks)
            else:
                kept = []
                for block in section.blocks:
                    if every or block.kind == BULLET:
                        if used >= limit:
                            continue
                        used += 1
                    kept.append(block)
            chosen.append((section, depth, kept))
            stack.extend((child, depth + 1) for child in reversed(section.children))
        return chosen

    def pick(
        self,
        report: Report,
        limit: Any = None,
        roles: Sequence[str] | None = None,
        skip: Block | None = None,
    ) -> list[Block]:
        """Blocks of the (sub)sections whose role is wanted, by role priority, then in document order.

        ``limit`` defaults to ``max_bullets`` (``0``: all) and counts blocks of
        any kind; ``roles`` to :attr:`roles`; ``skip`` is a block left out
        (the key takeaway), and so is every block that repeats its opening
        (feeds restate the takeaway at the head of a later section).
        """
        wanted = list(self.roles if roles is None else roles)
        most = self.max_bullets if limit is None else int(limit or 0)
        opening = _OPENING.split(skip.text.strip(), 1)[0] if skip is not None else ""
        ranked = []
        for order, (section, block) in enumerate(report.blocks()):
            if block is skip or (len(opening) >= 6 and block.text.lstrip().startswith(opening)):
                continue
            if section.role in wanted:
                ranked.append((wanted.index(section.role), order, block))
        ranked.sort(key=lambda item: item[:2])
        picked = [block for _, _, block in ranked]
        return picked[:most] if most > 0 else picked


#: Where the opening clause of a text ends.
_OPENING = re.compile(r"[，,；;。！？!?]")


# --- where a value was set -----------------------------------------------------------

_TABLE = re.compile(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_ASSIGN = re.compile(r"\s*([A-Za-z0-9_\-. \"']+?)\s*=")


def _error(audience: Audience, key: str, problem: str, value: Any) -> AudienceError:
    return AudienceError(f"{origin(audience, key)}: {key} {problem}, not {value!r}")


def origin(audience: Audience, key: str) -> str:
    """Where the profile value ``key`` (dotted) of ``audience`` was set.

    ``-D`` for the command line, else ``FILE:LINE:COL`` of the profile (of
    the audience or of one it inherits from) that sets it.
    """
    parts = key.split(".")
    prefixes = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if any(p in audience.overridden for p in prefixes):
        return "command line (-D)"
    for name in audience.chain:
        path = next((p for root in audience.roots if (p := _profile(root, name)) is not None), None)
        if path is None:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if not _has(data, parts):
            continue
        for wanted in prefixes:  # the key's own line, else that of the table holding it
            line = _line_of(text, wanted)
            if line:
                return f"{path}:{line[0]}:{line[1]}"
        return str(path)
    return f"profile of audience {audience.name!r}"


def _profile(root: Path, name: str) -> Path | None:
    try:
        return rooted_file(root, f"{name}/profile.toml")
    except AudienceError:
        return None


def _has(data: dict[str, Any], parts: list[str]) -> bool:
    node: Any = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _dotted(text: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in text.split("."))


def _line_of(text: str, key: str) -> tuple[int, int] | None:
    """Line and column of the assignment of ``key`` (dotted) in TOML ``text``, if plainly written."""
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _TABLE.match(line)
        if m:
            table = _dotted(m.group(1))
            if table == key:
                return number, len(line) - len(line.lstrip()) + 1
            continue
        m = _ASSIGN.match(line)
        if m and (f"{table}.{_dotted(m.group(1))}" if table else _dotted(m.group(1))) == key:
            return number, len(line) - len(line.lstrip()) + 1
    return None
