"""Tables written with pipes inside a digest's text: every number cell is a figure of its column.

Digests carry a report's financial summary as a Markdown table run into one line::

    财务数据及盈利预测 |年份|营业总收入(百万元)|同比增长率(%)|市盈率| | ---- | ---- | ---- | ---- |
    |2023|20,655|-3.9|68| |2024E|21,237|2.8|33|

or with the years across and one row per indicator::

    |指标|2024|2025Q1|2025E|2026E| |----|----|----|----|----| |营业总收入(百万元)|664|142|763|914|

(the corner cell may name the unit of the amounts below it: ``|单位/百万元|2024|2025E|``).
:func:`cells` reads it back.  The cell that names an indicator (its subject, and the unit in
parentheses) is the header's in the first layout and the row's first in the second; the period
(a year, ``2024E``, ``2024Q1 - 3``) is the row's first cell in the first and the header's in the
second.  The metrics transform makes each number cell one figure with its indicator's subject
and unit and its period's year.  A table whose rows do not all have the header's width is read
up to the first row that does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A cell that holds one number (``20,655``, ``-3.9``, ``0.35``, ``18.68%``).
_NUMBER_CELL = re.compile(r"\s*[+\-−]?\s*[0-9][0-9,]*(?:\.[0-9]+)?\s*%?\s*")
_RULE_CELL = re.compile(r"\s*:?-{3,}:?\s*")
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（](?P<unit>[^()（）]{1,8})[)）]\s*$")
_LETTER = re.compile(r"[^\W\d_]")
#: A row label that says the row is the change of the row above: ``(+/-)%``, ``+/-%``, ``±%``.
_CHANGE_ROW = re.compile(r"\s*[(（]?\s*(?:\+\s*/\s*-|±)\s*[)）]?\s*(?:%|[(（]\s*%\s*[)）])?\s*")
#: The unit of a whole table, named in its corner cell: ``单位/百万元``, ``单位:亿元``, ``(百万元)``.
_TABLE_UNIT = re.compile(
    r"(?:单位\s*[/:：]?\s*|^\s*[(（]\s*)(?P<unit>(?:人民币|美元|港元)?[十百千万亿]*元)\s*[)）]?\s*$"
)
#: Rows whose values are not amounts of the table's unit: multiples, rates, per-share figures.
_NOT_AN_AMOUNT = re.compile(r"P/?[EBS]|市[盈净销]率|EV/EBITDA|倍|率|ROE|ROA|EPS|每股", re.IGNORECASE)
#: The unit among the parts of a header's parentheses (``归母,百万元``, ``元,期末股本``).
_UNIT_PART = re.compile(r"(?:人民币|美元|港元)?[十百千万亿]*(?:元|股|倍|%)(?:/股)?")
#: A header cell that names a period: ``2024``, ``2025E``, ``2023A``, ``2025Q1``, ``1H25``, ``2025年``.
_PERIOD_CELL = re.compile(
    r"\s*(?:(?:19|20)[0-9]{2}(?:[AEFP]|年|Q[1-4]|H[12]|[AE]?\s*-\s*Q?[1-4])?|[1-4]Q[0-9]{2}|[12]H[0-9]{2}|FY[0-9]{2}[AE]?)\s*"
)


@dataclass(frozen=True, slots=True)
class Cell:
    """A number cell: its column's name and unit, the row's label and the unit's place in the text."""

    subject: str
    unit: str
    unit_at: int  # where the unit is written in the text (in the header), -1 when there is none
    label: str


def _split(text: str) -> list[tuple[int, str]]:
    """The cells between pipes: (start, content)."""
    found = []
    start = text.find("|")
    while start >= 0:
        end = text.find("|", start + 1)
        if end < 0:
            break
        found.append((start + 1, text[start + 1 : end]))
        start = end
    return found


def cells(text: str) -> dict[int, Cell]:
    """Number cells of the pipe tables of ``text``, by the offset where the cell's text starts."""
    if text.count("|") < 6:
        return {}
    parts = _split(text)
    found: dict[int, Cell] = {}
    i = 0
    while i < len(parts):
        width = _header_width(parts, i)
        if width < 3:
            i += 1
            continue
        header = parts[i : i + width]
        across = _PERIOD_CELL.fullmatch(header[0][1]) is None and all(
            _PERIOD_CELL.fullmatch(content) for _, content in header[1:]
        )
        j = i + width
        while j < len(parts) and (not parts[j][1].strip() or _RULE_CELL.fullmatch(parts[j][1])):
            j += 1
        rows = 0
        corner = _TABLE_UNIT.search(header[0][1]) if across else None
        subject, unit, unit_at = "", "", -1  # of the row (with the years across)
        indicator = ""  # the last row that names one (a change row under it is its growth)
        while j + width <= len(parts):
            row = parts[j : j + width]
            if any(not content.strip() for _, content in row):
                break
            label = row[0][1].strip()
            if across:  # the row names the indicator, the header the periods
                if indicator and _CHANGE_ROW.fullmatch(label):  # the change of the row above, in %
                    subject, unit, unit_at = indicator + "增速", "", -1
                elif not _LETTER.search(label):
                    break
                else:
                    subject, unit, unit_at = _column(row[0][1], row[0][0])
                    indicator = subject
                    if not unit and corner is not None and not _NOT_AN_AMOUNT.search(subject):
                        unit, unit_at = corner.group("unit"), header[0][0] + corner.start("unit")
            for (start, content), (header_at, name) in zip(row[1:], header[1:], strict=True):
                if _NUMBER_CELL.fullmatch(content):
                    if across:
                        cell = Cell(subject, unit if "%" not in content else "", unit_at, name.strip())
                    else:
                        cell = Cell(*_column(name, header_at), label)
                    found[start + len(content) - len(content.lstrip())] = cell
            rows += 1
            j += width
            if j < len(parts) and not parts[j][1].strip():
                j += 1  # the empty cell between two rows run into one line
        i = j if rows else i + width  # a header without rows: its cells are not read again
    return found


def _header_width(parts: list[tuple[int, str]], i: int) -> int:
    """How many cells from ``i`` form a header, up to an empty or a rule cell: names with letters,
    or a name and then periods (``|指标|2024|2025E|``)."""
    width = 0
    while i + width < len(parts):
        content = parts[i + width][1].strip()
        if not content or _RULE_CELL.fullmatch(content):
            break
        if width and _PERIOD_CELL.fullmatch(content) and _LETTER.search(parts[i][1]):
            if all(_PERIOD_CELL.fullmatch(c) for _, c in parts[i + 1 : i + width]):
                width += 1
                continue
        if _NUMBER_CELL.fullmatch(content) or not _LETTER.search(content):
            break
        width += 1
    return width


def _column(name: str, at: int) -> tuple[str, str, int]:
    """``营业总收入(百万元)`` → (``营业总收入``, ``百万元``, where ``百万元`` starts)."""
    m = _HEADER_UNIT.match(name)
    if m is None:
        return name.strip(), "", -1
    unit, unit_at = m.group("unit"), m.start("unit")
    if "," in unit or "，" in unit:  # ``净利润(归母,百万元)``: the unit is the part that is one
        offset = 0
        for part in re.split(r"[,，]", unit):
            if _UNIT_PART.fullmatch(part.strip()):
                return m.group("name").strip(), part.strip(), at + unit_at + offset + len(part) - len(part.lstrip())
            offset += len(part) + 1
    return m.group("name").strip(), unit.strip(), at + unit_at
