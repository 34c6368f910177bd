"""The Markdown reader: hand-written notes, the writer's own pages, and positioned errors."""

from __future__ import annotations

import textwrap
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import registry
from publisher.diagnostics import Diagnostics, InputError
from publisher.model import BULLET, PARAGRAPH, RAW, Pos
from publisher.readers.markdown import MarkdownReader, read_text
from publisher.readers.source import decode


def parse(text: str, name: str = "note.md"):
    diagnostics = Diagnostics()
    digest = read_text(decode(textwrap.dedent(text).lstrip("\n").encode("utf-8"), name), diagnostics)
    return digest, diagnostics


def error_of(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse(text)
    return str(info.value)


NOTE = """
    ---
    institution: 华源证券
    published: 2025-02-16 15:12
    tags: [北交所, weekly]
    ---
    # 北交所周观察：北证 50 *涨幅*超 18%

    ## 报告核心观点

    北证 50 指数涨幅超 18.6%，TMT
    行业领涨 [3][9]

    ## 周专题

    ### 二级市场

    - 1 月北证 50 指数涨 **1.95%** [9]
    - 成交额 2336 亿元<sup>[18]</sup>
    - 这不是引用 \\[21\\]，这是 [21]

    #### 细节

    1. 有序列表也算要点 [22]

    ## 风险提示

    ```
    原样保留 [30]
    ```
    """


def test_a_hand_written_note():
    digest, diagnostics = parse(NOTE)
    assert diagnostics.items == []
    (report,) = digest.reports
    assert report.title == "北交所周观察：北证 50 涨幅超 18%"
    assert report.institution == "华源证券"
    assert report.published_at == datetime(2025, 2, 16, 15, 12)
    assert report.language == "zh" and len(report.id) == 12
    summary, special, risk = report.sections
    assert (summary.heading, summary.role, summary.level) == ("报告核心观点", "summary", 1)
    (para,) = summary.blocks
    assert para.kind == PARAGRAPH and para.text == "北证 50 指数涨幅超 18.6%，TMT 行业领涨"
    assert [(c.ref, c.offset, c.sep) for c in para.citations] == [(3, len(para.text), " "), (9, len(para.text), "")]
    assert para.pos.line == 10 and para.citations[0].pos.line == 11
    (market,) = special.children
    assert (market.heading, market.level, market.role) == ("二级市场", 2, "body")
    assert [b.kind for b in market.blocks] == [BULLET] * 3
    assert market.blocks[0].text == "1 月北证 50 指数涨 1.95%"
    assert market.blocks[1].refs == [18] and market.blocks[1].text == "成交额 2336 亿元"
    assert market.blocks[2].text == "这不是引用 [21]，这是" and market.blocks[2].refs == [21]
    assert market.blocks[2].citations[0].pos == Pos(19, 19)
    (detail,) = market.children
    assert detail.level == 3 and detail.blocks[0].text == "有序列表也算要点" and detail.blocks[0].refs == [22]
    assert risk.role == "risk" and risk.blocks[0].kind == RAW
    assert risk.blocks[0].text == "原样保留" and risk.blocks[0].refs == [30]
    assert digest.title == "Research digest 2025-02-16"


def test_a_note_without_front_matter_uses_its_metadata_line():
    digest, diagnostics = parse(
        """
        # DeepSeek 模型综述

        > 肯特州立大学 · 2025-02-14 17:52 · 来源：邮件

        - 开源模型 [1]
        """
    )
    (report,) = digest.reports
    assert (report.title, report.institution, report.published_at) == (
        "DeepSeek 模型综述",
        "肯特州立大学",
        datetime(2025, 2, 14, 17, 52),
    )
    (section,) = report.sections
    assert section.heading == "" and section.blocks[0].text == "开源模型"
    assert diagnostics.items == []


def test_front_matter_title_and_a_different_h1_section():
    digest, _ = parse(
        """
        ---
        title: "周报: 第 3 期"
        institution: 'A&amp;B 证券'
        date: 2025-02-16T09:30:00+08:00
        roles: [summary, risk]
        ---
        # 核心
        - a
        # 尾声
        - b
        """
    )
    (report,) = digest.reports
    assert report.title == "周报: 第 3 期" and report.institution == "A&B 证券"
    assert report.published_at == datetime(2025, 2, 16, 9, 30)
    assert [(s.heading, s.role) for s in report.sections] == [("核心", "summary"), ("尾声", "risk")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: [unclosed\npublished: 2025-02-16 10:00\n---\n# x\n", "note.md:3:10: error: invalid YAML"),
        ("---\ntitle: x\npublished: 2025-02-30 10:00\n---\n", "note.md:3:12: error: front matter: invalid published"),
        ("---\ntitle: x\n---\n## 核心观点\n- a\n", "note.md:4:1: error: no publication time"),
        ("---\npublished: 2025-02-16 10:00\n---\n## 核心观点\n- a\n", "note.md:4:1: error: no title"),
        ("---\ntitle: x\npublished: 2025-02-16 10:00\n", "note.md:1:1: error: front matter is not closed"),
        ("---\n- a\n- b\n---\n", "note.md:2:1: error: front matter must be a mapping"),
        ("---\na: &x 1\ntitle: *x\n---\n", "note.md:3:8: error: YAML aliases are not allowed"),
        ("---\ntitle: [a, b]\npublished: 2025-02-16\n---\n", "note.md:2:8: error: front matter: 'title' must be text"),
    ],
)
def test_malformed_pages_give_positioned_errors(text, expected):
    assert error_of(text).startswith(expected)


def test_errors_on_the_command_line(cli, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: x\npublished: yesterday\n---\n# x\n", encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: ok\npublished: 2025-02-16 10:00\ninstitution: 甲\n---\n- a [1]\n", encoding="utf-8")
    result = cli("check", str(bad), str(good))
    assert result.returncode == 1
    assert f"{bad}:3:12: error: front matter: invalid published 'yesterday'" in result.stdout
    assert "1 report read" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_registered_for_md_and_markdown():
    assert "markdown" in registry.names("readers")
    assert isinstance(registry.reader_for("notes/x.md"), MarkdownReader)
    assert isinstance(registry.reader_for("X.MARKDOWN"), MarkdownReader)


def test_notes_flow_through_build(cli, tmp_path):
    note = tmp_path / "note.md"
    note.write_text(textwrap.dedent(NOTE).lstrip("\n"), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", str(note), "-a", "wiki", "-o", str(out))
    assert result.returncode == 0, result.stderr
    pages = sorted(p.relative_to(out / "wiki").as_posix() for p in (out / "wiki").rglob("*.md"))
    assert any(p.startswith("reports/2025-02-16/bei-jiao-suo-zhou-guan-cha") for p in pages)
    again = cli("parse", str(next((out / "wiki" / "reports" / "2025-02-16").glob("bei-*.md"))))
    assert again.returncode == 0 and '"title": "北交所周观察：北证 50 涨幅超 18%"' in again.stdout


_PIECES = st.sampled_from(
    ["---\n", "title: x\n", "published: 2025-02-16 10:00\n", "institution: 甲\n", "# T\n", "## H\n", "### H\n",
     "- b [1]\n", "> q\n", "```\n", "| a | b |\n|---|---|\n", "<div>\n", "key: [\n", "&a\n", "*a\n", ": x\n",
     "\n", "1. x\n", "roles: [risk]\n", "id: ../../x\n", "date: 2025-02-30\n", "\ufeff", "\t", "[^1]: n\n"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=14).map("".join))
def test_any_text_is_a_report_or_a_positioned_error(text):
    try:
        digest, _ = parse(text)
    except InputError as exc:
        assert exc.diagnostic.line >= 1 and exc.diagnostic.file == "note.md"
    else:
        (report,) = digest.reports
        assert report.title and report.id


def test_an_id_that_is_not_a_report_id_is_replaced():
    digest, diagnostics = parse("---\nid: ../../etc\ntitle: x\npublished: 2025-02-16 10:00\n---\n- a\n")
    (report,) = digest.reports
    assert len(report.id) == 12 and "/" not in report.slug
    warnings = [str(d) for d in diagnostics.warnings]
    assert any(w.startswith("note.md:2:5: warning: front matter: id '../../etc' is not a report id") for w in warnings)
