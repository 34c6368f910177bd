"""Markdown pages read back into the model they were written from (the sample, and generated reports)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import BULLET, PARAGRAPH, RAW, ROLES, Block, Citation, Digest, Report, Section, report_id
from publisher.readers.markdown import read, read_text
from publisher.readers.source import decode
from publisher.writers.base import RenderContext
from publisher.writers.markdown import MarkdownWriter, PageRenderer


def section_shape(s: Section):
    return (
        s.heading,
        s.level,
        s.role,
        [(b.kind, b.text, [(c.ref, c.offset, c.sep) for c in b.citations]) for b in s.blocks],
        [section_shape(c) for c in s.children],
    )


def shape(r: Report):
    return (r.id, r.slug, r.title, r.institution, r.published_at, r.language, [section_shape(s) for s in r.sections])


@pytest.fixture(scope="module")
def wiki():
    return AudienceCatalog().load("wiki")


@pytest.fixture(scope="module")
def renderer(wiki):
    return PageRenderer(wiki)


def read_page(data: bytes, name: str = "page.md") -> tuple[Digest, Diagnostics]:
    diagnostics = Diagnostics()
    return read_text(decode(data, name), diagnostics), diagnostics


def test_sample_pages_read_back_into_the_same_model(sample_digest, wiki, tmp_path):
    ctx = RenderContext(wiki)
    pages = MarkdownWriter().write(sample_digest, ctx)
    assert len(pages) == len(sample_digest.reports) == 10
    for report, page in zip(sample_digest.reports, pages, strict=True):
        path = tmp_path / page.path.rsplit("/", 1)[-1]
        path.write_bytes(page.data)
        diagnostics = Diagnostics()
        back = read(str(path), diagnostics=diagnostics)
        assert diagnostics.items == []
        assert [shape(r) for r in back.reports] == [shape(report)]
    # the sample has parents with children, lead roles and citation groups: all came through
    assert any(s.children for r in sample_digest.reports for s in r.sections)
    assert any(len(b.citations) > 1 for r in sample_digest.reports for _, b in r.blocks())


# --- generated reports --------------------------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")
_markup = st.sampled_from(
    ["[1]", "[2][3]", "**", "_", "`", "<b>", "&amp;", "# ", "- ", "1. ", "> ", "|", "~~", "$", ":+1:", " ", "\u3000",
     "“专精特新”", "。", "\n", "\\", "[", "]", "(x)", "!", "---", "==="]
)  # fmt: skip
_text = st.lists(st.one_of(st.text(_chars, max_size=6), _markup), max_size=6).map("".join)


def _clean(text: str) -> str:
    from publisher.writers.markdown_escape import sanitize

    return sanitize(text)[0]


@st.composite
def blocks(draw, kind: str) -> Block:
    pieces = draw(st.lists(_text, min_size=1, max_size=3))
    pieces = [_clean(p) for p in pieces]
    refs = draw(st.lists(st.integers(1, 99), min_size=len(pieces) - 1, max_size=len(pieces) - 1))
    seps = draw(st.lists(st.sampled_from(["", " ", "  ", "\u3000"]), min_size=len(refs), max_size=len(refs)))
    text, cites = "", []
    for k, ref in enumerate(refs):
        text += pieces[k].rstrip(" \t\u3000")  # the model keeps spaces before a marker in `sep`
        cites.append(Citation(ref, len(text), seps[k]))
    text += pieces[-1]
    if kind == RAW:
        import re

        if re.search(r"\[\d{1,6}\]", text):  # a raw block's [n] are citations by definition
            text = text.replace("[", "(")
    if kind == PARAGRAPH and not text and not cites:
        text = "x"
    return Block(kind, text, cites)


@st.composite
def sections(draw, depth: int = 1) -> Section:
    heading = _clean(draw(_text))
    role = draw(st.sampled_from(ROLES))
    kinds = draw(st.lists(st.sampled_from([BULLET, BULLET, PARAGRAPH, RAW]), max_size=4))
    section = Section(heading, depth, role, [draw(blocks(k)) for k in kinds])
    if depth < 4:
        section.children = draw(st.lists(sections(depth + 1), max_size=2))
    return section


@st.composite
def reports(draw) -> Report:
    title = _clean(draw(_text.filter(lambda t: t.strip())))
    institution = _clean(draw(_text))
    when = draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))).replace(microsecond=0)
    report = Report(title, institution, when, draw(st.lists(sections(), max_size=3)))
    report.language = draw(st.sampled_from(["zh", "en"]))
    report.id = report_id(institution, when, title)
    return report


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(reports())
def test_generated_reports_round_trip(renderer, report):
    page = renderer.report_page(report, "feed.txt")
    back, diagnostics = read_page(page.data)
    assert [shape(r) for r in back.reports] == [shape(report)], page.data.decode()
    assert not diagnostics.errors
