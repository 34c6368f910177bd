"""Quality of the metric extractor, measured against hand-labelled gold figures.

``tests/gold/*.tsv`` list every figure of some reports (value, unit, subject), labelled by hand
(rules in ``tests/gold/README.md``).  Extracted and gold figures are paired per report by
(value, unit) in document order; precision and recall count the pairs, subject accuracy is the
share of pairs whose subject is one of the gold alternatives (spaces ignored).  Gold files with the
optional ``change`` and ``year`` columns also score the sign of the change and the year (with its
``A``/``E`` flag) of the matched figures.

``python tests/transforms/test_metrics_gold.py [--totals] [SET ...]`` prints the scores (and, without
``--totals``, every miss): the way a set's first run is taken without reading its misses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from publisher.readers.digest import read
from publisher.transforms.metrics import metrics

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "gold"

#: set → [(gold file, digest it labels)]
SETS = {
    "sample": [(GOLD / "metrics-sample.tsv", ROOT / "examples" / "research-digest-2025-02-16.txt")],
    "heldout": [(GOLD / "metrics-heldout.tsv", GOLD / "heldout-digest.txt")],
    "fresh": [(GOLD / "metrics-fresh.tsv", GOLD / "fresh-digest.txt")],
    "unseen": [(GOLD / "metrics-unseen.tsv", GOLD / "unseen-digest.txt")],
    "unseen2": [(GOLD / "metrics-unseen2.tsv", GOLD / "unseen2-digest.txt")],
    # real public digests (tests/gold/README.md, "Real digests: the blind protocol")
    "real-a": [(GOLD / "metrics-real-a.tsv", GOLD / "real-a-digest.txt")],
    "real-b": [(GOLD / "metrics-real-b.tsv", GOLD / "real-b-digest.txt")],
    "real-final": [
        (GOLD / "metrics-real-final-c.tsv", GOLD / "real-final-c-digest.txt"),
        (GOLD / "metrics-real-final-d.tsv", GOLD / "real-final-d-digest.txt"),
    ],
    "real-final2": [
        (GOLD / "metrics-real-final2-e.tsv", GOLD / "real-final2-e-digest.txt"),
        (GOLD / "metrics-real-final2-f.tsv", GOLD / "real-final2-f-digest.txt"),
    ],
    "real-final3": [
        (GOLD / "metrics-real-final3-g.tsv", GOLD / "real-final3-g-digest.txt"),
        (GOLD / "metrics-real-final3-h.tsv", GOLD / "real-final3-h-digest.txt"),
    ],
    "real-final4": [
        (GOLD / "metrics-real-final4-i.tsv", GOLD / "real-final4-i-digest.txt"),
        (GOLD / "metrics-real-final4-j.tsv", GOLD / "real-final4-j-digest.txt"),
    ],
    "real-final5": [
        (GOLD / "metrics-real-final5-k.tsv", GOLD / "real-final5-k-digest.txt"),
        (GOLD / "metrics-real-final5-l.tsv", GOLD / "real-final5-l-digest.txt"),
    ],
    "real-final6": [
        (GOLD / "metrics-real-final6-m.tsv", GOLD / "real-final6-m-digest.txt"),
        (GOLD / "metrics-real-final6-n.tsv", GOLD / "real-final6-n-digest.txt"),
    ],
    "real-final7": [
        (GOLD / "metrics-real-final7-o.tsv", GOLD / "real-final7-o-digest.txt"),
        (GOLD / "metrics-real-final7-p.tsv", GOLD / "real-final7-p-digest.txt"),
    ],
    "real-final8": [
        (GOLD / "metrics-real-final8-q.tsv", GOLD / "real-final8-q-digest.txt"),
        (GOLD / "metrics-real-final8-r.tsv", GOLD / "real-final8-r-digest.txt"),
    ],
    "real-final9": [
        (GOLD / "metrics-real-final9-s.tsv", GOLD / "real-final9-s-digest.txt"),
        (GOLD / "metrics-real-final9-t.tsv", GOLD / "real-final9-t-digest.txt"),
    ],
    "real-final10": [
        (GOLD / "metrics-real-final10-u.tsv", GOLD / "real-final10-u-digest.txt"),
        (GOLD / "metrics-real-final10-v.tsv", GOLD / "real-final10-v-digest.txt"),
    ],
    "real-final11": [
        (GOLD / "metrics-real-final11-w.tsv", GOLD / "real-final11-w-digest.txt"),
        (GOLD / "metrics-real-final11-x.tsv", GOLD / "real-final11-x-digest.txt"),
    ],
    "real-final12": [
        (GOLD / "metrics-real-final12-y.tsv", GOLD / "real-final12-y-digest.txt"),
        (GOLD / "metrics-real-final12-z.tsv", GOLD / "real-final12-z-digest.txt"),
    ],
    "real-final13": [
        (GOLD / "metrics-real-final13-a.tsv", GOLD / "real-final13-a-digest.txt"),
        (GOLD / "metrics-real-final13-b.tsv", GOLD / "real-final13-b-digest.txt"),
    ],
    "real-final14": [
        (GOLD / "metrics-real-final14-a.tsv", GOLD / "real-final14-a-digest.txt"),
        (GOLD / "metrics-real-final14-b.tsv", GOLD / "real-final14-b-digest.txt"),
        (GOLD / "metrics-real-final14-c.tsv", GOLD / "real-final14-c-digest.txt"),
    ],
    "real-final15": [
        (GOLD / "metrics-real-final15-a.tsv", GOLD / "real-final15-a-digest.txt"),
        (GOLD / "metrics-real-final15-b.tsv", GOLD / "real-final15-b-digest.txt"),
    ],
    "real-final16": [
        (GOLD / "metrics-real-final16-a.tsv", GOLD / "real-final16-a-digest.txt"),
        (GOLD / "metrics-real-final16-b.tsv", GOLD / "real-final16-b-digest.txt"),
    ],
    "real-final17": [
        (GOLD / "metrics-real-final17-a.tsv", GOLD / "real-final17-a-digest.txt"),
        (GOLD / "metrics-real-final17-b.tsv", GOLD / "real-final17-b-digest.txt"),
    ],
    "real-final18": [
        (GOLD / "metrics-real-final18-a.tsv", GOLD / "real-final18-a-digest.txt"),
        (GOLD / "metrics-real-final18-b.tsv", GOLD / "real-final18-b-digest.txt"),
    ],
    "real-final19": [
        (GOLD / "metrics-real-final19-a.tsv", GOLD / "real-final19-a-digest.txt"),
        (GOLD / "metrics-real-final19-b.tsv", GOLD / "real-final19-b-digest.txt"),
    ],
}


@dataclass
class GoldFigure:
    value: str
    unit: str
    subjects: list[str]
    context: str
    change: str | None = None  # "+", "-" or "" where the file has the column
    year: str | None = None  # "2025E", "2024", ""


def load_gold(path: Path) -> dict[str, list[GoldFigure]]:
    reports: dict[str, list[GoldFigure]] = {}
    current: list[GoldFigure] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = reports.setdefault(line[3:].strip(), [])
        elif line.strip() and not line.startswith("#"):
            cells = line.split("\t")
            value, unit, subjects, context = (cells + [""] * 4)[:4]
            change = cells[4].strip() if len(cells) > 4 else None
            year = cells[5].strip() if len(cells) > 5 else ("" if change is not None else None)
            assert current is not None, f"{path}: figure before any report: {line!r}"
            current.append(GoldFigure(value, unit, subjects.split("|"), context, change, year))
    return reports


def _key_value(text: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(part) for part in text.split("~"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass
class Score:
    gold: int = 0
    found: int = 0
    matched: int = 0
    subjects: int = 0
    changes: int = 0  # matched figures whose gold has a change column ...
    changes_right: int = 0  # ... and whose sign of change is right
    years: int = 0
    years_right: int = 0
    misses: list[str] | None = None
    extras: list[str] | None = None
    wrong_subjects: list[str] | None = None
    wrong_changes: list[str] = field(default_factory=list)
    wrong_years: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def subject_accuracy(self) -> float:
        return self.subjects / self.matched if self.matched else 1.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.matched}/{self.found}), recall {self.recall:.3f} "
            f"({self.matched}/{self.gold}), subject {self.subject_accuracy:.3f} ({self.subjects}/{self.matched})"
            + (
                f", change {self.changes_right / self.changes:.3f} ({self.changes_right}/{self.changes})"
                f", year {self.years_right / self.years:.3f} ({self.years_right}/{self.years})"
                if self.changes and self.years
                else ""
            )
        )


def _change_sign(metric: object) -> str:
    change = getattr(metric, "change", None)
    return "" if change is None else ("-" if str(change).startswith("-") else "+")


def _year(metric: object) -> str:
    year = getattr(metric, "year", None)
    return "" if year is None else f"{year}{getattr(metric, 'estimate', '')}"


def score(name: str) -> Score:
    result = Score(misses=[], extras=[], wrong_subjects=[])
    for gold_path, digest_path in SETS[name]:
        _score_file(gold_path, digest_path, result)
    return result


def _score_file(gold_path: Path, digest_path: Path, result: Score) -> None:
    gold = load_gold(gold_path)
    digest = metrics(read(str(digest_path)))
    by_title = {r.title: r for r in digest.reports}
    assert result.misses is not None and result.extras is not None and result.wrong_subjects is not None
    for title, figures in gold.items():
        assert title in by_title, f"{gold_path.name}: no report titled {title!r}"
        report = by_title[title]
        found = [m for _, _, m in report.metrics()]
        want: dict[tuple, list[GoldFigure]] = defaultdict(list)
        for g in figures:
            want[(_key_value(g.value), g.unit)].append(g)
        got: dict[tuple, list] = defaultdict(list)
        for m in found:
            value = m.value if m.value is not None else f"{m.low}~{m.high}"
            got[(_key_value(value), m.unit)].append(m)
        result.gold += len(figures)
        result.found += len(found)
        for key in want.keys() | got.keys():
            pairs = list(zip(want.get(key, []), got.get(key, []), strict=False))
            result.matched += len(pairs)
            for g, m in pairs:
                if _squash(m.subject) in {_squash(s) for s in g.subjects}:
                    result.subjects += 1
                else:
                    result.wrong_subjects.append(f"{g.value}{g.unit}: {m.subject!r} (want {'|'.join(g.subjects)})")
                if g.change is not None:
                    result.changes += 1
                    if _change_sign(m) == g.change:
                        result.changes_right += 1
                    else:
                        result.wrong_changes.append(
                            f"{g.value}{g.unit} ({g.context}): {_change_sign(m)!r}, want {g.change!r}"
                        )
                if g.year is not None:
                    result.years += 1
                    if _year(m) == g.year:
                        result.years_right += 1
                    else:
                        result.wrong_years.append(f"{g.value}{g.unit} ({g.context}): {_year(m)!r}, want {g.year!r}")
            for g in want.get(key, [])[len(pairs) :]:
                result.misses.append(f"{title[:12]}: {g.value} {g.unit} ({g.context})")
            for m in got.get(key, [])[len(pairs) :]:
                result.extras.append(f"{title[:12]}: {m.text!r} → {m.value} {m.unit!r} [{m.subject}]")


# Lower bounds: the goal the project set (precision ≥ 0.95, recall ≥ 0.90, subject ≥ 0.80).
BOUNDS = {
    "sample": (0.95, 0.90, 0.80),
    "heldout": (0.95, 0.90, 0.80),
    "fresh": (0.95, 0.90, 0.80),
    # First run on text the rules had not seen: precision 0.945, recall 0.915, subject 0.640.
    "unseen": (0.95, 0.90, 0.80),
    # First run on text the rules had not seen: precision 0.980, recall 0.924, subject 0.649.
    "unseen2": (0.95, 0.90, 0.80),
    # Real digests (first runs in tests/gold/README.md); bounds just under what the rules reach now,
    # so that a change that loses figures on real text fails.
    "real-a": (0.99, 0.97, 0.93),  # first run 0.988, 0.946, 0.661
    "real-b": (0.98, 0.96, 0.81),  # first run 0.995, 0.973, 0.414
    "real-final": (0.98, 0.96, 0.83),  # first run 0.931, 0.863, 0.669
    "real-final2": (0.98, 0.97, 0.83),  # first run 0.959, 0.948, 0.706
    "real-final3": (0.98, 0.97, 0.82),  # first run 0.984, 0.946, 0.744
    "real-final4": (0.98, 0.97, 0.82),  # first run 0.983, 0.977, 0.792
    "real-final5": (0.96, 0.96, 0.76),  # first run 0.907, 0.950, 0.636
    "real-final6": (0.95, 0.96, 0.75),  # first run 0.958, 0.967, 0.758: not tuned on
    "real-final7": (0.96, 0.97, 0.76),  # first run 0.964, 0.974, 0.771: not tuned on
    "real-final8": (0.94, 0.94, 0.74),  # first run 0.943, 0.946, 0.746: not tuned on
    "real-final9": (0.99, 0.98, 0.70),  # first run 0.994, 0.982, 0.712: not tuned on
    "real-final10": (0.97, 0.99, 0.70),  # first run 0.978, 0.990, 0.705; one fix since
    "real-final11": (0.98, 0.97, 0.88),  # first run 0.940, 0.846, 0.823; fixes since
    "real-final12": (0.96, 0.97, 0.80),  # first run 0.964, 0.970, 0.689; fixes since
    "real-final13": (0.99, 0.98, 0.79),  # first run 0.996, 0.937, 0.787; fixes since
    "real-final14": (0.99, 0.96, 0.81),  # first run 0.992, 0.925, 0.640; fixes since
    "real-final15": (0.98, 0.98, 0.81),  # first run 0.918, 0.931, 0.821; fixes since
    "real-final16": (0.96, 0.98, 0.74),  # first run 0.964, 0.981, 0.672; fixes since
    "real-final17": (0.96, 0.96, 0.87),  # first run 0.955, 0.914, 0.768; fixes since
    "real-final18": (0.95, 0.95, 0.80),  # first run 0.958, 0.952, 0.774 (the session's last set); fixes since
    "real-final19": (0.99, 0.99, 0.81),  # first run 0.980, 0.977, 0.728 (a later session's untouched set); fixes since
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_quality_on_gold(name):
    result = score(name)
    precision, recall, subject = BOUNDS[name]
    detail = f"{name}: {result}\nmissed: {result.misses}\nextra: {result.extras}\nsubjects: {result.wrong_subjects}"
    assert result.precision >= precision, detail
    assert result.recall >= recall, detail
    assert result.subject_accuracy >= subject, detail


def test_gold_files_are_well_formed():
    for gold_path, _ in (pair for pairs in SETS.values() for pair in pairs):
        for figures in load_gold(gold_path).values():
            for g in figures:
                _key_value(g.value)
                assert g.subjects and all(s.strip() for s in g.subjects), g


if __name__ == "__main__":  # python tests/transforms/test_metrics_gold.py: print the figures and what differs
    import sys

    totals = "--totals" in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or sorted(SETS)
    for set_name in names:
        r = score(set_name)
        print(f"{set_name}: {r}")
        if totals:
            continue
        for label, items in (
            ("missed", r.misses),
            ("extra", r.extras),
            ("subject", r.wrong_subjects),
            ("change", r.wrong_changes),
            ("year", r.wrong_years),
        ):
            for item in items or ():
                print(f"  {label}: {item}")
