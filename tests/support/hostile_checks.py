"""What a user would notice in an output built from hostile input, one checker per format.

Each checker opens an output the way its reader would (python-docx, openpyxl,
markdown-it-py, an HTML parser, the JSON and digest readers), fails on
anything input text must never become (a formula, markup, a script, a link
out of the page, evaluated template code, a path outside the output folder)
and returns the text a reader sees, so tests can check that input text is
shown literally.
"""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import yaml
from lxml import etree
from markdown_it import MarkdownIt

from publisher.sinks.folder import safe_relative

#: Output file and folder names: ASCII, no leading dash, not a Windows device name.
SAFE_PART = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,99}$")
#: Formulas the xlsx writer itself writes: the Summary counts and totals, the Reports links.
#: The writer's own formulas, by sheet (English names, and the Chinese an analyst's workbook has).
OWN_FORMULAS = {
    name: pattern
    for names, pattern in (
        (("Summary", "汇总"), re.compile(r"^=(COUNTIFS|SUM)\(")),
        (("Reports", "报告"), re.compile(r'^=HYPERLINK\("#')),
    )
    for name in names
}
FORMULA_STARTS = tuple("=+-@＝＋－＠")
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def output_files(root: Path) -> dict[str, Path]:
    """Every output under ``root`` (build manifests aside) by its ``/``-separated relative path."""
    files = {}
    resolved = root.resolve()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if ".publisher" in rel.parts or not path.is_file():
            continue
        assert resolved in path.resolve().parents, path
        safe_relative(rel.as_posix())  # what the folder sink accepts
        for part in rel.parts:
            assert SAFE_PART.match(part), rel
        files[rel.as_posix()] = path
    return files


# --- Word ---------------------------------------------------------------------------------------


def check_docx(data: bytes) -> str:
    """Opens with python-docx, every XML part well-formed; the text of body, tables, header and footer."""
    import docx

    check_package(data)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        texts.extend(p.text for p in section.header.paragraphs)
        texts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(texts)


# --- Excel --------------------------------------------------------------------------------------


def check_xlsx(data: bytes) -> str:
    """Opens with openpyxl; no formula but the writer's own; text that looks like one is quoted text."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f":
                    own = OWN_FORMULAS.get(sheet.title)
                    assert own is not None and own.match(str(value)), (sheet.title, cell.coordinate, value)
                elif isinstance(value, str):
                    texts.append(value)
                    if value.lstrip("\t\r").startswith(FORMULA_STARTS) or value.startswith(("\t", "\r")):
                        assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, value)
    return "\n".join(texts)


def check_package(data: bytes) -> tuple[str, dict[str, int]]:
    """A Word or Excel package: a sound ZIP, every XML part well-formed, in worksheets no formula
    but the xlsx writer's own.  The text of all parts, and the rows of each worksheet."""
    texts, rows = [], {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            root = etree.fromstring(z.read(name), etree.XMLParser(huge_tree=True))
            texts.append("".join(root.itertext()))
            if name.startswith("xl/worksheets/"):
                rows[name] = sum(1 for _ in root.iter("{*}row"))
                for f in root.iter("{*}f"):
                    assert re.match(r'(COUNTIFS|SUM)\(|HYPERLINK\("#', f.text or ""), (name, f.text)
    return "\n".join(texts), rows


# --- Markdown -----------------------------------------------------------------------------------


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def check_yaml(text: str) -> list[str]:
    """Front matter or navigation: valid YAML whose strings MkDocs may print as HTML (no raw ``<``)."""
    strings = _strings(yaml.safe_load(text))
    for string in strings:
        assert "<" not in string, string
    return strings


def _inline_text(tokens: list) -> list[str]:
    shown = []
    for token in tokens:
        assert token.type not in ("html_inline", "image"), token
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            assert href.endswith(".md") and ":" not in href and not href.startswith("/"), href
        if token.type in ("text", "code_inline"):
            shown.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            shown.append("\n")
    return shown


def check_markdown(path: str, text: str) -> str:
    """Rendered by markdown-it-py: no raw HTML, image or foreign link; the text a reader sees."""
    if path.endswith((".yml", ".yaml")):
        return "\n".join(check_yaml(text))
    if text.startswith("---\n"):
        front, text = text[4:].split("\n---\n", 1)
        check_yaml(front)
    shown = []
    for token in MARKDOWN.parse(text):
        assert token.type not in ("html_block", "html_inline"), token
        if token.type == "inline":
            shown.extend(_inline_text(token.children or []))
            shown.append("\n")
        elif token.type in ("fence", "code_block"):
            shown.append(token.content)
    return "".join(shown)


# --- HTML ---------------------------------------------------------------------------------------


class _Page(HTMLParser):
    ACTIVE: ClassVar[set[str]] = {"script", "iframe", "object", "embed", "img", "base", "form", "frame", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag not in self.ACTIVE, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction", "srcset"):
                assert value is not None and value.startswith("#"), (tag, name, value)
            if name == "http-equiv":
                assert value and value.lower() == "content-security-policy", value
            if name == "title" and value:
                self.titles.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(data: bytes) -> str:
    """Parsed by html.parser and lxml: no script, event handler or link out of the page; its text."""
    import lxml.html

    text = data.decode("utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    tree = lxml.html.document_fromstring(text)
    assert not tree.xpath("//script|//@*[starts-with(name(), 'on')]")
    assert not [a for a in tree.xpath("//@href|//@src") if not a.startswith("#")]
    return "".join(page.text) + "\n" + "\n".join(page.titles)
