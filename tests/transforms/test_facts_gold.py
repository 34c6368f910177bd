"""Quality of the research facts, measured against facts labelled by hand on real digests.

``tests/gold/facts-real-*.tsv`` give, per report, the companies (name, ticker, exchange), the
rating (grade as written, scale), the action, the target price (value, currency) and the
valuation basis that the text states (rules in ``tests/gold/README.md``).  Forecasts are scored
against the figures of ``tests/gold/metrics-real-*.tsv`` that carry a year and name a forecast
indicator (revenue, net profit, EPS, PE, PB …).

Each kind is scored per report over the reports whose gold states it: a report is right when the
extracted facts say the same (companies: every gold company found, with its ticker, and no
other; rating: the same grades and scales; action: the first rating's action; target price: the
same values and currencies; valuation: every gold basis found).  ``spurious`` counts reports
whose gold states nothing of a kind but the extractor found something.

``python tests/transforms/test_facts_gold.py [SET ...]`` prints the scores and every miss.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from publisher.build import find_facts
from publisher.model import Facts
from publisher.readers.digest import read
from publisher.transforms.facts import facts
from publisher.transforms.metrics import metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_metrics_gold import SETS, load_gold

KINDS = ("company", "rating", "action", "target_price", "valuation", "forecast")

#: The facts sets: the real sets of the figures, and their facts files.
FACT_SETS = {
    name: [(Path(str(gold).replace("metrics-", "facts-")), gold, digest) for gold, digest in files]
    for name, files in SETS.items()
    if name.startswith("real-")
}


@dataclass
class GoldFacts:
    companies: list[tuple[str, str, str]] = field(default_factory=list)
    ratings: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""
    targets: list[tuple[str, str]] = field(default_factory=list)
    valuations: list[str] = field(default_factory=list)


def load_facts(path: Path) -> dict[str, GoldFacts]:
    reports: dict[str, GoldFacts] = {}
    current: GoldFacts | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = reports.setdefault(line[3:].strip(), GoldFacts())
        elif line.strip() and not line.startswith("#"):
            assert current is not None, f"{path}: fact before any report: {line!r}"
            kind, *cells = line.split("\t")
            cells = [c.strip() for c in cells] + [""] * 3
            if kind == "company":
                current.companies.append((cells[0], cells[1], cells[2]))
            elif kind == "rating":
                current.ratings.append((cells[0], cells[1].lower()))
            elif kind == "action":
                current.action = current.action or cells[0]
            elif kind == "target_price":
                current.targets.append((cells[0], cells[1]))
            elif kind == "valuation":
                current.valuations.append(cells[0])
            else:
                raise AssertionError(f"{path}: unknown kind {kind!r}")
    return reports


def _name(text: str) -> str:
    name = re.sub(r"[\s\-－·]|[(（].*?[)）]|股份有限公司$|有限公司$|集团$|,?\s*Inc\.?$|,?\s*Corp\.?$", "", text).lower()
    return re.sub(r"(?<=[\u4e00-\u9fff])(?:sw|w|s|u|b)$", "", name)  # 中通快递-W, 首药控股 - U: a share class


def _code(text: str) -> str:
    code = re.sub(r"[.\s](?:SH|SZ|BJ|SS|HK|O|OQ|N|US)$", "", text.strip(), flags=re.IGNORECASE)
    return code.lstrip("0") if code.isdigit() and len(code) <= 5 else code.upper()


def _grade(text: str) -> str:
    return re.sub(r"[-－][AB]$|[“”\"'‘’\s]", "", text).lower()


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except ArithmeticError:
        return None


def _price_key(text: str) -> tuple[Decimal | None, ...]:
    """A target price, or a range written ``48~52``, as numbers."""
    return tuple(_number(part) for part in text.split("~"))


def _basis(text: str) -> str:
    return (
        re.sub(r"\s|估值法|估值|法$|的", "", text)
        .lower()
        .replace("p/e", "pe")
        .replace("p/b", "pb")
        .replace("市盈率", "pe")
    )


@dataclass
class Score:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    stated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    spurious: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    misses: list[str] = field(default_factory=list)

    def rate(self, kind: str) -> float:
        return self.right[kind] / self.stated[kind] if self.stated[kind] else 1.0

    def line(self, name: str) -> str:
        parts = [
            f"{k} {self.rate(k):.3f} ({self.right[k]}/{self.stated[k]}, spurious {self.spurious[k]})" for k in KINDS
        ]
        return f"{name}: " + "; ".join(parts)

    def tally(self, kind: str, stated: bool, found: bool, right: bool, where: str, detail: str) -> None:
        if stated:
            self.stated[kind] += 1
            self.right[kind] += right
        elif found:
            self.spurious[kind] += 1
        if (stated and not right) or (not stated and found):
            self.misses.append(f"{where}: {kind}: {detail}")


#: The gold figures that are forecasts: a subject ending in one of these words (fixed here, so
#: that a change to the extractor's own indicator rules does not change what is scored).
GOLD_INDICATOR_WORDS = (
    "扣非归母净利润", "扣非净利润", "扣非归母净利", "扣非后归母净利润", "归母净利润", "归母净利", "归属母公司净利润",
    "归属于母公司股东的净利润", "归属母公司股东净利润", "净利润", "净利", "营业总收入", "营业收入", "营收", "收入",
    "总收入", "每股收益", "每股盈利", "EPS", "摊薄EPS", "每股净收益", "市盈率", "PE", "P/E", "市净率", "PB", "P/B",
    "ROE", "净资产收益率", "毛利率", "EBITDA", "revenue", "revenues", "sales", "net profit", "net income", "earnings",
)  # fmt: skip


def _gold_indicator(subject: str) -> bool:
    subject = subject.strip().lower()
    if subject.endswith(("增速", "增长率", "增长", "增幅", "growth")):
        return False
    return subject.endswith(tuple(w.lower() for w in GOLD_INDICATOR_WORDS))


def _score_report(title: str, got: Facts, gold: GoldFacts, figures: list, result: Score) -> None:
    where = title[:30]
    # companies
    want = {(_name(n), _code(t)) for n, t, _ in gold.companies}
    have = {(_name(c.name), _code(c.ticker)) for c in got.companies}
    names_want = {n for n, _ in want}
    names_have = {n for n, _ in have}
    codes_ok = all(not t or (n, t) in have or any(tc == t for _, tc in have) for n, t in want)
    result.tally(
        "company",
        bool(want),
        bool(have),
        names_want == names_have and codes_ok,
        where,
        f"want {sorted(want)} got {sorted(have)}",
    )
    # rating
    # the grade as written must match, unless the two are written in different scripts (中性 / Neutral)
    want_r = {(_grade(g), s) for g, s in gold.ratings}
    have_r = {(_grade(r.grade), r.scale) for r in got.ratings}
    same = want_r == have_r or (
        {s for _, s in want_r} == {s for _, s in have_r}
        and len(want_r) == len(have_r)
        and all(any(g == h or g.isascii() != h.isascii() for h, hs in have_r if hs == s) for g, s in want_r)
    )
    result.tally("rating", bool(want_r), bool(have_r), same, where, f"want {sorted(want_r)} got {sorted(have_r)}")
    action = got.rating.action if got.rating else ""
    result.tally(
        "action", bool(gold.action), bool(action), gold.action == action, where, f"want {gold.action!r} got {action!r}"
    )
    # target price
    want_t = {(_price_key(v), c.upper()) for v, c in gold.targets}
    have_t = {(_price_key(t.value or f"{t.low}~{t.high}"), t.currency) for t in got.target_prices}
    result.tally(
        "target_price",
        bool(want_t),
        bool(have_t),
        want_t == have_t,
        where,
        f"want {sorted(want_t, key=str)} got {sorted(have_t, key=str)}",
    )
    # valuation
    have_v = [_basis(v.basis) for v in got.valuations]
    ok = all(any(_basis(w) in h or h in _basis(w) for h in have_v if h) for w in gold.valuations)
    result.tally(
        "valuation",
        bool(gold.valuations),
        bool(have_v),
        ok,
        where,
        f"want {gold.valuations} got {[v.basis for v in got.valuations]}",
    )
    # forecasts: gold figures with a year whose subject names a forecast indicator
    have_f = {(_number(f.value), f.year) for f in got.forecasts}
    for figure in figures:
        if not figure.year or "~" in figure.value:
            continue
        if not _gold_indicator(figure.subjects[0]) or figure.change == "+" or figure.change == "-":
            continue
        year = int(figure.year[:4])
        ok = (_number(figure.value), year) in have_f or (-(_number(figure.value) or 0), year) in have_f
        result.tally(
            "forecast", True, True, ok, where, f"{figure.subjects[0]} {figure.value}{figure.unit} {figure.year}"
        )


def score(name: str) -> Score:
    result = Score()
    for facts_path, metrics_path, digest_path in FACT_SETS[name]:
        gold = load_facts(facts_path)
        figures = load_gold(metrics_path)
        digest = read(str(digest_path))
        find_facts([digest])  # as a build does: a report the rules trip over gets no facts, with a warning
        digest = facts(metrics(digest))
        seen = set()
        for report in digest.reports:
            title = report.title.strip()
            assert title in gold, f"{facts_path.name}: no facts for {title!r}"
            seen.add(title)
            assert report.facts is not None
            _score_report(title, report.facts, gold[title], figures.get(title, []), result)
        assert seen == set(gold), f"{facts_path.name}: facts for reports not in the digest: {set(gold) - seen}"
    return result


#: The lowest rate each set may fall to (the rates measured now, rounded down): a change that loses
#: facts fails here.  First runs are in docs/reference/facts.md.
BOUNDS: dict[str, dict[str, float]] = {
    "real-a": {"company": 0.83, "rating": 1.0, "action": 1.0, "target_price": 1.0, "forecast": 0.96},
    "real-b": {"company": 0.66, "rating": 1.0, "action": 1.0, "target_price": 1.0, "valuation": 1.0, "forecast": 0.89},
    "real-final": {"company": 0.83, "rating": 1.0, "action": 0.88, "target_price": 1.0, "forecast": 0.98},
    "real-final2": {
        "company": 0.77,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 1.0,
        "forecast": 0.87,
    },
    "real-final3": {
        "company": 1.0,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 1.0,
        "forecast": 0.9,
    },
    "real-final4": {"company": 1.0, "rating": 1.0, "action": 1.0, "target_price": 1.0, "forecast": 0.82},
    "real-final5": {"company": 0.7, "rating": 1.0, "action": 0.88, "target_price": 1.0, "forecast": 0.72},
    "real-final6": {"company": 1.0, "rating": 1.0, "action": 1.0, "forecast": 0.91},
    "real-final7": {
        "company": 0.91,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 1.0,
        "forecast": 0.81,
    },
    "real-final8": {"company": 0.7, "rating": 1.0, "action": 1.0, "target_price": 1.0, "forecast": 0.8},
    # first run 0.417, 0.800, 1.000, 0.750, valuation 0.667, forecast 0.822 (docs/reference/facts.md)
    "real-final9": {"company": 0.66, "rating": 0.8, "action": 1.0, "target_price": 1.0, "forecast": 0.82},
    # first run: company 0.667, rating 0.889, action 1.000, target 0.750, forecast 0.910; two fixes since
    "real-final10": {"company": 0.66, "rating": 1.0, "action": 1.0, "target_price": 0.75, "forecast": 0.94},
    # first run: company 0.455, rating 1.000, action 1.000, target 0.286, valuation 0.400, forecast 0.688
    "real-final12": {"company": 0.81, "rating": 1.0, "action": 1.0, "target_price": 0.71, "forecast": 0.84},
    # first run: company 0.833, rating 0.833, action 0.800, target 0.571, valuation 0.333, forecast 0.786
    "real-final13": {"company": 0.91, "rating": 1.0, "action": 0.9, "target_price": 0.71, "forecast": 0.78},
    # first run: company 0.571, rating 1.000, action 1.000, target 0.875, valuation 0.500, forecast 0.691
    "real-final14": {
        "company": 0.85,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 0.83,
        "forecast": 0.8,
    },
    # first run: company 0.750, rating 0.727, action 0.700, target 0.750, valuation 1.000, forecast 0.938
    "real-final15": {
        "company": 1.0,
        "rating": 0.9,
        "action": 0.9,
        "target_price": 1.0,
        "valuation": 1.0,
        "forecast": 0.93,
    },
    # first run: company 0.583, rating 0.667, action 0.818, target 0.500, valuation 0.667, forecast 0.552
    "real-final16": {
        "company": 0.66,
        "rating": 0.75,
        "action": 1.0,
        "target_price": 0.66,
        "valuation": 0.66,
        "forecast": 0.72,
    },
    # first run (the session's last, untouched set): company 0.750, rating 0.750, action 0.917, target 1.000,
    # valuation 0.750, forecast 0.483
    "real-final18": {
        "company": 0.83,
        "rating": 0.83,
        "action": 0.9,
        "target_price": 1.0,
        "valuation": 0.75,
        "forecast": 0.62,
    },
    # first run (a later session's untouched set): company 0.417, rating 1.000, action 1.000, target 0.875,
    # valuation 1.000, forecast 0.890; fixes since
    "real-final19": {
        "company": 0.83,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 0.87,
        "valuation": 1.0,
        "forecast": 0.92,
    },
    # first run: company 0.667, rating 0.667, action 0.909, target 0.750, valuation 0.500, forecast 0.635
    "real-final17": {
        "company": 0.9,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 0.5,
        "forecast": 0.85,
    },
    # first run: company 0.900, rating 0.909, action 0.900, target 0.500 (1.000 as a range), valuation 0, forecast 0.532
    "real-final11": {
        "company": 0.9,
        "rating": 1.0,
        "action": 1.0,
        "target_price": 1.0,
        "valuation": 0.5,
        "forecast": 0.97,
    },
}


@pytest.mark.parametrize("name", sorted(FACT_SETS))
def test_facts_quality_on_gold(name):
    result = score(name)
    for kind, bound in BOUNDS.get(name, {}).items():
        assert result.rate(kind) >= bound, result.line(name) + "\n" + "\n".join(result.misses)


if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if not a.startswith("-")] or sorted(FACT_SETS)
    quiet = "--totals" in sys.argv
    total = Score()
    for set_name in names:
        s = score(set_name)
        print(s.line(set_name))
        if not quiet:
            for miss in s.misses:
                print("   ", miss)
        for kind in KINDS:
            total.right[kind] += s.right[kind]
            total.stated[kind] += s.stated[kind]
            total.spurious[kind] += s.spurious[kind]
    if len(names) > 1:
        print(total.line("total"))
