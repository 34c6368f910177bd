"""Reference documents and the Word package around a briefing's body.

Like pandoc's ``--reference-doc``, a reference ``.docx`` supplies the look
of every briefing: styles, list (numbering) definitions, theme, fonts,
settings, page size and margins.  Its text, headers, footers, comments
and properties are ignored.  :func:`load_reference` reads one (cached per
file and modification time) and normalises what Chinese typography needs:
explicit fonts win over theme fonts, East Asian text is ``zh-CN``.

:func:`assemble` writes the package (``.docx`` zip) with a fixed entry
order, every entry stamped with the build time (see
:mod:`publisher.reproducible`) and sequential ids, so the same input and
``SOURCE_DATE_EPOCH`` give the same bytes.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import uuid
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from ...reproducible import ZIP_EPOCH, ReproducibleZipFile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PR_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
W = f"{{{W_NS}}}"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = f"{DOC_REL}/officeDocument"
XML_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"

# Parts of the reference document that carry its look (by relationship type).
_KEPT_RELS = ("styles", "numbering", "settings", "webSettings", "fontTable", "theme", "stylesWithEffects")

CONTENT_TYPES = {
    "document": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "styles": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
    "numbering": "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml",
    "settings": "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml",
    "footnotes": "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
    "header": "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml",
    "footer": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
    "core": "application/vnd.openxmlformats-package.core-properties+xml",
    "app": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    "rels": "application/vnd.openxmlformats-package.relationships+xml",
    "xml": "application/xml",
}

# Order of w:settings children (ECMA-376 CT_Settings), for inserting in place.
_SETTINGS_ORDER = """writeProtection view zoom removePersonalInformation removeDateAndTime doNotDisplayPageBoundaries
displayBackgroundShape printPostScriptOverText printFractionalCharacterWidth printFormsData embedTrueTypeFonts
embedSystemFonts saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader
bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors activeWritingStyle proofState
formsDesign attachedTemplate linkStyles stylePaneFormatFilter stylePaneSortMethod documentType mailMerge
revisionView trackRevisions doNotTrackMoves doNotTrackFormatting documentProtection autoFormatOverride
styleLockTheme styleLockQFSet defaultTabStop autoHyphenation consecutiveHyphenLimit hyphenationZone
doNotHyphenateCaps showEnvelope summaryLength clickAndTypeStyle defaultTableStyle evenAndOddHeaders
bookFoldRevPrinting bookFoldPrinting bookFoldPrintingSheets drawingGridHorizontalSpacing drawingGridVerticalSpacing
displayHorizontalDrawingGridEvery displayVerticalDrawingGridEvery doNotUseMarginsForDrawingGridOrigin
drawingGridHorizontalOrigin drawingGridVerticalOrigin doNotShadeFormData noPunctuationKerning
characterSpacingControl printTwoOnOne strictFirstAndLastChars noLineBreaksAfter noLineBreaksBefore
savePreviewPicture doNotValidateAgainstSchema saveInvalidXml ignoreMixedContent alwaysShowPlaceholderText
doNotDemarcateInvalidXml saveXmlDataOnly useXSLTWhenSaving saveThroughXslt showXMLTags alwaysMergeEmptyNamespace
updateFields hdrShapeDefaults footnotePr endnotePr compat docVars rsids mathPr attachedSchema themeFontLang
clrSchemeMapping doNotIncludeSubdocsInStats doNotAutoCompressPictures forceUpgrade captions readModeInkLockDown
smartTagType schemaLibrary shapeDefaults doNotEmbedSmartTags decimalSymbol listSeparator""".split()

# Built-in list definitions, used only when a reference document has none.
_FALLBACK_LEVELS = {
    "bullet": [("bullet", "●"), ("bullet", "○"), ("bullet", "■")] * 3,
    "number": [("decimal", f"%{i + 1}.") for i in range(9)],
}


class ReferenceDocError(Exception):
    """A reference document that cannot be used."""


@dataclass(frozen=True, slots=True)
class StyleInfo:
    style_id: str
    kind: str  # paragraph, character, table, numbering


@dataclass
class Reference:
    """A loaded reference document: its look, ready to wrap a body."""

    path: str
    parts: dict[str, bytes]
    defaults: dict[str, str]  # content type by extension
    overrides: dict[str, str]  # content type by part name
    kept: list[tuple[str, str]]  # (relationship type, part name) of the document's look
    styles: dict[str, StyleInfo]  # by lower-case name
    style_ids: set[str]
    list_abstract: dict[str, int]  # "bullet"/"number" -> abstractNumId (missing: use the fallback)
    max_num_id: int
    max_abstract_id: int
    sect_pr: str
    text_width: int  # twips between the margins
    warnings: list[str] = field(default_factory=list)

    def style(self, name: str, kind: str) -> StyleInfo | None:
        info = self.styles.get(name.lower())
        return info if info is not None and info.kind == kind else None


def _xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _read_rels(parts: dict[str, bytes], part: str) -> list[tuple[str, str, str, str]]:
    """(id, type, absolute target, mode) of a part's relationships."""
    data = parts.get(_rels_path(part))
    if data is None:
        return []
    out = []
    base = posixpath.dirname(part)
    for rel in _xml(data).iter(f"{{{PR_NS}}}Relationship"):
        mode = rel.get("TargetMode", "Internal")
        target = rel.get("Target", "")
        if mode != "External":
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out.append((rel.get("Id", ""), rel.get("Type", ""), target, mode))
    return out


_THEME_ATTRS = (("asciiTheme", "ascii"), ("hAnsiTheme", "hAnsi"), ("eastAsiaTheme", "eastAsia"), ("cstheme", "cs"))


def normalise_styles(root: etree._Element, east_asian_lang: str) -> None:
    """Explicit fonts win over theme fonts; East Asian text gets ``east_asian_lang``.

    In Word a theme-font attribute (``w:eastAsiaTheme`` …) overrides the
    explicit font of the same slot, which is how stock templates end up
    showing Chinese in a Japanese theme font.  Where a style names a font
    explicitly, the theme attribute is dropped.
    """
    for fonts in root.iter(f"{W}rFonts"):
        for theme_attr, attr in _THEME_ATTRS:
            if fonts.get(f"{W}{attr}") and fonts.get(f"{W}{theme_attr}") is not None:
                del fonts.attrib[f"{W}{theme_attr}"]
    defaults = root.find(f"{W}docDefaults")
    if defaults is None:
        defaults = etree.Element(f"{W}docDefaults")
        root.insert(0, defaults)
    rpr_default = defaults.find(f"{W}rPrDefault")
    if rpr_default is None:
        rpr_default = etree.Element(f"{W}rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(f"{W}rPr")
    if rpr is None:
        rpr = etree.SubElement(rpr_default, f"{W}rPr")
    lang = rpr.find(f"{W}lang")
    if lang is None:
        lang = etree.SubElement(rpr, f"{W}lang")  # w:lang is late in CT_RPr: appending keeps the order
    lang.set(f"{W}eastAsia", east_asian_lang)


def _style_table(root: etree._Element) -> tuple[dict[str, StyleInfo], dict[str, tuple[str | None, str | None]]]:
    styles: dict[str, StyleInfo] = {}
    links: dict[str, tuple[str | None, str | None]] = {}  # id -> (basedOn, numId)
    for st in root.iter(f"{W}style"):
        sid = st.get(f"{W}styleId")
        name_el = st.find(f"{W}name")
        if not sid:
            continue
        name = name_el.get(f"{W}val", sid) if name_el is not None else sid
        styles.setdefault(name.lower(), StyleInfo(sid, st.get(f"{W}type", "paragraph")))
        based = st.find(f"{W}basedOn")
        num = st.find(f"{W}pPr/{W}numPr/{W}numId")
        links[sid] = (
            based.get(f"{W}val") if based is not None else None,
            num.get(f"{W}val") if num is not None else None,
        )
    return styles, links


def _sect_pr(document: etree._Element) -> tuple[str, int]:
    body = document.find(f"{W}body")
    sect = body.find(f"{W}sectPr") if body is not None else None
    if sect is None:
        sect = _xml(
            f'<w:sectPr xmlns:w="{W_NS}"><w:pgSz w:w="11906" w:h="16838"/>'
            '<w:pgMar w:top="1440" w:right="1304" w:bottom="1440" w:left="1304" w:header="851" w:footer="850" '
            'w:gutter="0"/></w:sectPr>'.encode()
        )
    for child in list(sect):
        if child.tag in (f"{W}headerReference", f"{W}footerReference", f"{W}titlePg"):
            sect.remove(child)

    def twips(el: etree._Element | None, attr: str, default: int) -> int:
        try:
            return int(float(el.get(f"{W}{attr}", default))) if el is not None else default
        except ValueError:
            return default

    pg_sz, pg_mar = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
    width = twips(pg_sz, "w", 11906)
    margins = twips(pg_mar, "left", 1304) + twips(pg_mar, "right", 1304)
    return etree.tostring(sect, encoding="unicode"), max(width - margins, 1440)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float, size: int, east_asian_lang: str) -> Reference:
    try:
        with zipfile.ZipFile(path) as z:
            parts = {info.filename: z.read(info) for info in z.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReferenceDocError(f"{path}: not a Word document ({exc})") from None
    try:
        types = _xml(parts["[Content_Types].xml"])
        main = next((t for _, rtype, t, _ in _read_rels(parts, "") if rtype == OFFICE_DOCUMENT), None)
        if main is None or main not in parts:
            raise KeyError("main document part")
        document = _xml(parts[main])
        if document.tag != f"{W}document":
            raise KeyError("w:document")
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise ReferenceDocError(f"{path}: not a Word document (no {exc})") from None
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in types.iter(f"{{{CT_NS}}}Default")}
    overrides = {
        o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in types.iter(f"{{{CT_NS}}}Override")
    }

    kept: list[tuple[str, str]] = []
    for _, rtype, target, mode in _read_rels(parts, main):
        short = rtype.rsplit("/", 1)[-1]
        if mode != "External" and short in _KEPT_RELS and target in parts:
            kept.append((rtype, target))
    new_parts: dict[str, bytes] = {}
    for _, target in kept:
        new_parts[target] = parts[target]
        for _, _, sub, mode in _read_rels(parts, target):  # embedded fonts of fontTable.xml, …
            if mode != "External" and sub in parts:
                new_parts[sub] = parts[sub]
                new_parts[_rels_path(target)] = parts[_rels_path(target)]

    styles_part = next((t for r, t in kept if r.endswith("/styles")), None)
    if styles_part is None:
        raise ReferenceDocError(f"{path}: the reference document has no styles part")
    styles_root = _xml(new_parts[styles_part])
    normalise_styles(styles_root, east_asian_lang)
    new_parts[styles_part] = etree.tostring(styles_root, xml_declaration=True, encoding="UTF-8", standalone=True)
    styles, links = _style_table(styles_root)

    numbering_part = next((t for r, t in kept if r.endswith("/numbering")), None)
    num_to_abstract: dict[str, int] = {}
    max_abstract = -1
    if numbering_part:
        numbering = _xml(new_parts[numbering_part])
        for an in numbering.iter(f"{W}abstractNum"):
            max_abstract = max(max_abstract, _int(an.get(f"{W}abstractNumId")))
        for num in numbering.iter(f"{W}num"):
            abstract = num.find(f"{W}abstractNumId")
            if abstract is not None:
                num_to_abstract[num.get(f"{W}numId", "")] = _int(abstract.get(f"{W}val"))
    list_abstract: dict[str, int] = {}
    for kind, name in (("bullet", "list bullet"), ("number", "list number")):
        info = styles.get(name)
        sid = info.style_id if info else None
        seen: set[str] = set()
        while sid and sid not in seen:
            seen.add(sid)
            based, num_id = links.get(sid, (None, None))
            if num_id is not None:
                if num_id in num_to_abstract:
                    list_abstract[kind] = num_to_abstract[num_id]
                break
            sid = based
    sect, width = _sect_pr(document)
    return Reference(
        path=path,
        parts=new_parts,
        defaults=defaults,
        overrides=overrides,
        kept=kept,
        styles=styles,
        style_ids={s.style_id for s in styles.values()},
        list_abstract=list_abstract,
        max_num_id=max((_int(n) for n in num_to_abstract), default=0),
        max_abstract_id=max_abstract,
        sect_pr=sect,
        text_width=width,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def load_reference(path: str | Path, east_asian_lang: str = "zh-CN") -> Reference:
    """Read a reference ``.docx`` (cached while the file is unchanged)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ReferenceDocError(f"{path}: cannot read the reference document ({exc.strerror})") from None
    return _load(str(p), st.st_mtime, st.st_size, east_asian_lang)


# --- package assembly --------------------------------------------------------------


@dataclass
class Properties:
    """Document properties (docProps/core.xml and app.xml)."""

    title: str = ""
    subject: str = ""
    author: str = ""
    company: str = ""
    keywords: str = ""
    description: str = ""
    category: str = ""
    language: str = ""
    created: datetime | None = None


class NumberingInstances:
    """The briefing's list numbering instances (``w:num``, one per list), kept as numbers: a
    briefing of a whole feed has a hundred thousand lists, about 190 bytes each as XML text
    and 18 as numbers.  Iterating gives their XML, in order."""

    _LIMIT = 1 << 62

    def __init__(self) -> None:
        self._ids = array("q")
        self._abstracts = array("q")
        self._levels = array("H")  # the levels a list uses (which restart at 1), as bits
        self._text: list[str] | None = None  # every instance as XML, once one does not fit the numbers

    def append(self, num_id: int, abstract: int, levels: Iterable[int]) -> None:
        mask = 0
        for level in levels:
            mask |= 1 << level
        if self._text is None and 0 <= num_id < self._LIMIT and 0 <= abstract < self._LIMIT and mask < 1 << 16:
            self._ids.append(num_id)
            self._abstracts.append(abstract)
            self._levels.append(mask)
            return
        if self._text is None:  # a reference document's numbers out of range: kept as text from here on
            self._text = []
        self._text.append(_num_xml(num_id, abstract, mask))

    def __len__(self) -> int:
        return len(self._ids) + len(self._text or ())

    def __iter__(self) -> Iterator[str]:
        for num_id, abstract, mask in zip(self._ids, self._abstracts, self._levels, strict=True):
            yield _num_xml(num_id, abstract, mask)
        yield from self._text or ()


def _num_xml(num_id: int, abstract: int, mask: int) -> str:
    overrides = "".join(
        f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="1"/></w:lvlOverride>'
        for lvl in range(mask.bit_length())
        if mask >> lvl & 1
    )
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/>{overrides}</w:num>'


@dataclass
class Package:
    """What the body builder produced besides the body itself."""

    body: Iterable[str]  # the body's elements in order (a BodySpool as the builder makes it)
    properties: Properties
    header: str | None = None  # paragraph XML
    footer: str | None = None
    footnotes: list[str] = field(default_factory=list)  # w:footnote XML, ids from 1
    nums: NumberingInstances = field(default_factory=NumberingInstances)  # extra w:num
    abstract_nums: list[str] = field(default_factory=list)  # fallback w:abstractNum XML
    hyperlinks: list[str] = field(default_factory=list)  # targets; rId = "rIdLink{n}"
    extra_styles: list[str] = field(default_factory=list)  # w:style XML for names the reference lacks
    theme_font_lang: str = "zh-CN"


def _w3cdtf(when: datetime | None) -> str:
    when = when or datetime(1980, 1, 1, tzinfo=UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _core_xml(p: Properties) -> str:
    def el(tag: str, value: str) -> str:
        return f"<{tag}>{escape(value)}</{tag}>" if value else ""

    stamp = _w3cdtf(p.created)
    return (
        XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + el("dc:title", p.title)
        + el("dc:subject", p.subject)
        + el("dc:creator", p.author)
        + el("cp:keywords", p.keywords)
        + el("dc:description", p.description)
        + el("cp:category", p.category)
        + el("dc:language", p.language)
        + el("cp:lastModifiedBy", p.author)
        + "<cp:revision>1</cp:revision>"
        + f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        + f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        + "</cp:coreProperties>"
    )


def _app_xml(p: Properties) -> str:
    company = f"<Company>{escape(p.company)}</Company>" if p.company else ""
    return (
        XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>publisher</Application>{company}</Properties>"
    )


_NS_DECL = f'xmlns:w="{W_NS}" xmlns:r="{R_NS}"'


def _settings(data: bytes, pkg: Package) -> bytes:
    root = _xml(data)
    order = {name: i for i, name in enumerate(_SETTINGS_ORDER)}

    def put(tag: str, **attrs: str) -> etree._Element:
        for old in root.findall(f"{W}{tag}"):
            root.remove(old)
        el = etree.Element(f"{W}{tag}")
        for k, v in attrs.items():
            el.set(f"{W}{k}", v)
        rank = order[tag]
        for i, child in enumerate(root):
            local = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if order.get(local, -1) > rank:
                root.insert(i, el)
                return el
        root.append(el)
        return el

    for tag in ("footnotePr", "endnotePr"):  # refer to separator notes of the reference's own parts
        for old in root.findall(f"{W}{tag}"):
            root.remove(old)
    for old in root.findall(f"{W}updateFields"):  # a reference's own: Word would ask on every open
        root.remove(old)
    if pkg.footnotes:
        pr = put("footnotePr")
        for note_id in ("-1", "0"):
            etree.SubElement(pr, f"{W}footnote").set(f"{W}id", note_id)
    lang = root.find(f"{W}themeFontLang")
    if lang is None:
        put("themeFontLang", val="en-US", eastAsia=pkg.theme_font_lang)
    else:
        lang.set(f"{W}eastAsia", pkg.theme_font_lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _numbering(data: bytes | None, pkg: Package) -> bytes:
    root = _xml(data) if data else etree.Element(f"{W}numbering", nsmap={"w": W_NS})
    if pkg.abstract_nums:
        extra = _xml(f"<w:x {_NS_DECL}>{''.join(pkg.abstract_nums)}</w:x>".encode())
        first_num = root.find(f"{W}num")
        index = list(root).index(first_num) if first_num is not None else len(root)
        for offset, el in enumerate(list(extra)):
            root.insert(index + offset, el)
    if not pkg.nums:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    cleanup = root.find(f"{W}numIdMacAtCleanup")
    if root.nsmap.get("w") == W_NS:
        # A briefing of a hundred thousand lists has as many numbering instances: they are
        # spliced in as text where a marker stands (as a tree they took a hundred megabytes).
        marker = etree.Comment(f"nums-{uuid.uuid4().hex}")
        if cleanup is not None:
            cleanup.addprevious(marker)
        else:
            root.append(marker)
        head, tail = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).split(
            etree.tostring(marker)
        )
        return b"".join([head, *(num.encode("utf-8") for num in pkg.nums), tail])
    extra = _xml(f"<w:x {_NS_DECL}>{''.join(pkg.nums)}</w:x>".encode())
    for el in list(extra):
        if cleanup is not None:
            cleanup.addprevious(el)
        else:
            root.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _styles(data: bytes, pkg: Package) -> bytes:
    if not pkg.extra_styles:
        return data
    root = _xml(data)
    extra = _xml(f"<w:x {_NS_DECL}>{''.join(pkg.extra_styles)}</w:x>".encode())
    root.extend(list(extra))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _part_xml(tag: str, inner: str) -> str:
    return XML_HEAD + f"<w:{tag} {_NS_DECL}>{inner}</w:{tag}>"


def _footnotes_xml(notes: list[str]) -> str:
    separators = (
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
        "</w:footnote>"
    )
    return _part_xml("footnotes", separators + "".join(notes))


def assemble(ref: Reference, pkg: Package, compresslevel: int = 6) -> bytes:
    """The ``.docx`` bytes: the reference's look around the built body."""
    buffer = io.BytesIO()
    write_package(ref, pkg, buffer, compresslevel)
    return buffer.getvalue()


def write_package(ref: Reference, pkg: Package, out: BinaryIO, compresslevel: int = 6) -> None:
    """Write the ``.docx`` to ``out`` (a seekable binary file), its body streamed in: a briefing of
    a whole feed is never held as bytes."""
    parts: dict[str, bytes] = {}
    rels: list[tuple[str, str, str]] = []  # (type, target relative to word/, mode)
    types: dict[str, str] = {}

    def add(name: str, data: bytes, content_type: str | None) -> None:
        parts[name] = data
        if content_type:
            types[name] = content_type

    def doc_target(part: str) -> str:
        return posixpath.relpath(part, "word")

    kept_types = {target: rtype for rtype, target in ref.kept}
    numbering_part = next((t for t, r in kept_types.items() if r.endswith("/numbering")), None)
    for name, data in ref.parts.items():
        rtype = kept_types.get(name, "")
        if rtype.endswith("/settings"):
            data = _settings(data, pkg)
        elif rtype.endswith("/styles"):
            data = _styles(data, pkg)
        elif rtype.endswith("/numbering"):
            data = _numbering(data, pkg)
        ext = name.rsplit(".", 1)[-1].lower()
        add(name, data, ref.overrides.get(name) if ref.overrides.get(name) else None)
        if name not in types and ext not in ref.defaults and ext != "rels":
            types[name] = CONTENT_TYPES["xml"]
        if rtype:
            rels.append((rtype, doc_target(name), "Internal"))
    if numbering_part is None and (pkg.nums or pkg.abstract_nums):
        add("word/numbering.xml", _numbering(None, pkg), CONTENT_TYPES["numbering"])
        rels.append((f"{DOC_REL}/numbering", "numbering.xml", "Internal"))
    for kind, inner in (("header", pkg.header), ("footer", pkg.footer)):
        if inner is not None:
            tag = "hdr" if kind == "header" else "ftr"
            add(f"word/{kind}1.xml", _part_xml(tag, inner).encode("utf-8"), CONTENT_TYPES[kind])
            rels.append((f"{DOC_REL}/{kind}", f"{kind}1.xml", "Internal"))
    if pkg.footnotes:
        add("word/footnotes.xml", _footnotes_xml(pkg.footnotes).encode("utf-8"), CONTENT_TYPES["footnotes"])
        rels.append((f"{DOC_REL}/footnotes", "footnotes.xml", "Internal"))

    rel_xml = []
    for i, (rtype, target, _) in enumerate(rels, 1):
        rel_xml.append(f'<Relationship Id="rId{i}" Type="{rtype}" Target={quoteattr(target)}/>')
    header_id = next((f"rId{i}" for i, r in enumerate(rels, 1) if r[0].endswith("/header")), None)
    footer_id = next((f"rId{i}" for i, r in enumerate(rels, 1) if r[0].endswith("/footer")), None)
    for n, url in enumerate(pkg.hyperlinks, 1):
        rel_xml.append(
            f'<Relationship Id="rIdLink{n}" Type="{DOC_REL}/hyperlink" Target={quoteattr(url)} TargetMode="External"/>'
        )
    add(
        "word/_rels/document.xml.rels",
        (XML_HEAD + f'<Relationships xmlns="{PR_NS}">' + "".join(rel_xml) + "</Relationships>").encode("utf-8"),
        None,
    )

    refs = ""
    if header_id:
        refs += f'<w:headerReference w:type="default" r:id="{header_id}"/>'
    if footer_id:
        refs += f'<w:footerReference w:type="default" r:id="{footer_id}"/>'
    sect = ref.sect_pr
    if refs:  # header/footer references come first in w:sectPr
        sect_el = _xml(sect.encode("utf-8"))
        for i, el in enumerate(_xml(f"<w:x {_NS_DECL}>{refs}</w:x>".encode())):
            sect_el.insert(i, el)
        sect = etree.tostring(sect_el, encoding="unicode")
    head = XML_HEAD + f"<w:document {_NS_DECL}><w:body>"
    tail = sect + "</w:body></w:document>"
    types["word/document.xml"] = CONTENT_TYPES["document"]  # written last of all, as its body streams in
    add("docProps/core.xml", _core_xml(pkg.properties).encode("utf-8"), CONTENT_TYPES["core"])
    add("docProps/app.xml", _app_xml(pkg.properties).encode("utf-8"), CONTENT_TYPES["app"])

    root_rels = (
        XML_HEAD + f'<Relationships xmlns="{PR_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{DOC_REL}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )
    defaults = dict(ref.defaults)
    defaults.setdefault("rels", CONTENT_TYPES["rels"])
    defaults.setdefault("xml", CONTENT_TYPES["xml"])
    ct = [XML_HEAD, f'<Types xmlns="{CT_NS}">']
    for ext in sorted(defaults):
        ct.append(f"<Default Extension={quoteattr(ext)} ContentType={quoteattr(defaults[ext])}/>")
    for name in sorted(types):
        ct.append(f"<Override PartName={quoteattr('/' + name)} ContentType={quoteattr(types[name])}/>")
    ct.append("</Types>")

    first = ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml", "word/document.xml"]
    contents = {
        "[Content_Types].xml": "".join(ct).encode("utf-8"),
        "_rels/.rels": root_rels.encode("utf-8"),
        **parts,
    }
    when = pkg.properties.created or ZIP_EPOCH
    with ReproducibleZipFile(out, when, compresslevel=compresslevel) as z:
        for name in first + sorted(n for n in contents if n not in first):
            if name == "word/document.xml":
                z.write_chunks(name, _encoded(itertools.chain((head,), _batched(pkg.body), (tail,))))
            else:
                z.writestr(name, contents[name])


def _batched(elements: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """The elements joined into pieces of about ``size`` characters."""
    batch: list[str] = []
    gathered = 0
    for element in elements:
        batch.append(element)
        gathered += len(element)
        if gathered >= size:
            yield "".join(batch)
            batch, gathered = [], 0
    yield "".join(batch)


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    for piece in pieces:
        yield piece.encode("utf-8")
