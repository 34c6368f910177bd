"""The briefing outline: what an audience's ``*.docx.j2`` template yields.

A Word briefing is described by a short line-based *outline* that the
audience's Jinja template renders and the docx writer turns into Word
structure.  One directive per line::

    title: {{ digest.title }}
    heading 2: {{ section.heading }}
    bullet: {{ block }}
    p "Report Meta": {{ report.institution }} · {{ report.timestamp }}

A line is ``DIRECTIVE [ARG ...] [: CONTENT]``: bare or ``"quoted"`` words
before the first ``:``, inline content after it.  Blank lines and lines
starting with ``#`` are ignored.

**Input text is never outline syntax.**  The template runs in the
audience's sandbox with one addition: every ``{{ … }}`` value is replaced
by an opaque token (a private-use character, an index, another
private-use character) and kept aside, so a title containing ``:``,
``|``, a newline, ``{PAGE}``, ``{{ }}`` or a whole outline line stays
text.  Outline syntax can only come from the template's own text, from
``{% include %}``/``{% extends %}``/blocks, and from what macros, ``{{
super() }}``, ``{{ loop(...) }}`` and ``{% set %}…{% endset %}`` blocks
return (the template's own output).  ``|safe`` turns a value into outline
source: never use it on report text.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2
from markupsafe import Markup

from ...model import Block, Digest, Report, Section

_OPEN, _CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_HEAD_WORD = re.compile(rf'"((?:[^"\\]|\\.)*)"|{_OPEN}(\d+){_CLOSE}|([^\s"{_OPEN}]+)')

_values: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("outline_values", default=None)


class OutlineError(Exception):
    """A template produced an outline line the writer cannot understand."""

    def __init__(self, line: int, message: str, source: str = ""):
        shown = source.strip()
        shown = _TOKEN.sub("{{…}}", shown)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"outline line {line}: {message}" + (f" (in {shown!r})" if shown else ""))
        self.line = line


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Any:
    """Every ``{{ value }}`` becomes a token; the template's own output passes."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, jinja2.Undefined):
        value = str(value)  # StrictUndefined raises here, inside the template
    table = _values.get()
    if table is None:  # rendered outside render_outline (a plain Audience.render)
        return value
    table.append(value)
    return f"{_OPEN}{len(table) - 1}{_CLOSE}"


def _data(value: Any) -> str:
    """Escaping filters make data, not outline source (HTML habits are harmless here)."""
    return "" if value is None else str(value)


def outline_environment(base: jinja2.Environment, **helpers: Any) -> jinja2.Environment:
    """The audience's sandboxed environment, with values turned into tokens."""
    env = base.overlay(autoescape=True, finalize=_finalize, cache_size=100)
    env.filters = {**base.filters, "e": _data, "escape": _data, "forceescape": _data, "urlize": _data}
    env.globals = {**base.globals, **helpers}
    for name, func in helpers.items():
        if callable(func):
            env.filters.setdefault(name, func)
    return env


def render_outline(template: jinja2.Template, variables: dict[str, Any]) -> tuple[str, list[Any]]:
    """Render ``template``; returns the outline text and the token values."""
    table: list[Any] = []
    reset = _values.set(table)
    try:
        text = template.render(**variables)
    finally:
        _values.reset(reset)
    return text, table


@dataclass(slots=True)
class OutlineLiteral:
    """Outline source text written by the template (may hold ``{PAGE}`` fields)."""

    text: str


@dataclass(slots=True)
class Directive:
    """One parsed outline line."""

    name: str
    args: list[Any]
    content: list[Any] | None  # OutlineLiteral pieces and data values, or None without ':'
    line: int
    source: str

    def error(self, message: str) -> OutlineError:
        return OutlineError(self.line, message, self.source)


def plain(value: Any) -> str:
    """A value shown as text."""
    if value is None:
        return ""
    if isinstance(value, OutlineLiteral):
        return value.text
    if isinstance(value, Block):
        return value.text
    if isinstance(value, Section):
        return value.heading
    if isinstance(value, (Report, Digest)):
        return value.title
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def _content(text: str, values: list[Any]) -> list[Any]:
    pieces: list[Any] = []
    parts = _TOKEN.split(text)
    for i, part in enumerate(parts):
        if i % 2:
            pieces.append(values[int(part)])
        elif part:
            pieces.append(OutlineLiteral(part))
    if pieces and isinstance(pieces[0], OutlineLiteral):
        pieces[0] = OutlineLiteral(pieces[0].text.lstrip())
    if pieces and isinstance(pieces[-1], OutlineLiteral):
        pieces[-1] = OutlineLiteral(pieces[-1].text.rstrip())
    return [p for p in pieces if not (isinstance(p, OutlineLiteral) and not p.text)]


def _args(head: str, values: list[Any], line: int, source: str) -> list[Any]:
    args: list[Any] = []
    pos = 0
    while True:
        while pos < len(head) and head[pos].isspace():
            pos += 1
        if pos >= len(head):
            return args
        m = _HEAD_WORD.match(head, pos)
        if not m:
            raise OutlineError(line, "unbalanced quote", source)
        quoted, token, bare = m.groups()
        if quoted is not None:
            args.append(re.sub(r"\\(.)", r"\1", quoted))
        elif token is not None:
            args.append(values[int(token)])
        else:
            args.append(bare)
        pos = m.end()


def parse_outline(text: str, values: list[Any]) -> list[Directive]:
    """Split rendered outline text into directives (values resolved)."""
    return list(iter_outline(text, values))


def iter_outline(text: str, values: list[Any]) -> Iterator[Directive]:
    """The directives of rendered outline text, one line at a time (a briefing of a million
    bullets never holds a million directives)."""
    # Only "\n" ends a line: values are tokens, so no input text can add one.
    start, number = 0, 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        number += 1
        line = text[start:end].strip()
        start = end + 1
        if not line or line.startswith("#"):
            continue
        head, colon, rest = line.partition(":")
        args = _args(head, values, number, line)
        if not args or not isinstance(args[0], str) or _TOKEN.search(head.split(None, 1)[0]):
            raise OutlineError(number, "a line must start with a directive name", line)
        name = args[0].lower()
        yield Directive(name, args[1:], _content(rest, values) if colon else None, number, line)


def split_cells(content: list[Any]) -> list[list[Any]]:
    """Table cells: content split at ``|`` written by the template (never at data)."""
    cells: list[list[Any]] = [[]]
    for piece in content:
        if isinstance(piece, OutlineLiteral) and "|" in piece.text:
            parts = piece.text.split("|")
            for j, part in enumerate(parts):
                if j:
                    cells.append([])
                if part.strip():
                    cells[-1].append(OutlineLiteral(part))
        else:
            cells[-1].append(piece)
    for cell in cells:
        if cell and isinstance(cell[0], OutlineLiteral):
            cell[0] = OutlineLiteral(cell[0].text.lstrip())
        if cell and isinstance(cell[-1], OutlineLiteral):
            cell[-1] = OutlineLiteral(cell[-1].text.rstrip())
    return cells
