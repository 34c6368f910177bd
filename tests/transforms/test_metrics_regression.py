"""The ``metrics`` transform gives exactly the stored metrics (every field) on a fixed corpus.

The fixture (``tests/fixtures/metrics-regression.json.xz``, built by ``tests/support/metrics_corpus.py``
with the rules as they were before the transform was made faster) holds the sample digest, the
gold digests, an English digest, generated corpora and Hypothesis-generated digests and texts,
with every metric found in them.  A speed-up must not move a single subject, period or column.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from typing import Any

import pytest
from support.linear_time import assert_linear
from support.metrics_corpus import FIELDS, digest_records, load, read_digest, record

from publisher.transforms.metrics import extract, metrics


@pytest.fixture(scope="module")
def stored() -> dict[str, Any]:
    return load()


def _group(name: str) -> str:
    return name.split("/")[0] if "/" in name and not name.startswith("gold/") else name


def _first_difference(got: list[list[Any]], want: list[list[Any]]) -> str:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            fields = {FIELDS[k]: (w[k], g[k]) for k in range(len(FIELDS)) if g[k] != w[k]}
            return f"metric {i} ({w[FIELDS.index('text')]!r}): stored → now {fields}"
    return f"{len(want)} metrics stored, {len(got)} found now"


GROUPS = [
    "sample",
    "gold/fresh-digest.txt",
    "gold/heldout-digest.txt",
    "gold/unseen-digest.txt",
    "gold/unseen2-digest.txt",
    "english",
    "make_digest(300)",
    "make_digest(100, unique=True)",
    "roundtrip",
    "dense",
]


def test_fixture_has_every_field_and_group(stored):
    assert stored["fields"] == FIELDS, "Metric fields changed: regenerate with python tests/support/metrics_corpus.py"
    groups = defaultdict(int)
    for d in stored["digests"]:
        groups[_group(d["name"])] += len(d["metrics"])
    assert set(groups) == set(GROUPS)
    assert all(count > 0 for count in groups.values()), groups
    assert groups["make_digest(300)"] == 300 * 19  # the sample's ten reports hold 190 figures
    assert len(stored["texts"]) == 400 and sum(len(t["metrics"]) for t in stored["texts"]) > 1000


@pytest.mark.parametrize("group", GROUPS)
def test_digests_give_the_stored_metrics(stored, group):
    cases = [d for d in stored["digests"] if _group(d["name"]) == group]
    assert cases
    for case in cases:
        got = digest_records(metrics(read_digest(case["name"], case["text"])))
        assert got == case["metrics"], f"{case['name']}: {_first_difference(got, case['metrics'])}"


def test_texts_give_the_stored_metrics(stored):
    for case in stored["texts"]:
        got = [record(m) for m in extract(case["text"])]
        assert got == case["metrics"], f"{case['text'][:80]!r}: {_first_difference(got, case['metrics'])}"


#: Text shapes aimed at the quick patterns that say where a number, a date, a year or an English
#: period can start (a pattern that may match inside a run of digits would make them quadratic).
SCANNING = {
    "a run of digits before 月": lambda n: "1" * (n - 1) + "月",
    "a run of digits before a capital": lambda n: "1" * (n - 2) + " Q",
    "years run together": lambda n: "2019" * (n // 4),
    "capitals that start periods": lambda n: "JQ1FYH1" * (n // 7),
    "years after English words": lambda n: "in 2019 " * (n // 8),
    "thousands and decimals": lambda n: "1,000.5," * (n // 8),
}


@pytest.mark.parametrize("shape", sorted(SCANNING))
def test_scanning_stays_linear(shape):
    assert_linear(extract, SCANNING[shape], 50_000, shape)


def test_the_collector_is_left_as_it_was(sample_path):
    """The transform pauses the cyclic garbage collector while it runs, and only then."""
    text = sample_path.read_text(encoding="utf-8")
    assert gc.isenabled()
    metrics(read_digest("sample", text))
    assert gc.isenabled()
    gc.disable()
    try:
        metrics(read_digest("sample", text))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_metrics_are_the_same_when_built_with_keywords(stored, monkeypatch):
    """A model whose Metric orders its fields otherwise gets keyword arguments: same metrics."""
    from publisher.transforms import metrics as module

    case = next(d for d in stored["digests"] if d["name"] == "sample")
    monkeypatch.setattr(module, "_POSITIONAL", False)
    assert digest_records(metrics(read_digest("sample", case["text"]))) == case["metrics"]


@pytest.mark.parametrize("group", GROUPS)
def test_packed_metrics_are_the_same(stored, group, monkeypatch):
    """A huge report keeps its metrics packed (``PACK_BLOCKS``): every field reads back the same,
    the company written into subjects of a report about several included."""
    import pickle

    from publisher.model import PackedMetrics
    from publisher.transforms import metrics as module

    monkeypatch.setattr(module, "PACK_BLOCKS", 0)
    for case in (d for d in stored["digests"] if _group(d["name"]) == group):
        digest = metrics(read_digest(case["name"], case["text"]))
        packed = [b.metrics for r in digest.reports for _, b in r.blocks() if b.metrics]
        assert all(isinstance(m, PackedMetrics) for m in packed)
        assert digest_records(digest) == case["metrics"], case["name"]
        assert pickle.loads(pickle.dumps(packed)) == [list(m) for m in packed]
