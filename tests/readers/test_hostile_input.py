"""Hostile and broken input for the readers: a model or positioned errors, never
a traceback, a hang or super-linear time."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText
from publisher.writers.digest import digest_text

HEADER = "标题\n海通国际· 2025-02-16 16:06\n"
NASTY = [
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ufffe",
    "\uffff",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "&copy;",
    "&#x3c;",
    "[1]: http://x",
    "[a](b)",
    "![i](j)",
    "{{ 7*7 }}",
    "{% for x in y %}",
    "{#",
    "../../etc/passwd",
    "CON",
    " - ",
    "[",
    "]",
    "·",
    "报告核心观点",
    "\t",
    "\r",
    "\u3000",
    "%",
    "·2025-02-16 16:06",
]

nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=20)), max_size=30).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nasty_text)
def test_any_body_is_read_and_written_back(body):
    text = HEADER + body
    diags = Diagnostics()
    digest = read_text(SourceText("hostile.txt", text), diags)
    assert digest_text(digest) == text
    for d in diags:
        assert d.line >= 1 and d.column >= 1
    json.dumps(digest.to_json(), ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=40)), max_size=12).map("\n".join))
def test_any_lines_are_read_and_written_back(text):
    digest = read_text(SourceText("hostile.txt", text), Diagnostics())
    assert digest_text(digest) == text


def _seconds(text: str) -> float:
    """CPU seconds of this process: other jobs on a busy machine do not count."""
    start = time.process_time()
    digest = read_text(SourceText("big.txt", text), Diagnostics())
    elapsed = time.process_time() - start
    assert digest_text(digest) == text
    return elapsed


def test_long_lines_parse_in_linear_time():
    """Four times the text takes about four times as long, not sixteen (no regex blow-up)."""
    shapes = {
        "spaces": " ",
        "dashes": " - ",
        "marks": "[1]",
        "unterminated": "[12345",
        "words": "GPT - 4 ",
        "cjk": "市场",
        "dots": "a·",
        "bullets": " - 文字 [1]",
        "heading-like": "市场回顾 指数 ",
    }
    for name, unit in shapes.items():
        small = HEADER + "报告核心观点 - " + unit * (250_000 // len(unit))
        large = HEADER + "报告核心观点 - " + unit * (1_000_000 // len(unit))
        t_small = min(_seconds(small) for _ in range(3))
        t_large = min(_seconds(large) for _ in range(3))
        assert t_large < 10.0, (name, t_large)  # a hang guard, not a speed goal
        assert t_large < 8 * t_small + 0.05, (name, t_small, t_large)


def test_a_hundred_thousand_bullets():
    body = "报告核心观点" + "".join(f" - 第{k}条要点 [{k % 50 + 1}]" for k in range(100_000))
    digest = read_text(SourceText("many.txt", HEADER + body), Diagnostics())
    assert len(digest.reports[0].sections[0].blocks) == 100_000


def test_deeply_nested_json_is_an_error(tmp_path, cli):
    section = '{"heading": "h", "level": 1, "role": "body", "children": ['
    depth = 5000
    sections = section * depth + "]}" * depth
    text = (
        '{"version": 1, "source": "x", "reports": [{"id": "000000000000", "title": "t", "institution": "i",'
        f' "published_at": "2025-02-16T16:06", "sections": [{sections}]}}]}}'
    )
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    result = cli("check", str(path))
    assert result.returncode == 1
    assert f"{path}:1:1: error:" in result.stdout and "nested too deeply" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@given(st.lists(st.text(max_size=40), max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_a_digest_is_hashed_line_by_line_as_one_text(lines, newline):
    """The digest's hash reads its lines one by one (a 48 MB file was copied twice to hash it)."""
    from publisher.readers.digest import _hash, _hash_lines

    assert _hash_lines(lines, newline, "False", "utf-8") == _hash("\n".join(lines), newline, "False", "utf-8")
