"""The Word briefing writer: structure against the model, styles, fields, properties, safety."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from support.docx_helpers import HOSTILE, expected_text, hostile_digest, modified_reference

from publisher.audiences import AudienceCatalog, AudienceError
from publisher.diagnostics import Diagnostics
from publisher.model import Block, Citation, Digest, Report, Section, assign_ids
from publisher.textutil import clause_cut, display_width
from publisher.writers.base import RenderContext
from publisher.writers.docx import DocxWriter

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BUILD_TIME = datetime(2025, 2, 16, 10, 30, tzinfo=UTC)


#: The example's title as a Chinese audience sees it.
CN_TITLE = "研究简报 2025-02-14 – 2025-02-16"


def build(
    digest: Digest,
    audience: str = "analyst",
    overrides: dict | None = None,
    roots: list[Path] | None = None,
    report_outputs: bool = False,
):
    aud = AudienceCatalog(roots or ()).load(audience)
    for key, value in (overrides or {}).items():
        aud.override(key, value)
    ctx = RenderContext(aud, Diagnostics(), BUILD_TIME)
    outputs = DocxWriter().write(digest, ctx)
    if report_outputs:
        return outputs, ctx.diagnostics
    return outputs[0].content(), ctx.diagnostics


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def style_level(paragraph) -> int | None:
    m = re.fullmatch(r"Heading (\d)", paragraph.style.name)
    return int(m.group(1)) if m else None


def num_id(paragraph) -> str | None:
    found = paragraph._p.find(f"{W}pPr/{W}numPr/{W}numId")
    return found.get(f"{W}val") if found is not None else None


@pytest.fixture(scope="module")
def analyst(sample_digest):
    data, diagnostics = build(sample_digest, "analyst")
    return data, open_docx(data), diagnostics


@pytest.fixture(scope="module")
def executive(sample_digest):
    data, diagnostics = build(sample_digest, "executive")
    return data, open_docx(data), diagnostics


# --- analyst: everything -------------------------------------------------------------


def test_analyst_headings_follow_the_model(sample_digest, analyst):
    _, doc, diagnostics = analyst
    assert not diagnostics.items
    expected = []
    for report in sample_digest.reports:
        expected.append((1, report.title))
        for top in report.sections:
            for section in top.walk():
                expected.append((section.level + 1, section.heading))
    expected.append((1, "引用来源"))  # the source list the citations link to
    found = [(style_level(p), p.text) for p in doc.paragraphs if style_level(p)]
    assert found == expected
    assert any(level == 3 for level, _ in found)  # nested sub-sections are real level-3 headings


def test_analyst_bullets_are_list_paragraphs_with_citations(sample_digest, analyst):
    data, doc, _ = analyst
    bookmarks = {b.get(f"{W}name") for b in part(data, "word/document.xml").iter(f"{W}bookmarkStart")}
    bullets = [p for p in doc.paragraphs if p.style.name.startswith("List Bullet")]
    blocks = [b for r in sample_digest.reports for _, b in r.blocks() if b.kind == "bullet"]
    assert len(bullets) == len(blocks) > 100
    for paragraph, block in zip(bullets, blocks, strict=True):
        assert paragraph.text == block.marked_text("[{ref}]")
        runs = [r for item in paragraph.iter_inner_content() for r in getattr(item, "runs", [item])]
        markers = [r.text for r in runs if r.style.name == "Citation Mark"]
        assert "".join(markers) == "".join(f"[{ref}]" for ref in block.refs)
        for link in paragraph._p.iter(f"{W}hyperlink"):  # each citation links to its report's source entry
            assert link.get(f"{W}anchor") in bookmarks and link.find(f"{W}r/{W}rPr/{W}rStyle") is not None
        assert num_id(paragraph) is not None
    assert doc.styles["Citation Mark"].font.superscript is True
    # One list per section: bullets of a section share a numbering instance, the next section starts a new one.
    per_section = []
    for report in sample_digest.reports:
        for section in report.walk():
            n = sum(1 for b in section.blocks if b.kind == "bullet")
            if n:
                per_section.append(n)
    ids = [num_id(p) for p in bullets]
    runs = [len(list(g)) for _, g in __import__("itertools").groupby(ids)]
    assert runs == per_section
    assert len(set(ids)) == len(per_section)
    numbering = part(data, "word/numbering.xml")
    for nid in set(ids):
        (num,) = numbering.findall(f"{W}num[@{W}numId='{nid}']")
        assert num.find(f"{W}lvlOverride/{W}startOverride").get(f"{W}val") == "1"


def test_analyst_paragraph_blocks_and_meta(sample_digest, analyst):
    _, doc, _ = analyst
    body = [p.text for p in doc.paragraphs if p.style.name == "Body Text"]
    paragraphs = [
        b.marked_text("[{ref}]") for r in sample_digest.reports for _, b in r.blocks() if b.kind == "paragraph"
    ]
    assert body == paragraphs and paragraphs
    meta = [p.text for p in doc.paragraphs if p.style.name == "Report Meta"]
    reports = sample_digest.reports
    assert meta[: len(reports)] == [f"{r.institution} · {r.timestamp}" for r in reports]
    # then the source list: each cited report's markers, institution, title and time
    assert meta[len(reports) :] == [
        f"{''.join(f'[{n}]' for n in sorted({ref for _, b in r.blocks() for ref in b.refs}))} "
        f"{r.institution}《{r.title}》{r.timestamp}"
        for r in reports
    ]


def test_toc_header_footer_fields(sample_digest, analyst):
    data, doc, _ = analyst
    document = part(data, "word/document.xml")
    instr = [t.text for t in document.iter(f"{W}instrText")]
    assert any(re.fullmatch(r' TOC \\o "1-2" \\h \\z \\u ', t) for t in instr)
    begin = document.find(f".//{W}sdtContent//{W}fldChar")
    assert begin.get(f"{W}fldCharType") == "begin" and begin.get(f"{W}dirty") is None  # Word asks nothing
    toc_entries = [p for p in document.iter(f"{W}p") if p.find(f"{W}pPr/{W}pStyle[@{W}val='TOC1']") is not None]
    assert len(toc_entries) == len(sample_digest.reports) + 1  # and the source list
    settings_xml = part(data, "word/settings.xml")
    assert settings_xml.find(f"{W}updateFields") is None  # no "update fields?" on every open
    section = doc.sections[0]
    assert [p.text for p in section.header.paragraphs] == [CN_TITLE]  # the title in the audience's locale
    assert section.header.paragraphs[0].style.name == "Header"
    footer = section.footer.paragraphs[0]
    assert footer.style.name == "Footer"
    fields = [f.get(f"{W}instr").strip() for f in footer._p.iter(f"{W}fldSimple")]
    assert fields == ["PAGE", "NUMPAGES"]
    assert "页" in footer.text


def test_core_properties(sample_digest, analyst):
    data, doc, _ = analyst
    props = doc.core_properties
    assert props.title == CN_TITLE
    assert props.subject == ""  # never the profile's description
    assert props.author == props.last_modified_by == "Research Desk"
    assert props.keywords == "research, digest"
    assert props.created == props.modified == BUILD_TIME
    assert props.revision == 1 and props.language == "zh-CN"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    assert b"python-docx" not in everything and b"2013-12-23" not in everything


def test_company_and_author_from_profile(sample_digest):
    data, _ = build(sample_digest, "executive", {"metadata.company": "海通 & Co", "metadata.author": "晨会组"})
    doc = open_docx(data)
    assert doc.core_properties.author == "晨会组"
    app = part(data, "docProps/app.xml")
    assert app.findtext("{*}Company") == "海通 & Co"


def test_chinese_typography(analyst):
    data, _, _ = analyst
    styles = part(data, "word/styles.xml")
    fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "Noto Serif CJK SC"
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}eastAsia") == "zh-CN"
    heading = styles.find(f"{W}style[@{W}styleId='Heading1']/{W}rPr/{W}rFonts")
    assert heading.get(f"{W}eastAsia") == "Noto Sans CJK SC"
    for el in styles.iter(f"{W}rFonts"):
        assert not {"asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"} & {
            etree.QName(a).localname for a in el.attrib
        }
    settings_xml = part(data, "word/settings.xml")
    assert settings_xml.find(f"{W}themeFontLang").get(f"{W}eastAsia") == "zh-CN"


def test_only_named_styles_no_direct_formatting(analyst, executive):
    allowed_ppr = {"pStyle", "numPr", "pageBreakBefore"}  # a page break is structure, not a look
    for data, _, _ in (analyst, executive):
        for name in ("word/document.xml", "word/header1.xml", "word/footer1.xml"):
            root = part(data, name)
            for ppr in root.iter(f"{W}pPr"):
                assert {etree.QName(c).localname for c in ppr} <= allowed_ppr
            for rpr in root.iter(f"{W}rPr"):
                assert {etree.QName(c).localname for c in rpr} == {"rStyle"}
            for p in root.iter(f"{W}p"):
                if p.find(f"{W}r/{W}t") is not None:
                    assert p.find(f"{W}pPr/{W}pStyle") is not None


# --- executive: cover, at a glance, takeaways -----------------------------------------


def test_executive_cover_and_glance_table(sample_digest, executive):
    _, doc, diagnostics = executive
    assert not diagnostics.items
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == CN_TITLE
    cover = [p.text for p in doc.paragraphs if p.style.name == "Cover Info"]
    # one line: how many reports, their time span, the build time in Asia/Shanghai; no profile text
    assert cover == ["10 篇报告 · 2025-02-14 17:52 至 2025-02-16 16:06 · 生成于 2025-02-16 18:30 CST"]
    (table,) = doc.tables
    assert table.style.name == "Briefing Table"
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["日期", "机构", "核心观点", "关键数据"]  # the example states no company, rating or target
    assert table.rows[0].cells[0].paragraphs[0].style.name == "Table Heading"
    assert table.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    for row, report in zip(rows[1:], sample_digest.reports, strict=True):
        takeaway = report.key_takeaway()
        assert row[:3] == [f"{report.published_at:%m-%d}", report.institution, clause_cut(takeaway.text, 56)]
        assert display_width(row[2]) <= 56
    assert rows[3][3] == "北证50 18%"  # the title's figure (北证50涨幅超18%)
    assert all(p.style.name == "Table Text" for row in table.rows[1:] for c in row.cells for p in c.paragraphs)


def _exec_sections(doc) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for p in doc.paragraphs:
        if p.style.name == "Heading 2":
            current = out.setdefault(p.text, [])
        elif current is not None and p.style.name.startswith("List Bullet"):
            current.append(p.text)
    return out


def _expected_bullets(report: Report, roles: list[str], limit: int) -> list[str]:
    takeaway = report.key_takeaway()
    opening = re.split(r"[，,；;。！？!?]", takeaway.text, maxsplit=1)[0]
    blocks = [
        b
        for role in roles
        for s in report.walk()
        if s.role == role
        for b in s.blocks
        if b is not takeaway and not b.text.startswith(opening)
    ]
    blocks = blocks[:limit] if limit else blocks
    return [clause_cut(b.text, 80) for b in blocks]


@pytest.mark.parametrize("max_bullets", [3, 1])
def test_executive_takeaways_and_bullet_limit(sample_digest, max_bullets):
    data, _ = build(sample_digest, "executive", {"content.max_bullets": max_bullets})
    doc = open_docx(data)
    found = _exec_sections(doc)
    assert list(found) == [r.title for r in sample_digest.reports]
    assert not [p for p in doc.paragraphs if p.style.name == "Key Takeaway"]  # the table shows it, once
    total = 0
    for report in sample_digest.reports:
        bullets = found[report.title]
        assert bullets == _expected_bullets(report, ["summary", "rating", "body"], max_bullets)
        assert len(bullets) <= max_bullets
        assert not any(re.search(r"\[\d+\]", b) for b in bullets)  # no citation marks for executives
        total += len(bullets)
    assert total > 0


def test_executive_is_short_analyst_is_complete(analyst, executive):
    assert len(executive[1].paragraphs) * 3 < len(analyst[1].paragraphs)
    assert not any(style_level(p) == 3 for p in executive[1].paragraphs)


# --- citations as footnotes -------------------------------------------------------------


def test_footnotes(sample_digest):
    data, _ = build(sample_digest, "analyst", {"content.citations": "footnote"})
    doc = open_docx(data)
    document = part(data, "word/document.xml")
    refs = list(document.iter(f"{W}footnoteReference"))
    expected = []
    for report in sample_digest.reports:
        for _, block in report.blocks():
            offsets: list[int] = []
            groups: list[list[int]] = []
            for c in block.citations:
                if offsets and offsets[-1] == c.offset:
                    groups[-1].append(c.ref)
                else:
                    offsets.append(c.offset)
                    groups.append([c.ref])
            expected.extend((report, g) for g in groups)
    assert len(refs) == len(expected)
    assert [r.get(f"{W}id") for r in refs] == [str(i) for i in range(1, len(refs) + 1)]
    for r in refs:
        assert r.getparent().find(f"{W}rPr/{W}rStyle").get(f"{W}val") == "FootnoteReference"
    notes = part(data, "word/footnotes.xml")
    real = [n for n in notes.iter(f"{W}footnote") if int(n.get(f"{W}id")) > 0]
    assert len(real) == len(expected)
    for note, (report, group) in zip(real, expected, strict=True):
        text = "".join(t.text or "" for t in note.iter(f"{W}t"))
        assert report.institution in text and report.title in text
        assert "".join(f"[{g}]" for g in group) in text
        assert note.find(f"{W}p/{W}pPr/{W}pStyle").get(f"{W}val") == "FootnoteText"
    assert {n.get(f"{W}type") for n in notes.iter(f"{W}footnote") if int(n.get(f"{W}id")) <= 0} == {
        "separator",
        "continuationSeparator",
    }
    assert part(data, "word/settings.xml").find(f"{W}footnotePr") is not None
    # The text itself carries no markers when citations are footnotes.
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets[0] == sample_digest.reports[0].sections[0].blocks[0].text


def test_footnotes_do_not_need_blocks_in_document_order(sample_digest):
    """Owners are found by position when blocks stand in document order, else by identity:
    a model whose blocks have no positions (JSON from elsewhere) gets the same footnotes."""
    from publisher.writers.docx.body import BlockOwners

    ordered, _ = build(sample_digest, "analyst", {"content.citations": "footnote"})
    unplaced = sample_digest.clone()
    for report in unplaced.reports:
        for _, block in report.blocks():
            block.line = block.column = 0
    shuffled, _ = build(unplaced, "analyst", {"content.citations": "footnote"})
    assert part(ordered, "word/footnotes.xml") is not None
    assert zipfile.ZipFile(io.BytesIO(ordered)).read("word/footnotes.xml") == zipfile.ZipFile(
        io.BytesIO(shuffled)
    ).read("word/footnotes.xml")
    owners = BlockOwners()
    for report in sample_digest.reports:
        owners.add(report)
    report = sample_digest.reports[3]
    section, block = next(report.blocks())
    assert owners.get(block) == (report, section)
    assert owners.get(block.clone()) == (report, section)  # found by its position
    nowhere = block.clone()
    nowhere.line = 1 << 30
    assert owners.get(nowhere) == (None, None)
    huge = sample_digest.clone()
    first = next(huge.reports[0].blocks())[1]
    first.line = 1 << 40  # a model from JSON may say anything: the owners fall back to identity
    owners = BlockOwners()
    for report in huge.reports:
        owners.add(report)
    assert owners.get(first) == (huge.reports[0], huge.reports[0].sections[0])


@pytest.mark.parametrize(("mode", "marker"), [("inline", True), ("none", False)])
def test_inline_and_no_citations(sample_digest, mode, marker):
    data, _ = build(sample_digest, "analyst", {"content.citations": mode})
    doc = open_docx(data)
    block = sample_digest.reports[0].sections[0].blocks[0]
    bullet = next(p for p in doc.paragraphs if p.style.name == "List Bullet")
    assert bullet.text == (block.marked_text() if marker else block.text)
    assert not [r for r in bullet.runs if r.style.name == "Citation Mark"]


def test_unknown_citation_mode_is_a_usage_error(sample_digest):
    with pytest.raises(AudienceError, match=r"content\.citations"):
        build(sample_digest, "analyst", {"content.citations": "endnote"})


# --- reproducibility -----------------------------------------------------------------------


def test_same_input_same_bytes(sample_digest):
    first, _ = build(sample_digest, "analyst", {"content.citations": "footnote"})
    second, _ = build(sample_digest, "analyst", {"content.citations": "footnote"})
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        infos = z.infolist()
    assert [i.filename for i in infos[:5]] == [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/core.xml",
        "docProps/app.xml",
        "word/document.xml",
    ]
    assert {i.date_time for i in infos} == {(2025, 2, 16, 10, 30, 0)}  # every entry: the build time


def test_cli_builds_identical_files_with_source_date_epoch(tmp_path, cli, sample_path):
    outputs = []
    for run in ("one", "two"):
        result = cli(
            "build",
            str(sample_path),
            "-a",
            "executive",
            "-o",
            str(tmp_path / run),
            env={"SOURCE_DATE_EPOCH": "1739700000"},
        )
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / run / "executive" / "research-digest-2025-02-16.docx").read_bytes())
    assert outputs[0] == outputs[1]
    props = open_docx(outputs[0]).core_properties
    assert props.created == datetime.fromtimestamp(1739700000, tz=UTC)


# --- hostile text ------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["analyst", "executive"])
@pytest.mark.parametrize("mode", ["superscript", "footnote"])
def test_hostile_text_never_breaks_the_file(audience, mode):
    digest = hostile_digest(HOSTILE)
    data, diagnostics = build(digest, audience, {"content.citations": mode, "content.max_bullets": 0})
    doc = open_docx(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))  # every part is well-formed
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    if mode == "footnote":
        expected = [expected_text(t) for t in HOSTILE]
        if audience == "executive":  # the first block is the key takeaway; a long bullet is cut at 80 columns
            expected = expected[1:]
            assert len(bullets) == len(expected)
            assert all(
                b == e or (b.endswith("…") and display_width(b) <= 80) for b, e in zip(bullets, expected, strict=True)
            )
        else:
            assert bullets == expected
    warnings = [str(d) for d in diagnostics.warnings]
    assert "hostile.txt:3:1: warning: docx: bullet has 6 characters Word cannot store" in warnings[2]
    assert any(w.startswith("hostile.txt:3:2: ") and "2 characters" in w for w in warnings)
    assert any(w.startswith("hostile.txt:1:1: ") and "report title" in w for w in warnings)
    assert not diagnostics.errors


def test_data_never_becomes_outline_syntax():
    digest = hostile_digest(HOSTILE)
    data, _ = build(digest, "executive", {"content.citations": "none", "content.max_bullets": 0})
    doc = open_docx(data)
    headings = [(style_level(p), p.text) for p in doc.paragraphs if style_level(p)]
    assert headings == [(1, "报告要点"), (2, "标题 heading 2: x\ufffd")]
    (table,) = doc.tables
    assert len(table.columns) == 4
    assert [c.text for c in table.rows[1].cells][1] == "机构 | 伪"
    assert doc.paragraphs[0].text == "Hostile {{ title }} \ufffd"
    footer = doc.sections[0].footer.paragraphs[0]
    assert len(list(footer._p.iter(f"{W}fldSimple"))) == 2  # only the template's own fields
    body = part(data, "word/document.xml")
    assert not list(body.iter(f"{W}fldSimple"))  # "{PAGE}" in a bullet is text


def test_urls_become_hyperlinks():
    digest = hostile_digest(["详见 https://example.com/report?id=1&lang=zh。另见www.example.cn/x,完;awww.no.link"])
    data, _ = build(digest, "analyst", {"content.citations": "none"})
    body = part(data, "word/document.xml")
    links = list(body.iter(f"{W}hyperlink"))
    anchors = [link for link in links if link.get(f"{W}anchor") is None]
    assert ["".join(t.text for t in a.iter(f"{W}t")) for a in anchors] == [
        "https://example.com/report?id=1&lang=zh",
        "www.example.cn/x",
    ]
    rels = part(data, "word/_rels/document.xml.rels")
    targets = {r.get("Id"): (r.get("Target"), r.get("TargetMode")) for r in rels}
    R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    assert [targets[a.get(f"{R}id")] for a in anchors] == [
        ("https://example.com/report?id=1&lang=zh", "External"),
        ("http://www.example.cn/x", "External"),
    ]
    doc = open_docx(data)
    bullet = next(p for p in doc.paragraphs if p.style.name == "List Bullet")
    assert bullet.text == digest.reports[0].sections[0].blocks[0].text


_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_text, heading=_text, texts=st.lists(_text, min_size=1, max_size=4))
def test_any_text_makes_a_valid_document(title, heading, texts):
    blocks = [Block("bullet", t, [Citation(1, len(t) // 2)]) for t in texts]
    report = Report(
        title=title,
        institution=heading,
        published_at=datetime(2025, 2, 16, 9, 0),
        sections=[Section(heading, 1, "summary", blocks), Section(title, 1, "body", [Block("paragraph", heading)])],
    )
    digest = Digest("any.txt", [report], title=title)
    assign_ids(digest)
    data, _ = build(digest, "analyst", {"content.citations": "none"})
    doc = open_docx(data)
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets == [expected_text(t) for t in texts]
    headings = [p.text for p in doc.paragraphs if style_level(p) == 2]
    assert headings == [expected_text(heading), expected_text(title)]


# --- templates: the outline -------------------------------------------------------------------


def _desk(tmp_path: Path, template: str, base: str = "analyst") -> Path:
    root = tmp_path / "tpl"
    (root / "desk").mkdir(parents=True)
    (root / "desk" / "profile.toml").write_text(f'base = "{base}"\nformats = ["docx"]\n', encoding="utf-8")
    (root / "desk" / "briefing.docx.j2").write_text(template, encoding="utf-8")
    return root


def test_template_features_macros_super_and_numbered_lists(tmp_path, sample_digest):
    template = """{% extends "base/briefing.docx.j2" %}
{% macro item(block) %}
number: {{ block }}
{% endmacro %}
{% block cover %}
{{ super() }}
subtitle: {{ "副标题 | 不是单元格: {PAGE}" }}
{% endblock %}
{% block body %}
{% for report in reports[:2] %}
heading 1: {{ report.title }}
{% for block in pick(report, limit=2, roles=["body"]) %}
{{ item(block) }}
{% endfor %}
{% endfor %}
table widths=1,3
row: {{ "a|b" }} | {{ reports|length }}
end
p "Plain Text": {{ "x" ~ "<y>" }}
property category: 晨报
{% endblock %}
"""
    root = _desk(tmp_path, template)
    data, diagnostics = build(sample_digest, "desk", roots=[root])
    assert not diagnostics.items
    doc = open_docx(data)
    assert doc.paragraphs[0].style.name == "Title"  # from super()
    subtitle = next(p for p in doc.paragraphs if p.style.name == "Subtitle")
    assert subtitle.text == "副标题 | 不是单元格: {PAGE}"
    numbered = [p for p in doc.paragraphs if p.style.name == "List Number"]
    assert len(numbered) == 4
    ids = [num_id(p) for p in numbered]
    assert ids[0] == ids[1] != ids[2] == ids[3]  # two lists, each restarting at 1
    numbering = part(data, "word/numbering.xml")
    for nid in set(ids):
        num = numbering.find(f"{W}num[@{W}numId='{nid}']")
        assert num.find(f"{W}lvlOverride[@{W}ilvl='0']/{W}startOverride").get(f"{W}val") == "1"
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == ["a|b", "10"]
    widths = [int(g.get(f"{W}w")) for g in table._tbl.find(f"{W}tblGrid")]
    assert 2.9 < widths[1] / widths[0] < 3.1
    assert any(p.text == "x<y>" and p.style.name == "Plain Text" for p in doc.paragraphs)
    assert doc.core_properties.category == "晨报"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("frobnicate: x\n", "outline line 1: unknown directive 'frobnicate'"),
        ("title: a\n\nheading {{ 'two' }}: b\n", "outline line 3: expected a number, not 'two'"),
        ("table\nheader: a | b\nrow: 1 | 2 | 3\nend\n", "a row has 3 cells, the table has 2 columns"),
        ("{{ 'title' }}: x\n", "outline line 1: a line must start with a directive name"),
        ("title: ok\n\ntitle: {{ missing }}\n", "briefing.docx.j2:3:1: template 'briefing.docx.j2' of audience"),
        ("title: {{ missing }}\n", "'missing' is undefined"),
        ("{% for %}\n", "briefing.docx.j2:1:1: template error"),
        ("property colour: red\n", "unknown property 'colour'"),
    ],
)
def test_template_errors_are_reported(tmp_path, sample_digest, template, message):
    root = _desk(tmp_path, template)
    with pytest.raises(AudienceError) as info:
        build(sample_digest, "desk", roots=[root])
    assert message in str(info.value)


def test_template_error_exit_status(tmp_path, cli, sample_path):
    root = _desk(tmp_path, "title: ok\nnope: {{ digest.title }}\n")
    result = cli("build", str(sample_path), "-a", "desk", "-t", str(root), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "outline line 2: unknown directive 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


# --- reference documents ------------------------------------------------------------------------


def test_user_reference_changes_the_look(tmp_path, sample_digest):
    ref = modified_reference(tmp_path / "mine.docx", {b"Noto Serif CJK SC": b"Noto Sans Mono CJK SC"})
    data, diagnostics = build(sample_digest, "executive", {"docx.reference": str(ref)})
    assert not diagnostics.items
    styles = part(data, "word/styles.xml")
    fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "Noto Sans Mono CJK SC"
    assert b"Noto Serif CJK SC" not in etree.tostring(styles)


def test_audience_folder_reference_wins(tmp_path, sample_digest):
    root = tmp_path / "tpl"
    (root / "executive").mkdir(parents=True)
    modified_reference(root / "executive" / "reference.docx", {b'w:val="1F3864"': b'w:val="C00000"'})
    data, _ = build(sample_digest, "executive", roots=[root])
    assert b'w:val="C00000"' in etree.tostring(part(data, "word/styles.xml"))
    # a relative docx.reference is also looked up along the audience's search path
    modified_reference(root / "executive" / "red.docx", {b'w:val="1F3864"': b'w:val="FF0000"'})
    data, _ = build(sample_digest, "executive", {"docx.reference": "red.docx"}, roots=[root])
    assert b'w:val="FF0000"' in etree.tostring(part(data, "word/styles.xml"))


def test_foreign_reference_gets_missing_styles_and_chinese_fixes(tmp_path, sample_digest):
    # A reference document made elsewhere: theme fonts that override explicit ones, a Japanese
    # East Asian language, none of the briefing's own styles.
    ref = modified_reference(
        tmp_path / "foreign.docx",
        {
            b'w:eastAsia="Noto Serif CJK SC" w:cs="Times New Roman"/><w:kern': b'w:eastAsia="SimSun" '
            b'w:eastAsiaTheme="minorEastAsia" w:cs="Times New Roman"/><w:kern',
            b'w:styleId="CoverInfo"': b'w:styleId="CoverInfoX"',
            b'<w:name w:val="Cover Info"/>': b'<w:name w:val="Something Else"/>',
            b'w:eastAsia="zh-CN" w:bidi': b'w:eastAsia="ja-JP" w:bidi',
        },
    )
    modified = modified_reference(tmp_path / "foreign2.docx", {b'w:eastAsia="zh-CN"': b'w:eastAsia="ja-JP"'})
    with zipfile.ZipFile(ref) as a, zipfile.ZipFile(modified) as b, zipfile.ZipFile(tmp_path / "f.docx", "w") as out:
        for info in a.infolist():
            name = info.filename
            out.writestr(name, b.read(name) if name == "word/settings.xml" else a.read(name))
    data, diagnostics = build(sample_digest, "executive", {"docx.reference": str(tmp_path / "f.docx")})
    styles = part(data, "word/styles.xml")
    fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "SimSun" and fonts.get(f"{W}eastAsiaTheme") is None
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}eastAsia") == "zh-CN"
    assert part(data, "word/settings.xml").find(f"{W}themeFontLang").get(f"{W}eastAsia") == "zh-CN"
    added = styles.find(f"{W}style[@{W}styleId='CoverInfo']")
    assert added is not None and added.find(f"{W}name").get(f"{W}val") == "Cover Info"
    assert [str(d) for d in diagnostics.warnings] == [
        f"{tmp_path / 'f.docx'}: warning: docx: the reference document has no paragraph style 'Cover Info'; "
        "added a plain one (define it to style it)"
    ]
    doc = open_docx(data)
    assert {p.style.name for p in doc.paragraphs if "篇报告" in p.text} == {"Cover Info"}


def test_python_docx_template_as_reference(sample_digest):
    default = Path(docx.__file__).parent / "templates" / "default.docx"
    data, diagnostics = build(sample_digest, "analyst", {"docx.reference": str(default)})
    doc = open_docx(data)
    assert [p for p in doc.paragraphs if p.style.name == "List Bullet" and num_id(p)]
    assert "Cover Info" in {s.name for s in doc.styles}
    assert all("added a plain one" in str(d) for d in diagnostics.warnings)
    assert not part(data, "word/settings.xml").findall(f"{W}footnotePr")


@pytest.mark.parametrize(
    ("value", "message"), [("/no/such/reference.docx", "no such file"), ("__file__", "not a Word document")]
)
def test_bad_reference_is_a_usage_error(tmp_path, cli, sample_path, value, message):
    if value == "__file__":
        value = str(sample_path)
    result = cli("build", str(sample_path), "-a", "executive", "-o", str(tmp_path), "-D", f"docx.reference={value}")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --- outputs ------------------------------------------------------------------------------------------


def test_one_document_per_report_when_asked(sample_digest):
    outputs, diagnostics = build(sample_digest, "analyst", {"docx.per_report": True}, report_outputs=True)
    assert not diagnostics.items
    assert [o.path for o in outputs] == ["research-digest-2025-02-16.docx"] + [
        f"research-digest-2025-02-16/{r.slug}.docx" for r in sample_digest.reports
    ]
    for output, report in zip(outputs[1:], sample_digest.reports, strict=True):
        doc = open_docx(output.content())
        headings = [(style_level(p), p.text) for p in doc.paragraphs if style_level(p)]
        assert headings[0] == (1, report.title)
        assert len(headings) == 1 + sum(1 for _ in report.walk())
        assert doc.core_properties.title == report.title
        assert doc.sections[0].header.paragraphs[0].text == f"{report.institution} · {report.title}"


def test_cli_executive_default_format_and_formats_listing(tmp_path, cli, sample_path):
    result = cli("build", str(sample_path), "-a", "executive", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    outputs = [p.name for p in (tmp_path / "executive").iterdir() if not p.name.startswith(".")]
    assert outputs == ["research-digest-2025-02-16.docx"]
    listing = cli("formats")
    assert re.search(r"^docx\s+\.docx\s+Word briefing", listing.stdout, re.M)
    analyst = AudienceCatalog().load("analyst")
    assert "docx" in analyst.formats


def test_empty_digest(tmp_path):
    digest = Digest("empty.txt", [], title="")
    data, diagnostics = build(digest, "executive")
    assert not diagnostics.items
    doc = open_docx(data)
    assert doc.core_properties.title == "empty"
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == 1


def test_shipped_reference_matches_its_generator():
    import runpy

    root = Path(__file__).resolve().parents[2]
    script = runpy.run_path(str(root / "dev" / "make_reference_docx.py"))
    with zipfile.ZipFile(root / "templates" / "base" / "reference.docx") as z:
        shipped = {name: z.read(name) for name in z.namelist()}
    generated = {name: text.encode("utf-8") for name, text in script["build"]().items()}
    assert shipped == generated, "run dev/make_reference_docx.py and commit templates/base/reference.docx"


def test_skipped_reports_are_kept_in_the_analyst_appendix():
    from publisher.readers.digest import read_text
    from publisher.readers.source import decode

    text = (
        "Workflow\n标题甲\n海通国际· 2025-02-16 16:06\n报告核心观点 - 内容一 [1]\n"
        "标题乙\n海通国际· 2025-02-30 16:06\n核心观点 - 内容二 [1]\n"
        "标题丙\n国信证券· 2025-02-16 15:06\n核心观点 - 内容三 [2]\n"
    )
    digest = read_text(decode(text.encode("utf-8"), "bad.txt"), Diagnostics())
    data, _ = build(digest, "analyst")
    doc = open_docx(data)
    headings = [p.text for p in doc.paragraphs if style_level(p) == 1]
    assert headings == ["标题甲", "标题丙", "引用来源", "未能读取的报告"]
    kept = [p.text for p in doc.paragraphs if p.style.name == "Plain Text"]
    assert kept == ["标题乙", "海通国际· 2025-02-30 16:06", "核心观点 - 内容二 [1]"]
    assert any("第 6 行" in p.text and "invalid timestamp" in p.text for p in doc.paragraphs)
    executive, _ = build(digest, "executive")
    assert "未能读取" not in "".join(p.text for p in open_docx(executive).paragraphs)


def test_the_body_spool_gives_back_every_element_with_slots_breaks_and_links_resolved(monkeypatch):
    from publisher.writers.docx import body

    monkeypatch.setattr(body.BodySpool, "_FLUSH_AT", 64)  # many deflated chunks, elements cut across them
    monkeypatch.setattr(body.BodySpool, "_KEEP_PLAIN", 4096)
    spool = body.BodySpool()
    paragraphs = [
        f'<w:p><w:pPr><w:pStyle w:val="BodyText"/></w:pPr><w:r><w:t>第{i}段 ü</w:t></w:r></w:p>' for i in range(500)
    ]
    toc = spool.slot()
    spool.page_break()
    spool.page_break()
    for xml in paragraphs[:250]:
        spool.append(xml)
    spool.append(f"<w:p>{body._LINK_OPEN}7{body._LINK_MID}<w:r/>{body._LINK_CLOSE}</w:p>")
    for xml in paragraphs[250:]:
        spool.append(xml)
    spool.page_break()
    spool.fill(toc, "<w:sdt>contents</w:sdt>")
    spool.links = body._with_links
    got = list(spool)
    assert got[0] == "<w:sdt>contents</w:sdt>"
    assert got[1] == body._PAGE_BREAK and got[2] == ""  # the second break moved onto the paragraph after it
    assert got[3] == paragraphs[0].replace('"BodyText"/>', '"BodyText"/><w:pageBreakBefore/>', 1)
    assert got[4:253] == paragraphs[1:250]
    assert got[253] == '<w:p><w:hyperlink w:anchor="_Src000007" w:history="1"><w:r/></w:hyperlink></w:p>'
    assert got[254:-1] == paragraphs[250:]
    assert got[-1] == body._PAGE_BREAK  # nothing after it to carry it
    assert spool.count == len(got) and list(spool) == got  # it can be read again


def test_a_briefing_keeps_no_parsed_body_and_values_written_twice_stay(tmp_path, sample_path):
    """A lazily read digest: the briefing reads each body as its loops reach it and drops it
    after (none is left parsed), and a block the template keeps and writes twice (a ``set``
    block, ``loop.last``) is shown both times, with its citations linked to its report."""
    from publisher.readers.digest import read

    digest = read(str(sample_path), lazy=True)
    template = """title: {{ title }}
{% for report in reports %}
{% set first %}bullet: {{ report.sections[0].blocks[0] }}{% endset %}
heading 1: {{ report.title }}{{ " (last)" if loop.last else "" }}
{{ first }}
{{ first }}
{% endfor %}
sources: Sources
"""
    root = _desk(tmp_path, template)
    data, diagnostics = build(digest, "desk", roots=[root])
    assert not diagnostics.items
    assert all(report.deferred is not None for report in digest.reports)  # every body dropped again
    doc = open_docx(data)
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    firsts = [r.sections[0].blocks[0].text for r in digest.reports]
    assert len(bullets) == 2 * len(firsts)
    assert all(first in bullet for first, bullet in zip([f for f in firsts for _ in (0, 1)], bullets, strict=True))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[-2].endswith(" (last)") and headings[-1] == "Sources"
    # every report cited in the body is in the source list, so its citations were owned
    listed = [p.text for p in doc.paragraphs if p.style.name == "Report Meta"]
    assert len(listed) == len(digest.reports)


def test_a_long_table_is_the_same_whether_its_rows_come_at_once_or_not(sample_digest):
    """Rows are written as they come: the briefing table of the executive audience has one row
    per report, a header first, and the body ends with a paragraph after a closing table."""
    data, _ = build(sample_digest, "executive")
    doc = open_docx(data)
    table = doc.tables[0]
    assert len(table.rows) == len(sample_digest.reports) + 1
    look = table._tbl.find(f"{W}tblPr/{W}tblLook")
    assert look.get(f"{W}firstRow") == "1"


def test_numbering_instances_are_kept_as_numbers_and_given_back_as_xml():
    from publisher.writers.docx.package import NumberingInstances

    nums = NumberingInstances()
    nums.append(7, 2, {0, 2})
    nums.append(8, 1 << 70, {0})  # a reference document's number out of range: kept as text
    nums.append(9, 3, set())
    assert len(nums) == 3
    assert list(nums) == [
        '<w:num w:numId="7"><w:abstractNumId w:val="2"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'
        '<w:lvlOverride w:ilvl="2"><w:startOverride w:val="1"/></w:lvlOverride></w:num>',
        f'<w:num w:numId="8"><w:abstractNumId w:val="{1 << 70}"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>',
        '<w:num w:numId="9"><w:abstractNumId w:val="3"/></w:num>',
    ]
