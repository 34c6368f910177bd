"""The metrics transform: what it finds, what it leaves alone, and how it lands in the model."""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.digest_strategies import digest_file
from support.linear_time import assert_linear

from publisher import registry
from publisher.diagnostics import Diagnostics
from publisher.model import Digest, load_schema
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText
from publisher.transforms.metrics import extract, metrics
from publisher.writers.digest import digest_text

SCHEMA = load_schema()


def one(text: str):
    found = extract(text)
    assert len(found) == 1, [(m.text, m.unit) for m in found]
    return found[0]


def figures(text: str) -> list[tuple[str | None, str]]:
    return [(m.value if m.value is not None else f"{m.low}~{m.high}", m.unit) for m in extract(text)]


# --- the examples -----------------------------------------------------------------------


def test_index_move_and_close():
    up, close = extract("沪指涨0.43%,收报3346.72点")
    assert (up.subject, up.value, up.unit, up.normalized, up.base_unit, up.direction) == (
        "沪指",
        "0.43",
        "%",
        "0.0043",
        "ratio",
        "up",
    )
    assert (close.subject, close.value, close.unit, close.base_unit) == ("沪指", "3346.72", "点", "points")


def test_turnover_in_yi_yuan_is_normalised_to_yuan():
    total, change = extract("成交额合计17150亿元,较上个交易日缩量1047.9亿元")
    assert (total.value, total.unit, total.normalized, total.base_unit) == ("17150", "亿元", "1715000000000", "CNY")
    assert (change.subject, change.direction, change.relation) == ("成交额", "down", "dod")
    assert change.normalized == "104790000000"


def test_from_to_multiples():
    start, end = extract("北证 A 股 PE 由 37.47X 回升到 39.07X")
    assert (start.subject, start.value, start.unit, start.relation, start.direction) == (
        "北证 A 股 PE",
        "37.47",
        "X",
        "from",
        "up",
    )
    assert (end.subject, end.value, end.relation, end.direction, end.base_unit) == (
        "北证 A 股 PE",
        "39.07",
        "to",
        "up",
        "multiple",
    )


def test_counts_periods_and_bounds():
    now, target, later = extract("截至2024财年末自有钻机142台,目标2026财年达148台及以上,2028财年达151台及以上")
    assert (now.subject, now.value, now.unit, now.base_unit, now.period) == (
        "自有钻机",
        "142",
        "台",
        "count",
        "截至2024财年末",
    )
    assert (target.subject, target.value, target.bound, target.period) == ("自有钻机", "148", "at_least", "2026财年")
    assert (later.value, later.bound, later.period) == ("151", "at_least", "2028财年")


def test_signs_and_percentage_points():
    assert one("沪深 300 指数收益率为 -2.99%").value == "-2.99"
    pp = one("换手率较上周升 +1.2 pcts")
    assert (pp.value, pp.unit, pp.normalized, pp.relation, pp.direction) == ("+1.2", "pcts", "0.012", "wow", "up")
    assert one("居民中长贷TTM同比增速报 - 28.36%").value == "-28.36"


@pytest.mark.parametrize(
    ("text", "unit", "base", "normalized"),
    [
        ("占比10%", "%", "ratio", "0.1"),
        ("提升8.2个百分点", "个百分点", "ratio", "0.082"),
        ("下行5bp", "bp", "ratio", "0.0005"),
        ("上行3个基点", "个基点", "ratio", "0.0003"),
        ("收报3346.72点", "点", "points", "3346.72"),
        ("市盈率达 39 倍", "倍", "multiple", "39"),
        ("PE 55X", "X", "multiple", "55"),
        ("募集资金 3.01 亿元", "亿元", "CNY", "301000000"),
        ("增量为7.06万亿元", "万亿元", "CNY", "7060000000000"),
        ("规模超40亿元", "亿元", "CNY", "4000000000"),
        ("交易总价值超2504.27亿", "亿", "", "250427000000"),
        ("销量179.4万辆", "万辆", "count", "1794000"),
        ("价格回落至7.6万元/吨", "万元/吨", "CNY/t", "76000"),
        ("已完成906单", "单", "count", "906"),
        ("近600家次", "家次", "count", "600"),
        ("完成144口气井", "口", "count", "144"),
        ("新增装机277.17GW", "GW", "W", "277170000000"),
        ("revenue of US$4.06 billion", "US$ billion", "USD", "4060000000"),
        ("loans rose to 5.13 trillion yuan", "trillion yuan", "CNY", "5130000000000"),
        ("fell 0.3 percentage points", "percentage points", "ratio", "0.003"),
        ("to $74 per barrel", "$ per barrel", "USD/barrel", "74"),
        ("trades at 12.4x forward earnings", "x", "multiple", "12.4"),
        ("the fleet reached 142 rigs", "rigs", "count", "142"),
    ],
)
def test_units(text, unit, base, normalized):
    m = one(text)
    assert (m.unit, m.base_unit, m.normalized) == (unit, base, normalized)
    assert Decimal(m.normalized) == Decimal(m.value) * (Decimal(m.normalized) / Decimal(m.value))


def test_ranges_are_one_metric():
    quarters = one("市场底通常领先业绩拐点1 - 2个季度出现")
    assert (quarters.value, quarters.low, quarters.high, quarters.unit) == (None, "1", "2", "个季度")
    assert (quarters.normalized_low, quarters.normalized_high, quarters.base_unit) == ("3", "6", "month")
    years = one("公司此前提出未来五年(24 - 28财年)每股股息")
    assert (years.low, years.high, years.unit, years.normalized_low, years.normalized_high) == (
        "24",
        "28",
        "财年",
        "2024",
        "2028",
    )
    assert years.subject == "未来五年"
    assert figures("预计行业销量同比增长3%-5%") == [("3~5", "%")]


@pytest.mark.parametrize(
    "text",
    [
        "2025 年以来北证市场活跃",  # a year
        "北证 50 指数样本股将在 3 月 17 日进行 2025 年第 1 次调整",  # date, year, ordinal
        "北交所周观察第十三期",  # Chinese ordinal
        "科创 50 和创业板 50 本周也上涨",  # index names
        "沪深 300 和 CSI 300 trades higher",
        "M2领先M1,DR007价格低于2022、2023年",  # names, years
        "GPT - 4 Turbo 与 LLama 3.1 和 Qwen 2.5 发布",  # model names
        "深圳围绕“20 + 8”产业布局",  # a name made of numbers
        "高于7天逆回购利率,10年期国债",  # tenors
        "贵州茅台(600519.SH)发布公告",  # a stock code
        "2024/9/27降准降息落地,2025-02-16 发布",  # dates
        "2026/2027财年有钻机投入使用",  # fiscal years
        "从0 - 1阶段过渡至1 - 2阶段",  # stages are names
        "The 10-year average and the 7-day repo",
        "Q3 results, FY2024 and 2H25 guidance",  # periods
        "类似17 - 18年新能源车",  # a range of years
    ],
)
def test_not_metrics(text):
    assert extract(text) == [], [(m.text, m.unit) for m in extract(text)]


def test_periods():
    assert one("1月制造业PMI回落至49.1%").period == "1月"
    assert one("截至 2 月 14 日涨幅达 18.6%").period == "截至 2 月 14 日"
    assert one("Utilisation stayed above 95% in Q4 2024").period == "in Q4 2024"
    assert one("2024年前三季度交易规模达4038亿元").period == "2024年前三季度"


def test_relations_and_bounds():
    assert one("居民新增贷款1月同比减5363亿元").relation == "yoy"
    assert one("新增人民币贷款环比增3%").relation == "seq"
    at_least = one("每股股息每年至少增10%")
    assert (at_least.subject, at_least.bound, at_least.direction) == ("每股股息", "at_least", "up")
    assert one("北证 50 指数涨幅超 18.6%").bound == "more_than"
    assert one("GDP增速有望达5%左右").bound == "about"
    assert one("300多家公司").bound == "more_than"
    prior = extract("1月制造业PMI回落至49.1%,前值50.1%")[1]
    assert (prior.subject, prior.relation) == ("制造业PMI", "prior")
    english = extract("M1 growth slowed to 0.4% year on year from 1.2% in December")
    assert [(m.relation, m.direction) for m in english] == [("yoy", "down"), ("from", "")]


def test_subjects_of_lists():
    a, b = extract("当前上证综指与创业板指数平均市盈率分别为14.15倍、38.02倍")
    assert (a.subject, b.subject) == ("上证综指平均市盈率", "创业板指数平均市盈率")
    a, b, c = extract("全市场2398只个股上涨,2798只个股下跌,196只个股收平")
    assert (a.subject, a.direction) == ("全市场个股", "up")
    assert (b.direction, c.direction) == ("down", "flat")


def test_sentence_and_offset():
    text = "全天个股涨跌参半。沪指涨0.43%,收报3346.72点;深证成指涨1.16%"
    found = extract(text)
    for m in found:
        assert text[m.offset : m.offset + len(m.text)] == m.text
    assert found[0].sentence == "沪指涨0.43%,收报3346.72点;"


# --- robustness ----------------------------------------------------------------------------------

#: Text shapes that would make a backtracking or quadratic rule blow up: name → text of about n characters.
ADVERSARIAL = {
    "digits": lambda n: "1" * n,
    "digits and spaces": lambda n: "1 " * (n // 2),
    "dashes": lambda n: "1 - " * (n // 4),
    "percents": lambda n: "1%," * (n // 3),
    "sample clauses": lambda n: "沪指涨0.43%,收报3346.72点;" * (n // 19),
    "dates": lambda n: "2025 年 1 月" * (n // 10),
    "ordinals": lambda n: "第1次" * (n // 3),
    "spaces": lambda n: " " * (n - 2) + "1%",
    "parentheses": lambda n: "(" * (n - 2) + "1%",
    "list marks": lambda n: "、1" * (n // 2),
    "english": lambda n: "the index rose 1.3% to 3,346.72 points, " * (n // 40),
    "no punctuation": lambda n: "成交额12亿元增长" * (n // 10),
    "one long list": lambda n: "营收" + "1.5/" * (n // 4) + "2亿元",
    "lists under years": lambda n: "2023A/2024E/2025E 营收1/2亿元;" * (n // 26),
    "names and values": lambda n: "销售/管理/财务费用率22.1%/6.4%/0.8%,同比+3.3/+0.8/+0.4pcts;" * (n // 48),
    "pipes": lambda n: "|营收" * (n // 3),
    "table rows": lambda n: "|年份|营收(亿元)| |---|---|" + "|2024E|12.5| " * (n // 13),
    "signed ranges": lambda n: "同比+69%至+74%," * (n // 12),
}


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_extraction_is_linear_on_long_lines(shape):
    """Ten times the text costs about ten times the time (a quadratic rule would cost a hundred)."""
    assert_linear(extract, ADVERSARIAL[shape], 50_000, shape)


def test_a_one_megabyte_line():
    line = "沪指涨0.43%,收报3346.72点;" * 55_000
    assert len(line) > 1_000_000
    found = extract(line)
    assert len(found) == 110_000
    assert found[-1].subject == "沪指" and len(found[-1].sentence) < 50


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789.,%-+ 亿万元点倍X个家年月日第至到涨跌超约同比A M$(、)")), max_size=60
    )
)
def test_any_text_gives_consistent_metrics(text):
    for m in extract(text):
        assert text[m.offset : m.offset + len(m.text)] == m.text
        for number in (m.value, m.low, m.high, m.normalized, m.normalized_low, m.normalized_high):
            if number is not None:
                Decimal(number)
        assert (m.value is None) == (m.low is not None)


# --- the model ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def annotated(sample_path):
    return metrics(read_text(SourceText(str(sample_path), sample_path.read_text(encoding="utf-8"))))


def test_registered_as_a_transform():
    assert registry.load("transforms", "metrics") is metrics


def test_metrics_are_attached_where_they_were_found(annotated, sample_path):
    lines = sample_path.read_text(encoding="utf-8").split("\n")
    report = next(r for r in annotated.reports if r.institution == "华源证券")
    assert [m.text for m in report.title_metrics] == ["18%"]
    origins = {m.origin for _, _, m in report.metrics()}
    assert origins == {"title", "heading", "block"}
    for report in annotated.reports:
        for _, block, m in report.metrics():
            line = lines[m.pos.line - 1]
            assert line[m.pos.column - 1 :].startswith(m.text), (m.text, m.pos)
            if block is not None:
                assert m.refs == block.refs and m.origin == "block"


def test_json_round_trip_is_exact_and_valid(annotated, sample_path):
    payload = json.loads(annotated.dumps())
    jsonschema.validate(payload, load_schema())
    again = Digest.from_json(payload)
    assert again.to_json() == annotated.to_json()
    assert digest_text(again) == sample_path.read_text(encoding="utf-8")
    first = [m for r in annotated.reports for _, _, m in r.metrics()]
    second = [m for r in again.reports for _, _, m in r.metrics()]
    assert first == second


def test_transform_is_idempotent(annotated):
    before = annotated.to_json()
    assert metrics(annotated).to_json() == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digest_file())
def test_generated_digests_with_metrics_stay_valid_and_lossless(text):
    digest = metrics(read_text(SourceText("gen.txt", text), Diagnostics()))
    payload = json.loads(digest.dumps())
    jsonschema.validate(payload, SCHEMA)
    assert Digest.from_json(payload).to_json() == payload
    assert digest_text(digest) == text


def test_numbers_with_separators_or_thousands_of_digits_before_year():
    """``1,000年`` is a duration (a year has no separator); a 5,000-digit number before 年 is no year either."""
    (duration,) = extract("该品牌已有1,000年历史")
    assert (duration.value, duration.unit, duration.base_unit) == ("1000", "年", "year")
    assert extract("1" * 5000 + "年") == []
    text = "T\n海通国际· 2025-02-16 16:06\n报告核心观点 - 沪指涨0.43%,存续870,819年 [1]\n"
    diagnostics = Diagnostics()
    digest = metrics(read_text(SourceText("d.txt", text), diagnostics), ctx=_Ctx(diagnostics))
    assert [m.text for _, _, m in digest.reports[0].metrics()] == ["0.43%", "870,819年"]
    assert not diagnostics.warnings


class _Ctx:
    def __init__(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics


def test_a_pipe_table_with_the_years_across_gives_each_row_its_indicator_and_each_column_its_year():
    text = (
        "财务数据及盈利预测 |指标|2024|2025Q1|2025E|2026E| |----|----|----|----|----| "
        "|营业总收入(百万元)|664|142|763|914| |ROE(%)|13.1|1.4|13.7|16.2| "
        "|净资产收益率(ROE)|18.68%|18.05%|18.40%|18.97%|"
    )
    found = [(m.subject, m.value, m.unit, m.year, m.estimate) for m in extract(text)]
    assert ("营业总收入", "664", "百万元", 2024, "") in found  # 2024 is not marked A: as written
    assert ("营业总收入", "914", "百万元", 2026, "E") in found
    assert ("ROE", "13.7", "%", 2025, "E") in found
    assert ("净资产收益率", "18.97", "%", 2026, "E") in found
    assert not any(m.subject.startswith("20") for m in extract(text))


def test_a_change_row_under_a_row_is_its_growth_and_the_rows_below_it_are_read_too():
    text = (
        "财务摘要 |项目|2022A|2023A|2024E| | ---- | ---- | ---- | ---- | |营业收入(百万元)|70,570|74,293|80,131| "
        "|(+/-)%|9.1%|5.3%|7.9%| |净利润(归母,百万元)|25,386|28,750|31,813| |每股净资产(元,期末股本)|9.19|11.47|12.97|"
    )
    found = [(m.subject, m.value, m.unit, m.year) for m in extract(text)]
    assert ("营业收入增速", "5.3", "%", 2023) in found
    assert ("净利润", "31813", "百万元", 2024) in found
    assert ("每股净资产", "9.19", "元", 2022) in found
    assert len(found) == 12


def test_a_corner_cell_names_the_unit_of_the_amounts_and_a_change_row_may_put_its_percent_in_parentheses():
    text = (
        "盈利预测与估值 |单位/百万元|2024|2025E|2026E| |----|----|----|----| "
        "|营业总收入|70,826.00|77,974.88|85,282.31| "
        "|(+/-)(%)|13.58%|10.09%|9.37%| |归母净利润|15,596.00|13,420.11|14,958.74| |EPS(元/股)|5.56|4.78|5.33| "
        "|P/E|15.56|18.09|16.23|"
    )
    found = [(m.subject, m.value, m.unit, m.year) for m in extract(text)]
    assert ("营业总收入", "70826.00", "百万元", 2024) in found
    assert ("营业总收入增速", "10.09", "%", 2025) in found
    assert ("归母净利润", "14958.74", "百万元", 2026) in found
    assert ("EPS", "5.56", "元/股", 2024) in found
    assert ("P/E", "16.23", "", 2026) in found  # a multiple: not an amount of the table's unit
    assert len(found) == 15


def test_a_bare_measure_after_a_list_comma_keeps_the_owner_the_figure_before_named():
    subjects = [m.subject for m in extract("鸿远电子营收+22.3%、归母净利润+52.7%;火炬电子营收+24.2%、归母净利润+59.0%")]
    assert subjects == ["鸿远电子营收", "鸿远电子归母净利润", "火炬电子营收", "火炬电子归母净利润"]
    assert [m.subject for m in extract("公司营收+22.3%、归母净利润+52.7%")][1] == "归母净利润"


def test_a_range_after_a_latin_name_is_a_range_not_a_name():
    (m,) = extract("对应2026年PE 24-26倍")
    assert (m.subject, m.low, m.high, m.unit) == ("PE", "24", "26", "倍")
    assert [x.text for x in extract("the CSI 1000 -1.87%")] == ["1.87%"]


def test_fiscal_years_with_their_flag_and_a_short_year_before_a_quarter_are_periods():
    found = [
        (m.subject, m.value, m.year, m.estimate)
        for m in extract("销售收入预测:FY24A为17,043百万人民币,FY25E为18,154百万人民币")
    ]
    assert found == [("销售收入", "17043", 2024, "A"), ("销售收入", "18154", 2025, "E")]
    (m,) = extract("25年前三季度累计收入2340.5亿元")
    assert (m.subject, m.period, m.year) == ("累计收入", "25年前三季度", 2025)
    assert [m.subject for m in extract("将总产品收入预测上调至183亿元人民币")] == ["总产品收入"]


def test_two_english_names_joined_by_and_take_the_two_values_joined_by_and_in_order():
    text = "with RoA and RoE projected to rise to 1.2% and 1.8% by FY28, up from 0.6% and 5.4% in FY26"
    assert [(m.subject, m.value) for m in extract(text)] == [
        ("RoA", "1.2"),
        ("RoE", "1.8"),
        ("RoA", "0.6"),
        ("RoE", "5.4"),
    ]
    assert [m.subject for m in extract("sales of $3bn and $4bn")] == ["sales", "sales"]


def test_rupees_crore_and_english_changes_of_the_clause_subject():
    found = [
        (m.subject, m.value, m.normalized, m.base_unit)
        for m in extract(
            "Revenue from operations was ₹1,085.88 crore, and the company achieved a net profit of 466 million yuan, "
            "representing a year-on-year increase of 87%; the broker cut its target to Rs 625"
        )
    ]
    assert found == [
        ("Revenue from operations", "1085.88", "10858800000", "INR"),
        ("net profit", "466", "466000000", "CNY"),
        ("net profit", "87", "0.87", "ratio"),
        ("target", "625", "625", "INR"),
    ]


def test_a_morning_note_headed_by_companies_and_their_codes_gives_each_figure_its_company():
    text = (
        "某某晨报\n某证券· 2025-04-29 17:23\n"
        "甲银行(600926.SH) - 归母净利润同比增速17.3% [1] "
        "乙电信(601728.SH、0728.HK) - 2025Q1实现营业收入1345亿元 [2] "
        "Acme (ACME.O) - 营收15.8亿美元 [3]\n"
    )
    diagnostics = Diagnostics()
    digest = metrics(read_text(SourceText("d.txt", text), diagnostics), ctx=_Ctx(diagnostics))
    subjects = [m.subject for _, _, m in digest.reports[0].metrics()]
    assert subjects == ["甲银行归母净利润增速", "乙电信营业收入", "Acme营收"]


def test_a_banks_corporate_loans_keep_their_word():
    assert [m.subject for m in extract("对公增速18%,对私贷款增速6%")] == ["对公增速", "对私贷款增速"]


def test_ranges_with_a_unit_on_both_ends_and_units_seen_on_real_final15():
    found = extract("预计实现营收18.5亿至20.5亿元,同比增长13.6%至25.8%,核心经营利润6500万至7500万元")
    assert [(m.low, m.high, m.unit) for m in found] == [
        ("18.5", "20.5", "亿元"),
        ("13.6", "25.8", "%"),
        ("6500", "7500", "万元"),
    ]
    by = extract("市占率提升5%至20%")  # a change by 5 points to 20 %: two figures, not a range
    assert [(m.value, m.low) for m in by] == [("5", None), ("20", None)]
    assert [(m.value, m.unit) for m in extract("Its price target of $75 implies 22% upside.")] == [
        ("75", "$"),
        ("22", "%"),
    ]
    assert [m.unit for m in extract("It has about $7B in cash and $4.2 billion in debt.")] == ["$B", "$ billion"]
    assert [(m.value, m.unit) for m in extract("吨上网电量同比降低5.3度/降低4.0度,累计上网电量32.06亿度")] == [
        ("5.3", "度"),
        ("4.0", "度"),
        ("32.06", "亿度"),
    ]
    units = [m.unit for m in extract("天然气均价为3.9美元/百万英热,执行标准为330元/kW·年")]
    assert units == ["美元/百万英热", "元/kW·年"]


def test_a_count_before_a_word_that_starts_like_a_stop_and_a_shares_written_with_a_space():
    assert [m.subject for m in extract("管理28台在运核电机组")] == ["在运核电机组"]  # 在运 is a word, not 在
    assert [m.subject for m in extract("年初至今 A 股医药指数涨幅为13.7%")] == ["A 股医药指数"]  # not the article a
    assert [m.subject for m in extract("本周跌幅居前金迪克(-26%)")] == ["金迪克"]


def test_english_boilerplate_of_a_company_profile_names_the_measure():
    cases = {
        "Sony Group had a return on equity of 21.70%": "return on equity",
        "The stock has a market cap of $121.47 billion": "market cap",
        "compared to its average volume of 598,740": "average volume",
        "Cowen's price objective points to a potential upside of 16.15%": "potential upside",
        "those estimates were $0.62": "estimates",
        "Analysts' mean estimate had been $2.57": "Analysts' mean estimate",  # had been: no verb before a measure
    }
    for text, subject in cases.items():
        assert [m.subject for m in extract(text)] == [subject], text


def test_a_sector_named_alone_before_its_sentence_owns_its_bare_measures():
    text = (
        "景气度走弱:航空装备,1-3Q2025实现营收1650.99亿元,同比下滑1.8%;归母净利润99.64亿元。"
        "航海装备1-3Q2025营业收入、归母净利润分别同比增长16.2%、87.5%。盈利能力方面,毛利率为30%"
    )
    found = [(m.subject, m.period) for m in extract(text)]
    assert found == [
        ("航空装备营收", "1-3Q2025"),
        ("航空装备营收", "1-3Q2025"),
        ("航空装备归母净利润", ""),
        ("航海装备营业收入", "1-3Q2025"),
        ("航海装备归母净利润", "1-3Q2025"),
        ("毛利率", ""),  # 盈利能力方面 frames the sentence, it owns nothing
    ]


def test_years_written_as_a_range_with_each_year_or_as_a_year_and_the_short_years_after_it():
    found = [
        (m.subject, m.year, m.estimate)
        for m in extract("预测公司2025年至2027年归母净利润分别为3.27亿元、3.96亿元、4.59亿元")
    ]
    assert [(y, e) for _, y, e in found] == [(2025, "E"), (2026, "E"), (2027, "E")]
    assert [(m.subject, m.year) for m in extract("我们下调2025/26/27EPS为3.02/3.61/4.23元")] == [
        ("EPS", 2025),
        ("EPS", 2026),
        ("EPS", 2027),
    ]
    assert [(m.subject, m.year) for m in extract("下调2025-26 年归母净利润9.8%/7.2%")] == [
        ("归母净利润", 2025),
        ("归母净利润", 2026),
    ]
    assert [m.value for m in extract("营收2025/2254/2412亿元")] == ["2025", "2254", "2412"]  # values, not years
    assert [(m.subject, m.value) for m in extract("EPS3.02元")] == [("EPS", "3.02")]  # glued, not a name like M1
    assert [m.subject for m in extract("M1同比增长5%")] == ["M1"]


def test_a_measure_written_after_its_value_and_an_english_target_phrase():
    cases = {
        "较当前股价有21.9%上行空间": ["上行空间"],
        "给予公司2025年33.9倍P/E": ["P/E"],
        "按12倍EV/EBITDA估值": ["EV/EBITDA"],
        "总市值2130亿元市盈率16.40倍": ["总市值", "市盈率"],  # a multiple after money is the next figure's
        "upped their price target for the company from €39.00 to €42.00": ["price target", "price target"],
        "an average rating of Buy and an average price target of $43.31": ["average price target"],
        "TD Securities raised their target price on shares of Canadian National Railway to $165.00": ["target price"],
    }
    for text, subjects in cases.items():
        assert [m.subject for m in extract(text)] == subjects, text


def test_renminbi_before_a_value_square_metres_and_megawatt_hours():
    found = extract("康龙化成3Q25实现收入人民币36.4亿元;在管面积达5.36亿平;电力售价407.64元/MWh")
    assert [(m.value, m.unit, m.base_unit) for m in found] == [
        ("36.4", "人民币亿元", "CNY"),
        ("5.36", "亿平", "m²"),
        ("407.64", "元/MWh", "CNY/MWh"),
    ]
    assert [m.subject for m in found] == ["收入", "在管面积", "电力售价"]
