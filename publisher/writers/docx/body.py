"""The body builder: outline directives in, WordprocessingML out.

:class:`BodyBuilder` turns the directives of a rendered outline (see
:mod:`publisher.writers.docx.outline`) into the body of a briefing, one XML
string per paragraph or table, plus what goes beside it in the package
(footnotes, list numbering, hyperlinks, styles the reference document
lacks, header and footer, properties): a
:class:`~publisher.writers.docx.package.Package`.  Every paragraph, run and
table uses a named style, never direct formatting.
"""

from __future__ import annotations

import bisect
import codecs
import re
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ...model import Block, Report, Section
from ...textutil import xml_escape, xml_safe
from .outline import Directive, OutlineError, OutlineLiteral, plain
from .outline import split_cells as _split_cells
from .package import Package, Properties, Reference

DEFAULT_FOOTNOTE = "{institution}《{title}》({time}),原文引用 {refs}"
_FIELD = re.compile(r"\{(PAGE|NUMPAGES|SECTIONPAGES)\}")
_URL = re.compile(r"(?<![A-Za-z0-9.\-_/@])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'\""
_PLACEHOLDER = re.compile(r"\{(refs|title|institution|time|section)\}")


def _escape(text: str) -> str:
    """Text for a w:t element: XML-legal and escaped (a CR stays: ``_t`` makes line breaks ``w:br``)."""
    return xml_escape(xml_safe(text)[0], cr=False)


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _t(text: str) -> str:
    """The inner XML of a run holding ``text`` (line breaks and tabs kept)."""
    text = _escape(text)
    if "\n" not in text and "\t" not in text and "\r" not in text:
        return f'<w:t xml:space="preserve">{text}</w:t>'
    out = []
    for i, line in enumerate(re.split(r"\r\n|\r|\n", text)):
        if i:
            out.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<w:tab/>")
            if piece:
                out.append(f'<w:t xml:space="preserve">{piece}</w:t>')
    return "".join(out)


@dataclass
class _List:
    kind: str
    num_id: int
    levels: set[int]


@dataclass
class _Table:
    """A table being written: its opening is a slot of the body (its look depends on whether any
    row is a header), filled when the table ends; each row is written as it comes."""

    style: str
    widths: list[float]
    directive: Directive
    slot: int
    grid: list[int] | None = None  # the columns' widths, known at the first row
    has_header: bool = False


class BlockOwners:
    """The report and section of each block a briefing shows (for footnote text and source links).

    Reports are added as the template reaches them (:meth:`add`).  Blocks read from text
    stand in document order, so a report is kept as the span of its blocks' positions,
    not as its blocks: the owner of a block is the report whose span holds its position
    (by bisection), and its section is looked up in that report when asked (footnote
    text).  The briefing can so drop a report's body once it is shown and still find
    the owner of a block of it.  Reports whose blocks are out of order (a model from
    JSON with made-up positions, never a body deferred by a reader) are kept by their
    blocks instead, a dictionary by block.  For a block of no report added yet,
    ``more`` is asked to add more reports (it says whether it added any).
    """

    __slots__ = ("_by_id", "_ends", "_more", "_reports", "_starts")

    def __init__(self, more: Callable[[], bool] | None = None) -> None:
        self._starts = array("Q")
        self._ends = array("Q")
        self._reports: list[Report] = []
        self._by_id: dict[int, tuple[Report, Section]] = {}
        self._more = more

    def add(self, report: Report) -> None:
        """Add a report's blocks (reports in any order; a report read twice is not added twice)."""
        first: int | None = None
        last = -1
        for section in report.walk():
            for block in section.blocks:
                key = _position_key(block)
                if key <= last or key < 0:
                    self._add_by_block(report)
                    return
                if first is None:
                    first = key
                last = key
        if first is None:
            return
        starts, ends = self._starts, self._ends
        i = bisect.bisect_left(starts, first)
        if (i > 0 and ends[i - 1] >= first) or (i < len(starts) and starts[i] <= last):
            self._add_by_block(report)  # spans that overlap: made-up positions
            return
        starts.insert(i, first)
        ends.insert(i, last)
        self._reports.insert(i, report)

    def _add_by_block(self, report: Report) -> None:
        for section in report.walk():
            owner = (report, section)  # one per section: a million blocks share them
            for block in section.blocks:
                self._by_id[id(block)] = owner

    def report(self, block: Block) -> Report | None:
        """The report that holds ``block`` (``None``: none the briefing shows)."""
        found = self._by_id.get(id(block))
        if found is not None:
            return found[0]
        key = _position_key(block)
        if key < 0:
            return None
        i = bisect.bisect_right(self._starts, key) - 1
        if i >= 0 and key <= self._ends[i]:
            return self._reports[i]
        if self._more is not None and self._more():  # a block of a report not added yet
            return self.report(block)
        return None

    def get(self, block: Block) -> tuple[Report | None, Section | None]:
        """The report and section that hold ``block``."""
        found = self._by_id.get(id(block))
        if found is not None:
            return found
        report = self.report(block)
        if report is None:
            return None, None
        key = _position_key(block)
        for section in report.walk():
            blocks = section.blocks
            if blocks and _position_key(blocks[0]) <= key <= _position_key(blocks[-1]):
                return report, section
        return report, None


def _position_key(block: Block) -> int:
    """Line and column as one number (``-1``, never in order, for positions too large: a model from JSON)."""
    line, column = block.line, block.column
    if not (0 <= line < 1 << 31 and 0 <= column < 1 << 32):
        return -1
    return line << 32 | column


class BodyBuilder:
    """Turns outline directives into WordprocessingML, one string per element."""

    def __init__(
        self,
        ref: Reference,
        *,
        citations: str = "superscript",
        footnote_pattern: str = DEFAULT_FOOTNOTE,
        owners: BlockOwners | None = None,
        warn: Callable[[str], None] = lambda message: None,
        properties: Properties | None = None,
        theme_font_lang: str = "zh-CN",
    ) -> None:
        self.ref = ref
        self.citations = citations
        self.footnote_pattern = footnote_pattern
        self.owners = owners if owners is not None else BlockOwners()
        self.warn = warn
        self.body = BodySpool()
        self.pkg = Package(body=self.body, properties=properties or Properties(), theme_font_lang=theme_font_lang)
        self._style_ids: dict[tuple[str, str], str] = {}
        self._list: _List | None = None
        self._table: _Table | None = None
        self._next_num = ref.max_num_id + 1
        self._fallback_abstract: dict[str, int] = {}
        self._links: dict[str, int] = {}
        #: (level, bookmark number, text) of the headings a table of contents lists (all until
        #: its depth is known, then those it lists).
        self._headings: list[tuple[int, int, str]] = []
        self._heading_count = 0
        self._toc: tuple[int, int] | None = None  # (body slot, depth)
        self._sources: tuple[int, list[Any]] | None = None  # (body slot, heading) of the source list
        #: The reports whose citations the body shows, by id: (number, (report, their refs)).
        self._cited: dict[str, tuple[int, tuple[Report, set[int]]]] = {}
        self._in_story = "body"

    # -- styles ---------------------------------------------------------------------

    def style(self, name: str, kind: str = "paragraph") -> str:
        key = (name, kind)
        sid = self._style_ids.get(key)
        if sid is not None:
            return sid
        info = self.ref.style(name, kind)
        if info is not None:
            sid = info.style_id
        else:
            sid = self._add_style(name, kind)
        self._style_ids[key] = sid
        return sid

    def _add_style(self, name: str, kind: str) -> str:
        base = re.sub(r"[^0-9A-Za-z]", "", name) or "Style"
        sid, n = base, 1
        taken = self.ref.style_ids | set(self._style_ids.values())
        while sid in taken:
            n += 1
            sid = f"{base}{n}"
        props = ""
        m = re.fullmatch(r"heading ([1-9])", name, re.IGNORECASE)
        if m:
            props = f'<w:pPr><w:keepNext/><w:outlineLvl w:val="{int(m.group(1)) - 1}"/></w:pPr>'
        elif name.lower() in ("citation mark", "footnote reference"):
            props = '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        normal = self.ref.style("normal", "paragraph") if kind == "paragraph" else None
        based = f'<w:basedOn w:val="{normal.style_id}"/>' if normal else ""
        self.pkg.extra_styles.append(
            f'<w:style w:type="{kind}" w:customStyle="1" w:styleId="{sid}"><w:name w:val="{_attr(name)}"/>'
            f"{based}<w:qFormat/>{props}</w:style>"
        )
        self.warn(f"the reference document has no {kind} style {name!r}; added a plain one (define it to style it)")
        return sid

    # -- inline content ---------------------------------------------------------------

    def runs(self, content: Iterable[Any], story: str = "body") -> str:
        out: list[str] = []
        for piece in content:
            if isinstance(piece, OutlineLiteral):
                self._literal(piece.text, out)
            elif isinstance(piece, Block):
                self._block(piece, out, story)
            elif isinstance(piece, str):
                self._text(piece, out, story)
            else:
                self._text(plain(piece), out, story)
        return "".join(out)

    def _literal(self, text: str, out: list[str]) -> None:
        parts = _FIELD.split(text)
        for i, part in enumerate(parts):
            if i % 2:
                out.append(f'<w:fldSimple w:instr=" {part} "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
            elif part:
                out.append(f"<w:r>{_t(part)}</w:r>")

    def _text(self, text: str, out: list[str], story: str) -> None:
        if not text:
            return
        if story == "body" and ("://" in text or "www." in text.lower()):
            last = 0
            for m in _URL.finditer(text):
                url = m.group(0).rstrip(_URL_TRAIL)
                if len(url) < 8:
                    continue
                start, end = m.start(), m.start() + len(url)
                if start > last:
                    out.append(f"<w:r>{_t(text[last:start])}</w:r>")
                out.append(self._hyperlink(url))
                last = end
            if last < len(text):
                out.append(f"<w:r>{_t(text[last:])}</w:r>")
            return
        out.append(f"<w:r>{_t(text)}</w:r>")

    def _hyperlink(self, url: str) -> str:
        target = url if "://" in url else "http://" + url
        target = xml_safe(target)[0]
        n = self._links.get(target)
        if n is None:
            self.pkg.hyperlinks.append(target)
            n = self._links[target] = len(self.pkg.hyperlinks)
        style = self.style("Hyperlink", "character")
        return (
            f'<w:hyperlink r:id="rIdLink{n}" w:history="1"><w:r><w:rPr><w:rStyle w:val="{style}"/></w:rPr>'
            f"{_t(url)}</w:r></w:hyperlink>"
        )

    def _block(self, block: Block, out: list[str], story: str) -> None:
        mode = self.citations
        if not block.citations or mode == "none":
            self._text(block.text, out, story)
            return
        if mode == "inline":
            self._text(block.marked_text(), out, story)
            return
        if mode == "footnote" and story != "body":
            mode = "superscript"  # Word has no footnotes in headers, footers or notes
        text = block.text
        crlf = "\r\n" in text  # one line break, even when a citation sits between \r and \n

        def position(offset: int) -> int:
            return offset - text.count("\r\n", 0, offset) if crlf else offset

        groups: list[tuple[int, list[int]]] = []
        for c in block.citations:
            offset = position(min(max(c.offset, 0), len(text)))
            if groups and groups[-1][0] == offset:
                groups[-1][1].append(c.ref)
            else:
                groups.append((offset, [c.ref]))
        groups.sort(key=lambda g: g[0])
        if crlf:
            text = text.replace("\r\n", "\n")
        last = 0
        for offset, refs in groups:
            if offset > last:
                self._text(text[last:offset], out, story)
                last = offset
            marker = "".join(f"[{r}]" for r in refs)
            if mode == "footnote":
                out.append(self._footnote(block, marker))
            else:
                style = self.style("Citation Mark", "character")
                run = f'<w:r><w:rPr><w:rStyle w:val="{style}"/></w:rPr><w:t>{marker}</w:t></w:r>'
                report = self.owners.report(block) if story == "body" else None
                if report is None:
                    out.append(run)
                    continue
                # a link to the report's entry in the source list, if the outline asks for one
                # (finish() turns the marks into the link, or drops them)
                entry = self._cited.get(report.id)
                if entry is None:
                    entry = self._cited[report.id] = (len(self._cited) + 1, (report, set()))
                entry[1][1].update(refs)
                out.append(f"{_LINK_OPEN}{entry[0]}{_LINK_MID}{run}{_LINK_CLOSE}")
        if last < len(text):
            self._text(text[last:], out, story)

    def _footnote(self, block: Block, marker: str) -> str:
        report, section = self.owners.get(block)
        values = {
            "refs": marker,
            "title": report.title if report else "",
            "institution": report.institution if report else "",
            "time": report.timestamp if report else "",
            "section": section.heading if section else "",
        }
        text = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.footnote_pattern)
        note_id = len(self.pkg.footnotes) + 1
        ref_style = self.style("Footnote Reference", "character")
        text_style = self.style("Footnote Text")
        self.pkg.footnotes.append(
            f'<w:footnote w:id="{note_id}"><w:p><w:pPr><w:pStyle w:val="{text_style}"/></w:pPr>'
            f'<w:r><w:rPr><w:rStyle w:val="{ref_style}"/></w:rPr><w:footnoteRef/></w:r>'
            f"<w:r>{_t(' ' + text)}</w:r></w:p></w:footnote>"
        )
        return f'<w:r><w:rPr><w:rStyle w:val="{ref_style}"/></w:rPr><w:footnoteReference w:id="{note_id}"/></w:r>'

    # -- block structure ------------------------------------------------------------

    def paragraph(self, style_name: str, content: Iterable[Any], extra_ppr: str = "", inner_prefix: str = "") -> str:
        sid = self.style(style_name)
        return f'<w:p><w:pPr><w:pStyle w:val="{sid}"/>{extra_ppr}</w:pPr>{inner_prefix}{self.runs(content)}</w:p>'

    def _close_list(self) -> None:
        lst = self._list
        if lst is None:
            return
        self._list = None
        self.pkg.nums.append(lst.num_id, self._abstract(lst.kind), lst.levels)

    def _abstract(self, kind: str) -> int:
        found = self.ref.list_abstract.get(kind)
        if found is not None:
            return found
        if kind not in self._fallback_abstract:
            abstract_id = self.ref.max_abstract_id + 1 + len(self._fallback_abstract)
            self._fallback_abstract[kind] = abstract_id
            levels = []
            for ilvl in range(9):
                fmt, text = ("bullet", "●○■"[ilvl % 3]) if kind == "bullet" else ("decimal", f"%{ilvl + 1}.")
                levels.append(
                    f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                    f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                    f'<w:pPr><w:ind w:left="{420 * (ilvl + 1)}" w:hanging="420"/></w:pPr></w:lvl>'
                )
            self.pkg.abstract_nums.append(
                f'<w:abstractNum w:abstractNumId="{abstract_id}"><w:multiLevelType w:val="hybridMultilevel"/>'
                f"{''.join(levels)}</w:abstractNum>"
            )
            name = "List Bullet" if kind == "bullet" else "List Number"
            self.warn(f"the reference document's {name!r} style has no list numbering; using a built-in one")
        return self._fallback_abstract[kind]

    def list_item(self, kind: str, level: int, content: list[Any]) -> None:
        level = min(max(level, 1), 9)
        if self._list is None or self._list.kind != kind:
            self._close_list()
            self._list = _List(kind, self._next_num, set())
            self._next_num += 1
        self._list.levels.add(level - 1)
        base = "List Bullet" if kind == "bullet" else "List Number"
        name = base if level == 1 else f"{base} {min(level, 3)}"
        numpr = f'<w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="{self._list.num_id}"/></w:numPr>'
        self.body.append(self.paragraph(name, content, numpr))

    def heading(self, level: int, content: list[Any]) -> None:
        self.body.append(self._heading_xml(level, content))

    def _heading_xml(self, level: int, content: list[Any]) -> str:
        """A heading paragraph with its bookmark, listed for the table of contents."""
        level = min(max(level, 1), 9)
        n = self._heading_count
        self._heading_count += 1
        mark = _toc_mark(n)
        if self._toc is None or level <= self._toc[1]:
            self._headings.append((level, n, "".join(plain(p) for p in content)))
        return self.paragraph(
            f"Heading {level}",
            content,
            inner_prefix=f'<w:bookmarkStart w:id="{n}" w:name="{mark}"/><w:bookmarkEnd w:id="{n}"/>',
        )

    def _flush_table(self) -> None:
        table = self._table
        if table is None:
            return
        self._table = None
        if table.grid is None:  # no rows (their styles are the reference's all the same)
            self.style("Table Heading"), self.style("Table Text")
        grid = table.grid if table.grid is not None else self._grid(table, 0)
        xml = [
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{table.style}"/><w:tblW w:w="5000" w:type="pct"/>'
            f'<w:tblLook w:val="04A0" w:firstRow="{int(table.has_header)}" w:lastRow="0" w:firstColumn="0" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
        ]
        xml.extend(f'<w:gridCol w:w="{w}"/>' for w in grid)
        xml.append("</w:tblGrid>")
        self.body.fill(table.slot, "".join(xml))
        self.body.append("</w:tbl>")

    def _grid(self, table: _Table, cells: int) -> list[int]:
        """The columns' widths: as the table says, else equal, as many as its first row has cells."""
        weights = table.widths or [1.0] * (cells or 1)
        total = sum(weights) or 1.0
        return [max(int(self.ref.text_width * w / total), 200) for w in weights]

    def _row(self, header: bool, cells: list[list[Any]]) -> None:
        table = self._table
        assert table is not None
        if table.grid is None:
            table.grid = self._grid(table, len(cells))
        grid = table.grid
        head_style, text_style = self.style("Table Heading"), self.style("Table Text")
        if len(cells) > len(grid):
            raise table.directive.error(f"a row has {len(cells)} cells, the table has {len(grid)} columns")
        cells = cells + [[] for _ in range(len(grid) - len(cells))]
        table.has_header = table.has_header or header
        xml = ["<w:tr><w:trPr><w:tblHeader/></w:trPr>" if header else "<w:tr>"]
        sid = head_style if header else text_style
        for width, cell in zip(grid, cells, strict=True):
            xml.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{sid}"/></w:pPr>{self.runs(cell)}</w:p></w:tc>'
            )
        xml.append("</w:tr>")
        self.body.append("".join(xml))

    def toc(self, depth: int, title: list[Any]) -> None:
        if title:
            self.body.append(self.paragraph("TOC Heading", title))
        self._toc = (self.body.slot(), min(max(depth, 1), 9))  # filled in by finish(), when every heading is known

    def _toc_xml(self, depth: int) -> str:
        instr = f' TOC \\o "1-{depth}" \\h \\z \\u '
        parts = [
            '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/>'
            "</w:docPartObj></w:sdtPr><w:sdtContent>"
        ]
        begin = (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve">{instr}</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        )
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        entries = [(lvl, _toc_mark(n), text) for lvl, n, text in self._headings if lvl <= depth]
        if not entries:
            parts.append(f"<w:p>{begin}{end}</w:p>")
        for i, (lvl, mark, text) in enumerate(entries):
            sid = self.style(f"toc {lvl}")
            parts.append(
                f'<w:p><w:pPr><w:pStyle w:val="{sid}"/></w:pPr>{begin if i == 0 else ""}'
                f'<w:hyperlink w:anchor="{mark}" w:history="1"><w:r>{_t(text)}</w:r></w:hyperlink>'
                f"{end if i == len(entries) - 1 else ''}</w:p>"
            )
        parts.append("</w:sdtContent></w:sdt>")
        return "".join(parts)

    # -- directives -----------------------------------------------------------------

    def feed(self, directives: Iterable[Directive]) -> None:
        for d in directives:
            try:
                self._dispatch(d)
            except OutlineError:
                raise
            except (ValueError, TypeError, IndexError) as exc:
                raise d.error(str(exc)) from None

    def _dispatch(self, d: Directive) -> None:
        name, args, content = d.name, d.args, d.content or []
        if name in ("row", "header") and self._table is not None:
            self._row(name == "header", _split_cells(content))
            return
        if name in ("property", "page-header", "page-footer"):
            self._story(d)
            return
        self._flush_table()
        if name not in ("bullet", "number"):
            self._close_list()
        if name == "title":
            self.body.append(self.paragraph("Title", content))
        elif name == "subtitle":
            self.body.append(self.paragraph("Subtitle", content))
        elif name == "heading":
            self.heading(_int_arg(d, 0, 1), content)
        elif name in ("p", "para", "paragraph"):
            self.body.append(self.paragraph(str(args[0]) if args else "Body Text", content))
        elif name in ("bullet", "number"):
            self.list_item(name, _int_arg(d, 0, 1), content)
        elif name == "table":
            style, widths = "Briefing Table", []
            for arg in args:
                text = str(arg)
                if text.startswith("widths="):
                    widths = [float(w) for w in text[7:].split(",") if w.strip()]
                    if any(w <= 0 for w in widths):
                        raise d.error("widths must be positive numbers")
                else:
                    style = text
            self._table = _Table(self.style(style, "table"), widths, d, self.body.slot())
        elif name == "end":
            pass  # closes a table or a list (both done above)
        elif name == "toc":
            self.toc(_int_arg(d, 0, 3), content)
        elif name == "sources":
            self._sources = (self.body.slot(), content)  # filled in by finish(), when every citation is known
        elif name == "pagebreak":
            self.body.page_break()  # moved onto the next paragraph when it can (see BodySpool)
        elif name in ("row", "header"):
            hint = " (the page header is 'page-header')" if name == "header" else ""
            raise d.error(f"{name!r} outside a table (start one with 'table'){hint}")
        else:
            raise d.error(f"unknown directive {name!r}")

    def _story(self, d: Directive) -> None:
        content = d.content or []
        if d.name == "property":
            if not d.args:
                raise d.error("'property' needs a name: title, subject, author, company, keywords, …")
            key = str(d.args[0]).lower()
            fields = ("title", "subject", "author", "company", "keywords", "description", "category")
            if key not in fields:
                raise d.error(f"unknown property {key!r} (known: {', '.join(fields)})")
            setattr(self.pkg.properties, key, xml_safe("".join(plain(p) for p in content))[0])
            return
        story = d.name.removeprefix("page-")
        style = "Header" if story == "header" else "Footer"
        xml = f'<w:p><w:pPr><w:pStyle w:val="{self.style(style)}"/></w:pPr>{self.runs(content, story=story)}</w:p>'
        if story == "header":
            self.pkg.header = (self.pkg.header or "") + xml
        else:
            self.pkg.footer = (self.pkg.footer or "") + xml

    def _source_list(self) -> None:
        """The ``sources`` directive: a heading and, per report whose citations the body shows, its
        markers, institution, title and time, each the target of those citations' links."""
        if self._sources is None or not self._cited:
            if self._cited:
                self.body.links = _without_links
            if self._sources is not None:
                self.body.fill(self._sources[0], "")
            return
        slot, title = self._sources
        parts = [self._heading_xml(1, title)] if title else []
        meta = self.style("Report Meta")
        for number, (report, refs) in sorted(self._cited.values(), key=lambda item: item[0]):
            mark = f"_Src{number:06d}"
            bookmark = 1_000_000 + number  # heading bookmarks count from 0
            markers = "".join(f"[{r}]" for r in sorted(refs))
            text = f"{markers} {report.institution}《{report.title}》{report.timestamp}"
            parts.append(
                f'<w:p><w:pPr><w:pStyle w:val="{meta}"/></w:pPr>'
                f'<w:bookmarkStart w:id="{bookmark}" w:name="{mark}"/><w:r>{_t(text)}</w:r>'
                f'<w:bookmarkEnd w:id="{bookmark}"/></w:p>'
            )
        self.body.fill(slot, "".join(parts))
        self.body.links = _with_links

    def finish(self) -> Package:
        self._flush_table()
        self._close_list()
        self._source_list()
        if self._toc is not None:
            slot, depth = self._toc
            self.body.fill(slot, self._toc_xml(depth))
        if not self.body.count or self.body.last().endswith("</w:tbl>"):
            self.body.append(f'<w:p><w:pPr><w:pStyle w:val="{self.style("Body Text")}"/></w:pPr></w:p>')
        return self.pkg


class BodySpool:
    """The body's elements in order, kept deflated in an unnamed temporary file once there are many.

    A briefing of a whole feed (or of one huge report) has hundreds of thousands of
    paragraphs: held as Python strings their XML takes several times the document's size,
    deflated about a tenth of it, and on disk none of the build's memory.  A body under
    :attr:`_KEEP_PLAIN` characters stays as strings.  Each element is appended once.  The few that are known
    only at the end (the table of contents, the source list) are slots, filled by
    :meth:`BodyBuilder.finish`.  Iterating gives the final elements: slots filled, citation
    link marks resolved (:attr:`links`), and a page break of its own moved onto the paragraph
    after it (an empty line that could land on a page of its own, after a full contents
    page), as Word's ``w:pageBreakBefore``.
    """

    #: Ends every element in the deflated text; no element holds it (XML cannot, and every
    #: text is made XML-safe first), nor the two marks below.
    _END = "\x03"
    _SLOT = "\x04"
    _BREAK = "\x05"
    _FLUSH_AT = 1 << 20  # characters gathered before they are deflated
    _KEEP_PLAIN = 1 << 22  # a body smaller than this (4M characters, up to 16 MB as strings) is never deflated

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(1)
        self._spill: IO[bytes] | None = None  # the deflated elements, in an unnamed temporary file
        self._pending: list[str] = []
        self._pending_size = 0
        self._slots: list[str] = []
        self._last = ""
        self.count = 0
        #: What turns the link marks of an element into its final XML (set by finish()).
        self.links: Callable[[str], str] | None = None

    def append(self, xml: str) -> None:
        self._add(xml)
        self._last = xml

    def page_break(self) -> None:
        self._add(self._BREAK)
        self._last = _PAGE_BREAK

    def slot(self) -> int:
        """An element to be filled later (by :meth:`fill`); returns its number."""
        number = len(self._slots)
        self._slots.append("")
        self._add(f"{self._SLOT}{number}")
        self._last = f"{self._SLOT}{number}"
        return number

    def fill(self, number: int, xml: str) -> None:
        self._slots[number] = xml

    def last(self) -> str:
        """The last element, as it will be written (a slot: what fills it)."""
        if self._last.startswith(self._SLOT):
            return self._slots[int(self._last[1:])]
        return self._last

    def _add(self, element: str) -> None:
        self._pending.append(element)
        self._pending_size += len(element)
        self.count += 1
        if self._pending_size >= (self._FLUSH_AT if self._spill is not None else self._KEEP_PLAIN):
            self._deflate_pending()

    def _deflate_pending(self) -> None:
        if self._pending:
            self._pending.append("")
            data = self._END.join(self._pending).encode("utf-8", "surrogatepass")
            self._store(self._deflate.compress(data))
            self._pending, self._pending_size = [], 0

    def _store(self, data: bytes) -> None:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()
        self._spill.write(data)

    def _elements(self) -> Iterator[str]:
        """The elements as appended (slots and page breaks as their marks)."""
        if self._spill is not None and self._deflate is not None:
            self._deflate_pending()
            self._store(self._deflate.flush())
            self._deflate = None  # type: ignore[assignment]
        yield from self._inflated()
        yield from self._pending

    def _inflated(self) -> Iterator[str]:
        spill = self._spill
        if spill is None:
            return
        inflate = zlib.decompressobj()
        decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        tail = ""
        spill.seek(0)
        while chunk := spill.read(self._FLUSH_AT):
            data = inflate.decompress(chunk, self._FLUSH_AT)
            while data:
                pieces = (tail + decoder.decode(data)).split(self._END)
                tail = pieces.pop()
                yield from pieces
                data = inflate.decompress(inflate.unconsumed_tail, self._FLUSH_AT) if inflate.unconsumed_tail else b""

    def __iter__(self) -> Iterator[str]:
        links = self.links
        previous: str | None = None
        for element in self._elements():
            if element.startswith(self._SLOT):
                element = self._slots[int(element[1:])]
            elif element == self._BREAK:
                element = _PAGE_BREAK
                if previous is _PAGE_BREAK:
                    yield previous
                    previous = element
                    continue
            elif links is not None and _LINK_OPEN in element:
                element = links(element)
            if previous is _PAGE_BREAK and element is not _PAGE_BREAK:
                following = _PSTYLE.match(element)
                if following is not None:
                    at = following.end()
                    element = f"{element[:at]}<w:pageBreakBefore/>{element[at:]}"
                    previous = ""
            if previous is not None:
                yield previous
            previous = element
        if previous is not None:
            yield previous


def _toc_mark(n: int) -> str:
    """The bookmark of the ``n``-th heading (from 0), which the table of contents links to."""
    return f"_Toc{n + 1:08d}"


def _with_links(xml: str) -> str:
    link = '<w:hyperlink w:anchor="_Src{:06d}" w:history="1">{}</w:hyperlink>'
    return _LINK.sub(lambda m: link.format(int(m.group(1)), m.group(2)), xml)


def _without_links(xml: str) -> str:
    return _LINK.sub(r"\2", xml)


#: A page break as a paragraph of its own (kept where no paragraph follows to carry it).
_PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
#: A paragraph's opening up to its style, where ``w:pageBreakBefore`` goes.
_PSTYLE = re.compile(r'<w:p><w:pPr><w:pStyle w:val="[^"]*"/>')


#: Marks around a citation run that links to the source list: characters no text of the body
#: holds (XML cannot), replaced by finish().
_LINK_OPEN, _LINK_MID, _LINK_CLOSE = "\x00", "\x01", "\x02"
_LINK = re.compile("\x00([0-9]+)\x01(.*?)\x02", re.DOTALL)


def _int_arg(d: Directive, index: int, default: int) -> int:
    if len(d.args) <= index:
        return default
    value = d.args[index]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise d.error(f"expected a number, not {plain(value)!r}") from None
