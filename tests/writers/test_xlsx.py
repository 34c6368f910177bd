"""The Excel metric workbook: read back with openpyxl, recalculated by LibreOffice, built twice."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.libreoffice import SOFFICE, soffice_csv

from publisher import registry
from publisher.audiences import AudienceCatalog, AudienceError
from publisher.diagnostics import Diagnostics
from publisher.model import Block, Digest, Report, Section
from publisher.readers.digest import read
from publisher.textutil import display_width, xml_safe
from publisher.transforms.metrics import metrics
from publisher.writers.base import RenderContext
from publisher.writers.xlsx import (
    COLUMNS,
    EXCEL_CELL_LIMIT,
    FORMULA_TRIGGERS,
    SECTION_SEPARATOR,
    BulletRow,
    MetricRow,
    Number,
    ReportRow,
    XlsxWriter,
    literal_text_criterion,
    workbook_spec,
)

BUILD_TIME = datetime(2025, 2, 16, 10, 0, tzinfo=UTC)


def build(digest: Digest, audience: str = "analyst", templates=(), when: datetime = BUILD_TIME, **overrides):
    """The workbook of ``digest``; in English (``locale=en``) unless ``locale`` is given: these tests
    name sheets and headers by their English names (test_chinese_workbook_* reads the default)."""
    overrides.setdefault("locale", "en")
    catalog = AudienceCatalog(templates)
    profile = catalog.load(audience)
    for key, value in overrides.items():
        profile.override(key.replace("__", "."), value)
    ctx = RenderContext(profile, Diagnostics(), when)
    (output,) = XlsxWriter().write(digest, ctx)
    return output.content(), ctx.diagnostics


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def load_values(data: bytes) -> openpyxl.Workbook:
    """The workbook as a reader that does not calculate sees it: each formula's cached value."""
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


@pytest.fixture(scope="module")
def sample(sample_path) -> Digest:
    return metrics(read(str(sample_path)))


@pytest.fixture(scope="module")
def workbook_bytes(sample) -> bytes:
    data, diagnostics = build(sample)
    assert not diagnostics.items, [str(d) for d in diagnostics]
    return data


@pytest.fixture(scope="module")
def workbook(workbook_bytes) -> openpyxl.Workbook:
    return load(workbook_bytes)


def header(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def column(ws, name: str) -> list:
    index = header(ws).index(name)
    return [row[index] for row in ws.iter_rows(min_row=2)]


# --- structure ---------------------------------------------------------------------------------------


def test_registered_and_in_the_analyst_profile():
    assert registry.create("writers", "xlsx").extension == ".xlsx"
    analyst = AudienceCatalog().load("analyst")
    assert "xlsx" in analyst.formats and "metrics" in analyst.profile["transforms"]


FORECAST_TEXT = (
    "盈利预测 - 预计2025-2027年归母净利润为4.33/5.43/6.69亿元,同比+12.1%/-3.5%/+8.0% [1] "
    "- 销售/管理/财务费用率22.1%/6.4%/0.8%,同比+3.3/+0.8/-0.4pcts [2] - 股价跌幅2.47% [3]"
)


def test_change_and_year_are_numbers_pandas_reads(tmp_path):
    pandas = pytest.importorskip("pandas")
    path = tmp_path / "feed.txt"
    path.write_text(f"公司点评\n测试证券· 2025-02-16 16:06\n{FORECAST_TEXT}\n", encoding="utf-8")
    data, _ = build(metrics(read(str(path))))
    frame = pandas.read_excel(io.BytesIO(data), sheet_name="Metrics")
    assert pandas.api.types.is_numeric_dtype(frame["Change"])
    assert pandas.api.types.is_numeric_dtype(frame["Year"])
    assert pandas.api.types.is_numeric_dtype(frame["Value"])
    profit = frame[frame["Subject"] == "归母净利润"]
    assert profit["Unit"].tolist() == ["亿元"] * 3 + ["%"] * 3  # the changes that follow are the profit's
    assert profit["Year"].tolist() == [2025, 2026, 2027] * 2
    assert profit["A/E"].tolist() == ["E"] * 6
    assert profit["Change"].round(4).tolist()[3:] == [0.121, -0.035, 0.08]  # percent cells hold fractions
    assert frame[frame["Unit"] == "pcts"]["Change"].tolist() == [3.3, 0.8, -0.4]
    assert frame[frame["Subject"] == "股价"]["Change"].round(4).tolist() == [-0.0247]
    assert set(frame["Basis"].dropna()) == {"yoy"}


def test_sheets_tables_and_frozen_headers(workbook, sample):
    assert workbook.sheetnames == ["Metrics", "Reports", "Bullets", "Facts", "Forecasts", "Summary"]
    expected_rows = {
        "Metrics": sum(1 for r in sample.reports for _ in r.metrics()),
        "Reports": len(sample.reports),
        "Bullets": sum(1 for r in sample.reports for _ in r.blocks()),
    }
    for name, rows in expected_rows.items():
        ws = workbook[name]
        (table,) = ws.tables.values()
        assert table.name == name and table.tableStyleInfo.name == "TableStyleMedium2"
        last = openpyxl.utils.get_column_letter(len(header(ws)))
        assert table.ref == f"A1:{last}{rows + 1}" == table.autoFilter.ref
        assert [c.name for c in table.tableColumns] == header(ws)  # a mismatch makes Excel repair the file
        # the header row and the key columns stay in view: report, time, institution (and subject)
        assert ws.freeze_panes == {"Metrics": "E2", "Reports": "D2", "Bullets": "D2"}[name]
        assert ws.max_row == rows + 1


def test_metric_cells_are_typed(workbook):
    ws = workbook["Metrics"]
    h = header(ws)
    rows: dict[tuple, tuple] = {}
    for r in ws.iter_rows(min_row=2):  # the first metric of each (subject, unit)
        rows.setdefault((r[h.index("Subject")].value, r[h.index("Unit")].value), r)

    def cell(subject, unit, name):
        return rows[(subject, unit)][h.index(name)]

    pct = cell("上证综指", "%", "Value")
    assert pct.data_type == "n" and pct.value == pytest.approx(0.0043) and pct.number_format == "0.00%"
    assert cell("创业板指", "%", "Value").number_format == "0.00%"  # 1.80% keeps its written decimals
    turnover = cell("沪深两市成交额", "亿元", "Value")
    assert turnover.value == 17150 and turnover.number_format == "#,##0"
    assert cell("沪深两市成交额", "亿元", "Normalised").value == 1_715_000_000_000
    assert cell("沪深两市成交额", "亿元", "Base unit").value == "CNY"
    close = cell("沪指", "点", "Value")
    assert close.value == pytest.approx(3346.72) and close.number_format == "#,##0.00"
    pp = cell("日均换手率", "pcts", "Normalised")
    assert pp.value == pytest.approx(0.0271)
    years = cell("未来五年", "财年", "Low")
    assert (years.value, cell("未来五年", "财年", "High").value, cell("未来五年", "财年", "Value").value) == (
        24,
        28,
        None,
    )
    time = rows[("上证综指", "%")][h.index("Time")]
    assert time.is_date and time.value == datetime(2025, 2, 16, 12, 18) and time.number_format == "yyyy-mm-dd hh:mm"
    assert rows[("上证综指", "%")][h.index("Direction")].value == "up"
    assert rows[("北证 A 股 PE", "X")][h.index("Section")].value == "市场表现:北证 A 股整体 PE 回升到 39X"


def test_column_widths_count_cjk_double(workbook, sample):
    ws = workbook["Metrics"]
    widest = max(display_width(r.institution) for r in sample.reports)
    assert widest == 12  # 肯特州立大学
    letter = openpyxl.utils.get_column_letter(header(ws).index("Institution") + 1)
    assert ws.column_dimensions[letter].width >= widest + 1
    sentence = openpyxl.utils.get_column_letter(header(ws).index("Sentence") + 1)
    assert ws.column_dimensions[sentence].width == 60  # long text is capped


def test_reports_link_to_their_metrics(workbook, sample):
    reports, metrics_ws = workbook["Reports"], workbook["Metrics"]
    h = header(reports)
    ids = column(metrics_ws, "Report id")
    for row in reports.iter_rows(min_row=2):
        report_id, count = row[h.index("Report id")].value, row[h.index("Metrics")]
        expected = sum(1 for c in ids if c.value == report_id)
        if not expected:
            assert count.value == 0
            continue
        match = re.fullmatch(r'=HYPERLINK\("#\'Metrics\'!A(\d+)",(\d+)\)', count.value)
        assert match and int(match[2]) == expected, count.value
        if match:
            assert metrics_ws.cell(int(match[1]), 1).value == report_id
            assert metrics_ws.cell(int(match[1]) - 1, 1).value != report_id
    assert_only_our_formulas(workbook)
    takeaway = reports.cell(2, h.index("Key takeaway") + 1).value
    assert takeaway == sample.reports[0].key_takeaway().text


def test_bullets_carry_section_paths_and_citations(workbook):
    ws = workbook["Bullets"]
    h = header(ws)
    row = next(r for r in ws.iter_rows(min_row=2) if str(r[h.index("Text")].value).startswith("截至2024财年末自有钻机"))
    assert row[h.index("Section")].value == "各部分总结 › 新增钻机情况"
    assert row[h.index("Citations")].value == "3"
    assert row[h.index("Kind")].value == "bullet"


def test_summary_formulas_and_charts(workbook, sample):
    ws = workbook["Summary"]
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    institutions = {r.institution for r in sample.reports}
    assert sum("COUNTIFS(Metrics[Institution]," in f for f in formulas) == len(institutions)
    assert any('COUNTIFS(Reports[Time],">="&$A' in f for f in formulas)
    assert all(
        re.fullmatch(r"=(COUNTIFS\(.*\)|SUM\([A-G]\d+:[A-G]\d+\)|0|_xlfn\.M(IN|AX)IFS\(.*\))", f) for f in formulas
    )
    # counts of extracted items answer no question; the sample states no rating, and the one chart
    # is the range of the percentages two reports both give (创业板指, 深证成指)
    assert [c.title.tx.rich.p[0].r[0].t for c in ws._charts] == ["Figures by subject (%): lowest and highest"]


def test_figures_by_subject_across_reports(workbook_bytes, workbook):
    """The subjects more than one report states, with how many and their lowest and highest value."""
    values = load_values(workbook_bytes)["Summary"]
    rows = [[c.value for c in row] for row in values.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == "Figures by subject")
    assert rows[start][:6] == [
        "Figures by subject",
        "Base unit",
        "Reports stating it",
        "Figures stated",
        "Lowest",
        "Highest",
    ]
    block = {r[0]: r[1:6] for r in rows[start + 1 :] if r[0]}
    assert block["创业板指"] == ["ratio", 2, 2, 0.018, 0.018]
    assert set(block) == {"创业板指", "深证成指"}
    assert workbook["Summary"].cell(start + 2, 5).number_format == "0.0%"


def test_literal_text_criterion():
    """A subject in a criterion is a string literal that matches itself only: no wildcard, no way out."""
    assert literal_text_criterion('营收"&HYPERLINK("x")&"') == '"=营收""&HYPERLINK(""x"")&"""'
    assert literal_text_criterion("中金*?~") == '"=中金~*~?~~"'


def test_document_properties(workbook, sample):
    props = workbook.properties
    assert props.creator == "Research Desk"
    assert props.created == props.modified == datetime(2025, 2, 16, 10, 0)
    assert props.title == sample.title
    assert props.keywords == "research, digest"
    assert "10 reports" in props.description and "metrics" in props.description


def test_reproducible_bytes(sample):
    first, _ = build(sample)
    second, _ = build(sample)
    assert first == second
    later, _ = build(sample, when=datetime(2025, 3, 1, tzinfo=UTC))
    assert later != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 2, 16, 10, 0, 0)}


def test_reproducible_through_the_cli(cli, sample_path, tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1739700000"}
    outputs = []
    for name in ("one", "two"):
        result = cli("build", str(sample_path), "-f", "xlsx", "-o", str(tmp_path / name), env=env)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name / "analyst" / "research-digest-2025-02-16.xlsx").read_bytes())
    assert outputs[0] == outputs[1]


# --- safety ----------------------------------------------------------------------------------------------

DANGEROUS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=cmd|' /C calc'!A0", '\r=HYPERLINK("x")', "=A1"]


def digest_of(texts: list[str], institution: str = "海通国际") -> Digest:
    sections = [Section(heading=t or "h", blocks=[Block("bullet", t or "b")]) for t in texts]
    report = Report(title=texts[0] or "t", institution=institution, published_at=datetime(2025, 2, 16, 9, 30))
    report.sections = sections
    report.id = "0123456789ab"
    return metrics(Digest(source="gen.txt", reports=[report], title=texts[-1]))


#: The criteria of a "figures by subject" row: string literals (a ``"`` inside doubled), nothing else.
_LITERAL = r'"=(?:[^"]|"")*"'
SUBJECT_CRITERIA = (
    rf"Metrics\[Subject\],{_LITERAL},Metrics\[Basis\],{_LITERAL},"
    rf"Metrics\[\[Base unit\]\],{_LITERAL},Metrics\[\[First mention\]\],TRUE"
)
OUR_FORMULAS = {
    "Metrics": None,
    "Bullets": None,
    "Reports": re.compile(r'=HYPERLINK\("#\'Metrics\'!A\d+",\d+\)'),
    "Summary": re.compile(
        r"=(COUNTIFS\((Reports|Metrics|Bullets)\[(Institution|Time)\][^;]*\)|SUM\([B-D]\d+:[B-D]\d+\)|0"
        rf"|COUNTIFS\({SUBJECT_CRITERIA}\)|_xlfn\.(MIN|MAX)IFS\(Metrics\[Normalised\],{SUBJECT_CRITERIA}\))"
    ),
}


def assert_only_our_formulas(wb: openpyxl.Workbook) -> None:
    """Every formula in the workbook is one the writer made; none comes from input text."""
    for name, allowed in OUR_FORMULAS.items():
        for row in wb[name].iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert allowed is not None and allowed.fullmatch(c.value), (name, c.coordinate, c.value)


def test_text_that_looks_like_a_formula_stays_text():
    data, _ = build(digest_of(DANGEROUS, institution='=HYPERLINK("http://x")'))
    wb = load(data)
    assert_only_our_formulas(wb)
    ws = wb["Bullets"]
    texts = column(ws, "Text")
    assert [c.value for c in texts] == DANGEROUS
    assert all(c.data_type == "s" and c.quotePrefix for c in texts)
    assert column(ws, "Institution")[0].value == '=HYPERLINK("http://x")'
    summary_text = [c for row in wb["Summary"].iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert summary_text and all(c.data_type == "s" for c in summary_text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4), st.text(min_size=1, max_size=20))
def test_no_input_text_ever_becomes_a_formula(texts, institution):
    data, _ = build(digest_of(texts, institution))
    wb = load(data)
    assert_only_our_formulas(wb)
    got = [c.value for c in column(wb["Bullets"], "Text")]
    assert got == [xml_safe(t or "b", "")[0] or None for t in texts]


def test_illegal_characters_and_long_cells_are_reported():
    long_text = "长" * (EXCEL_CELL_LIMIT + 10)
    digest = digest_of(["bad\x01\x02text", long_text])
    data, diagnostics = build(digest)
    messages = [str(d) for d in diagnostics]
    assert any("removed 2 characters" in m for m in messages), messages
    assert any("truncated" in m and "32,767" in m for m in messages), messages
    wb = load(data)
    texts = [c.value for c in column(wb["Bullets"], "Text")]
    assert texts[0] == "badtext"
    assert len(texts[1]) == EXCEL_CELL_LIMIT and texts[1].endswith("…")


def test_an_empty_digest_gives_a_valid_workbook():
    data, _ = build(metrics(Digest(source="empty.txt")))
    wb = load(data)
    for name in ("Metrics", "Reports", "Bullets"):
        (table,) = wb[name].tables.values()
        assert table.ref.endswith("2")  # header and one empty row: Excel needs a data row
    assert wb["Summary"]._charts == []


def test_numbers_excel_cannot_hold_are_left_empty(sample):
    report = sample.reports[0]
    digest = Digest(source="big.json", reports=[report])
    metric = report.title_metrics[:1] or [m for _, _, m in report.metrics()][:1]
    original = metric[0].value
    metric[0].value = "9" * 400
    try:
        wb = load(build(digest)[0])
    finally:
        metric[0].value = original
    assert column(wb["Metrics"], "Value")[0].value is None


# --- the profile decides --------------------------------------------------------------------------------


def test_another_audience_asks_for_another_workbook(tmp_path, sample):
    folder = tmp_path / "desk"
    folder.mkdir()
    (folder / "profile.toml").write_text(
        """
base = "analyst"
formats = ["xlsx"]
[xlsx]
sheets = ["summary", "reports"]
table_style = "TableStyleLight9"
chart = "column"
[xlsx.reports]
name = "报告 列表"
table = "报告"
columns = ["institution", "published_at", "title", "metrics"]
[xlsx.labels]
institution = "机构"
published_at = "时间"
""",
        encoding="utf-8",
    )
    data, _ = build(sample, "desk", templates=[tmp_path])
    wb = load(data)
    assert wb.sheetnames == ["Summary", "报告 列表"]
    ws = wb["报告 列表"]
    assert header(ws) == ["机构", "时间", "Title", "Metrics"]
    assert ws.tables["报告"].tableStyleInfo.name == "TableStyleLight9"
    assert column(ws, "Metrics")[0].data_type == "n"  # no Metrics sheet to link to
    formulas = [c.value for row in wb["Summary"].iter_rows() for c in row if c.data_type == "f"]
    assert any("COUNTIFS(报告[机构]," in f for f in formulas)
    assert all(c.tagname == "barChart" and c.type == "col" for c in wb["Summary"]._charts)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("xlsx.reports.name", "a/b", "xlsx.reports.name"),
        ("xlsx.reports.name", "x" * 32, "31 characters"),
        ("xlsx.metrics.columns", ["subject", "colour"], "unknown column 'colour'"),
        ("xlsx.sheets", ["metrics", "pivot"], "unknown sheet 'pivot'"),
        ("xlsx.bullets.table", "A1", "not a valid Excel table name"),
        ("xlsx.table_style", "Fancy", "not a built-in table style"),
        ("xlsx.labels.subject", "Unit", "appears twice"),
    ],
)
def test_bad_profile_values_are_named(sample, key, value, message):
    with pytest.raises(AudienceError, match=re.escape(message)):
        build(sample, **{key.replace(".", "__"): value})


def test_bad_profile_value_on_the_command_line(cli, sample_path, tmp_path):
    result = cli("build", str(sample_path), "-f", "xlsx", "-o", str(tmp_path), "-D", "xlsx.reports.name=a:b")
    assert result.returncode == 2
    assert "xlsx.reports.name" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "analyst" / "research-digest-2025-02-16.xlsx").exists()


# --- LibreOffice recalculates -----------------------------------------------------------------------------


def summary_counts(rows: list[list[str]], heading: str) -> dict[str, list[int]]:
    start = next(i for i, r in enumerate(rows) if r and r[0] == heading)
    found = {}
    for r in rows[start + 1 :]:
        if not r or not r[0]:
            break
        found[r[0]] = [int(Decimal(x)) for x in r[1:4]]
    return found


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_recalculates_the_summary(tmp_path, workbook_bytes, sample):
    path = tmp_path / "digest.xlsx"
    path.write_bytes(workbook_bytes)
    sheets = soffice_csv(path, tmp_path / "lo-profile")
    by_institution = summary_counts(sheets["Summary"], "Institution")
    for institution in {r.institution for r in sample.reports}:
        reports = [r for r in sample.reports if r.institution == institution]
        expected = [
            len(reports),
            sum(1 for r in reports for _ in r.metrics()),
            sum(1 for r in reports for _ in r.blocks()),
        ]
        assert by_institution[institution] == expected, institution
    total_metrics = sum(1 for r in sample.reports for _ in r.metrics())
    assert by_institution["Total"] == [len(sample.reports), total_metrics, 138]
    by_day = summary_counts(sheets["Summary"], "Day")
    assert by_day["2025-02-14"][0] == 3 and by_day["2025-02-16"][0] == 7
    assert by_day["Total"][1] == total_metrics
    assert len(sheets["Metrics"]) == total_metrics + 1
    # the values cached when the workbook was written are what LibreOffice calculates
    cached = [[c.value for c in row] for row in load_values(workbook_bytes)["Summary"].iter_rows()]
    for row, calculated in zip(cached, sheets["Summary"], strict=False):
        for value, shown in zip(row[1:], calculated[1:], strict=False):
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            number = Decimal(shown.replace(",", "").rstrip("%")) / (100 if shown.endswith("%") else 1)
            assert abs(number - Decimal(str(value))) <= Decimal("0.0005"), (row, calculated)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_summary_follows_the_analysts_edits(tmp_path, workbook_bytes):
    """Re-label one metric's institution and add a row to the table: the counts follow."""
    wb = load(workbook_bytes)
    ws = wb["Metrics"]
    h = header(ws)
    inst = h.index("Institution") + 1
    moved = ws.cell(2, inst).value
    ws.cell(2, inst).value = "粤开证券"
    ws.append(["extra", datetime(2025, 2, 14, 9, 0), "粤开证券"])
    table = ws.tables["Metrics"]
    last = openpyxl.utils.get_column_letter(len(h))
    table.ref = table.autoFilter.ref = f"A1:{last}{ws.max_row}"
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    after = summary_counts(soffice_csv(path, tmp_path / "lo-profile")["Summary"], "Institution")
    original = {"粤开证券": 13, moved: 11}
    assert after["粤开证券"][1] == original["粤开证券"] + 2
    assert after[moved][1] == original[moved] - 1


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_headers_that_need_escaping_still_count(tmp_path, sample):
    """Structured references escape what Excel's grammar needs: the counts still come out right."""
    data, _ = build(
        sample,
        xlsx__labels__institution="Inst'n #1 [CN]",
        xlsx__labels__published_at="发布 时间",
        xlsx__reports__name="Reports & more's",
    )
    wb = load(data)
    formulas = [c.value for row in wb["Summary"].iter_rows() for c in row if c.data_type == "f"]
    assert any("Reports[[Inst''n '#1 '[CN']]]" in f for f in formulas), formulas[:3]
    path = tmp_path / "escaped.xlsx"
    path.write_bytes(data)
    by_institution = summary_counts(soffice_csv(path, tmp_path / "lo-profile")["Summary"], "Institution")
    assert by_institution["Total"][:2] == [len(sample.reports), sum(1 for r in sample.reports for _ in r.metrics())]
    assert by_institution["海通国际"][0] == 1
    assert wb["Reports & more's"]["D2"].value == "=HYPERLINK(\"#'Metrics'!A2\",11)"


# --- the streamed sheets: every cell by the rules ---------------------------------------------------------

ALL_COLUMNS = {f"xlsx__{kind}__columns": list(columns) for kind, columns in COLUMNS.items()}
SHEETS = {"metrics": "Metrics", "reports": "Reports", "bullets": "Bullets"}


def model_rows(kind: str, digest: Digest) -> list:
    """The rows a sheet shows, from the model's own iterators."""
    rows: list = []
    if kind == "metrics":
        for report in digest.reports:
            seen = set()
            for section, block, metric in report.metrics():
                path = SECTION_SEPARATOR.join(report.section_path(section)) if section is not None else ""
                key = (
                    (metric.normalized, metric.base_unit)
                    if metric.normalized is not None
                    else (metric.value, metric.unit)
                )
                key = (*key, metric.low, metric.high, metric.change, metric.year)
                rows.append(MetricRow(report, path, block, metric, key not in seen))  # first mention of the figure
                seen.add(key)
    elif kind == "reports":
        first = 2
        for report in digest.reports:
            count = sum(1 for _ in report.metrics())
            refs = {ref for _, block in report.blocks() for ref in block.refs}
            sections, blocks = sum(1 for _ in report.walk()), sum(1 for _ in report.blocks())
            rows.append(ReportRow(report, sections, blocks, count, len(refs), first if count else None))
            first += count
    else:
        for report in digest.reports:
            for section in report.walk():
                for block in section.blocks:
                    path = SECTION_SEPARATOR.join(report.section_path(section))
                    rows.append(BulletRow(report, section, path, block))
    return rows


def expected_cell(key: str, value, row, links: bool) -> tuple:
    """(value, data type, number format, quote prefix, underlined) of a cell holding ``value``."""
    if value is None or value == "":
        return None, None, "General", False, None
    if isinstance(value, str):
        text = xml_safe(value, "")[0]
        if len(text) > EXCEL_CELL_LIMIT:
            text = text[: EXCEL_CELL_LIMIT - 1] + "…"
        if not text:
            return None, None, "General", False, None
        return text, "s", "General", text.startswith(FORMULA_TRIGGERS), None  # never a formula or an error
    if isinstance(value, Number):
        return float(f"{value.value:.16g}"), "n", value.number_format, False, None
    if isinstance(value, datetime):
        return value, "d", "yyyy-mm-dd" if key == "date" else "yyyy-mm-dd hh:mm", False, None
    if isinstance(value, bool):
        return value, "b", "General", False, None
    if links and key == "metrics" and isinstance(row, ReportRow) and row.first_metric_row:
        return f"=HYPERLINK(\"#'Metrics'!A{row.first_metric_row}\",{value})", "f", "General", False, "single"
    return value, "n", "General", False, None


def assert_cells_follow_the_rules(data: bytes, digest: Digest, **overrides) -> None:
    """Every cell of the table sheets, read back by openpyxl, is what the workbook's rules say it holds."""
    wb = load(data)
    profile = AudienceCatalog().load("analyst")
    profile.override("locale", "en")
    for key, value in overrides.items():
        profile.override(key.replace("__", "."), value)
    spec = workbook_spec(RenderContext(profile))
    for kind, name in SHEETS.items():
        sheet, ws = spec.sheet(kind), wb[name]
        assert [c.value for c in next(ws.iter_rows(max_row=1))] == [c.label for c in sheet.columns]
        rows = model_rows(kind, digest)
        got = list(ws.iter_rows(min_row=2, max_col=len(sheet.columns)))
        assert len(got) == len(rows)  # an empty table keeps one empty row, which reads back as none
        for row, cells in zip(rows, got, strict=False):
            for column, cell in zip(sheet.columns, cells, strict=True):
                want = expected_cell(column.key, column.get(row), row, spec.sheet("metrics") is not None)
                have = (cell.value, cell.data_type if cell.value is not None else None, cell.number_format)
                assert have == want[:3], (name, cell.coordinate, column.key)
                assert (bool(cell.quotePrefix), cell.font.u) == want[3:], (name, cell.coordinate, column.key)


def test_every_cell_of_the_sample_follows_the_rules(sample):
    data, diagnostics = build(sample, **ALL_COLUMNS)
    assert not diagnostics.items
    assert_cells_follow_the_rules(data, sample, **ALL_COLUMNS)


HOSTILE = [
    *DANGEROUS, " lead", "trail ", "\u3000全角\u3000", "a\r\nb\rc\n", "<b>&amp;</b> ]]> \"q\" 'a'", "#N/A", "#REF!",
    "bad\x01\x02text", "\ud800x\ufffe", "＝1", "\x0b", "涨0.43%,收报3346.72点, -5.5%", "长" * (EXCEL_CELL_LIMIT + 3),
]  # fmt: skip


def test_every_cell_of_hostile_text_follows_the_rules():
    digest = digest_of(HOSTILE, institution="=1+1 & <b>")
    data, diagnostics = build(digest, **ALL_COLUMNS)
    assert_cells_follow_the_rules(data, digest, **ALL_COLUMNS)
    messages = [str(d) for d in diagnostics]
    assert any("removed 2 characters" in m for m in messages) and any("truncated" in m for m in messages)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # Excel trims outer spaces unless told not to
        bullets = archive.read("xl/worksheets/sheet3.xml").decode("utf-8")
    assert '<t xml:space="preserve"> lead</t>' in bullets and '<t xml:space="preserve">trail </t>' in bullets


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=3), st.text(min_size=1, max_size=12))
def test_every_cell_of_any_text_follows_the_rules(texts, institution):
    digest = digest_of(texts, institution)
    data, _ = build(digest, **ALL_COLUMNS)
    assert_cells_follow_the_rules(data, digest, **ALL_COLUMNS)


def test_text_like_an_error_value_stays_text():
    errors = ["#N/A", "#DIV/0!", "#REF!", "#NAME?"]
    wb = load(build(digest_of(errors))[0])
    texts = column(wb["Bullets"], "Text")
    assert [(c.value, c.data_type) for c in texts] == [(e, "s") for e in errors]


def test_a_row_that_fails_is_left_out_whole_and_the_links_still_match(sample):
    report = sample.reports[1]
    metric = next(m for _, _, m in report.metrics())
    original, metric.value = metric.value, object()  # not a number's text: writing the row fails
    try:
        data, diagnostics = build(sample)
    finally:
        metric.value = original
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    assert len(errors) == 1 and f"a row of report {report.id} could not be written" in errors[0]
    wb = load(data)
    metrics_ws, reports = wb["Metrics"], wb["Reports"]
    total = sum(1 for r in sample.reports for _ in r.metrics())
    assert metrics_ws.max_row == total  # the header and every other row
    assert all(c.value is not None for c in column(metrics_ws, "Report id"))  # no half-written row
    h = header(reports)
    for row in reports.iter_rows(min_row=2):
        link = re.fullmatch(r'=HYPERLINK\("#\'Metrics\'!A(\d+)",\d+\)', str(row[h.index("Metrics")].value))
        if link:  # the first row of the report's metrics, also after the missing row
            target = int(link[1])
            assert metrics_ws.cell(target, 1).value == row[h.index("Report id")].value
            assert metrics_ws.cell(target - 1, 1).value != row[h.index("Report id")].value


def test_memory_stays_flat_as_the_digest_grows(sample, tmp_path):
    """The sheets stream to disk: ten times the rows must not take ten times the memory."""
    import tracemalloc

    profile = AudienceCatalog().load("analyst")
    peaks = []
    for copies in (10, 100):
        digest = Digest(source="big.txt", reports=sample.reports * copies)
        ctx = RenderContext(profile, Diagnostics(), BUILD_TIME)
        spec = workbook_spec(ctx)
        with open(tmp_path / f"{copies}.xlsx", "wb") as handle:
            tracemalloc.start()
            try:
                XlsxWriter().save(digest, ctx, spec, handle)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        with zipfile.ZipFile(tmp_path / f"{copies}.xlsx") as archive:
            table = archive.read("xl/tables/table1.xml").decode()
        rows = copies * sum(1 for r in sample.reports for _ in r.metrics())
        assert re.search(rf':[A-Z]+{rows + 1}"', table)  # the Metrics table spans every row
    assert peaks[1] < 1.5 * peaks[0], peaks


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_hostile_text_as_text(tmp_path):
    """The streamed XML (escapes, outer spaces, quote prefixes) loads in LibreOffice as the same text."""
    texts = [t for t in HOSTILE if len(t) < 100]
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(build(digest_of(texts, institution="=1+1 & <b>"))[0])
    sheets = soffice_csv(path, tmp_path / "lo-profile")

    def lines(text: str) -> str:  # LibreOffice keeps line breaks as LF
        return text.replace("\r\n", "\n").replace("\r", "\n")

    bullets = sheets["Bullets"]
    index = bullets[0].index("Text")
    assert [lines(r[index]) for r in bullets[1:]] == [lines(xml_safe(t, "")[0]) for t in texts]
    assert {r[bullets[0].index("Institution")] for r in bullets[1:]} == {"=1+1 & <b>"}  # not 2


def test_build_writes_the_workbook_for_the_analyst(cli, sample_path, tmp_path):
    result = cli("build", str(sample_path), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    path = tmp_path / "analyst" / "research-digest-2025-02-16.xlsx"
    assert zipfile.is_zipfile(path)
    assert os.path.getsize(path) > 10_000


# --- one huge report ---------------------------------------------------------------------------------------


def huge_report(sections: int) -> Digest:
    """One report of ``sections`` sections (some with sub-sections) of four bullets with figures."""
    report = Report(title="大报告", institution="中金公司", published_at=datetime(2025, 2, 16, 16, 6))
    for s in range(sections):
        blocks = [Block("bullet", f"营收同比增长{(s * 7 + b) % 100}.{b}%") for b in range(4)]
        section = Section(heading=f"板块{s}", blocks=blocks)
        if s % 3 == 0:
            section.children = [Section(heading=f"子项{s}", level=2, blocks=[Block("bullet", f"毛利率为{s % 40}.5%")])]
        report.sections.append(section)
    report.id = "0123456789ab"
    return metrics(Digest(source="huge.txt", reports=[report]))


def test_section_paths_in_one_walk_match_the_model():
    from publisher.writers.xlsx import _section_paths

    report = huge_report(30).reports[0]
    report.sections[3].children[0].heading = report.sections[3].heading  # the same heading twice on a path
    walked = list(_section_paths(report.sections))
    assert [s for s, _ in walked] == list(report.walk())
    assert [p for _, p in walked] == [SECTION_SEPARATOR.join(report.section_path(s)) for s in report.walk()]


def test_memory_stays_flat_as_one_report_grows(tmp_path):
    """The rows of one report stream block by block: four times its sections, not four times the memory."""
    import tracemalloc

    profile = AudienceCatalog().load("analyst")
    peaks = []
    for sections in (500, 2000):
        digest = huge_report(sections)
        ctx = RenderContext(profile, Diagnostics(), BUILD_TIME)
        with open(tmp_path / f"{sections}.xlsx", "wb") as handle:
            tracemalloc.start()
            try:
                XlsxWriter().save(digest, ctx, workbook_spec(ctx), handle)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        rows = sum(1 for _ in digest.reports[0].metrics())
        with zipfile.ZipFile(tmp_path / f"{sections}.xlsx") as archive:
            assert re.search(rf':[A-Z]+{rows + 1}"', archive.read("xl/tables/table1.xml").decode())
    assert peaks[1] < 1.5 * peaks[0], peaks


# --- the workbook as its reader first sees it (the default, Chinese analyst) -------------------------------


@pytest.fixture(scope="module")
def chinese_workbook(sample, tmp_path_factory) -> Path:
    data, diagnostics = build(sample, locale="zh-CN")
    assert not diagnostics.items, [str(d) for d in diagnostics]
    path = tmp_path_factory.mktemp("zh") / "research-digest-2025-02-16.xlsx"
    path.write_bytes(data)
    return path


def test_chinese_workbook_every_formula_column_reads_as_numbers(chinese_workbook):
    """pandas, Power Query and openpyxl's data_only read the values cached with each formula."""
    import pandas as pd

    formulas = openpyxl.load_workbook(chinese_workbook)
    values = openpyxl.load_workbook(chinese_workbook, data_only=True)
    frames = pd.read_excel(chinese_workbook, sheet_name=None, header=None)
    seen = 0
    for ws in formulas:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                seen += 1
                cached = values[ws.title][cell.coordinate].value
                assert isinstance(cached, int | float) and not isinstance(cached, bool), (ws.title, cell.coordinate)
                assert frames[ws.title].iat[cell.row - 1, cell.column - 1] == cached
    assert seen > 20  # the Reports' links to their figures and every Summary count
    reports = pd.read_excel(chinese_workbook, sheet_name="报告")
    assert reports["数据"].dtype.kind == "i" and reports["数据"].sum() > 0


def test_chinese_workbook_speaks_chinese_and_shows_numbers_first(chinese_workbook):
    wb = openpyxl.load_workbook(chinese_workbook)
    assert wb.sheetnames == ["数据", "报告", "要点", "评级与目标价", "盈利预测", "汇总"]
    ws = wb["数据"]
    head = header(ws)
    assert head[:8] == ["报告编号", "时间", "机构", "指标", "数值", "单位", "变动", "期间"]
    assert head[-4:] == ["标题", "章节", "句子", "引用"]  # long text last
    assert "首次出现" in head and "出处" in head
    before_value = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i in range(4))
    assert before_value < 90  # characters: the first screen shows the numbers
    assert ws.freeze_panes == "E2"  # report, time, institution and subject stay in view
    summary = [[c.value for c in row] for row in wb["汇总"].iter_rows(max_row=4)]
    assert summary[0][0].startswith("汇总:研究简报") and summary[3][0] == "机构"
    assert not any(isinstance(v, str) and re.search(r"[A-Za-z]{4,}", v) for row in summary for v in row)


def test_chinese_workbook_print_setup(chinese_workbook):
    wb = openpyxl.load_workbook(chinese_workbook)
    for name in ("数据", "报告", "要点"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"  # the header row on every printed page
        assert ws.print_area


@pytest.mark.skipif(SOFFICE is None or shutil.which("pdfinfo") is None, reason="LibreOffice and poppler are needed")
def test_chinese_workbook_prints_on_few_pages(chinese_workbook, tmp_path):
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(chinese_workbook)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    info = subprocess.run(["pdfinfo", str(tmp_path / f"{chinese_workbook.stem}.pdf")], capture_output=True, text=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    assert pages <= 15  # 73 pages of three columns each before the print set-up


def test_a_sheet_past_excels_row_limit_is_cut_with_a_warning(sample, monkeypatch):
    """A feed with more figures than Excel has rows (about 55,000 reports) gives a full sheet and a
    positioned warning, not a broken workbook (the print area and table past row 1,048,576 were invalid)."""
    import publisher.writers.xlsx as xlsx_module

    monkeypatch.setattr(xlsx_module, "EXCEL_ROW_LIMIT", 51)
    data, diagnostics = build(sample)
    ws = load(data)["Metrics"]
    assert ws.max_row == 51 and ws.tables["Metrics"].ref.endswith("51")
    (warning,) = [d for d in diagnostics if "the Metrics sheet is full" in d.message]
    total = sum(1 for r in sample.reports for _ in r.metrics())
    assert any("the Bullets sheet is full" in d.message for d in diagnostics)
    assert f"its last {total - 50} rows are left out" in warning.message and warning.line > 0


def test_warnings_of_a_streamed_workbook_reach_the_command_line(cli, tmp_path):
    """The workbook is written while the build saves it (streamed): what it warns about is printed."""
    feed = tmp_path / "feed.txt"
    feed.write_text("标题一\n中金公司· 2025-02-16 10:00\n核心观点 - 营收增长5%\x07 [1]\n", encoding="utf-8")
    result = cli("build", str(feed), "-f", "xlsx", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert f"{feed}:3:8: warning: xlsx: removed 1 character Excel cannot store" in result.stderr
