"""The facts transform (publisher/transforms/facts.py) on the constructs the issue names, the model's
version 2 (and version 1 still loading), and the facts in every output a reader opens."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.libreoffice import SOFFICE, soffice_csv
from support.linear_time import assert_linear

from publisher.model import Block, Digest, Report, Section, load_schema
from publisher.readers.digest import read
from publisher.readers.json import model_problem
from publisher.transforms.facts import extract, facts
from publisher.transforms.metrics import metrics

jsonschema = pytest.importorskip("jsonschema")

FEED = """\
尚品宅配(300616):前三季度业绩承压,维持“买入”评级
华创证券· 2025-10-30 09:00
核心观点 - 前三季度营收/归母净利润/扣非归母净利润27.3/-1.1/-1.3亿元 [1] \
盈利预测 - 预计2025-2027年归母净利润分别为1.2/1.5/1.8亿元,对应PE 49/-29/52倍,参考绝对估值法给予目标价18.2元/股,\
维持“买入”评级 [2] - 给予2025年13-14倍PE,对应每股9.96-10.73元 [3]
Tencent (0700.HK): strong quarter
Morgan Stanley· 2025-11-13 08:00
Key Takeaways - We maintain our Overweight rating and raise our price target from HK$600 to HK$680, \
implying 20% upside [1] - We initiate coverage of Apple (AAPL.O) with an "Outperform" rating [2]
飞荣达(300602):首次覆盖
国信证券· 2025-11-14 08:00
投资建议 - 首次覆盖,给予“增持”评级,目标价25元 [1] - 公司评级由“增持”上调至“买入” [2]
阿里巴巴-W:变现提速
中金公司· 2025-11-15 08:00
报告投资评级 - 重申买入评级,目标价在港股(9988.HK)114港元/美股(BABA.N)116美元 [1]
"""


@pytest.fixture
def feed(tmp_path) -> Digest:
    path = tmp_path / "feed.txt"
    path.write_text(FEED, encoding="utf-8")
    return facts(metrics(read(str(path))))


def test_company_ticker_and_exchange(feed):
    first = feed.reports[0].facts.company
    assert (first.name, first.ticker, first.exchange) == ("尚品宅配", "300616", "SZ")
    tencent, apple = feed.reports[1].facts.companies
    assert (tencent.ticker, tencent.exchange, apple.name, apple.ticker, apple.exchange) == (
        "0700.HK", "HK", "Apple", "AAPL.O", "US"
    )  # fmt: skip
    alibaba = feed.reports[3].facts.companies
    assert [(c.name, c.ticker, c.exchange) for c in alibaba] == [("阿里巴巴", "9988.HK", "HK")]


def test_rating_scale_action_and_positions(feed):
    rating = feed.reports[0].facts.rating
    assert (rating.grade, rating.scale, rating.action) == ("买入", "buy", "maintain")
    assert len(rating.pos) == 2  # the title and the forecast bullet say the same: one fact, two places
    assert rating.pos[0].line == 1 and rating.refs == [2]
    tencent = feed.reports[1].facts
    assert (tencent.rating.grade, tencent.rating.scale, tencent.rating.action) == (
        "Overweight",
        "outperform",
        "maintain",
    )
    apple = next(r for r in tencent.ratings if r.company == "Apple")
    assert (apple.grade, apple.action) == ("Outperform", "first")


def test_two_different_ratings_are_both_kept(feed):
    ratings = feed.reports[2].facts.ratings
    assert [(r.grade, r.action) for r in ratings] == [("增持", "first"), ("买入", "upgrade")]
    assert all(r.pos for r in ratings)
    assert feed.reports[2].facts.conflicts() == ["ratings"]


def test_target_prices_valuation_and_upside(feed):
    target = feed.reports[0].facts.target_price
    assert (target.value, target.currency) == ("18.2", "CNY")
    assert [v.basis for v in feed.reports[0].facts.valuations] == ["绝对估值", "2025年13-14倍PE"]
    hk = feed.reports[1].facts.target_price
    assert (hk.value, hk.currency, hk.upside) == ("680", "HKD", "0.2")
    alibaba = [(t.value, t.currency) for t in feed.reports[3].facts.target_prices]
    assert alibaba == [("114", "HKD"), ("116", "USD")]


def test_forecasts_carry_year_and_estimate(feed):
    rows = [(f.indicator, f.year, f.estimate, f.value) for f in feed.reports[0].facts.forecasts]
    assert ("net_profit", 2026, "E", "1.5") in rows
    assert ("pe", 2026, "E", "-29") in rows
    assert all(f.company == "尚品宅配" for f in feed.reports[0].facts.forecasts)


def test_json_is_version_2_and_valid(feed):
    data = feed.to_json()
    assert data["version"] == 2
    jsonschema.validate(data, load_schema())
    assert model_problem(data) is None
    again = Digest.loads(feed.dumps())
    assert again.dumps() == feed.dumps()


def test_version_1_json_still_loads(feed):
    data = json.loads(feed.dumps())
    data["version"] = 1
    data["$schema"] = "https://publisher.dev/schema/model-v1.json"
    for report in data["reports"]:
        del report["facts"]
    assert model_problem(data) is None
    jsonschema.validate(data, load_schema(1))
    old = Digest.from_json(data)
    assert all(r.facts is None for r in old.reports)
    assert Digest.from_json(data).to_json()["version"] == 2


def test_a_grade_in_a_phrase_is_no_rating(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text(
        "市场周报\n某证券· 2025-01-01 08:00\n观点 - 滚动30交易日买入仍有高胜率,推荐组合收益领先 [1]\n", encoding="utf-8"
    )
    assert not facts(read(str(path))).reports[0].facts.ratings


def _facts_of(tmp_path: Path, title: str, body: str):
    path = tmp_path / "f.txt"
    path.write_text(f"{title}\n某证券· 2025-01-01 08:00\n{body}\n", encoding="utf-8")
    return facts(read(str(path))).reports[0].facts


def test_to_a_grade_from_another_is_an_upgrade_or_a_downgrade(tmp_path):
    up = _facts_of(
        tmp_path, "Research Alert: CFRA Lifts Opinion On Shares Of Progressive To Buy From Hold", "Summary - x [1]"
    )
    assert [(r.grade, r.scale, r.action) for r in up.ratings] == [("Buy", "buy", "upgrade")]
    down = _facts_of(tmp_path, "Outlook", "View - We cut the stock to Neutral from Overweight [1]")
    assert [(r.scale, r.action) for r in down.ratings] == [("neutral", "downgrade")]


def test_a_range_of_multiples_after_the_target_is_its_valuation_and_picks_skip_a_joining_word(tmp_path):
    found = _facts_of(
        tmp_path, "稳健医疗(300888):点评", "投资建议 - 维持“优于大市”评级 目标价下调至48-52元 对应2026年PE 24-26倍 [4]"
    )
    (target,) = found.target_prices
    assert (target.low, target.high, target.currency) == ("48", "52", "CNY")
    assert [v.basis for v in found.valuations] == ["2026年PE 24-26倍"]
    picks = _facts_of(tmp_path, "游戏行业点评", "投资建议 - 相关标的包括顺网科技、星辉娱乐、盛天网络 [5]")
    assert [c.name for c in picks.companies] == ["顺网科技", "星辉娱乐", "盛天网络"]


def test_a_consensus_target_and_a_year_after_the_word_target_are_no_target(tmp_path):
    found = _facts_of(
        tmp_path,
        "东方证券:维持吉利汽车(00175.HK)“买入”评级 目标价24.51港元",
        "评级共识 - 近90天内机构给出的目标价平均值为26.82港元 [1] - 目标价基于公司26年14倍目标PE [2]",
    )
    assert [(t.value, t.currency) for t in found.target_prices] == [("24.51", "HKD")]
    assert [(c.name, c.ticker) for c in found.companies] == [("吉利汽车", "00175.HK")]


# --- outputs ------------------------------------------------------------------------------------------

DAYS = [
    ("2025-11-10", "华创证券", "维持“买入”评级,目标价18.2元"),
    ("2025-11-11", "国信证券", "首次覆盖,给予“增持”评级,目标价20元"),
    ("2025-11-12", "中金公司", "下调至“中性”评级,目标价15.5元"),
]


def _build(tmp_path: Path, audience: str, *inputs: Path) -> Path:
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "publisher", "build", *map(str, inputs), "-a", audience, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    return out / audience


@pytest.fixture
def three_days(tmp_path) -> list[Path]:
    paths = []
    for day, broker, rating in DAYS:
        path = tmp_path / f"feed-{day}.txt"
        path.write_text(
            f"尚品宅配(300616):三季报点评\n{broker}· {day} 09:00\n投资建议 - {rating} [1]\n"
            f"贵州茅台(600519):另一份报告\n{broker}· {day} 10:00\n核心观点 - 维持“推荐”评级 [1]\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def test_facts_workbook_lines_up_brokers_by_ticker(tmp_path, three_days):
    folder = _build(tmp_path, "analyst", *three_days)
    # the workbook as a Chinese desk reads it: sheet names and headers in the audience's locale
    facts_sheet = pd.read_excel(folder / "research-facts.xlsx", sheet_name="评级与目标价", dtype={"代码": str})
    rows = facts_sheet[facts_sheet["代码"] == "300616"]
    assert list(rows["机构"]) == ["华创证券", "国信证券", "中金公司"]  # one company together, by time
    assert list(rows["评级"]) == ["买入", "增持", "中性"]
    assert list(rows["评级变动"]) == ["维持", "首次", "下调"]
    assert rows["目标价格"].dtype.kind == "f" and list(rows["目标价格"]) == [18.2, 20.0, 15.5]
    assert facts_sheet["时间"].dtype.kind == "M"
    first = facts_sheet.index[facts_sheet["代码"] == "300616"]
    assert list(first) == list(range(first[0], first[0] + 3))  # side by side: no other company between
    companies = pd.read_excel(folder / "research-facts.xlsx", sheet_name="公司汇总", dtype={"代码": str})
    row = companies[companies["代码"] == "300616"].iloc[0]
    assert (row["报告"], row["最新评级"], row["最低目标价"], row["最高目标价"]) == (3, "中性", 15.5, 20)


def test_summary_shows_ratings_by_institution_with_their_values(tmp_path, three_days):
    folder = _build(tmp_path, "analyst", three_days[0])
    workbook = openpyxl.load_workbook(folder / f"{three_days[0].stem}.xlsx", data_only=True)
    ws = workbook["汇总"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] == "各机构评级分布")
    assert rows[header][1:3] == ["买入", "增持"]
    assert rows[header + 1][:3] == ["华创证券", 1, 1]  # cached values: what pandas and Power Query read
    assert ws._charts[0].grouping == "stacked"
    # the scale and action columns read as a Chinese analyst names them, and the summary's
    # criteria are those same words: LibreOffice, recalculating, counts what was cached
    facts_sheet = pd.read_excel(folder / f"{three_days[0].stem}.xlsx", sheet_name="评级与目标价")
    assert set(facts_sheet["评级档位"].dropna()) <= {"买入", "增持", "中性", "减持", "卖出"}
    assert set(facts_sheet["评级变动"].dropna()) <= {"首次", "维持", "上调", "下调"}
    if SOFFICE is None:
        return
    uncached = tmp_path / "uncached.xlsx"
    openpyxl.load_workbook(folder / f"{three_days[0].stem}.xlsx").save(uncached)  # openpyxl drops the values
    calculated = soffice_csv(uncached, tmp_path / "lo-profile")["汇总"]
    assert calculated[header + 1][:3] == ["华创证券", "1", "1"]


def test_forecasts_sheet_has_typed_columns(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text(FEED, encoding="utf-8")
    folder = _build(tmp_path, "analyst", path)
    sheet = pd.read_excel(folder / "feed.xlsx", sheet_name="盈利预测")
    assert sheet["年度"].dtype.kind == "i" and sheet["数值"].dtype.kind == "f"
    assert set(sheet["实际/预测"]) == {"E"}
    facts_sheet = pd.read_excel(folder / "feed.xlsx", sheet_name="评级与目标价")
    assert facts_sheet["目标价格"].dtype.kind == "f"
    assert facts_sheet["上涨空间"].dropna().tolist() == [0.2]


def test_executive_briefing_shows_the_stated_ratings(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text(FEED, encoding="utf-8")
    folder = _build(tmp_path, "executive", path)
    with zipfile.ZipFile(folder / "feed.docx") as package:
        xml = package.read("word/document.xml").decode("utf-8")
    for shown in ("尚品宅配(300616)", "买入(维持)", "18.2元", "Overweight(维持)", "680港元"):
        assert shown in xml


def test_wiki_front_matter_and_companies_page(tmp_path, three_days):
    folder = _build(tmp_path, "wiki", *three_days)
    page = next((folder / "reports" / "2025-11-10").glob("shang-pin*.md")).read_text(encoding="utf-8")
    front = page.split("---")[1]
    assert 'tickers: ["300616"]' in front and 'rating: "买入"' in front and "target_price: 18.2" in front
    companies = (folder / "companies" / "index.md").read_text(encoding="utf-8")
    section = companies.split("## 尚品宅配(300616)")[1].split("\n## ")[0]
    assert section.count("](../reports/") == 3 and "中性(下调)" in section and "15\\.5元" in section


def test_html_shows_company_rating_and_target(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text(FEED, encoding="utf-8")
    html = (_build(tmp_path, "global", path) / "feed.html").read_text(encoding="utf-8")
    assert "尚品宅配(300616)" in html and "评级 买入(维持)" in html and "Rating Buy (maintained)" in html
    assert "目标价 680港元" in html and "Target HKD 680" in html


# --- robustness ---------------------------------------------------------------------------------------

#: Text shapes that would make a backtracking or quadratic rule blow up: name → text of about n characters.
ADVERSARIAL = {
    "grades": lambda n: "买入" * (n // 2),
    "actions and grades": lambda n: "维持“买入”评级," * (n // 9),
    "rating words": lambda n: "评级:" * (n // 3),
    "targets": lambda n: "目标价" * (n // 3),
    "targets and numbers": lambda n: "目标价18.2元/" * (n // 9),
    "codes": lambda n: "公司(300616)" * (n // 10),
    "parentheses": lambda n: "(" * (n - 8) + "300616)",
    "picks": lambda n: "重点推荐" + "恒瑞医药、" * (n // 5),
    "multiples": lambda n: "给予2025年13-14倍PE," * (n // 16),
    "english": lambda n: "We maintain our Outperform rating and a target price of HK$45. " * (n // 64),
    "english verbs": lambda n: "upgrade " * (n // 8) + "to Buy",
    "heads": lambda n: "报告:" * (n // 3) + "买入",
}


def _facts_of_text(text: str) -> object:
    report = Report(
        "标题", "机构", datetime(2025, 1, 1), [Section("投资评级", role="rating", blocks=[Block("bullet", text)])]
    )
    return extract(report)


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_finding_facts_is_linear_on_long_lines(shape):
    """Ten times the text costs about ten times the time (a quadratic rule would cost a hundred)."""
    assert_linear(_facts_of_text, ADVERSARIAL[shape], 10_000, shape)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("买入增持中性维持首次上调下调评级目标价元港美0123456789.“”()（）:,，。HK$OutperformBuy ")
        ),
        max_size=80,
    )
)
def test_any_text_gives_well_formed_facts(text):
    report = Report("标题", "机构", datetime(2025, 1, 1), [Section("要点", blocks=[Block("bullet", text)])])
    found = extract(report)
    for rating in found.ratings:
        assert rating.scale in ("buy", "outperform", "neutral", "underperform", "sell") and rating.pos
    for target in found.target_prices:
        Decimal(target.value if target.value is not None else target.high)
    json.dumps(found.to_json())


@pytest.mark.parametrize(
    ("title", "body", "name"),
    [
        ("大行评级丨某行:上调某某生物目标价至128港元", "观点 - 上调某某生物目标价至128港元 [1]", "某某生物"),
        ("某银国际:维持某宁(02331)“买入”评级 上调目标价至23.4港元", "观点 - 维持“买入”评级 [1]", "某宁"),
        ("某宁:维持“买入”评级", "观点 - 维持“买入”评级 [1]", "某宁"),
        ("Broker Upgrades Acme Widgets Co Ltd to Overweight", "Summary - x [1]", "Acme Widgets Co Ltd"),
        ("Broker Initiates Coverage On Zeta Systems With Buy", "Summary - x [1]", "Zeta Systems"),
        ("Alpha First Bank shares can rally 23%, says Broker", "Summary - x [1]", "Alpha First Bank"),
        ("Beta Semiconductor Ltd_ Strong revenue guidance", "Summary - x [1]", "Beta Semiconductor Ltd"),
        ("Broker Reiterates Buy Rating on Gamma Following 2025 Revenue Figures", "Summary - x [1]", "Gamma"),
        (
            "Delta Stock Keeps Falling on Bear Note",
            "Summary - Lighting maker Delta, Inc. (NASDAQ:DLTA) is sinking today [1]",
            "Delta",
        ),
    ],
)
def test_a_company_named_by_the_verb_on_its_target_or_in_an_english_title(tmp_path, title, body, name):
    assert [c.name for c in _facts_of(tmp_path, title, body).companies] == [name]


def test_the_broker_in_an_english_title_is_no_company(tmp_path):
    path = tmp_path / "f.txt"
    text = "Broker Co Ltd raises its view\nBroker Co Ltd· 2025-01-01 08:00\nSummary - x [1]\n"
    path.write_text(text, encoding="utf-8")
    assert not facts(read(str(path))).reports[0].facts.companies


def test_yen_in_an_english_note_on_a_japanese_company(tmp_path):
    found = _facts_of(
        tmp_path,
        "Broker Upgrades Kappa Retail Co Ltd to Overweight",
        "Summary - The broker raised its rating on Kappa Retail Co Ltd (9983:JP) and its price target to ¥55,000 "
        "from ¥43,000; Japan sales stay strong [1]",
    )
    (company,) = found.companies
    assert (company.ticker, company.exchange) == ("9983:JP", "JP")
    assert [(t.value, t.currency) for t in found.target_prices] == [("55000", "JPY")]
    yuan = _facts_of(tmp_path, "Note", "Summary - price target ¥55 on RMB earnings; Japan exposure small [1]")
    assert [t.currency for t in yuan.target_prices] == ["CNY"]


def test_english_grades_targets_and_titles_seen_on_real_notes(tmp_path):
    found = _facts_of(tmp_path, "Note", 'Rating - The investment rating for the company is "Outperform the Market" [1]')
    assert [(r.grade, r.scale) for r in found.ratings] == [("Outperform the Market", "outperform")]
    cut = _facts_of(tmp_path, "Note", "View - The broker revised its rating to an 'accumulate' from a 'buy' [1]")
    assert [(r.scale, r.action) for r in cut.ratings] == [("outperform", "downgrade")]
    euros = _facts_of(tmp_path, "Note", "View - a price target reduced from 6.3 to 4.6 euros on the shares [1]")
    assert [(t.value, t.currency) for t in euros.target_prices] == [("4.6", "EUR")]
    path = tmp_path / "dashed.txt"
    text = "ACME - Strong Q4, Weaker Q1: Some Securities\nSome Securities· 2024-04-12\n- Buy [1]\n"
    path.write_text(text, encoding="utf-8")
    assert [c.name for c in facts(read(str(path))).reports[0].facts.companies] == ["ACME"]


def test_a_company_listed_twice_keeps_its_first_code(tmp_path):
    found = _facts_of(tmp_path, "某某晨报", "某电信(601728.SH、0728.HK) - 实现营业收入1345亿元 [1]")
    assert [(c.name, c.ticker, c.exchange) for c in found.companies] == [("某电信", "601728.SH", "SH")]


def test_a_consensus_target_is_not_the_reports_and_a_multiple_of_a_years_forecast_is_a_valuation(tmp_path):
    found = _facts_of(
        tmp_path,
        "Broker cuts Delta to Underweight",
        "Summary - The broker slashed its target price to $38 [1] - The consensus 12-month target price of $55.88, "
        "though, is at a premium [2]",
    )
    assert [t.value for t in found.target_prices] == ["38"]
    valued = _facts_of(tmp_path, "某宁:维持“买入”评级", "观点 - 上调目标价至23.4港元(相当于18倍2026年预测市盈率) [1]")
    assert [v.basis for v in valued.valuations] == ["18倍2026年预测市盈率"]


def test_a_target_written_before_the_words_price_target(tmp_path):
    found = _facts_of(tmp_path, "Broker on ACME", "Summary - Its $75 price target implies 22% upside [1]")
    assert [(t.value, t.currency) for t in found.target_prices] == [("75", "USD")]


def test_facts_seen_on_real_final15(tmp_path):
    named = _facts_of(tmp_path, "呈和科技(688625):三季度业绩稳健增长", "观点 - 公司业绩稳健 [1]")
    assert [(c.name, c.ticker) for c in named.companies] == [("呈和科技", "688625")]  # not 和 + 科技
    started = _facts_of(
        tmp_path, "Broker bullish on ACME", "- The firm has initiated coverage of ACME (NASDAQ:ACME) at Overweight. [1]"
    )
    assert [(r.scale, r.action) for r in started.ratings] == [("outperform", "first")]
    cut = _facts_of(
        tmp_path,
        "Terex tumbles, broker downgrade",
        "- Terex (TEX -5.2% ) falls after the broker downgrades shares with a $12 price target, trimmed from $20. [1]",
    )
    assert [c.ticker for c in cut.companies] == ["TEX"]
    assert [t.value for t in cut.target_prices] == ["12"]
    india = _facts_of(tmp_path, "Broker upgrades Lupin", "- The broker upgraded Lupin (NSE:LUPN) (BOM:LPC) to Buy. [1]")
    assert [(c.name, c.ticker, c.exchange) for c in india.companies] == [("Lupin", "LUPN", "IN")]


def test_facts_seen_on_real_final17(tmp_path):
    novo = _facts_of(
        tmp_path,
        "Cowen Upgrades Novo Nordisk A/S (NYSE:NVO) to Outperform",
        "- Novo Nordisk A/S (NYSE:NVO) was upgraded by equities researchers at Cowen from a “market perform” rating "
        "to an “outperform” rating. [1] - The brokerage presently has a $130.00 price target on the stock. [1] "
        "- Several other brokerages have also issued reports on NVO. [2] - Zacks upgraded shares of Novo Nordisk "
        "A/S from a “sell” rating to a “hold” rating and set a $104.00 price target on the stock. [2]",
    )
    assert [(c.name, c.ticker) for c in novo.companies] == [("Novo Nordisk A/S", "NVO")]
    assert [r.scale for r in novo.ratings] == ["outperform"]  # not the old grade, nor the other brokers' calls
    assert [t.value for t in novo.target_prices] == ["130.00"]
    jabil = _facts_of(
        tmp_path,
        "Jabil Price Target Raised by RBC",
        "- RBC kept its investment rating on the stock at sector perform. [1]",
    )
    assert [c.name for c in jabil.companies] == ["Jabil"]
    assert [(r.scale, r.action) for r in jabil.ratings] == [("neutral", "maintain")]
    title = "医药生物行业跟踪周报:药店现金流稳健、估值低,重点推荐益丰药房、大参林等"
    picks = _facts_of(tmp_path, title, "观点 - 药店估值低 [1]")
    assert [c.name for c in picks.companies] == ["益丰药房", "大参林"]
    given = _facts_of(tmp_path, "柳工:业绩预告点评", "观点 - 东吴证券发布研究报告,给予柳工买入评级。 [1]")
    assert [r.scale for r in given.ratings] == ["buy"]


def test_facts_seen_on_real_final18(tmp_path):
    picks = _facts_of(
        tmp_path,
        "汽车行业周报",
        "观点 - 具体推荐:智能驾驶-伯特利、科博达;智能座舱-继峰股份;H链-星宇股份、沪光股份;建议关注乘用车需求 [1] "
        "- 推荐吉利汽车、小鹏汽车、比亚迪,建议关注江淮汽车 [2]",
    )
    names = [c.name for c in picks.companies]
    assert {"伯特利", "科博达", "继峰股份", "星宇股份", "沪光股份", "江淮汽车", "比亚迪"} <= set(names)
    assert "乘用车需求" not in names
    toyota = _facts_of(
        tmp_path,
        "Toyota Motor (TM) Stock Rating Upgraded by Macquarie",
        "- Toyota Motor (NYSE:TM) was upgraded by analysts at Macquarie from a “neutral” rating to an “outperform” "
        "rating. [1] - Separately, Zacks Investment Research raised shares of Toyota Motor from a “hold” rating to a "
        "“buy” rating and set a $153.00 price target. [2] - One research analyst has rated the stock with a sell "
        "rating. [2]",
    )
    assert [r.scale for r in toyota.ratings] == ["outperform"]
    assert toyota.target_prices == []


def test_facts_seen_on_real_final16(tmp_path):
    kept = _facts_of(tmp_path, "某金:维持保利物业跑赢行业评级 升目标价至42.7港元", "观点 - 公司稳健 [1]")
    assert [(r.grade, r.action) for r in kept.ratings] == [("跑赢行业", "maintain")]
    cut = _facts_of(tmp_path, "某银国际:升中国人寿(02628)目标价至24港元 评级降至“中性”", "观点 - 公司稳健 [1]")
    assert [(c.name, c.ticker) for c in cut.companies] == [("中国人寿", "02628")]
    assert [(r.scale, r.action) for r in cut.ratings] == [("neutral", "downgrade")]
    raised = _facts_of(
        tmp_path,
        "Research Alert: Broker Reiterates Buy Opinion On Shares Of Acme Inc.",
        "- We raise our target by $8 to $93 using forward P/E of 10.3x. [1] - Our target P/E multiple is 10x. [2]",
    )
    assert [c.name for c in raised.companies] == ["Acme Inc."]
    assert [t.value for t in raised.target_prices] == ["93"]


def test_picks_after_such_as_a_title_with_a_dash_and_a_listing_is_no_company(tmp_path):
    picks = _facts_of(
        tmp_path, "医疗器械行业月度点评", "投资建议 - 建议关注产品矩阵完善的IVD企业,如圣湘生物、英诺特、万孚生物等 [2]"
    )
    assert [c.name for c in picks.companies] == ["圣湘生物", "英诺特", "万孚生物"]
    dash = _facts_of(tmp_path, "中微公司(688012.SH)——核心装备技术领先", "投资要点 - 维持“买入”评级 [1]")
    assert [(c.name, c.ticker) for c in dash.companies] == [("中微公司", "688012.SH")]
    listed = _facts_of(
        tmp_path, "康龙化成(300759):新签订单提速", "投资要点 - 上调港股目标价至30港元、A股目标价至人民币39.6元 [1]"
    )
    assert [c.name for c in listed.companies] == ["康龙化成"]
    english = _facts_of(
        tmp_path,
        "CIBC Lowers Canadian National Railway (NYSE:CNI) Price Target to $142.00",
        "Summary - CIBC lowered its price target on Canadian National Railway to $142.00 [1]",
    )
    assert [(c.name, c.ticker, c.exchange) for c in english.companies][:1] == [
        ("Canadian National Railway", "CNI", "US")
    ]
