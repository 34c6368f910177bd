"""Segments: every translatable text of the model, with ids that stay put."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.i18n.segments import (
    HEADING,
    INSTITUTION,
    TEXT,
    TITLE,
    Segment,
    digest_segments,
    label_segments,
    segment_id,
)
from publisher.readers.digest import read_text
from publisher.readers.source import decode


def _read(text: str):
    return read_text(decode(text.encode("utf-8"), "d.txt"))


def test_sample_segments_cover_titles_institutions_headings_and_blocks(sample_digest):
    table = digest_segments(sample_digest)
    by_context = {}
    for segment in table:
        by_context.setdefault(segment.context, []).append(segment.text)
    assert len(by_context[TITLE]) == 10
    assert set(by_context[INSTITUTION]) == {r.institution for r in sample_digest.reports}
    assert "报告核心观点" in by_context[HEADING]
    blocks = [b.text for r in sample_digest.reports for _, b in r.blocks()]
    assert set(by_context[TEXT]) == set(blocks)
    # Latin-only headings need no translation and are not segments.
    assert "DeepSeek V2" not in by_context[HEADING] and "Qwen 2.5" not in by_context[HEADING]


def test_same_text_in_same_place_is_one_segment(sample_digest):
    table = digest_segments(sample_digest)
    summary = Segment(HEADING, "报告核心观点")
    assert summary in table
    assert len(table.occurrences[summary]) == 8  # one entry, eight occurrences
    # the same text as a title would be another segment
    assert segment_id(HEADING, "市场回顾") != segment_id(TITLE, "市场回顾")
    assert Segment(HEADING, "市场回顾").id == segment_id(HEADING, "市场回顾")


def test_ids_do_not_depend_on_where_a_report_stands(sample_path):
    text = sample_path.read_text(encoding="utf-8")
    lines = text.split("\n")
    head, body = lines[:1], lines[1:31]  # ten reports of three lines each
    reports = [body[i : i + 3] for i in range(0, 30, 3)]
    random.Random(7).shuffle(reports)
    shuffled = "\n".join(head + [line for r in reports for line in r] + lines[31:])
    ids = {s.id for s in digest_segments(_read(text))}
    assert ids == {s.id for s in digest_segments(_read(shuffled))}


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40), st.sampled_from([TITLE, HEADING, TEXT, INSTITUTION]))
def test_segment_id_is_a_function_of_context_and_text(text, context):
    sid = segment_id(context, text)
    assert sid == Segment(context, text).id and len(sid) == 12
    assert sid != segment_id(context, text + "。")


def test_roles_limit_the_segments(sample_digest):
    only_summary = digest_segments(sample_digest, roles=["summary"])
    assert all(s.context != HEADING or s.text in {"报告核心观点", "核心观点", "报告的核心观点"} for s in only_summary)


def test_labels_are_segments_in_key_order():
    labels = label_segments({"b": "目录", "a": "显示", "c": "Contents"})
    assert [s.text for s in labels] == ["显示", "目录"]
