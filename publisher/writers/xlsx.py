"""Writer of Excel metric workbooks (``--format xlsx``): one workbook per digest.

Sheets (which ones, their order, names and columns come from the audience
profile's ``[xlsx]`` table):

- ``metrics``: one row per metric found by the ``metrics`` transform, typed
  cells (numbers, dates, percentages as numbers with a percent format);
- ``reports``: one row per report with counts and the key takeaway, the
  metric count linking to the report's first metric;
- ``bullets``: every block with its section path and citations;
- ``facts``: one row per report and company it covers (the ``facts`` transform):
  ticker, exchange, rating with its scale and action, target price and
  currency, current price and upside, valuation basis;
- ``forecasts``: one row per forecast (report × indicator × year), typed;
- ``companies``: one row per company (by ticker, else name) across all the
  reports: how many reports and brokers, the latest rating and target, the
  lowest and highest target;
- ``summary``: counts by institution and by day as live ``COUNTIFS``
  formulas over the tables (an institution's name is matched literally:
  :func:`literal_criterion`), and native Excel charts.

Each data sheet is an Excel table with a style, a frozen header and column
widths that count CJK characters double.  Input text is always written as
text, never as a formula; XML-illegal characters are removed and cells over
Excel's 32,767 characters are truncated, both with a positioned warning.

With ``xlsx.collection`` set (the analyst profile: ``research-facts``), a build
also writes one workbook across all its digests with the facts, forecasts and
companies sheets, its facts sorted by company and then time, so every broker's
view of one company stands together (:meth:`XlsxWriter.write_collection`).

openpyxl builds the workbook (styles, tables, charts, document properties,
the Summary sheet); the rows of the table sheets, the bulk of the workbook,
are written as XML text by :class:`TableRows` (openpyxl's per-cell objects
would take five times as long) into temporary files, so memory stays flat,
and spliced into the worksheets openpyxl writes.  What this relies on of
openpyxl's internals is in :mod:`publisher.writers.xlsx_openpyxl`.
The package has fixed ZIP times and document properties from the build
time, so the same input and ``SOURCE_DATE_EPOCH`` give the same bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from math import isfinite
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from ..audiences import Audience, AudienceError
from ..model import (
    RATING_SCALE,
    Block,
    Company,
    Digest,
    Facts,
    Forecast,
    Metric,
    Rating,
    Report,
    Section,
    TargetPrice,
)
from ..textutil import display_width, xml_escape, xml_safe
from ..vocabulary import localized_title
from .base import Output, RenderContext, Writer
from .xlsx_openpyxl import SplicingZipFile, cell_style, set_style, style_index, worksheet_part, write_package

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from ..i18n.messages import Messages

EXCEL_CELL_LIMIT = 32_767
#: Rows of a worksheet in Excel (and LibreOffice): a header and this many less one data rows.
EXCEL_ROW_LIMIT = 1_048_576
SHEET_KINDS = ("metrics", "reports", "bullets", "facts", "forecasts", "companies", "summary")
#: The sheets of the workbook across digests (``xlsx.collection``).
COLLECTION_KINDS = ("facts", "forecasts", "companies")
SECTION_SEPARATOR = " › "
#: Subjects in the Summary's "figures by subject" block (those the most reports state).
SUBJECT_ROWS = 12
#: Longer subjects are left out of that block (a formula's criterion holds the subject).
SUBJECT_LENGTH = 80
#: Characters that make a spreadsheet treat typed-in text as a formula (also after a tab or CR).
FORMULA_TRIGGERS = tuple("=+-@\t\r＝＋－＠")
_WIDTH_SAMPLE_ROWS = 500
_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_DAY_FORMAT = "yyyy-mm-dd"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_TABLE_NAME = re.compile(r"^[^\W\d][\w.]*$")
_CELL_REFERENCE = re.compile(r"^(?:[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")
_TABLE_STYLE = re.compile(
    r"^TableStyle(?:Light(?:[1-9]|1[0-9]|2[01])|Medium(?:[1-9]|1[0-9]|2[0-8])|Dark(?:[1-9]|1[01]))$"
)

# --- rows ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class MetricRow:
    report: Report
    section: str
    block: Block | None
    metric: Metric
    #: Whether this is the report's first statement of the figure (the title, the takeaway and
    #: the body often repeat one): filter on it to count each figure once.
    first: bool = True


@dataclass(slots=True)
class ReportRow:
    report: Report
    sections: int
    bullets: int
    metrics: int
    citations: int
    first_metric_row: int | None


@dataclass(slots=True)
class BulletRow:
    report: Report
    section: Section
    path: str
    block: Block


@dataclass(slots=True)
class FactRow:
    report: Report
    company: Company | None
    rating: Rating | None
    target: TargetPrice | None
    facts: Facts


@dataclass(slots=True)
class ForecastRow:
    report: Report
    forecast: Forecast
    ticker: str


@dataclass(slots=True)
class CompanyRow:
    """One company across reports: ``rows`` are its facts rows, oldest first."""

    key: str
    company: Company
    rows: list[FactRow]

    @property
    def report(self) -> Report:
        return self.rows[-1].report

    @property
    def latest(self) -> FactRow:
        return self.rows[-1]

    def targets(self) -> list[Decimal]:
        out = []
        for row in self.rows:
            if row.target is not None and (row.target.value or row.target.high):
                try:
                    out.append(Decimal(row.target.value or row.target.high or ""))
                except InvalidOperation:
                    continue
        return out


@dataclass(slots=True)
class Number:
    """A number cell: the value and the number format that shows it as written."""

    value: int | float
    number_format: str


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _number_format(decimals: int, percent: bool = False) -> str:
    body = "0" if percent else "#,##0"
    if decimals:
        body += "." + "0" * min(decimals, 12)
    return body + ("%" if percent else "")


_HUGE = Decimal("1e300")


def decimal_number(text: str | None, percent: bool = False) -> Number | None:
    """``"0.43"`` → 0.43; with ``percent`` → 0.0043 shown as ``0.43%``."""
    if text is None or text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    decimals = _decimals(text.lstrip("+-"))
    if percent:
        number /= 100
    if not number.is_finite() or abs(number) >= _HUGE:
        return None  # Excel stores doubles: a number this large cannot be a cell value
    value: int | float = int(number) if number == number.to_integral_value() and not percent else float(number)
    return Number(value, _number_format(decimals, percent))


def _is_percent(metric: Metric) -> bool:
    return metric.unit in ("%", "％")


def _citations(refs: Iterable[int]) -> str:
    return ", ".join(map(str, refs))


#: Characters of column width a printed page holds at a readable size (landscape A4, about 8 pt).
PRINT_WIDTH = 170
#: Columns that identify a row for a reader: frozen at the left of a table sheet when they lead it.
KEY_COLUMNS = frozenset({"report_id", "published_at", "date", "institution", "subject", "company", "ticker"})


def _print_setup(ws: Any, area: str | None = None) -> None:
    """Landscape A4, one page wide, the header row on every page; ``area`` is what prints."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = False
    ws.print_title_rows = "1:1"
    if area:
        ws.print_area = area


def _report_figures(report: Report) -> Iterator[tuple[str, Block | None, Metric]]:
    """A report's figures in ``Report.metrics()`` order, with the section path and block of each."""
    for metric in report.title_metrics:
        yield "", None, metric
    for section, path in _section_paths(report.sections):
        for metric in section.heading_metrics:
            yield path, None, metric
        for block in section.blocks:
            for metric in block.metrics:
                yield path, block, metric


def _figure_key(metric: Metric) -> tuple[Any, ...]:
    """What makes two statements of a report one figure: the same value (normalised when it can
    be), unit, range, change and year, whatever the words around it."""
    value = (metric.normalized, metric.base_unit) if metric.normalized is not None else (metric.value, metric.unit)
    return (*value, metric.low, metric.high, metric.change, metric.year)


def _local(when: datetime) -> datetime:
    return when.replace(tzinfo=None)


# --- columns ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A column a profile can ask for: default header and how to get the cell value."""

    key: str
    label: str
    get: Callable[[Any], Any]
    wrap: bool = False  # long text: capped width
    #: The values are codes of the model (``maintain``, ``yoy``): shown as the audience's catalog
    #: names them (``msgctxt`` ``code``), so a filter list reads 维持, 同比.
    code: str = ""

    def localized(self, label: str, messages: Any) -> Column:
        """This column headed ``label``, its code values in the words of ``messages``."""
        get = self.get
        if self.code:
            kind, plain = self.code, self.get

            def get(row: Any) -> Any:
                value = plain(row)
                return messages.code(kind, value) if isinstance(value, str) else value

        return Column(self.key, label, get, self.wrap, self.code)


def _c(key: str, label: str, get: Callable[[Any], Any], wrap: bool = False, code: str = "") -> Column:
    return Column(key, label, get, wrap, code)


def _report_columns() -> list[Column]:
    return [
        _c("report_id", "Report id", lambda r: r.report.id),
        _c("published_at", "Time", lambda r: _local(r.report.published_at)),
        _c("date", "Date", lambda r: _local(r.report.published_at).replace(hour=0, minute=0, second=0)),
        _c("institution", "Institution", lambda r: r.report.institution),
        _c("title", "Title", lambda r: r.report.title, wrap=True),
        _c("language", "Language", lambda r: r.report.language),
        _c("slug", "Slug", lambda r: r.report.slug),
    ]


METRIC_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        *_report_columns(),
        _c("section", "Section", lambda r: r.section, wrap=True),
        _c("found_in", "Found in", lambda r: r.metric.origin, code="origin"),
        _c("first_mention", "First mention", lambda r: r.first),
        _c("subject", "Subject", lambda r: r.metric.subject),
        _c("value", "Value", lambda r: decimal_number(r.metric.value, _is_percent(r.metric))),
        _c("low", "Low", lambda r: decimal_number(r.metric.low, _is_percent(r.metric))),
        _c("high", "High", lambda r: decimal_number(r.metric.high, _is_percent(r.metric))),
        _c("unit", "Unit", lambda r: r.metric.unit),
        _c("normalized", "Normalised", lambda r: decimal_number(r.metric.normalized)),
        _c("normalized_low", "Normalised low", lambda r: decimal_number(r.metric.normalized_low)),
        _c("normalized_high", "Normalised high", lambda r: decimal_number(r.metric.normalized_high)),
        _c("base_unit", "Base unit", lambda r: r.metric.base_unit, code="base_unit"),
        _c("change", "Change", lambda r: decimal_number(r.metric.change, _is_percent(r.metric))),
        _c("basis", "Basis", lambda r: r.metric.basis, code="basis"),
        _c("year", "Year", lambda r: r.metric.year),
        _c("estimate", "A/E", lambda r: r.metric.estimate),
        _c("item", "Item", lambda r: r.metric.item or None),
        _c("direction", "Direction", lambda r: r.metric.direction, code="direction"),
        _c("relation", "Relation", lambda r: r.metric.relation, code="relation"),
        _c("bound", "Bound", lambda r: r.metric.bound, code="bound"),
        _c("period", "Period", lambda r: r.metric.period),
        _c("as_written", "As written", lambda r: r.metric.text),
        _c("sentence", "Sentence", lambda r: r.metric.sentence, wrap=True),
        _c("citations", "Citations", lambda r: _citations(r.metric.refs)),
        _c("line", "Line", lambda r: r.metric.pos.line or None),
        _c("column", "Column", lambda r: r.metric.pos.column or None),
    ]
}

REPORT_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        *_report_columns(),
        _c("sections", "Sections", lambda r: r.sections),
        _c("bullets", "Bullets", lambda r: r.bullets),
        _c("metrics", "Metrics", lambda r: r.metrics),
        _c("citations", "Citations", lambda r: r.citations),
        _c("key_takeaway", "Key takeaway", lambda r: _takeaway(r.report), wrap=True),
        _c("line", "Line", lambda r: r.report.pos.line or None),
    ]
}

BULLET_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        *_report_columns(),
        _c("section", "Section", lambda r: r.path, wrap=True),
        _c("role", "Role", lambda r: r.section.role, code="role"),
        _c("kind", "Kind", lambda r: r.block.kind, code="kind"),
        _c("text", "Text", lambda r: r.block.text, wrap=True),
        _c("citations", "Citations", lambda r: _citations(r.block.refs)),
        _c("metrics", "Metrics", lambda r: len(r.block.metrics)),
        _c("line", "Line", lambda r: r.block.line or None),
        _c("column", "Column", lambda r: r.block.column or None),
    ]
}


def _grade(rating: Rating | None) -> str:
    return rating.grade if rating is not None else ""


def _upside(target: TargetPrice | None) -> Number | None:
    if target is None or target.upside is None:
        return None
    number = decimal_number(target.upside)
    return Number(number.value, "0.0%") if number is not None else None


def _target_value(target: TargetPrice | None) -> Number | None:
    if target is None:
        return None
    return decimal_number(target.value if target.value is not None else target.high)


FACT_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        *_report_columns(),
        _c("company", "Company", lambda r: r.company.name if r.company else ""),
        _c("ticker", "Ticker", lambda r: r.company.ticker if r.company else ""),
        _c("exchange", "Exchange", lambda r: r.company.exchange if r.company else ""),
        _c("rating", "Rating", lambda r: _grade(r.rating)),
        _c("scale", "Scale", lambda r: r.rating.scale if r.rating else "", code="scale"),
        _c("action", "Action", lambda r: r.rating.action if r.rating else "", code="action"),
        _c("target_price", "Target price", lambda r: _target_value(r.target)),
        _c("target_low", "Target low", lambda r: decimal_number(r.target.low) if r.target else None),
        _c("currency", "Currency", lambda r: r.target.currency if r.target else ""),
        _c("price", "Price", lambda r: decimal_number(r.target.price) if r.target else None),
        _c("upside", "Upside", lambda r: _upside(r.target)),
        _c("valuation", "Valuation", lambda r: "; ".join(v.basis for v in r.facts.valuations), wrap=True),
        _c("conflicts", "Stated differently", lambda r: ", ".join(r.facts.conflicts())),
        _c(
            "citations",
            "Citations",
            lambda r: _citations(r.rating.refs if r.rating else r.target.refs if r.target else ()),
        ),
        _c("line", "Line", lambda r: _fact_line(r)),
    ]
}

FORECAST_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        *_report_columns(),
        _c("company", "Company", lambda r: r.forecast.company),
        _c("ticker", "Ticker", lambda r: r.ticker),
        _c("indicator", "Indicator", lambda r: r.forecast.indicator),
        _c("label", "As written", lambda r: r.forecast.label),
        _c("year", "Year", lambda r: r.forecast.year),
        _c("estimate", "A/E", lambda r: r.forecast.estimate),
        _c("value", "Value", lambda r: decimal_number(r.forecast.value, r.forecast.unit in ("%", "％"))),
        _c("unit", "Unit", lambda r: r.forecast.unit),
        _c("normalized", "Normalised", lambda r: decimal_number(r.forecast.normalized)),
        _c("base_unit", "Base unit", lambda r: r.forecast.base_unit, code="base_unit"),
        _c("citations", "Citations", lambda r: _citations(r.forecast.refs)),
        _c("line", "Line", lambda r: r.forecast.pos[0].line if r.forecast.pos else None),
    ]
}

COMPANY_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        _c("ticker", "Ticker", lambda r: r.company.ticker),
        _c("company", "Company", lambda r: r.company.name),
        _c("exchange", "Exchange", lambda r: r.company.exchange),
        _c("reports", "Reports", lambda r: len(r.rows)),
        _c(
            "institutions",
            "Institutions",
            lambda r: ", ".join(dict.fromkeys(x.report.institution for x in r.rows)),
            wrap=True,
        ),
        _c("latest", "Latest", lambda r: _local(r.latest.report.published_at)),
        _c("latest_institution", "Latest institution", lambda r: r.latest.report.institution),
        _c("latest_rating", "Latest rating", lambda r: _grade(r.latest.rating)),
        _c(
            "latest_action", "Latest action", lambda r: r.latest.rating.action if r.latest.rating else "", code="action"
        ),
        _c("latest_target", "Latest target", lambda r: _target_value(r.latest.target)),
        _c("currency", "Currency", lambda r: next((x.target.currency for x in reversed(r.rows) if x.target), "")),
        _c("lowest_target", "Lowest target", lambda r: decimal_number(str(min(r.targets()))) if r.targets() else None),
        _c(
            "highest_target", "Highest target", lambda r: decimal_number(str(max(r.targets()))) if r.targets() else None
        ),
        _c(
            "buy", "Buy-rated", lambda r: sum(1 for x in r.rows if x.rating and x.rating.scale in ("buy", "outperform"))
        ),
    ]
}


def _fact_line(row: FactRow) -> int | None:
    for fact in (row.rating, row.target, row.company):
        if fact is not None and fact.pos:
            return fact.pos[0].line or None
    return row.report.pos.line or None


COLUMNS = {
    "metrics": METRIC_COLUMNS,
    "reports": REPORT_COLUMNS,
    "bullets": BULLET_COLUMNS,
    "facts": FACT_COLUMNS,
    "forecasts": FORECAST_COLUMNS,
    "companies": COMPANY_COLUMNS,
}
DEFAULT_COLUMNS = {
    "metrics": [
        "report_id", "published_at", "institution", "subject", "value", "unit", "change", "period", "year", "estimate",
        "low", "high", "basis", "normalized", "base_unit", "direction", "relation", "bound", "found_in",
        "first_mention", "title", "section", "sentence", "citations",
    ],
    "reports": ["report_id", "published_at", "institution", "metrics", "bullets", "sections", "title", "key_takeaway"],
    "bullets": ["report_id", "published_at", "institution", "title", "section", "kind", "text", "citations"],
    "facts": [
        "published_at", "institution", "company", "ticker", "exchange", "rating", "scale", "action", "target_price",
        "currency", "price", "upside", "valuation", "title", "report_id", "citations",
    ],
    "forecasts": [
        "published_at", "institution", "company", "ticker", "indicator", "label", "year", "estimate", "value", "unit",
        "normalized", "base_unit", "title", "report_id",
    ],
    "companies": [
        "ticker", "company", "exchange", "reports", "institutions", "latest", "latest_institution", "latest_rating",
        "latest_action", "latest_target", "currency", "lowest_target", "highest_target", "buy",
    ],
}  # fmt: skip
DEFAULT_NAMES = {
    "metrics": "Metrics",
    "reports": "Reports",
    "bullets": "Bullets",
    "facts": "Facts",
    "forecasts": "Forecasts",
    "companies": "Companies",
    "summary": "Summary",
}


def _takeaway(report: Report) -> str:
    block = report.key_takeaway()
    return block.text if block is not None else ""


class SubjectFigures:
    """Figures by subject across reports, gathered while the Metrics rows are written: for each
    subject (case aside), base unit and basis, how many reports state it (first mentions), how
    many figures, and the lowest and highest normalised value."""

    def __init__(self) -> None:
        # key → [reports, figures, low, high, last report id, subject as first written]
        self.groups: dict[tuple[str, str, str], list[Any]] = {}

    def add(self, row: MetricRow) -> None:
        metric = row.metric
        if not row.first or not metric.subject:
            return
        key = (metric.subject.lower(), metric.base_unit or "", metric.basis)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = [0, 0, None, None, None, metric.subject]
        if group[4] != row.report.id:  # rows come report by report
            group[0] += 1
            group[4] = row.report.id
        group[1] += 1
        if metric.normalized is not None:
            try:
                value = Decimal(metric.normalized)
            except InvalidOperation:
                return
            if value.is_finite():
                group[2] = value if group[2] is None else min(group[2], value)
                group[3] = value if group[3] is None else max(group[3], value)

    def top(self, limit: int) -> list[tuple[str, str, str, int, int, Decimal | None, Decimal | None]]:
        """The subjects more than one report states, most reports first; ratios (%) first."""
        found = [
            (g[5], unit, basis, g[0], g[1], g[2], g[3])
            for (_, unit, basis), g in self.groups.items()
            if g[0] > 1 and len(g[5]) <= SUBJECT_LENGTH and not xml_safe(g[5])[1]
        ]
        found.sort(key=lambda t: (-t[3], -t[4], t[0]))
        found = found[:limit]
        found.sort(key=lambda t: t[1] != "ratio")  # stable: the chart takes the leading ratio rows
        return found


# --- the profile -----------------------------------------------------------------------------------


@dataclass
class SheetSpec:
    kind: str
    name: str
    table: str
    columns: list[Column]

    def label(self, key: str) -> str | None:
        return next((c.label for c in self.columns if c.key == key), None)


@dataclass
class WorkbookSpec:
    sheets: list[SheetSpec]
    table_style: str
    max_width: int
    chart_type: str
    properties: dict[str, str]
    collection: str = ""

    def sheet(self, kind: str) -> SheetSpec | None:
        return next((s for s in self.sheets if s.kind == kind), None)


def default_sheet(kind: str, translate: Messages) -> SheetSpec:
    """A sheet of ``kind`` with its default name, table name and columns (names and headers in the
    language of ``translate``, an audience's messages)."""
    columns = [COLUMNS[kind][key] for key in DEFAULT_COLUMNS[kind]] if kind in COLUMNS else []
    columns = [c.localized(translate(c.label), translate) for c in columns]
    return SheetSpec(kind, translate(DEFAULT_NAMES[kind]), DEFAULT_NAMES[kind], columns)


def _fail(key: str, message: str) -> AudienceError:
    return AudienceError(f"profile key xlsx.{key}: {message}")


def check_sheet_name(name: Any, key: str) -> str:
    """A name Excel accepts for a sheet, or an error naming the profile key."""
    if not isinstance(name, str) or not name.strip():
        raise _fail(key, "a sheet name must be a non-empty string")
    if len(name) > 31:
        raise _fail(key, f"sheet name {name!r} is longer than Excel's 31 characters")
    if _BAD_SHEET_CHARS.search(name) or name.startswith("'") or name.endswith("'") or xml_safe(name)[1]:
        raise _fail(key, f"sheet name {name!r} has a character Excel does not allow ([ ] : * ? / \\ or a leading ')")
    if name.lower() == "history":
        raise _fail(key, "Excel reserves the sheet name 'History'")
    return name


def check_table_name(name: Any, key: str) -> str:
    if not isinstance(name, str) or not _TABLE_NAME.match(name) or len(name) > 255 or _CELL_REFERENCE.match(name):
        raise _fail(key, f"{name!r} is not a valid Excel table name (a letter or _, then letters, digits, _ or .)")
    return name


def workbook_spec(ctx: RenderContext) -> WorkbookSpec:
    """Sheets, columns and settings from the audience profile, validated."""
    audience = ctx.audience
    table = audience.get("xlsx", {}) or {}
    if not isinstance(table, dict):
        raise _fail("", "must be a table")
    kinds = table.get("sheets", list(SHEET_KINDS))
    if not isinstance(kinds, list) or not kinds:
        raise _fail("sheets", f"must be a non-empty list of {', '.join(SHEET_KINDS)}")
    labels = table.get("labels", {}) or {}
    messages = audience.messages  # sheet names and headers a profile does not set, in the audience's locale
    sheets: list[SheetSpec] = []
    seen_names: set[str] = set()
    seen_tables: set[str] = set()
    for kind in kinds:
        if kind not in SHEET_KINDS:
            raise _fail("sheets", f"unknown sheet {kind!r} (known: {', '.join(SHEET_KINDS)})")
        conf = table.get(kind, {}) or {}
        name = check_sheet_name(conf.get("name", messages(DEFAULT_NAMES[kind])), f"{kind}.name")
        if name.lower() in seen_names:
            raise _fail(f"{kind}.name", f"sheet name {name!r} is used twice")
        seen_names.add(name.lower())
        table_name = check_table_name(conf.get("table", DEFAULT_NAMES[kind]), f"{kind}.table")
        if kind != "summary":
            if table_name.lower() in seen_tables:
                raise _fail(f"{kind}.table", f"table name {table_name!r} is used twice")
            seen_tables.add(table_name.lower())
        columns: list[Column] = []
        if kind in COLUMNS:
            keys = conf.get("columns", DEFAULT_COLUMNS[kind])
            if not isinstance(keys, list) or not keys:
                raise _fail(f"{kind}.columns", "must be a non-empty list of column names")
            known = COLUMNS[kind]
            headers: set[str] = set()
            for key in keys:
                if key not in known:
                    raise _fail(f"{kind}.columns", f"unknown column {key!r} (known: {', '.join(known)})")
                label = (conf.get("labels", {}) or {}).get(key, labels.get(key, messages(known[key].label)))
                if not isinstance(label, str) or not label.strip() or label != label.strip() or xml_safe(label)[1]:
                    raise _fail(f"labels.{key}", f"header {label!r} must be a one-line non-empty string")
                if label.lower() in headers:
                    raise _fail(f"{kind}.columns", f"header {label!r} appears twice (Excel needs unique headers)")
                headers.add(label.lower())
                base = known[key]
                columns.append(base.localized(label, messages))
        sheets.append(SheetSpec(kind, name, table_name, columns))
    style = table.get("table_style", "TableStyleMedium2")
    if not isinstance(style, str) or not _TABLE_STYLE.match(style):
        raise _fail(
            "table_style", f"{style!r} is not a built-in table style (TableStyleLight1-21, Medium1-28, Dark1-11)"
        )
    max_width = table.get("max_width", 60)
    if not isinstance(max_width, int) or not 10 <= max_width <= 255:
        raise _fail("max_width", "must be a whole number of characters between 10 and 255")
    chart = table.get("chart", "bar")
    if chart not in ("bar", "column", "none"):
        raise _fail("chart", "must be 'bar', 'column' or 'none'")
    metadata = audience.get("metadata", {}) or {}
    keywords = metadata.get("keywords", [])
    properties = {
        "creator": str(metadata.get("author", "")),
        "company": str(metadata.get("company", "")),
        "keywords": ", ".join(keywords) if isinstance(keywords, list) else str(keywords),
        "title": str(table.get("title", "")),
        "subject": "",
        "category": str(table.get("category", "Research metrics")),
        "language": audience.language,
    }
    collection = table.get("collection", "")
    if not isinstance(collection, str) or (
        collection and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", collection)
    ):
        raise _fail("collection", "must be a file name stem of letters, digits, '.', '_' or '-' (or \"\" for none)")
    return WorkbookSpec(sheets, style, max_width, chart, properties, collection)


# --- cells -----------------------------------------------------------------------------------------


def clean_text(text: str, what: str) -> tuple[str, tuple[str, ...]]:
    """``text`` as a cell can hold it (XML-illegal characters removed, cut to Excel's limit), and the warnings."""
    clean, removed = xml_safe(text, "")
    problems: tuple[str, ...] = ()
    if removed:
        problems += (f"xlsx: removed {removed} character{'s' * (removed != 1)} Excel cannot store from the {what}",)
    if len(clean) > EXCEL_CELL_LIMIT:
        problems += (
            f"xlsx: the {what} has {len(clean):,} characters; Excel cells hold {EXCEL_CELL_LIMIT:,}: truncated",
        )
        clean = clean[: EXCEL_CELL_LIMIT - 1] + "…"
    return clean, problems


class CellFactory:
    """Typed, safe cells for one workbook, with shared styles (write-only mode needs cells for styles)."""

    def __init__(self, workbook: Any, ctx: RenderContext, source: str) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.WriteOnlyCell = WriteOnlyCell
        self.workbook = workbook
        self.ctx = ctx
        self.source = source
        self._styles: dict[tuple[str, bool, str], Any] = {}

    def _style(
        self, ws: WriteOnlyWorksheet, number_format: str = "General", quote: bool = False, font: str = ""
    ) -> Any:
        """A shared style array (building one per cell would dominate the write time)."""
        key = (number_format, quote, font)
        style = self._styles.get(key)
        if style is None:
            from openpyxl.styles import Font

            cell = self.WriteOnlyCell(ws)
            cell.number_format = number_format
            if quote:
                cell.quotePrefix = True
            if font == "link":
                cell.font = Font(color="0563C1", underline="single")
            elif font == "bold":
                cell.font = Font(bold=True)
            elif font == "title":
                cell.font = Font(bold=True, size=14)
            style = self._styles[key] = cell_style(cell)
        return style

    def style_id(
        self, ws: WriteOnlyWorksheet, number_format: str = "General", quote: bool = False, font: str = ""
    ) -> int:
        """The ``s`` attribute of a cell with this style: its index in the ``cellXfs`` openpyxl writes."""
        return style_index(self.workbook, self._style(ws, number_format, quote, font))

    def warn(self, problems: Iterable[str], where: Any) -> None:
        for problem in problems:
            self.ctx.diagnostics.warning(problem, self.source, *_position(where))

    def text(self, ws: WriteOnlyWorksheet, text: str, where: Any, what: str, font: str = "") -> Any:
        """A text cell that stays text whatever it starts with.

        ``where`` is a ``(line, column)`` pair or a row (its position is looked up only for a warning).
        """
        clean, problems = clean_text(text, what)
        self.warn(problems, where)
        quote = clean.startswith(FORMULA_TRIGGERS)
        if not quote and not font:
            return clean  # openpyxl writes any other str as an inline string
        cell = self.WriteOnlyCell(ws, value=clean)
        cell.data_type = "s"  # never a formula, even for "=…"
        set_style(cell, self._style(ws, quote=quote, font=font))  # quotePrefix: stays text when the user edits it
        return cell

    def when(self, ws: WriteOnlyWorksheet, value: datetime, number_format: str) -> Any:
        cell = self.WriteOnlyCell(ws, value=value)
        set_style(cell, self._style(ws, number_format))
        return cell

    def formula(self, ws: WriteOnlyWorksheet, formula: str, number_format: str = "General") -> Any:
        cell = self.WriteOnlyCell(ws, value=formula)
        assert cell.data_type == "f"
        set_style(cell, self._style(ws, number_format))
        return cell


def link_formula(value: float, location: str) -> str:
    """A number that jumps to ``location`` when clicked.

    A ``HYPERLINK`` formula rather than a cell hyperlink: a cell hyperlink is a
    worksheet-level element after the rows (openpyxl keeps them in memory until the sheet
    is closed), a formula streams with its row.
    """
    target = ("#" + location).replace('"', '""')
    return f'=HYPERLINK("{target}",{int(value)})'


_NOTHING = object()
_MEMO_LENGTH = 100  # texts up to this length are remembered per column (bounded memory) ...
_MEMO_SIZE = 256  # ... this many of them


class TableRows:
    """The rows of one table sheet as ``<sheetData>`` XML, streamed to a temporary file.

    openpyxl's write-only mode builds and checks an object per cell (about 10,000
    rows/s); here every cell is a few strings.  Text is an inline string (escaped for
    XML, ``xml:space="preserve"`` when it has outer spaces, quote-prefixed when it starts
    like a formula), numbers and dates are numbers, and ``s`` is the index of the cell's
    style in the ``styles.xml`` openpyxl writes (:meth:`CellFactory.style_id`).  A value
    equal to the previous row's in its column (a report's id, time, institution and
    title, a section path, a sentence) reuses that cell's XML, and its warnings; so do
    short texts seen lately in the column (units, directions, citations: a few hundred
    per column at most).  The rows are spliced into the worksheet openpyxl writes
    around them (:class:`SplicingZipFile`); memory holds one chunk of rows.
    """

    _CHUNK = 2048  # strings per write to the file

    def __init__(
        self,
        ws: WriteOnlyWorksheet,
        sheet: SheetSpec,
        cells: CellFactory,
        epoch: datetime,
        link_sheet: SheetSpec | None = None,
    ) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.utils.datetime import to_excel

        self.sheet = sheet
        self.cells = cells
        self.ws = ws
        self.epoch = epoch
        self.to_excel = to_excel
        self.file: IO[bytes] = tempfile.TemporaryFile()
        self.size = 0  # bytes written
        self.count = 0  # data rows written
        self.by_report: Counter[str] = Counter()  # data rows written per report id (the Summary's counts)
        columns = sheet.columns
        self.getters = [c.get for c in columns]
        self.heads = ['<c r="' + get_column_letter(i + 1) for i in range(len(columns))]
        self.whats = [f"{c.label.lower()} of {sheet.name}" for c in columns]  # for warnings
        self.date_formats = [_DAY_FORMAT if c.key == "date" else _DATE_FORMAT for c in columns]
        self.link = f"{_quote_sheet(link_sheet.name)}!A" if link_sheet is not None and sheet.kind == "reports" else None
        self.linked = [c.key == "metrics" and self.link is not None for c in columns]
        self.widths = [display_width(c.label) + 3 for c in columns]  # room for the filter button
        self._styles: dict[Any, int] = {}
        self._last: list[Any] = [_NOTHING] * len(columns)
        self._xml: list[str] = [""] * len(columns)
        self._problems: list[tuple[str, ...]] = [()] * len(columns)
        self._memos: list[dict[Any, tuple[str, tuple[str, ...]]]] = [{} for _ in columns]
        self._chunk: list[str] = ['<row r="1">']
        for i, column in enumerate(columns):
            xml, _ = self._text(column.label, "header")
            self._chunk.append(f"{self.heads[i]}1{xml}")
        self._chunk.append("</row>")

    # --- one cell: the XML after ``<c r="A2`` -------------------------------------------------------

    def _text(self, value: str, what: str) -> tuple[str, tuple[str, ...]]:
        clean, problems = clean_text(value, what)
        if not clean:
            return "", problems
        space = ' xml:space="preserve"' if clean != clean.strip() else ""
        style = f' s="{self._style(quote=True)}"' if clean.startswith(FORMULA_TRIGGERS) else ""
        return f'"{style} t="inlineStr"><is><t{space}>{xml_escape(clean)}</t></is></c>', problems

    def _style(self, quote: bool = False, font: str = "") -> int:
        style = self._styles.get((quote, font))
        if style is None:
            style = self._styles[(quote, font)] = self.cells.style_id(self.ws, quote=quote, font=font)
        return style

    def _number(self, value: int | float, number_format: str = "General") -> str:
        if not isfinite(value):
            return ""
        style = self._styles.get(number_format)
        if style is None:
            style = self._styles[number_format] = self.cells.style_id(self.ws, number_format)
        attribute = f' s="{style}"' if style else ""
        return f'"{attribute} t="n"><v>{value:.16g}</v></c>'

    def _cell(self, i: int, value: Any, row: Any) -> tuple[str, tuple[str, ...]]:
        if isinstance(value, str):
            return self._text(value, self.whats[i])
        if isinstance(value, Number):
            return self._number(value.value, value.number_format), ()
        if isinstance(value, datetime):
            return self._number(self.to_excel(value, self.epoch), self.date_formats[i]), ()
        if isinstance(value, bool):
            return f'" t="b"><v>{int(value)}</v></c>', ()
        if isinstance(value, int | float):
            if self.linked[i] and row.first_metric_row:
                formula = xml_escape(link_formula(value, f"{self.link}{row.first_metric_row}")[1:])
                return f'" s="{self._style(font="link")}"><f>{formula}</f><v>{int(value)}</v></c>', ()
            return self._number(value), ()
        raise TypeError(f"a cell cannot hold {type(value).__name__} {value!r}")

    # --- rows -----------------------------------------------------------------------------------

    def add(self, row: Any) -> int:
        """Write ``row`` (whole, or not at all when a value fails); returns its row number."""
        number = str(self.count + 2)
        chunk, heads, memos = self._chunk, self.heads, self._memos
        last, xmls, problems = self._last, self._xml, self._problems
        start = len(chunk)
        chunk.append(f'<row r="{number}">')
        try:
            for i, get in enumerate(self.getters):
                value = get(row)
                if value is None:
                    continue
                cls = value.__class__
                if cls is Number:  # a new object per row: cheaper to write than to compare
                    xml = self._number(value.value, value.number_format)
                elif cls is str or cls is datetime:
                    if value == last[i]:  # a report's id, time, institution, title; a section path; a sentence
                        xml, found = xmls[i], problems[i]
                    else:
                        memo = memos[i]
                        hit = memo.get(value)
                        if hit is None:
                            hit = self._cell(i, value, row)
                            if cls is datetime or len(value) <= _MEMO_LENGTH:  # units, directions, citations
                                if len(memo) >= _MEMO_SIZE:
                                    memo.clear()
                                memo[value] = hit
                        xml, found = hit
                        last[i], xmls[i], problems[i] = value, xml, found
                    if found:
                        self.cells.warn(found, row)
                else:
                    xml, found = self._cell(i, value, row)
                    if found:
                        self.cells.warn(found, row)
                if xml:
                    chunk.append(f"{heads[i]}{number}{xml}")
        except BaseException:
            del chunk[start:]  # a row is written whole or not at all
            raise
        chunk.append("</row>")
        if self.count < _WIDTH_SAMPLE_ROWS:  # the first rows decide the column widths (no second pass)
            widths = self.widths
            for i, get in enumerate(self.getters):
                widths[i] = max(widths[i], _display(get(row)) + 1)
        self.count += 1
        if len(chunk) >= self._CHUNK:
            self._flush()
        return self.count + 1

    def _flush(self) -> None:
        data = "".join(self._chunk).encode("utf-8")
        self.file.write(data)
        self.size += len(data)
        self._chunk.clear()

    def finish(self) -> int:
        """Flush the rows; returns the number of data rows."""
        if self.count == 0:  # a table needs a data row; an empty one keeps the sheet valid and ready for input
            self._chunk.append('<row r="2"/>')
        self._flush()
        self.file.seek(0)
        return self.count

    def copy_to(self, target: IO[bytes]) -> None:
        shutil.copyfileobj(self.file, target, 1 << 20)
        self.file.close()


def _section_paths(sections: list[Section], trail: tuple[str, ...] = ()) -> Iterator[tuple[Section, str]]:
    """Each section, depth first as ``Report.walk``, with its path (``Report.section_path`` joined).

    One walk with the headings above: ``section_path`` searches the whole tree for each
    section, which is quadratic in a report of a hundred thousand sections.
    """
    for section in sections:
        here = (*trail, section.heading)
        yield section, SECTION_SEPARATOR.join(here)
        if section.children:
            yield from _section_paths(section.children, here)


def _position(row: Any) -> tuple[int, int]:
    """Where a row's text comes from in the input: the metric, the block, else the report."""
    if isinstance(row, tuple):
        return row
    if isinstance(row, CompanyRow):
        return row.report.pos.line, row.report.pos.column
    pos = row.metric.pos if isinstance(row, MetricRow) else row.block.pos if isinstance(row, BulletRow) else None
    pos = pos if pos is not None and pos.line else row.report.pos
    return pos.line, pos.column


def _company_key(company: Company | None) -> str:
    """Companies line up by ticker (``0700.HK`` and ``00700`` are one), else by name."""
    if company is None:
        return "\uffff"
    if company.ticker:
        code = re.split(r"[.\s]", company.ticker)[0]
        return (code.lstrip("0") if code.isdigit() and len(code) <= 5 else code.upper()) + "." + company.exchange
    return "~" + company.name


def _display(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return display_width(value)
    if isinstance(value, Number):
        return len(f"{value.value:,}") + 2
    if isinstance(value, datetime):
        return 16
    return len(str(value))


def _case_groups(names: Iterable[str]) -> list[str]:
    """The distinct ``names`` in order, one per spelling that differs only in case (the first).

    ``COUNTIFS`` ignores case: ``CICC`` also counts the rows of ``cicc``, so listing both would
    count those rows twice in the total.
    """
    groups: dict[str, str] = {}
    for name in sorted(set(names)):
        groups.setdefault(name.lower(), name)
    return sorted(groups.values())


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def literal_criterion(cell: str) -> str:
    """A ``COUNTIFS`` criterion that matches the text of ``cell`` literally.

    A criterion is a pattern: ``*``, ``?`` are wildcards and ``~`` escapes them, a leading
    ``=``, ``<``, ``>`` or ``<>`` is a comparison.  ``~ * ?`` get a ``~`` and ``=`` comes
    first, so ``中金*`` counts ``中金*`` only and ``<A`` the text ``<A`` (Excel and LibreOffice
    alike).  COUNTIFS ignores case, hence the Summary groups names that differ only in case.
    """
    escaped = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({cell},"~","~~"),"*","~*"),"?","~?")'
    return f'"="&{escaped}'


def literal_text_criterion(text: str) -> str:
    """:func:`literal_criterion` for a text known when the workbook is written: a string literal."""
    escaped = text.replace("~", "~~").replace("*", "~*").replace("?", "~?").replace('"', '""')
    return f'"={escaped}"'


def _structured(table: str, column: str) -> str:
    """A structured reference to a table column, written the way Excel writes it.

    ``Metrics[Institution]`` for a plain header; a header with spaces or other special
    characters takes the bracketed form with Excel's escapes: ``Reports[[Report id]]``,
    ``T[[Inst'#1]]`` (``'`` before ``[ ] # '``).
    """
    if re.fullmatch(r"[^\W_]+", column):
        return f"{table}[{column}]"
    escaped = re.sub(r"([\[\]#'])", r"'\1", column)
    return f"{table}[[{escaped}]]"


# --- the writer ----------------------------------------------------------------------------------------


class _SheetFill:
    """A table sheet being written, a row at a time (:meth:`add`), then finished (:meth:`finish`):
    ``first_rows`` gets each report's first row number, ``written`` each row written."""

    def __init__(
        self,
        writer: XlsxWriter,
        ws: WriteOnlyWorksheet,
        sheet: SheetSpec,
        cells: CellFactory,
        spec: WorkbookSpec,
        link_sheet: SheetSpec | None = None,
        first_rows: dict[str, int] | None = None,
        written: Callable[[Any], None] | None = None,
    ) -> None:
        self.writer, self.ws, self.sheet, self.cells, self.spec = writer, ws, sheet, cells, spec
        self.first_rows, self.written = first_rows, written
        self.table = TableRows(ws, sheet, cells, ws.parent.epoch, link_sheet)
        self.left_out, self.first_left_out = 0, None

    def add_all(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.add(row)

    def add(self, row: Any) -> None:
        table = self.table
        if table.count >= EXCEL_ROW_LIMIT - 1:  # the sheet is full: say so, never a broken file
            self.left_out += 1
            self.first_left_out = self.first_left_out or row
            return
        try:
            number = table.add(row)
        except Exception as exc:  # one bad report must not take the workbook down
            line, column = _position(row)
            self.cells.ctx.diagnostics.error(
                f"xlsx: a row of report {row.report.id} could not be written: {type(exc).__name__}: {exc}",
                self.cells.source,
                line,
                column,
            )
            return
        report = getattr(row, "report", None)
        if report is not None:
            table.by_report[report.id] += 1
        if self.first_rows is not None:
            self.first_rows.setdefault(row.report.id, number)
        if self.written is not None:
            self.written(row)

    def finish(self) -> TableRows:
        table = self.table
        table.finish()
        if self.left_out:
            where = _position(self.first_left_out)
            self.cells.ctx.diagnostics.warning(
                f"xlsx: the {self.sheet.name} sheet is full at Excel's {EXCEL_ROW_LIMIT:,} rows; its last "
                f"{self.left_out:,} rows are left out (from the report here on; -f json keeps every one, or build "
                "fewer inputs at a time)",
                self.cells.source,
                *where,
            )
        self._layout()
        return table

    def _layout(self) -> None:
        """Column widths, frozen panes, print setup and the Excel table of the written sheet."""
        from openpyxl.utils import get_column_letter

        ws, sheet, spec, table = self.ws, self.sheet, self.spec, self.table
        count = table.count
        for i, column in enumerate(sheet.columns):
            cap = spec.max_width if column.wrap else min(spec.max_width, 40)
            ws.column_dimensions[get_column_letter(i + 1)].width = max(6, min(table.widths[i], cap))
        # the header row and the key columns (report, time, institution, subject) stay in view
        keys = next((i for i, c in enumerate(sheet.columns) if c.key not in KEY_COLUMNS), len(sheet.columns))
        ws.freeze_panes = f"{get_column_letter(min(keys, 6) + 1)}2"
        # printed: landscape, one page wide, the header on every page, and the leading columns that
        # fit a page at a readable size (numbers come first; the long text after them is left out)
        used, shown = 0.0, 0
        for i in range(len(sheet.columns)):
            width = ws.column_dimensions[get_column_letter(i + 1)].width or 10
            if shown and used + width > PRINT_WIDTH:
                break
            used, shown = used + width, i + 1
        _print_setup(ws, f"A1:{get_column_letter(shown)}{max(count, 1) + 1}")
        self.writer._table(ws, sheet, max(count, 1), spec)


class XlsxWriter(Writer):
    """``--format xlsx``: an Excel metric workbook per digest."""

    name = "xlsx"
    extension = ".xlsx"
    description = "Excel metric workbook: metrics, reports, bullets and a summary with charts"

    def check(self, audience: Audience) -> None:
        workbook_spec(RenderContext(audience))

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        spec = workbook_spec(ctx)  # profile errors surface before anything is written
        if spec.sheet("metrics") is not None and not any(True for r in digest.reports for _ in r.metrics()):
            if "metrics" not in ctx.audience.profile.get("transforms", []):
                ctx.diagnostics.warning(
                    'xlsx: no metrics in the model; add "metrics" to the audience\'s transforms',
                    digest.source,
                )
        return [Output(f"{digest.name}{self.extension}", stream=lambda handle: self.save(digest, ctx, spec, handle))]

    def write_collection(self, digests: list[Digest], ctx: RenderContext) -> list[Output]:
        """The facts workbook across all digests (``xlsx.collection``): facts, forecasts, companies.

        Its facts are sorted by company (ticker, else name) and then time, so the views of every
        broker on one company stand together; the Companies sheet has one row per company.
        """
        spec = workbook_spec(ctx)
        if not spec.collection:
            return []
        reports = [r for d in digests for r in d.reports]
        if not any(r.facts for r in reports):
            return []
        sheets = [spec.sheet(kind) or default_sheet(kind, ctx.audience.messages) for kind in COLLECTION_KINDS]
        combined = WorkbookSpec(
            sheets, spec.table_style, spec.max_width, "none", dict(spec.properties), spec.collection
        )
        combined.properties["category"] = "Research facts"
        digest = Digest(source=spec.collection, reports=reports, title=spec.properties["title"] or "Research facts")
        return [
            Output(
                f"{spec.collection}{self.extension}",
                stream=lambda handle: self.save(digest, ctx, combined, handle, by_company=True),
            )
        ]

    # --- building -------------------------------------------------------------------------------

    def save(
        self, digest: Digest, ctx: RenderContext, spec: WorkbookSpec, handle: BinaryIO, by_company: bool = False
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.packaging.extended import ExtendedProperties
        from openpyxl.xml.functions import tostring

        workbook = Workbook(write_only=True)
        cells = CellFactory(workbook, ctx, digest.source)
        sheets = {s.kind: workbook.create_sheet(s.name) for s in spec.sheets}
        parts = {kind: worksheet_part(i) for i, kind in enumerate(sheets, 1)}
        first_rows: dict[str, int] = {}
        tables: dict[str, TableRows] = {}
        metric_spec = spec.sheet("metrics")
        subjects = SubjectFigures()
        fills: dict[str, _SheetFill] = {}
        try:
            # The sheets of the bodies (metrics, reports, bullets) are written in one walk over the
            # reports, each report's body dropped after it (a view made a report at a time keeps none).
            if metric_spec is not None:
                fills["metrics"] = _SheetFill(
                    self, sheets["metrics"], metric_spec, cells, spec, first_rows=first_rows, written=subjects.add
                )
            if (report_spec := spec.sheet("reports")) is not None:
                fills["reports"] = _SheetFill(self, sheets["reports"], report_spec, cells, spec, metric_spec)
            if (bullet_spec := spec.sheet("bullets")) is not None:
                fills["bullets"] = _SheetFill(self, sheets["bullets"], bullet_spec, cells, spec)
            if fills:
                metric_fill, report_fill, bullet_fill = (fills.get(k) for k in ("metrics", "reports", "bullets"))
                for report in digest.reports:
                    if metric_fill is not None:
                        metric_fill.add_all(self._metric_rows(report))
                    if report_fill is not None:
                        report_fill.add(self._report_row(report, first_rows))
                    if bullet_fill is not None:
                        bullet_fill.add_all(self._bullet_rows(report))
                    report.release()
            for kind in list(fills):
                tables[kind] = fills[kind].finish()
                del fills[kind]
            fact_rows = (
                self._fact_rows(digest.reports, by_company) if spec.sheet("facts") or spec.sheet("companies") else []
            )
            if (fact_spec := spec.sheet("facts")) is not None:
                tables["facts"] = self._fill(sheets["facts"], fact_spec, fact_rows, cells, spec)
            if (forecast_spec := spec.sheet("forecasts")) is not None:
                forecasts = self._forecast_rows(digest.reports, by_company)
                tables["forecasts"] = self._fill(sheets["forecasts"], forecast_spec, forecasts, cells, spec)
            if (company_spec := spec.sheet("companies")) is not None:
                companies = self._company_rows(fact_rows)
                tables["companies"] = self._fill(sheets["companies"], company_spec, companies, cells, spec)
            values: dict[str, dict[str, str]] = {}
            if spec.sheet("summary") is not None:
                values[parts["summary"]] = self._summary(
                    sheets["summary"], digest, spec, cells, tables, fact_rows, subjects
                )
            self._properties(workbook, digest, ctx, spec, {kind: t.count for kind, t in tables.items()})
            app = ExtendedProperties(Company=spec.properties["company"] or None, TitlesOfParts=None)
            overrides = {"docProps/app.xml": tostring(app.to_tree())}
            rows = {parts[kind]: (table.size, table.copy_to) for kind, table in tables.items()}
            with SplicingZipFile(handle, ctx.build_time, rows, values, overrides=overrides, compresslevel=1) as archive:
                write_package(workbook, archive)
        finally:
            for table in tables.values():
                table.file.close()
            for fill in fills.values():
                fill.table.file.close()

    def _properties(
        self, workbook: Any, digest: Digest, ctx: RenderContext, spec: WorkbookSpec, counts: dict[str, int]
    ) -> None:
        props = workbook.properties
        when = ctx.build_time.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        props.created = props.modified = when
        props.creator = props.lastModifiedBy = spec.properties["creator"] or None
        title = spec.properties["title"] or digest.title or f"Research metrics: {digest.name}"
        props.title = xml_safe(title, "")[0][:255]
        props.subject = xml_safe(spec.properties["subject"], "")[0][:255] or None
        props.keywords = spec.properties["keywords"] or None
        props.category = spec.properties["category"] or None
        props.language = spec.properties["language"] or None
        span = digest.date_range
        period = f", {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}" if span else ""
        parts = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        source = xml_safe(re.split(r"[\\/]", digest.source)[-1], "")[0]
        props.description = f"{len(digest.reports)} reports from {source}{period}: {parts}"[:1000]

    # --- rows -----------------------------------------------------------------------------------

    def _metric_rows(self, report: Report) -> Iterator[MetricRow]:
        """The rows of ``Report.metrics()``, in its order, one block at a time."""
        seen: set[tuple[Any, ...]] = set()
        for path, block, metric in _report_figures(report):
            key = _figure_key(metric)
            yield MetricRow(report, path, block, metric, key not in seen)
            seen.add(key)

    def _report_row(self, report: Report, first_rows: dict[str, int]) -> ReportRow:
        sections = bullets = 0  # one walk: the counts of walk(), blocks() and metrics()
        metrics = len(report.title_metrics)
        refs: set[int] = set()
        for section in report.walk():
            sections += 1
            bullets += len(section.blocks)
            metrics += len(section.heading_metrics)
            for block in section.blocks:
                metrics += len(block.metrics)
                refs.update(block.refs)
        return ReportRow(report, sections, bullets, metrics, len(refs), first_rows.get(report.id))

    def _fact_rows(self, reports: list[Report], by_company: bool) -> list[FactRow]:
        """One row per report and company (one row without a company when it names none)."""
        rows: list[FactRow] = []
        for report in reports:
            facts = report.facts
            report.release()  # a report of a transformed view may have made its body for its facts
            if not facts:
                continue
            if not facts.companies:
                rows.append(FactRow(report, None, facts.rating, facts.target_price, facts))
            for company in facts.companies:
                rating, target = facts.for_company(company.name)
                rows.append(FactRow(report, company, rating, target, facts))
        if by_company:
            rows.sort(key=lambda r: (_company_key(r.company), r.report.published_at, r.report.institution))
        return rows

    def _forecast_rows(self, reports: list[Report], by_company: bool) -> list[ForecastRow]:
        rows: list[ForecastRow] = []
        for report in reports:
            facts = report.facts
            if not facts:
                continue
            tickers = {c.name: c.ticker for c in facts.companies}
            for forecast in facts.forecasts:
                rows.append(ForecastRow(report, forecast, tickers.get(forecast.company, "")))
        if by_company:
            rows.sort(
                key=lambda r: (
                    r.ticker or r.forecast.company,
                    r.forecast.indicator,
                    r.forecast.year,
                    r.report.published_at,
                )
            )
        return rows

    def _company_rows(self, fact_rows: list[FactRow]) -> list[CompanyRow]:
        """One row per company (by ticker, else name), in order of ticker."""
        groups: dict[str, CompanyRow] = {}
        for row in sorted(fact_rows, key=lambda r: (r.report.published_at, r.report.institution)):
            if row.company is None:
                continue
            key = _company_key(row.company)
            group = groups.get(key)
            if group is None:
                groups[key] = CompanyRow(key, row.company, [row])
            else:
                group.rows.append(row)
        return [groups[k] for k in sorted(groups)]

    def _bullet_rows(self, report: Report) -> Iterator[BulletRow]:
        for section, path in _section_paths(report.sections):
            for block in section.blocks:
                yield BulletRow(report, section, path, block)

    def _fill(
        self,
        ws: WriteOnlyWorksheet,
        sheet: SheetSpec,
        rows: Iterable[Any],
        cells: CellFactory,
        spec: WorkbookSpec,
    ) -> TableRows:
        """Stream the rows of a table sheet."""
        fill = _SheetFill(self, ws, sheet, cells, spec)
        try:
            fill.add_all(rows)
            return fill.finish()
        except BaseException:
            fill.table.file.close()
            raise

    def _table(self, ws: WriteOnlyWorksheet, sheet: SheetSpec, rows: int, spec: WorkbookSpec) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.filters import AutoFilter
        from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

        ref = f"A1:{get_column_letter(len(sheet.columns))}{rows + 1}"
        table = Table(displayName=sheet.table, name=sheet.table, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=spec.table_style, showRowStripes=True)
        table.tableColumns = [TableColumn(id=i + 1, name=c.label) for i, c in enumerate(sheet.columns)]
        table.autoFilter = AutoFilter(ref=ref)
        with warnings.catch_warnings():  # openpyxl warns that write-only tables need their columns: they have them
            warnings.simplefilter("ignore", UserWarning)
            ws.add_table(table)

    # --- summary --------------------------------------------------------------------------------

    def _summary(
        self,
        ws: WriteOnlyWorksheet,
        digest: Digest,
        spec: WorkbookSpec,
        cells: CellFactory,
        written: dict[str, TableRows],
        fact_rows: list[FactRow],
        subjects: SubjectFigures,
    ) -> dict[str, str]:
        """Counts by institution and by day as COUNTIFS over the tables, ratings by institution
        (with their chart) when the Facts sheet exists, figures by subject across reports (with a
        chart of the percentages' range) when the Metrics sheet has the columns; returns each
        formula's value, as computed here, by cell (the cached results every reader that does not calculate sees)."""
        from openpyxl.utils import get_column_letter

        messages = cells.ctx.audience.messages
        tables = []  # (header, table, institution column, time column, rows per report)
        for kind in ("reports", "metrics", "bullets"):
            sheet = spec.sheet(kind)
            if sheet is not None and kind in written:
                tables.append(
                    (sheet.name, sheet.table, sheet.label("institution"), sheet.label("published_at"), written[kind])
                )
        institutions = _case_groups(r.institution for r in digest.reports)
        days = sorted({r.published_at.date() for r in digest.reports})
        top = subjects.top(SUBJECT_ROWS)
        labels = [*institutions, *(f"{t[0]} · {t[2]}" if t[2] else t[0] for t in top)]
        ws.column_dimensions["A"].width = min(40, max([14, *(display_width(x) + 2 for x in labels)]))
        for letter in "BCDEFG":
            ws.column_dimensions[letter].width = 16 if letter in "EF" else 12
        title = localized_title(digest, messages) if digest.reports else digest.name
        ws.append([cells.text(ws, messages("Summary: {title}", title=title), (0, 0), "digest title", font="title")])
        ws.append([messages("Counts are formulas over the tables: they follow the analyst's edits, filters aside.")])
        ws.append([])
        row = 4
        cached: dict[str, str] = {}
        charts: list[ChartBlock] = []

        def count(reports: Iterable[Report], rows: Counter[str]) -> int:
            return sum(rows[r.id] for r in reports)

        def block(heading: str, keys: list[Any], kind: str) -> None:
            nonlocal row
            head = [heading, *(label for label, *_ in tables)]
            ws.append([cells.text(ws, h, (0, 0), "heading", font="bold") for h in head])
            row += 1
            first = row
            for key in keys:
                line: list[Any] = []
                if kind == "institution":
                    line.append(cells.text(ws, key, (0, 0), "institution"))
                    members = [r for r in digest.reports if r.institution.lower() == key.lower()]
                else:
                    line.append(cells.when(ws, datetime(key.year, key.month, key.day), _DAY_FORMAT))
                    members = [r for r in digest.reports if r.published_at.date() == key]
                for i, (_label, table, inst_col, time_col, rows) in enumerate(tables):
                    if kind == "institution" and inst_col:
                        criterion = literal_criterion(f"$A{row}")
                        line.append(cells.formula(ws, f"=COUNTIFS({_structured(table, inst_col)},{criterion})"))
                    elif kind == "day" and time_col:
                        ref = _structured(table, time_col)
                        line.append(cells.formula(ws, f'=COUNTIFS({ref},">="&$A{row},{ref},"<"&($A{row}+1))'))
                    else:
                        line.append(None)
                        continue
                    cached[f"{get_column_letter(i + 2)}{row}"] = str(count(members, rows.by_report))
                ws.append(line)
                row += 1
            total = [cells.text(ws, messages("Total"), (0, 0), "heading", font="bold")]
            for i, (*_, rows) in enumerate(tables):
                letter = get_column_letter(i + 2)
                total.append(cells.formula(ws, f"=SUM({letter}{first}:{letter}{row - 1})" if keys else "=0"))
                cached[f"{letter}{row}"] = str(count(digest.reports, rows.by_report) if keys else 0)
            ws.append(total)
            row += 1
            ws.append([])
            row += 1

        if tables:
            block(messages("Institution"), institutions, "institution")
            block(messages("Day"), days, "day")
        facts = spec.sheet("facts")
        scales = [s for s in RATING_SCALE if any(f.rating is not None and f.rating.scale == s for f in fact_rows)]
        if facts is not None and "facts" in written and scales and facts.label("institution") and facts.label("scale"):
            # every broker's ratings: how many reports of each institution rate Buy, Outperform …
            inst_ref = _structured(facts.table, facts.label("institution") or "")
            scale_ref = _structured(facts.table, facts.label("scale") or "")
            rated = _case_groups(f.report.institution for f in fact_rows if f.rating is not None)
            ws.append(
                [
                    cells.text(ws, h, (0, 0), "heading", font="bold")
                    for h in (messages("Ratings by institution"), *(messages(s.capitalize()) for s in scales))
                ]
            )
            header_row = row
            row += 1
            first = row
            for name in rated:
                line = [cells.text(ws, name, (0, 0), "institution")]
                for i, scale in enumerate(scales):
                    line.append(
                        cells.formula(
                            ws,
                            f"=COUNTIFS({inst_ref},{literal_criterion(f'$A{row}')},"
                            f'{scale_ref},"{messages.code("scale", scale)}")',
                        )
                    )
                    n = sum(
                        1
                        for f in fact_rows
                        if f.report.institution.lower() == name.lower()
                        and f.rating is not None
                        and f.rating.scale == scale
                    )
                    cached[f"{get_column_letter(i + 2)}{row}"] = str(n)
                ws.append(line)
                row += 1
            charts.append(
                ChartBlock(messages("Ratings by institution"), header_row, first, row - 1, 2, 1 + len(scales))
            )
            ws.append([])
            row += 1
        metrics = spec.sheet("metrics")
        needed = ("subject", "base_unit", "basis", "first_mention", "normalized")
        if metrics is not None and "metrics" in written and top and all(metrics.label(k) for k in needed):
            ref = {k: _structured(metrics.table, metrics.label(k) or "") for k in needed}
            head = ("Figures by subject", "Base unit", "Reports stating it", "Figures stated", "Lowest", "Highest")
            ws.append([cells.text(ws, messages(h), (0, 0), "heading", font="bold") for h in head])
            header_row = row
            row += 1
            first = row
            ratio_rows = 0
            for subject, unit, basis, reports, figures, low, high in top:
                # the criteria are the subject, basis and unit as literals: column A shows the subject
                # with its basis (营业收入 · 同比), the label the chart's axis needs
                where = ",".join(
                    (
                        ref["subject"],
                        literal_text_criterion(subject),
                        ref["basis"],
                        literal_text_criterion(messages.code("basis", basis)),
                        ref["base_unit"],
                        literal_text_criterion(messages.code("base_unit", unit)),
                        ref["first_mention"],
                        "TRUE",
                    )
                )
                label = f"{subject} · {messages.code('basis', basis)}" if basis else subject
                number_format = "0.0%" if unit == "ratio" else "#,##0.##"
                ratio_rows += unit == "ratio"
                ws.append(
                    [
                        cells.text(ws, label, (0, 0), "subject"),
                        cells.text(ws, messages.code("base_unit", unit), (0, 0), "unit") if unit else None,
                        reports,  # counted here: COUNTIFS cannot count distinct reports
                        cells.formula(ws, f"=COUNTIFS({where})"),
                        cells.formula(ws, f"=_xlfn.MINIFS({ref['normalized']},{where})", number_format),
                        cells.formula(ws, f"=_xlfn.MAXIFS({ref['normalized']},{where})", number_format),
                    ]
                )
                cached[f"D{row}"] = str(figures)
                cached[f"E{row}"] = _cached_number(low)
                cached[f"F{row}"] = _cached_number(high)
                row += 1
            if ratio_rows:
                title = messages("Figures by subject (%): lowest and highest")
                charts.append(ChartBlock(title, header_row, first, first + ratio_rows - 1, 5, 6, False, "0%"))
        self._charts(ws, spec, charts)
        _print_setup(ws)
        ws.print_title_rows = None
        return cached

    def _charts(self, ws: WriteOnlyWorksheet, spec: WorkbookSpec, blocks: list[ChartBlock]) -> None:
        """A bar chart per block: what each institution's reports say (their ratings, stacked), how
        far apart the reports' figures for a subject are (lowest and highest, side by side)."""
        if spec.chart_type == "none":
            return
        from openpyxl.chart import BarChart, Reference

        anchor_row = 4
        for block in blocks:
            if block.last < block.first:
                continue
            chart = BarChart()
            chart.type = "bar" if spec.chart_type == "bar" else "col"
            chart.grouping = "stacked" if block.stacked else "clustered"
            if block.stacked:
                chart.overlap = 100
            chart.title = block.title
            chart.height = max(7.5, 0.6 * (block.last - block.first + 1) * (1 if block.stacked else 1.6) + 3)
            chart.width = 18
            chart.legend.position = "b"
            if block.number_format:
                chart.y_axis.number_format = block.number_format
                chart.y_axis.majorGridlines = None
            data = Reference(
                ws, min_col=block.min_col, max_col=block.max_col, min_row=block.header_row, max_row=block.last
            )
            categories = Reference(ws, min_col=1, min_row=block.first, max_row=block.last)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(categories)
            ws.add_chart(chart, f"I{anchor_row}")
            anchor_row += int(chart.height * 2) + 2


@dataclass(frozen=True, slots=True)
class ChartBlock:
    """A block of the Summary sheet a chart shows: its header row, data rows and value columns."""

    title: str
    header_row: int
    first: int
    last: int
    min_col: int
    max_col: int
    stacked: bool = True
    number_format: str = ""


def _cached_number(value: Decimal | None) -> str:
    """The cached result of MINIFS/MAXIFS: 0 when no figure has a value, as Excel computes it."""
    return "0" if value is None else format(value.normalize(), "f")
