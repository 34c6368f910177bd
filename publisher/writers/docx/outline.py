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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2
from markupsafe import Markup

from ...model import Block, Digest, Report, Section

_OPEN, _CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_HEAD_WORD = re.compile(rf'"((?:[^"\\]|\\.)*)"|{_OPEN}(\d+){_CLOSE}|([^\s"{_OPEN}]+)')

_values: contextvars.ContextVar[TokenTable | None] = contextvars.ContextVar("outline_values", default=None)


class TokenTable:
    """The values behind the tokens of an outline being rendered, each dropped once its line is read.

    A value is used once, where its token stands, unless the template wrote the token
    again: output it kept (a ``{% set %}`` block, a macro's or ``caller()``'s result) goes
    back through ``finalize`` as :class:`~markupsafe.Markup`, and the tokens it holds are
    kept to the end (``pinned``).  A briefing of a whole feed so holds the values of the
    lines not read yet, not of every line.
    """

    __slots__ = ("_next", "_pinned", "_values")

    def __init__(self) -> None:
        self._values: dict[int, Any] = {}
        self._pinned: set[int] = set()
        self._next = 0

    def add(self, value: Any) -> int:
        number = self._next
        self._next += 1
        self._values[number] = value
        return number

    def pin(self, text: str) -> None:
        """Keep the values of the tokens in ``text`` (template output written once more)."""
        if _OPEN in text:
            self._pinned.update(int(n) for n in _TOKEN.findall(text))

    def take(self, number: int) -> Any:
        """The value of a token read from a line (dropped unless pinned)."""
        if number in self._pinned:
            return self._values[number]
        return self._values.pop(number)


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
    table = _values.get()
    if isinstance(value, Markup):
        if table is not None:
            table.pin(value)
        return value
    if isinstance(value, jinja2.Undefined):
        value = str(value)  # StrictUndefined raises here, inside the template
    if table is None:  # rendered outside stream_outline (a plain Audience.render)
        return value
    return f"{_OPEN}{table.add(value)}{_CLOSE}"


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


@contextmanager
def stream_outline(template: jinja2.Template, variables: dict[str, Any]) -> Iterator[Iterator[Directive]]:
    """The directives of ``template`` rendered with ``variables``, each line parsed as soon as
    the template has written it: a briefing of a whole feed is never held as text, and what
    a line shows is dropped once its directive is read.  The template's time limit (a
    :class:`~publisher.sandbox.BudgetedTemplate`'s) holds for the whole block."""
    table = TokenTable()
    streamed = getattr(template, "streamed", None)
    with streamed(**variables) if streamed is not None else nullcontext(template.generate(**variables)) as parts:

        def pieces() -> Iterator[str]:
            while True:
                reset = _values.set(table)  # only while the template runs: the caller's context stays
                try:
                    piece = next(parts, None)
                finally:
                    _values.reset(reset)
                if piece is None:
                    return
                yield piece

        yield _directives(_lines(pieces()), table)


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """Lines (without their ``\n``) of text written in pieces."""
    # Only "\n" ends a line: values are tokens, so no input text can add one.
    pending: list[str] = []
    for piece in pieces:
        if "\n" not in piece:
            pending.append(piece)
            continue
        parts = piece.split("\n")
        pending.append(parts[0])
        yield "".join(pending)
        yield from parts[1:-1]
        pending = [parts[-1]]
    yield "".join(pending)


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


def _content(text: str, values: TokenTable) -> list[Any]:
    pieces: list[Any] = []
    parts = _TOKEN.split(text)
    for i, part in enumerate(parts):
        if i % 2:
            pieces.append(values.take(int(part)))
        elif part:
            pieces.append(OutlineLiteral(part))
    if pieces and isinstance(pieces[0], OutlineLiteral):
        pieces[0] = OutlineLiteral(pieces[0].text.lstrip())
    if pieces and isinstance(pieces[-1], OutlineLiteral):
        pieces[-1] = OutlineLiteral(pieces[-1].text.rstrip())
    return [p for p in pieces if not (isinstance(p, OutlineLiteral) and not p.text)]


def _args(head: str, values: TokenTable, line: int, source: str) -> list[Any]:
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
            args.append(values.take(int(token)))
        else:
            args.append(bare)
        pos = m.end()


def _directives(lines: Iterable[str], values: TokenTable) -> Iterator[Directive]:
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
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
