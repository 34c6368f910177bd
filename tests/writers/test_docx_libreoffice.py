"""Word briefings opened for real: LibreOffice (headless) converts them to PDF, poppler reads the PDF.

All documents are converted in one LibreOffice run per test session (a session fixture), so the
suite stays fast.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.docx_helpers import HOSTILE, hostile_digest, modified_reference

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.textutil import clause_cut
from publisher.writers.base import RenderContext
from publisher.writers.docx import DocxWriter

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="LibreOffice and poppler-utils are needed (dev/install-system-packages)",
)

NUMBERED = """{% extends "base/briefing.docx.j2" %}
{% block body %}
heading 1: 编号列表
number: 第一组甲
number: 第一组乙
p: 间隔段落
number: 第二组甲
number: 第二组乙
{% endblock %}
"""


WARNINGS: dict[str, list[str]] = {}


def _docx(digest, audience: str, overrides: dict | None = None, roots=(), name: str = "") -> bytes:
    aud = AudienceCatalog(roots).load(audience)
    for key, value in (overrides or {}).items():
        aud.override(key, value)
    ctx = RenderContext(aud, Diagnostics(), datetime(2025, 2, 16, 10, 30, tzinfo=UTC))
    data = DocxWriter().write(digest, ctx)[0].content()
    WARNINGS[name] = [str(d) for d in ctx.diagnostics]
    return data


def soffice(work: Path, fmt: str, out: Path, *files: Path) -> None:
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory, sample_digest) -> dict[str, Path]:
    """Every briefing variant converted to PDF in one LibreOffice run."""
    work = tmp_path_factory.mktemp("lo")
    swapped = modified_reference(
        work / "swapped-reference.docx",
        {b"Noto Serif CJK SC": b"Noto Sans CJK SC", b"Times New Roman": b"DejaVu Sans Mono"},
    )
    templates = work / "templates"
    (templates / "numbered").mkdir(parents=True)
    (templates / "numbered" / "profile.toml").write_text('base = "analyst"\n', encoding="utf-8")
    (templates / "numbered" / "briefing.docx.j2").write_text(NUMBERED, encoding="utf-8")
    # The department's way of changing the look: open the reference in LibreOffice, save it as .docx.
    shipped = Path(__file__).resolve().parents[2] / "templates" / "base" / "reference.docx"
    soffice(work, "docx:MS Word 2007 XML", work / "resaved", shipped)
    resaved = work / "resaved" / "reference.docx"
    specs = {
        "analyst": (sample_digest, "analyst", {}, ()),
        "executive": (sample_digest, "executive", {}, ()),
        "footnotes": (sample_digest, "analyst", {"content.citations": "footnote"}, ()),
        "swapped": (sample_digest, "executive", {"docx.reference": str(swapped)}, ()),
        "resaved": (sample_digest, "analyst", {"docx.reference": str(resaved)}, ()),
        "hostile": (hostile_digest(HOSTILE), "analyst", {"content.citations": "footnote"}, ()),
        "numbered": (sample_digest, "numbered", {}, (templates,)),
    }
    for name, (digest, audience, overrides, roots) in specs.items():
        (work / f"{name}.docx").write_bytes(_docx(digest, audience, overrides, roots, name))
    out = work / "pdf"
    soffice(work, "pdf", out, *(work / f"{name}.docx" for name in specs))
    found = {name: out / f"{name}.pdf" for name in specs}
    missing = [name for name, path in found.items() if not path.is_file() or path.stat().st_size == 0]
    assert not missing, f"not converted: {missing}"
    return found


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_of(pdf: Path) -> list[tuple[str, bool]]:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    out = []
    for line in lines[2:]:
        fields = line.split()
        emb = fields[-5] if len(fields) >= 6 else "no"
        out.append((fields[0].split("+", 1)[-1], emb == "yes"))
    return out


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.mark.parametrize("name", ["analyst", "executive", "resaved"])
def test_chinese_titles_and_bullets_are_text_in_the_pdf(pdfs, sample_digest, name):
    text = squashed(text_of(pdfs[name]))
    for report in sample_digest.reports:
        assert squashed(report.title) in text
        takeaway = report.key_takeaway().text
        if name == "executive":  # the table's one line: the takeaway cut at a clause boundary
            takeaway = clause_cut(takeaway, 56)
        assert squashed(takeaway[:20]) in text
    if name != "executive":
        for report in sample_digest.reports:
            for _, block in report.blocks():
                assert squashed(block.text[:15]) in text


@pytest.mark.parametrize("name", ["analyst", "executive", "footnotes", "resaved"])
def test_cjk_font_is_embedded(pdfs, name):
    fonts = fonts_of(pdfs[name])
    cjk = [f for f, embedded in fonts if re.match(r"Noto(Serif|Sans)CJK", f) and embedded]
    assert any(f.startswith("NotoSerifCJK") for f in cjk), fonts  # body text: the reference's serif CJK font
    assert any(f.startswith("NotoSansCJK") for f in cjk), fonts  # headings: the sans CJK font


def test_page_x_of_y_footer(pdfs):
    pages = pages_of(pdfs["analyst"])
    text = text_of(pdfs["analyst"])
    assert pages > 5
    assert f"第 1 页,共 {pages} 页" in text
    assert f"第 {pages} 页,共 {pages} 页" in text


def test_executive_fits_on_few_pages(pdfs):
    assert pages_of(pdfs["executive"]) <= 6 < pages_of(pdfs["analyst"])


def test_footnotes_render_at_the_page_foot(pdfs, sample_digest):
    text = text_of(pdfs["footnotes"])
    first = sample_digest.reports[0]
    assert squashed(f"{first.institution}《{first.title}》({first.timestamp}),原文引用 [1]") in squashed(text)


def test_swapped_reference_document_changes_the_fonts(pdfs):
    default = {f for f, _ in fonts_of(pdfs["executive"])}
    swapped = {f for f, _ in fonts_of(pdfs["swapped"])}
    assert any(f.startswith("NotoSerifCJK") for f in default)
    assert not any(f.startswith("NotoSerifCJK") for f in swapped)
    assert any(f.startswith("DejaVuSansMono") for f in swapped)
    assert not any(f.startswith("DejaVuSansMono") for f in default)


def test_hostile_text_converts(pdfs):
    text = text_of(pdfs["hostile"])
    # (each text has a footnote mark after its second character)
    assert " 7*7 }} {% if true %}模板{% endif %}" in text and "ading 1: 注入" in text
    assert pages_of(pdfs["hostile"]) > 10  # the 100,000-character bullet is there


def test_numbered_lists_restart(pdfs):
    lines = [line.strip() for line in text_of(pdfs["numbered"]).splitlines() if line.strip()]
    numbered = [line for line in lines if re.match(r"^\d+\.", line)]
    assert [n.split(".")[0] for n in numbered] == ["1", "2", "1", "2"], lines


def test_reference_saved_by_libreoffice_keeps_every_style(pdfs):
    assert WARNINGS["resaved"] == []  # every style and list definition survived the round trip
    assert WARNINGS["analyst"] == WARNINGS["executive"] == []
    assert pages_of(pdfs["resaved"]) == pages_of(pdfs["analyst"])


#: Words of the interface in English, and the profile's own text: none belongs in a Chinese brief.
ENGLISH_INTERFACE = (
    "Research digest",
    "Page ",
    "Contents",
    "Reports from",
    "Generated",
    "UTC",
    "Key takeaway",
    "Key figure",
    "Institution",
    "executive",
    "Executives and sales",
)


def test_executive_brief_is_one_glance_in_chinese(pdfs):
    """The example's ten reports: two pages, a Chinese title and interface, no profile text."""
    pdf = pdfs["executive"]
    assert pages_of(pdf) <= 2
    text = text_of(pdf)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("研究简报 2025-02-14")  # the running header, then the title
    assert "第 1 页,共 2 页" in text or pages_of(pdf) == 1
    for leak in ENGLISH_INTERFACE:
        assert leak not in text, leak
    assert "读者" not in text and "Executives" not in text
    assert "CST" in text  # the build time in the audience's zone (Asia/Shanghai), with the zone


def test_executive_body_never_repeats_the_table(pdfs):
    import docx

    document = docx.Document(str(pdfs["executive"].parent.parent / "executive.docx"))
    table = document.tables[0]
    headers = [c.text for c in table.rows[0].cells]
    assert headers[:2] == ["日期", "机构"] and "核心观点" in headers
    column = headers.index("核心观点")
    takeaways = [row.cells[column].text.rstrip("…") for row in table.rows[1:]]
    assert len(takeaways) == 10 and all(takeaways)
    body = "\n".join(p.text for p in document.paragraphs)
    for takeaway in takeaways:
        for clause in re.split(r"[，,；;。]", takeaway):
            if len(clause) >= 10:
                assert clause not in body, clause
