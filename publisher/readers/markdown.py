"""Reader for Markdown pages: one report per file, with YAML front matter.

A page written by the ``md`` writer reads back into the same model; a note an
analyst writes by hand goes through the same pipeline::

    ---
    title: 北交所周观察           # or the first "# Title" heading
    institution: 华源证券
    published: 2025-02-16 15:12  # also 2025-02-16T15:12, 2025/02/16 15:12, with seconds
    ---
    ## 报告核心观点
    - 北证 50 指数涨幅超 18.6% [3][9]

What becomes what:

- the front matter gives ``title``, ``institution``, ``published`` (aliases
  ``date``, ``published_at``, ``time``), ``id`` and ``language``; ``roles``
  (a list, one role per section in document order) overrides the roles the
  headings imply;
- a first ``#`` heading is the title (unless the front matter names another
  title: then it is a section); a block quote right under it is the
  metadata line (``institution · time …``) and only fills fields the front
  matter does not give;
- headings become nested sections (a heading one level deeper than the one
  before is its child, whatever the levels); lead sections get their role
  from their name as in the digest reader (``核心观点`` → summary …);
- list items become bullets, paragraphs paragraphs, code blocks, tables and
  raw HTML ``raw`` blocks; unescaped ``[n]`` (also inside ``<sup>``) are
  citations, escaped ``\\[n\\]`` is text.

Malformed input (bad YAML, no title, no or an invalid time) is an error
with its position (``FILE:LINE:COL``), never a traceback.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from ..diagnostics import ERROR, Diagnostic, Diagnostics, InputError
from ..model import (
    BULLET,
    PARAGRAPH,
    RAW,
    ROLE_BODY,
    ROLES,
    Block,
    Citation,
    Digest,
    Pos,
    Report,
    Section,
    parse_timestamp,
    report_id,
)
from ..textutil import HAN_CLASS
from ..vocabulary import digest_title, guess_language, lead_role
from .base import Reader
from .source import SourceText, read_source

_MARK = re.compile(r"\[(0|[1-9][0-9]{0,5})\]")
_WS = " \t\u3000"
_ID = re.compile(r"[0-9a-f]{12}(?:-[0-9]{1,6})?")  # as the model schema has it
#: Text a line break joins without a space: Han characters, CJK punctuation, full-width forms.
_JOINED = re.compile(f"{HAN_CLASS}|[\u3000-\u303f\uff00-\uffef]")
_MAX_FRONT_MATTER = 64 * 1024
_TIME_KEYS = ("published", "published_at", "date", "time")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").use(front_matter_plugin).enable(["table", "strikethrough"])
    # keep escaped characters and entities as separate tokens: "\[1\]" is text, "[1]" a citation
    md.disable("text_join")
    return md


@dataclass
class _Field:
    """A front-matter value as written (no YAML type guessing) and where it is."""

    value: Any
    line: int
    column: int


def _node_value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        # strings as written, no YAML type guessing; HTML-unescaped like the writer escapes them
        return None if node.tag == "tag:yaml.org,2002:null" else html.unescape(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_node_value(n) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(_node_value(k)): _node_value(v) for k, v in node.value}
    return None


def front_matter(text: str, path: str, first_line: int) -> dict[str, _Field]:
    """The top-level fields of YAML front matter that starts at ``first_line`` (1-based)."""
    if len(text) > _MAX_FRONT_MATTER:
        raise InputError(Diagnostic(ERROR, "front matter is larger than 64 KiB", path, first_line, 1))
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                assert mark is not None  # the composer marks every event
                raise InputError(
                    Diagnostic(
                        ERROR,
                        "YAML aliases are not allowed in front matter",
                        path,
                        first_line + mark.line,
                        mark.column + 1,
                    )
                )
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (first_line + mark.line, mark.column + 1) if mark else (first_line, 1)
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError(Diagnostic(ERROR, f"invalid YAML front matter: {message}", path, line, column)) from None
    except yaml.YAMLError as exc:
        raise InputError(Diagnostic(ERROR, f"invalid YAML front matter: {exc}", path, first_line, 1)) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        mark = node.start_mark
        raise InputError(
            Diagnostic(
                ERROR,
                "front matter must be a mapping (key: value lines)",
                path,
                first_line + mark.line,
                mark.column + 1,
            )
        )
    fields: dict[str, _Field] = {}
    for key, value in node.value:
        name = str(_node_value(key)).strip().lower()
        mark = value.start_mark
        fields[name] = _Field(_node_value(value), first_line + mark.line, mark.column + 1)
    return fields


def parse_time(text: str) -> datetime | None:
    """``2025-02-16 16:06`` and the ISO 8601 forms (a time zone is dropped: times are local)."""
    text = text.strip()
    try:
        when = parse_timestamp(text)
    except ValueError:
        return None
    if when is not None:
        return when
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


@dataclass
class _Open:
    """A section on the nesting stack and the heading level it came from."""

    hlevel: int
    section: Section


@dataclass
class _Page:
    """Walks the token stream of one page and builds its report."""

    source: SourceText
    diagnostics: Diagnostics
    meta: dict[str, _Field]
    lines: list[str]
    title: str | None = None
    title_pos: Pos = field(default_factory=Pos)
    byline: str | None = None
    sections: list[Section] = field(default_factory=list)
    stack: list[_Open] = field(default_factory=list)
    warned: set[str] = field(default_factory=set)

    @property
    def path(self) -> str:
        return self.source.path

    def warn_once(self, key: str, message: str, pos: Pos) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.diagnostics.warning(message, self.path, pos.line, pos.column)

    def pos(self, token: Token) -> Pos:
        if not token.map:
            return Pos()
        line = token.map[0]
        text = self.lines[line] if line < len(self.lines) else ""
        stripped = text.lstrip(" \t>")
        column = len(text) - len(stripped) + 1
        if token.type == "inline" and stripped[:1] in "-+*" and stripped[1:2] in (" ", "\t", ""):
            column += len(stripped) - len(stripped[1:].lstrip(" \t"))
        return Pos(line + 1, column)

    # inline content

    def inline(self, token: Token, citations: bool = True) -> tuple[str, list[Citation]]:
        """Text and citations of an inline token; markup is dropped, escaped text kept."""
        done: list[str] = []
        done_len = 0
        buf: list[str] = []
        cites: list[Citation] = []
        pos = self.pos(token)
        src_lines = self.lines[token.map[0] : token.map[1]] if token.map else []
        search_from = [0, 0]  # line index, column in that line
        children = token.children or []

        def cite(ref: int, marker: str) -> None:
            nonlocal done_len
            text = "".join(buf)
            piece = text.rstrip(_WS)
            done.append(piece)
            done_len += len(piece)
            buf.clear()
            cites.append(Citation(ref, done_len, text[len(piece) :], self.locate(marker, src_lines, search_from, pos)))

        def last_char() -> str:
            for part in reversed(buf):
                if part:
                    return part[-1]
            for part in reversed(done):
                if part:
                    return part[-1]
            return ""

        for k, child in enumerate(children):
            kind = child.type
            if kind == "text":
                content = child.content
                if not citations:
                    buf.append(content)
                    continue
                last = 0
                for m in _MARK.finditer(content):
                    buf.append(content[last : m.start()])
                    cite(int(m.group(1)), m.group(0))
                    last = m.end()
                buf.append(content[last:])
            elif kind in ("text_special", "code_inline"):
                buf.append(child.content)
            elif kind == "softbreak":
                after = next((c.content[:1] for c in children[k + 1 :] if c.content), "")
                before = last_char()
                buf.append("" if _JOINED.match(before or " ") and _JOINED.match(after or " ") else " ")
            elif kind == "hardbreak":
                buf.append("\n")
            elif kind == "image":
                buf.append(child.content)
            elif kind == "html_inline":
                tag = child.content.strip().lower()
                if tag in ("<sup>", "</sup>"):
                    continue  # superscript citations: the [n] inside is what counts
                if re.fullmatch(r"<br\s*/?>", tag):
                    buf.append("\n")
                else:
                    buf.append(child.content)
                    self.warn_once("html", "raw HTML in text is kept as text", pos)
            # link/emphasis/strikethrough open and close tokens: the markup goes, the text stays
        done.extend(buf)
        return "".join(done), cites

    def locate(self, marker: str, src_lines: list[str], where: list[int], fallback: Pos) -> Pos:
        """Where ``marker`` is in the source, searching forward from the last one found."""
        line, col = where
        while line < len(src_lines):
            found = src_lines[line].find(marker, col)
            if found >= 0:
                where[0], where[1] = line, found + len(marker)
                return Pos(fallback.line + line, found + 1)
            line, col = line + 1, 0
        return fallback

    # sections and blocks

    def open_section(self, hlevel: int, heading: str, pos: Pos) -> None:
        # the untitled section of blocks before any heading (hlevel 0) ends at the first heading
        while self.stack and (self.stack[-1].hlevel >= hlevel or self.stack[-1].hlevel == 0):
            self.stack.pop()
        role = lead_role(heading) or ROLE_BODY
        section = Section(heading, len(self.stack) + 1, role, pos=pos)
        if self.stack:
            self.stack[-1].section.children.append(section)
        else:
            self.sections.append(section)
        self.stack.append(_Open(hlevel, section))

    def add_block(self, block: Block) -> None:
        if not self.stack:
            section = Section("", 1, ROLE_BODY, pos=block.pos)
            self.sections.append(section)
            self.stack.append(_Open(0, section))
        self.stack[-1].section.blocks.append(block)

    def walk(self, tokens: list[Token]) -> None:
        meta_title = self.meta.get("title")
        started = False  # has any content block or section been seen?
        after_title = False
        i = 0
        list_item_open = False  # the next paragraph is the text of a list item
        while i < len(tokens):
            tok = tokens[i]
            kind = tok.type
            if kind == "front_matter":
                i += 1
                continue
            if kind == "heading_open":
                inline = tokens[i + 1]
                text, _ = self.inline(inline, citations=False)
                hlevel = int(tok.tag[1])
                pos = self.pos(inline)
                title_text = meta_title.value if meta_title and isinstance(meta_title.value, str) else None
                if hlevel == 1 and not started and self.title is None and title_text in (None, text):
                    self.title, self.title_pos = text, pos
                    after_title = True
                else:
                    self.open_section(hlevel, text, pos)
                    after_title = False
                started = True
                i += 3
                continue
            if kind == "blockquote_open" and after_title:
                close = self.matching(tokens, i)
                texts = [self.inline(t, citations=False)[0] for t in tokens[i:close] if t.type == "inline"]
                self.byline = " ".join(texts)
                after_title = False
                i = close + 1
                continue
            after_title = False
            if kind == "list_item_open":
                list_item_open = True
                if tokens[i + 1].type == "list_item_close":
                    self.add_block(Block(BULLET, "", pos=self.pos(tok)))
                    list_item_open = False
                started = True
            elif kind == "inline":
                text, cites = self.inline(tok)
                self.add_block(Block(BULLET if list_item_open else PARAGRAPH, text, cites, pos=self.pos(tok)))
                list_item_open = False
                started = True
            elif kind in ("fence", "code_block"):
                self.add_raw(tok.content[:-1] if tok.content.endswith("\n") else tok.content, self.pos(tok))
                started = True
            elif kind == "html_block":
                if not tok.content.lstrip().startswith("<!--"):
                    self.warn_once("html", "raw HTML is kept as text", self.pos(tok))
                    self.add_raw(tok.content.rstrip("\n"), self.pos(tok))
                    started = True
            elif kind == "table_open":
                close = self.matching(tokens, i)
                rows: list[str] = []
                cells: list[str] = []
                for t in tokens[i:close]:
                    if t.type == "inline":
                        cells.append(self.inline(t, citations=False)[0])
                    elif t.type == "tr_close":
                        rows.append(" | ".join(cells))
                        cells = []
                self.warn_once("table", "tables are kept as raw text", self.pos(tok))
                self.add_raw("\n".join(rows), self.pos(tok))
                started = True
                i = close + 1
                continue
            i += 1

    @staticmethod
    def matching(tokens: list[Token], i: int) -> int:
        """Index of the token closing the one at ``i``."""
        depth = 0
        for j in range(i, len(tokens)):
            depth += tokens[j].nesting
            if depth == 0:
                return j
        return len(tokens) - 1

    def add_raw(self, text: str, pos: Pos) -> None:
        pieces: list[str] = []
        cites: list[Citation] = []
        length, last = 0, 0
        for m in _MARK.finditer(text):
            gap = text[last : m.start()]
            piece = gap.rstrip(_WS)
            pieces.append(piece)
            length += len(piece)
            cites.append(Citation(int(m.group(1)), length, gap[len(piece) :], pos))
            last = m.end()
        pieces.append(text[last:])
        self.add_block(Block(RAW, "".join(pieces), cites, pos=pos))


def _error(message: str, path: str, line: int = 1, column: int = 1) -> InputError:
    return InputError(Diagnostic(ERROR, message, path, line, column))


def read_text(source: SourceText, diagnostics: Diagnostics | None = None) -> Digest:
    """Parse a decoded Markdown page into a digest of one report."""
    diags = diagnostics if diagnostics is not None else Diagnostics()
    path = source.path
    text = source.text
    tokens = _parser().parse(text)
    lines = text.split("\n")
    meta: dict[str, _Field] = {}
    if tokens and tokens[0].type == "front_matter":
        start = (tokens[0].map or [0])[0]
        meta = front_matter(tokens[0].content, path, start + 2)
    elif lines and lines[0].rstrip() == "---" and not any(t.type == "front_matter" for t in tokens):
        raise _error("front matter is not closed: no '---' line after the opening one", path)
    page = _Page(source, diags, meta, lines)
    page.walk(tokens)
    end_of_meta = (tokens[0].map[1] + 1) if tokens and tokens[0].type == "front_matter" and tokens[0].map else 1

    def text_field(name: str) -> str | None:
        f = meta.get(name)
        if f is None or f.value is None:
            return None
        if not isinstance(f.value, str):
            raise _error(f"front matter: {name!r} must be text, not a list or mapping", path, f.line, f.column)
        return f.value

    byline = _split_byline(page.byline)
    title = text_field("title") or page.title
    if not title:
        raise _error(
            "no title: give 'title:' in the front matter or start the page with a '# Title' heading",
            path,
            end_of_meta,
        )
    published_at: datetime | None = None
    for name in _TIME_KEYS:
        value = text_field(name)
        if value is None:
            continue
        f = meta[name]
        published_at = parse_time(value)
        if published_at is None:
            raise _error(f"front matter: invalid {name} {value!r}, expected YYYY-MM-DD HH:MM", path, f.line, f.column)
        break
    if published_at is None and byline and byline[1]:
        published_at = parse_time(byline[1])
    if published_at is None:
        raise _error("no publication time: give 'published: YYYY-MM-DD HH:MM' in the front matter", path, end_of_meta)
    institution = text_field("institution")
    if institution is None:
        institution = byline[0] if byline else ""
    if not institution:
        diags.warning("no institution: give 'institution:' in the front matter", path, end_of_meta, 1)

    sections = page.sections
    _apply_roles(sections, meta.get("roles"), path, diags)
    body_text = " ".join(b.text for s in sections for sec in s.walk() for b in sec.blocks)[:600]
    language = text_field("language") or guess_language(title + body_text)
    report = Report(
        title=title,
        institution=institution,
        published_at=published_at,
        sections=sections,
        language=language,
        pos=page.title_pos if page.title is not None and page.title_pos.line else Pos(1, 1),
    )
    rid = text_field("id")
    if rid and not _ID.fullmatch(rid):
        f = meta["id"]
        diags.warning(f"front matter: id {rid!r} is not a report id; computed a new one", path, f.line, f.column)
        rid = None
    report.id = rid or report_id(institution, published_at, title)
    if not sections:
        diags.warning("page has no content under its title", path, end_of_meta, 1)
    digest = Digest(
        source=path,
        reports=[report],
        newline=source.newline,
        bom=source.bom,
        encoding=source.encoding,
    )
    digest.title = digest_title(digest)
    return digest


def _split_byline(text: str | None) -> tuple[str, str] | None:
    """``海通国际 · 2025-02-16 16:06 · …`` → (institution, time)."""
    if not text:
        return None
    parts = [p.strip() for p in re.split(r"[·・•]", text)]
    institution = parts[0] if parts else ""
    when = next((p for p in parts[1:] if parse_time(p)), "")
    return institution, when


def _apply_roles(sections: list[Section], field_: _Field | None, path: str, diags: Diagnostics) -> None:
    if field_ is None:
        return
    flat = [s for top in sections for s in top.walk()]
    roles = field_.value
    if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
        diags.warning(f"front matter: roles must be a list of {', '.join(ROLES)}; ignored", path, field_.line, 1)
        return
    if len(roles) != len(flat):
        diags.warning(
            f"front matter: roles names {len(roles)} sections but the page has {len(flat)}; ignored",
            path,
            field_.line,
            field_.column,
        )
        return
    for section, role in zip(flat, roles, strict=True):
        section.role = role


def read(path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
    """Read a Markdown page (``InputError`` if it cannot be read)."""
    return read_text(read_source(path, encoding), diagnostics)


class MarkdownReader(Reader):
    """``*.md``: a Markdown page with YAML front matter (one report)."""

    name = "markdown"
    extensions = (".md", ".markdown")
    description = "Markdown page with YAML front matter (one report per file)"

    def read(self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
        return read(path, encoding, diagnostics)
