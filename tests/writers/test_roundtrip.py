"""Lossless round trip: digest text → model → digest text gives the input back.

Checked on the sample, on generated digests built from the feed's tricky
shapes, on arbitrary text, and through the JSON form of the model.
"""

from __future__ import annotations

import json

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.digest_strategies import digest_file

from publisher.diagnostics import Diagnostics
from publisher.model import Digest, load_schema
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText, decode, encode
from publisher.writers.digest import digest_text

SCHEMA = load_schema()


def roundtrip(text: str) -> Digest:
    digest = read_text(SourceText("gen.txt", text), Diagnostics())
    assert digest_text(digest) == text
    return digest


def test_sample_roundtrips_exactly(sample_path):
    data = sample_path.read_bytes()
    digest = read_text(decode(data, str(sample_path)))
    assert encode(digest_text(digest), digest.encoding, digest.bom, digest.newline) == data


def test_sample_roundtrips_through_json(sample_digest, sample_path):
    payload = json.loads(json.dumps(sample_digest.to_json(), ensure_ascii=False))
    jsonschema.validate(payload, SCHEMA)
    again = Digest.from_json(payload)
    assert digest_text(again) == sample_path.read_text(encoding="utf-8")
    assert again.to_json() == sample_digest.to_json()


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digest_file())
def test_generated_digests_roundtrip(text):
    digest = roundtrip(text)
    assert digest.reports or digest.skipped
    again = Digest.from_json(json.loads(digest.dumps()))
    assert digest_text(again) == text


@settings(max_examples=200, deadline=None)
@given(digest_file())
def test_generated_models_match_the_schema(text):
    digest = read_text(SourceText("gen.txt", text), Diagnostics())
    jsonschema.validate(digest.to_json(), SCHEMA)


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_any_text_roundtrips(text):
    roundtrip(text)


@settings(max_examples=200, deadline=None)
@given(digest_file(), st.booleans(), st.booleans())
def test_bytes_roundtrip_with_bom_and_crlf(text, bom, crlf):
    data = encode(text, "utf-8", bom, "\r\n" if crlf else "\n")
    source = decode(data, "gen.txt")
    digest = read_text(source)
    assert encode(digest_text(digest), digest.encoding, digest.bom, digest.newline) == data


def test_generated_bullets_keep_in_text_dashes():
    text = "T\n海通国际· 2025-02-16 16:06\n报告核心观点 - 未来五年(24 - 28财年)每股股息 [2] 点评 - GPT - 4 发布 [3]"
    digest = roundtrip(text)
    sections = digest.reports[0].sections
    assert [s.heading for s in sections] == ["报告核心观点", "点评"]
    assert sections[0].blocks[0].text == "未来五年(24 - 28财年)每股股息"
    assert sections[1].blocks[0].text == "GPT - 4 发布"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digest_file())
def test_a_lazy_read_gives_the_same_model_and_messages(text):
    """Deferred bodies (what a build reads) give the eager model and, once parsed, the same messages."""
    eager, lazy = Diagnostics(), Diagnostics()
    a = read_text(SourceText("gen.txt", text), eager)
    b = read_text(SourceText("gen.txt", text), lazy, lazy=True)
    assert digest_text(b) == text
    assert b.to_json() == a.to_json()
    assert sorted(map(str, lazy)) == sorted(map(str, eager))
