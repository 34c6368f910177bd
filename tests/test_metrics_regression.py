"""The ``metrics`` transform gives exactly the stored metrics (every field) on a fixed corpus.

The fixture (``tests/fixtures/metrics-regression.json.xz``, built by ``tests/metrics_corpus.py``
with the rules as they were before the transform was made faster) holds the sample digest, the
gold digests, an English digest, generated corpora and Hypothesis-generated digests and texts,
with every metric found in them.  A speed-up must not move a single subject, period or column.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from metrics_corpus import FIELDS, digest_records, load, read_digest, record

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
    "english",
    "make_digest(300)",
    "make_digest(100, unique=True)",
    "roundtrip",
    "dense",
]


def test_fixture_has_every_field_and_group(stored):
    assert stored["fields"] == FIELDS, "Metric fields changed: regenerate with python tests/metrics_corpus.py"
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
