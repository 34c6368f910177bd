"""The canonical model: stable ids, safe slugs, JSON and its schema."""

from __future__ import annotations

import re
from datetime import datetime

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.model import Digest, Report, assign_ids, load_schema, make_slug, report_id
from publisher.readers.digest import read

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_ids_are_stable_across_runs(sample_path):
    first = [r.id for r in read(str(sample_path)).reports]
    second = [r.id for r in read(str(sample_path)).reports]
    assert first == second
    assert len(set(first)) == 10
    assert first[0] == report_id("海通国际", datetime(2025, 2, 16, 16, 6), "股息增长潜力可期;非常规业务推进信心十足")


def test_id_ignores_surrounding_whitespace_but_not_content():
    t = datetime(2025, 2, 16, 16, 6)
    assert report_id("海通国际", t, "标题") == report_id(" 海通国际 ", t, "标题 ")
    assert report_id("海通国际", t, "标题") != report_id("海通国际", t, "标题2")


def test_slugs_use_pinyin_and_are_unique(sample_digest):
    slugs = [r.slug for r in sample_digest.reports]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.match(s) for s in slugs)
    assert slugs[0].startswith("gu-xi-zeng-zhang-qian-li-ke-qi")
    assert slugs[-1].startswith("deepseek-mo-xing-zong-shu-")


def test_repeated_report_gets_distinct_id_and_slug():
    t = datetime(2025, 2, 16, 16, 6)
    digest = Digest("x.txt", [Report("同一标题", "海通国际", t), Report("同一标题", "海通国际", t)])
    assign_ids(digest)
    a, b = digest.reports
    assert a.id != b.id and b.id.endswith("-2")
    assert a.slug != b.slug


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_title_gives_a_safe_slug(title):
    slug = make_slug(title, "0123456789ab")
    assert SLUG.match(slug)
    assert len(slug) <= 80
    assert not re.match(r"^(con|prn|aux|nul|com\d|lpt\d)$", slug)


def test_hostile_titles():
    for title in ("../../etc/passwd", "CON", "", "   ", "a/b\\c", "x" * 300, "<script>"):
        slug = make_slug(title, "0123456789ab")
        assert SLUG.match(slug) and "/" not in slug and ".." not in slug and len(slug) <= 80, title
    assert make_slug("", "0123456789ab") == "report-01234567"


def test_schema_is_valid_and_versioned(sample_digest):
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = sample_digest.to_json()
    assert data["version"] == 2
    jsonschema.validate(data, schema)


def test_json_rejects_other_versions():
    import pytest

    with pytest.raises(ValueError, match="unsupported model version"):
        Digest.from_json({"version": 99, "reports": []})


def test_marked_text_puts_citations_back(sample_digest):
    block = sample_digest.reports[1].sections[0].blocks[0]
    assert block.marked_text().endswith(" [1][12]")
    assert block.marked_text("<{ref}>").endswith("<1><12>")
