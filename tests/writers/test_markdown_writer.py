"""The Markdown writer: page layout, index pages, links, determinism and audience settings."""

from __future__ import annotations

import posixpath
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from publisher.audiences import AudienceCatalog, AudienceError
from publisher.diagnostics import Diagnostics
from publisher.model import Digest
from publisher.readers.markdown import read_text
from publisher.readers.source import decode
from publisher.writers.base import RenderContext
from publisher.writers.markdown import MarkdownWriter, PageRenderer, format_time


def build(cli, tmp_path: Path, *args: str, env=None) -> dict[str, bytes]:
    out = tmp_path / "out"
    result = cli("build", *args, "-a", "wiki", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    root = out / "wiki"
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".publisher" not in p.relative_to(root).parts  # the build manifest is not a page
    }


def links(markdown: bytes) -> list[str]:
    found = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown.decode("utf-8")):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrs["href"]))
    return found


def test_layout_and_links(cli, sample_path, sample_digest, tmp_path):
    files = build(cli, tmp_path, str(sample_path))
    report = sample_digest.reports[0]
    page = f"reports/2025-02-16/{report.slug}.md"
    assert {"index.md", "archive.md", "institutions.md", "_Sidebar.md", ".nav.yml", page} <= set(files)
    assert {"reports/2025-02-16/index.md", "reports/2025-02-14/index.md"} <= set(files)
    assert len([f for f in files if f.startswith("reports/") and not f.endswith("/index.md")]) == 10
    # every link is relative and lands on a page that exists
    for name, data in files.items():
        if not name.endswith(".md"):
            continue
        for href in links(data):
            assert not href.startswith(("/", "http:", "https:")), (name, href)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href))
            assert target in files, (name, href)
    text = files[page].decode("utf-8")
    assert text.startswith(
        '---\nid: "f3c4e1630bf2"\ntitle: "股息增长潜力可期;非常规业务推进信心十足"\ninstitution: "海通国际"\n'
        'published: "2025-02-16 16:06"\nlanguage: "zh"\ntags: ["海通国际", "research"]\n'
        'source: ["research-digest-2025-02-16.txt"]\n---\n\n# 股息增长潜力可期;非常规业务推进信心十足\n\n'
        "> 海通国际 · 2025-02-16 16:06 · [当日报告](index.md)\n\n## 报告核心观点\n\n- 阿布扎比"
    )
    assert "\n## 各部分总结\n\n### 点评\n\n- 提高股息不受限制" in text and text.endswith("承接工作 [3]\n")


def test_index_pages(cli, sample_path, sample_digest, tmp_path):
    files = build(cli, tmp_path, str(sample_path))
    home = files["index.md"].decode("utf-8")
    rows = [line for line in home.splitlines() if line.startswith("| 2025-")]
    assert len(rows) == 10
    assert rows[0].startswith("| 2025-02-16 16:06 | 海通国际 |") and rows[-1].startswith("| 2025-02-14 17:52 |")
    archive = files["archive.md"].decode("utf-8")
    assert "## 2025-02\n\n- [2025-02-16](reports/2025-02-16/index.md)（7 篇）\n- [2025-02-14]" in archive
    institutions = files["institutions.md"].decode("utf-8")
    headings = [line[3:] for line in institutions.splitlines() if line.startswith("## ")]
    assert headings[:4] == ["国信证券", "海通国际", "华福证券", "华源证券"]  # by pinyin: guo, hai, hua fu, hua yuan
    assert len(headings) == 9
    day = files["reports/2025-02-14/index.md"].decode("utf-8")
    assert "3 篇报告" in day and "[DeepSeek模型综述](deepseek-mo-xing-zong-shu-6b68ae7e.md)" in day
    sidebar = files["_Sidebar.md"].decode("utf-8")
    assert sidebar.startswith("- [首页](index.md)\n- [按日期](archive.md)\n- [按机构](institutions.md)\n")
    nav = files[".nav.yml"].decode("utf-8")
    assert 'nav:\n  - "首页": "index.md"' in nav and f'"reports/2025-02-16/{sample_digest.reports[0].slug}.md"' in nav


def test_index_pages_speak_the_audiences_locale(cli, sample_path, tmp_path):
    """The pages' own words come from the message catalogs: ``-D locale=en`` gives English ones."""
    files = build(cli, tmp_path, str(sample_path), "-D", "locale=en")
    home = files["index.md"].decode("utf-8")
    assert home.startswith("# Research reports\n") and "10 reports, the latest published 2025-02-16 16:06." in home
    assert "by [date](archive.md), by [institution](institutions.md) or by [company](companies/index.md)" in home
    assert "| Time | Institution | Report |" in home
    assert files["_Sidebar.md"].decode("utf-8").startswith("- [Home](index.md)\n- [By date](archive.md)\n")
    assert 'nav:\n  - "Home": "index.md"' in files[".nav.yml"].decode("utf-8")
    day = files["reports/2025-02-14/index.md"].decode("utf-8")
    assert day.startswith("# 2025-02-14\n\n3 reports on this page · [Home](../../index.md)")
    page = next(v for k, v in files.items() if k.startswith("reports/2025-02-14/deepseek")).decode("utf-8")
    assert "[Reports of the day](index.md)" in page


def test_message_values_are_escaped_in_markdown():
    """A value filled into a message is text: Markdown in it is escaped; the catalog's words are not."""
    from publisher.i18n.messages import Messages
    from publisher.writers.markdown import md_translator

    _ = md_translator(Messages("en"))
    assert _("{count} reports on this page", count="[x](y)") == "\\[x\\](y) reports on this page"
    assert (
        _(
            "Browse every report by [date]({archive}) or by [institution]({institutions}).",
            archive="a.md",
            institutions="b.md",
        )
        == "Browse every report by [date](a.md) or by [institution](b.md)."
    )


def test_same_input_same_bytes_whatever_the_clock(cli, sample_path, tmp_path):
    first = build(cli, tmp_path / "a", str(sample_path), env={"SOURCE_DATE_EPOCH": "1"})
    second = build(cli, tmp_path / "b", str(sample_path), env={"SOURCE_DATE_EPOCH": "2000000000"})
    assert first == second


def test_indexes_span_several_digests(cli, sample_path, tmp_path):
    other = tmp_path / "research-digest-2025-02-18.txt"
    other.write_text("粤开市场日报:周二\n粤开证券· 2025-02-18 19:10\n核心观点 - 市场回暖 [1]\n", encoding="utf-8")
    files = build(cli, tmp_path, str(sample_path), str(other))
    home = files["index.md"].decode("utf-8")
    assert "共 11 篇报告，最新发布于 2025-02-18 19:10" in home
    assert home.index("粤开市场日报:周二") < home.index("股息增长潜力可期")
    assert "reports/2025-02-18/index.md" in files
    assert "- [2025-02-18](reports/2025-02-18/index.md)（1 篇）" in files["archive.md"].decode()
    assert "## 粤开证券" in files["institutions.md"].decode()


def test_pages_depend_only_on_their_inputs(sample_digest):
    """A report's page is the same alone or among others; index pages do not care how reports are grouped."""
    ctx = RenderContext(AudienceCatalog().load("wiki"))
    writer = MarkdownWriter()
    together = {o.path: o.data for o in writer.write(sample_digest, ctx)}
    for report in sample_digest.reports:
        alone = Digest(sample_digest.source, [report])
        (page,) = writer.write(alone, ctx)
        assert together[page.path] == page.data
    halves = [Digest("b.txt", sample_digest.reports[5:]), Digest("a.txt", sample_digest.reports[:5][::-1])]
    assert [(o.path, o.data) for o in writer.write_collection(halves, ctx)] == [
        (o.path, o.data) for o in writer.write_collection([sample_digest], ctx)
    ]


def renderer(**overrides) -> PageRenderer:
    audience = AudienceCatalog().load("wiki")
    for key, value in overrides.items():
        audience.override(key.replace("__", "."), value)
    return PageRenderer(audience, Diagnostics())


def reread(data: bytes):
    return read_text(decode(data, "p.md"), Diagnostics()).reports[0]


def test_citation_styles(sample_digest):
    report = sample_digest.reports[2]
    sup = renderer(content__citations="superscript").report_page(report).data
    assert b"18.6%,TMT" in sup and "建议关注相关公司机会 <sup>[3]</sup><sup>[9]</sup>".encode() in sup

    def cites(r):
        return [[(c.ref, c.offset, c.sep) for c in b.citations] for _, b in r.blocks()]

    assert cites(reread(sup)) == cites(report)
    none = renderer(content__citations="none").report_page(report).data.decode()
    assert "[3]" not in none and "建议关注相关公司机会\n" in none
    with pytest.raises(AudienceError, match=r"content\.citations"):
        renderer(content__citations="loud")


def test_roles_and_bullet_limit(sample_digest):
    report = sample_digest.reports[0]
    text = renderer(content__roles=["summary"], content__max_bullets=1).report_page(report).data.decode()
    assert "## 报告核心观点" in text and "各部分总结" not in text
    two = renderer(content__max_bullets=2).report_page(report).data.decode()
    assert two.count("\n- ") == 2 and "### 新增钻机情况" in two


def test_page_layout_setting(cli, sample_path, sample_digest, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "-a", "wiki", "-o", str(out), "-D", 'md.page="{year}/{month}/{id}.md"')
    assert result.returncode == 0, result.stderr
    report = sample_digest.reports[0]
    assert (out / "wiki" / "2025" / "02" / f"{report.id}.md").is_file()
    home = (out / "wiki" / "index.md").read_text(encoding="utf-8")
    assert f"](2025/02/{report.id}.md)" in home
    page = (out / "wiki" / "2025" / "02" / f"{report.id}.md").read_text(encoding="utf-8")
    assert "[当日报告](../../reports/2025-02-16/index.md)" in page
    bad = cli("build", str(sample_path), "-a", "wiki", "-o", str(out), "-D", 'md.page="{title}.md"')
    assert bad.returncode == 2 and "unknown placeholder {title}" in bad.stderr
    evil = cli("build", str(sample_path), "-a", "wiki", "-o", str(out), "-D", 'md.page="../{slug}.md"')
    assert evil.returncode == 1 and "not relative" not in evil.stderr and "unsafe part" in evil.stderr
    assert not list(tmp_path.glob("*.md"))


def test_templates_print_input_text_literally(cli, sample_path, tmp_path):
    root = tmp_path / "tpl"
    (root / "wiki").mkdir(parents=True)
    (root / "wiki" / "report.md.j2").write_text(
        "# {{ report.title }}\n\n{{ report.institution | md_raw }}\n\n"
        "{% for s in page.sections %}{{ s.heading_line }}\n{% endfor %}",
        encoding="utf-8",
    )
    digest = tmp_path / "d.txt"
    digest.write_text("**<b>粗</b>** [1]\n机构_甲_· 2025-02-16 10:00\n核心观点 - a [1]\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", str(digest), "-a", "wiki", "-t", str(root), "-o", str(out))
    assert result.returncode == 0, result.stderr
    (page,) = (out / "wiki" / "reports" / "2025-02-16").glob("b-cu-b-1-*.md")
    assert page.read_text(encoding="utf-8") == "# \\*\\*&lt;b>粗&lt;/b>\\*\\* \\[1\\]\n\n机构_甲_\n\n## 核心观点\n"


def test_unrepresentable_characters_are_replaced_with_a_warning(sample_digest):
    from dataclasses import replace

    report = replace(sample_digest.reports[0], title="标题\x07响铃", sections=sample_digest.reports[0].sections)
    report.id = sample_digest.reports[0].id
    r = renderer()
    page = r.report_page(report, "x.txt").data.decode()
    assert "# 标题\ufffd响铃\n" in page and 'title: "标题\ufffd响铃"' in page
    assert [d.message for d in r.diagnostics] == ["md: 1 control character Markdown cannot carry replaced by U+FFFD"]


def test_formats_and_audiences_list_md(cli):
    assert "md" in cli("formats").stdout.split()
    assert "formats: md;" in cli("audiences").stdout


_ZONES = st.one_of(st.none(), st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m))))


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=_ZONES))
def test_times_show_seconds_only_when_there_are_some(when):
    """Pages show the wall-clock time: minutes, seconds if any, never a fraction or a zone."""
    spec = "seconds" if when.second else "minutes"
    assert format_time(when) == when.replace(tzinfo=None).isoformat(" ", spec)
