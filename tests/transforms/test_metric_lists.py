"""The list grammar of the metrics transform: names and values that pair, forecast rows, years, signed changes.

Fixtures are the constructs real broker digests write most numbers in (the examples of the figures
issue); the property tests check the grammar's promises on generated lists.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText
from publisher.transforms import metric_lists as L
from publisher.transforms.metrics import extract, extract_with_warnings, metrics


def rows(text: str) -> list[tuple[str, str | None, str, str | None, int | None, str, int]]:
    """(subject, value or low~high, unit, change, year, estimate, item) of every figure of ``text``."""
    return [
        (
            m.subject,
            m.value if m.value is not None else f"{m.low}~{m.high}",
            m.unit,
            m.change,
            m.year,
            m.estimate,
            m.item,
        )
        for m in extract(text)
    ]


# --- lists of names and values ------------------------------------------------------------------------


def test_names_and_values_pair_with_one_unit():
    assert rows("尚品宅配前三季度营收/归母净利润/扣非归母净利润27.3/-1.1/-1.3亿元") == [
        ("尚品宅配营收", "27.3", "亿元", None, None, "", 1),
        ("归母净利润", "-1.1", "亿元", None, None, "", 2),
        ("扣非归母净利润", "-1.3", "亿元", None, None, "", 3),
    ]


def test_names_share_the_tail_of_the_last_and_a_change_list_pairs_with_them():
    found = extract("销售/管理/财务费用率22.1%/6.4%/0.8%,同比+3.3/+0.8/+0.4pcts")
    assert [(m.subject, m.value, m.unit) for m in found] == [
        ("销售费用率", "22.1", "%"),
        ("管理费用率", "6.4", "%"),
        ("财务费用率", "0.8", "%"),
        ("销售费用率", "+3.3", "pcts"),
        ("管理费用率", "+0.8", "pcts"),
        ("财务费用率", "+0.4", "pcts"),
    ]
    assert [m.change for m in found] == [None, None, None, "3.3", "0.8", "0.4"]
    assert [m.basis for m in found] == ["", "", "", "yoy", "yoy", "yoy"]


def test_names_before_a_verb_take_the_measure_after_it():
    found = extract("经销商/商超/电商实现营收61.13/4.31/1.54亿元,分别同比+12.42%/-3.03%/+7.28%")
    assert [m.subject for m in found] == ["经销商营收", "商超营收", "电商营收"] * 2
    assert [m.change for m in found][3:] == ["12.42", "-3.03", "7.28"]


def test_a_list_after_fenbie_with_its_own_units():
    found = extract("预计2025-2027年归母净利润为4.33/5.43/6.69亿元,对应PE分别为14倍、13倍、12倍")
    assert [(m.subject, m.value, m.unit, m.year, m.estimate) for m in found] == [
        ("归母净利润", "4.33", "亿元", 2025, "E"),
        ("归母净利润", "5.43", "亿元", 2026, "E"),
        ("归母净利润", "6.69", "亿元", 2027, "E"),
        ("PE", "14", "倍", 2025, "E"),
        ("PE", "13", "倍", 2026, "E"),
        ("PE", "12", "倍", 2027, "E"),
    ]


def test_bare_values_after_a_cue_are_figures():
    assert [m.value for m in extract("PS分别为7.24、6.44、5.63、4.93")] == ["7.24", "6.44", "5.63", "4.93"]


def test_mismatched_counts_warn_and_keep_every_name():
    found, warnings = extract_with_warnings("营收/净利润分别为1.2/3.4/5.6亿元")
    assert [m.subject for m in found] == ["营收/净利润"] * 3
    assert len(warnings) == 1 and "2 names and 3 values" in warnings[0][1]


def test_a_mismatch_is_a_positioned_warning_of_the_build():
    text = "标题\n测试证券· 2025-02-16 16:06\n核心观点 - 营收/净利润分别为1.2/3.4/5.6亿元 [1]\n"
    diagnostics = Diagnostics()
    digest = read_text(SourceText("feed.txt", text), diagnostics)
    metrics(digest, SimpleNamespace(diagnostics=diagnostics))  # type: ignore[arg-type]
    (warning,) = diagnostics.warnings
    assert (warning.file, warning.line) == ("feed.txt", 3)
    assert text.splitlines()[2][warning.column - 1 :].startswith("1.2")  # the list's first value
    assert "do not pair" in warning.message


def test_dates_fractions_and_years_are_not_lists():
    assert [(m.value, m.item) for m in extract("2026/2027财年有2台钻机投入使用")] == [("2", 0)]
    assert extract("约1/3的公司") == []
    assert extract("2024/2025年") == []


# --- forecast rows ---------------------------------------------------------------------------------------


ROWS = (
    "2023A/2024E/2025E/2026E 营业总收入(百万) 4900/3993/4148/4360 同比增速(%) 12.1/-18.5/3.9/5.1 "
    "每股盈利(元) 0.29/-0.49/0.27/0.54 市盈率 49/-29/52/26 市净率 0.9/1.0/0.8/0.9"
)


def test_forecast_rows_give_one_figure_per_value_with_its_year():
    found = extract(ROWS)
    assert len(found) == 20
    assert [(m.subject, m.value, m.unit, m.year, m.estimate, m.item) for m in found[:4]] == [
        ("营业总收入", "4900", "百万", 2023, "A", 1),
        ("营业总收入", "3993", "百万", 2024, "E", 2),
        ("营业总收入", "4148", "百万", 2025, "E", 3),
        ("营业总收入", "4360", "百万", 2026, "E", 4),
    ]
    assert {m.subject for m in found[4:8]} == {"同比增速"}
    assert [m.value for m in found[8:12]] == ["0.29", "-0.49", "0.27", "0.54"]
    assert {(m.subject, m.unit) for m in found[8:12]} == {("每股盈利", "元")}
    assert [(m.subject, m.value, m.unit) for m in found[12:16]] == [
        ("市盈率", "49", ""), ("市盈率", "-29", ""), ("市盈率", "52", ""), ("市盈率", "26", "")
    ]  # fmt: skip
    assert [m.subject for m in found[16:]] == ["市净率"] * 4
    assert all(m.period == "" for m in found)  # 2026E is the header's last year, not a period of the values


def test_multiples_under_a_range_of_years():
    found = extract("参考绝对估值法给予目标价18.2元/股,对应25-26年PE 52/26倍")
    assert [(m.subject, m.value, m.unit, m.year) for m in found] == [
        ("目标价", "18.2", "元/股", None),
        ("PE", "52", "倍", 2025),
        ("PE", "26", "倍", 2026),
    ]


def test_years_written_after_an_english_list():
    found = extract("Net income estimates reduced by 36%/25%/4% for 2025-27E")
    assert [(m.value, m.year, m.estimate, m.change) for m in found] == [
        ("36", 2025, "E", "-36"), ("25", 2026, "E", "-25"), ("4", 2027, "E", "-4")
    ]  # fmt: skip


def test_ranges_in_valuation_lines():
    assert rows("给予2025年13-14倍PE,对应每股9.96-10.73元")[0][:3] == ("PE", "13~14", "倍")
    assert rows("给予2025年13-14倍PE,对应每股9.96-10.73元")[1][1:3] == ("9.96~10.73", "元")
    assert [m.value or f"{m.low}~{m.high}" for m in extract("市场规模5至8万亿元")] == ["5~8"]


# --- signed change ----------------------------------------------------------------------------------------


def test_signs_of_change():
    assert [(m.value, m.change, m.basis) for m in extract("营收YoY -22.2%")] == [("-22.2", "-22.2", "yoy")]
    assert [m.change for m in extract("股价跌幅2.47%")] == ["-2.47"]
    assert [(m.value, m.change) for m in extract("财政收入同比减5363亿元")] == [("5363", "-5363")]
    assert [m.change for m in extract("归母净利润同比下滑12%,毛利率回落至30%")] == ["-12", None]
    assert [m.change for m in extract("营业利润由盈转亏-0.8亿元")] == ["-0.8"]
    assert [m.change for m in extract("revenue fell 11% month over month to NT$412bn")] == ["-11", None]
    assert [m.change for m in extract("营收同比增长3%,营收100亿元")] == ["3", None]
    assert [m.change for m in extract("财务费用同比变动约4亿元")] == [None]  # no direction: not given one


def test_a_level_before_a_chinese_change_is_not_a_change():
    level, change = extract("营收224.96亿美元同比降12%")
    assert (level.change, level.basis) == (None, "")
    assert (change.change, change.basis) == ("-12", "yoy")


# --- the pure functions ----------------------------------------------------------------------------------


def test_split_names():
    assert L.split_names("销售/管理/财务费用率") == ["销售费用率", "管理费用率", "财务费用率"]
    assert L.split_names("营收/归母净利润/扣非归母净利润") == ["营收", "归母净利润", "扣非归母净利润"]
    assert L.split_names("A股/港股成交额") == ["A股成交额", "港股成交额"]
    assert L.split_names("毛利率/净利率") == ["毛利率", "净利率"]
    assert L.split_names("PE") == ["PE"]


def test_year_lists():
    (found,) = L.year_lists("盈利预测 2023A/2024E/2025E/2026E 营业总收入")
    assert found.years == ((2023, "A"), (2024, "E"), (2025, "E"), (2026, "E"))
    (found,) = L.year_lists("预计24-26年收入")
    assert [y for y, _ in found.years] == [2024, 2025, 2026]
    (found,) = L.year_lists("FY24-26E EPS")
    assert (found.range_flag, [y for y, _ in found.years]) == ("E", [2024, 2025, 2026])
    assert L.year_lists("2500-3000元区间") == []
    assert L.year_lists("未来10-15年") == []


def test_single_year_and_estimates():
    assert [L.single_year(p) for p in ("2024年", "2025E", "FY25", "25Q1", "1Q25", "2H24", "2024年12月")] == [
        (2024, ""), (2025, "E"), (2025, ""), (2025, ""), (2025, ""), (2024, ""), (2024, "")
    ]  # fmt: skip
    assert L.single_year("2025-2027年") is None and L.single_year("1月") is None
    # a year not over when the report was published is an estimate; an earlier one is not
    assert L.estimate_flag(2026, "", "", True, 2025) == "E"
    assert L.estimate_flag(2024, "", "E", True, 2025) == ""
    assert L.estimate_flag(2025, "", "", False, 2025) == ""  # 25Q1: a quarter that may be over
    assert L.estimate_flag(2023, "A", "", True, 2025) == "A"


# --- properties ------------------------------------------------------------------------------------------

NAMES = ["营收", "归母净利润", "扣非净利润", "毛利率", "净利率", "经营现金流", "出货量", "销量", "资本开支", "存货"]
UNITS = ["亿元", "%", "万吨", "元", "倍", "pcts", "万辆"]
numbers = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2, allow_nan=False)
signs = st.sampled_from(["", "+", "-"])


def _written(number: Decimal) -> str:
    return format(number.normalize(), "f")


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=6, unique=True),
    data=st.data(),
    unit=st.sampled_from(UNITS),
)
def test_n_names_and_n_values_pair_in_order(names, data, unit):
    values = [
        s + _written(v)
        for s, v in data.draw(st.lists(st.tuples(signs, numbers), min_size=len(names), max_size=len(names)))
    ]
    found, warnings = extract_with_warnings(f"{'/'.join(names)}{'/'.join(values)}{unit}")
    assert warnings == []
    assert [m.subject for m in found] == names
    assert [Decimal(m.value) for m in found] == [Decimal(v) for v in values]
    assert {m.unit for m in found} == {unit}
    assert [m.item for m in found] == list(range(1, len(names) + 1))


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=5, unique=True),
    count=st.integers(min_value=2, max_value=6),
    unit=st.sampled_from(UNITS),
)
def test_mismatched_counts_warn(names, count, unit):
    if count == len(names):
        count += 1
    values = [str(10 + k) for k in range(count)]
    found, warnings = extract_with_warnings(f"{'/'.join(names)}{'/'.join(values)}{unit}")
    assert len(warnings) == 1
    assert all(m.subject not in names for m in found)  # never silently paired


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    basis=st.sampled_from(["同比", "环比", "YoY ", "较上年"]),
    changes=st.lists(st.tuples(st.sampled_from(["+", "-"]), numbers), min_size=1, max_size=4),
    unit=st.sampled_from(["%", "pcts", "个百分点", "bp"]),
)
def test_a_sign_written_before_a_value_survives_into_change(name, basis, changes, unit):
    written = "/".join(s + _written(v) for s, v in changes)
    found = extract(f"{name}{basis}{written}{unit}")
    assert [Decimal(m.change) for m in found] == [Decimal(s + _written(v)) for s, v in changes]
