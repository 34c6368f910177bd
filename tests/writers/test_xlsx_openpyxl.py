"""Guard of the xlsx writer's fast path: each openpyxl internal it relies on, checked on the installed openpyxl.

When openpyxl changes one of them, this file names which (see
``publisher/writers/xlsx_openpyxl.py``), rather than a workbook test failing
somewhere later.
"""

from __future__ import annotations

import io
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell

from publisher.writers import xlsx_openpyxl as fast

ROOT = Path(__file__).resolve().parents[2]


def test_openpyxl_is_the_minor_version_the_fast_path_was_written_for():
    assert openpyxl.__version__.startswith(fast.TESTED + ".")
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    bound = next(d for d in dependencies if d.startswith("openpyxl"))
    major, minor = map(int, fast.TESTED.split("."))
    assert re.fullmatch(rf"openpyxl>={major}\.{minor},<{major}\.{minor + 1}", bound), bound


def _workbook_with(number_format: str) -> tuple[openpyxl.Workbook, int]:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    cell = WriteOnlyCell(sheet, value=0)
    cell.number_format = number_format
    return workbook, fast.style_index(workbook, fast.cell_style(cell))


def test_spliced_rows_with_a_style_index_read_back_as_openpyxl_would_write_them():
    workbook, index = _workbook_with("0.00%")
    assert isinstance(workbook.epoch, datetime)
    rows = f'<row r="1"><c r="A1" s="{index}"><v>0.5</v></c><c r="B1" t="inlineStr"><is><t>文本</t></is></c></row>'
    data = rows.encode("utf-8")
    buffer = io.BytesIO()
    parts = {fast.worksheet_part(1): (len(data), lambda target: target.write(data))}
    with fast.SplicingZipFile(buffer, datetime(2025, 2, 16, tzinfo=UTC), parts) as archive:
        fast.write_package(workbook, archive)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Data"]
    assert sheet["A1"].value == 0.5 and sheet["A1"].number_format == "0.00%"
    assert sheet["B1"].value == "文本"


def test_a_sheet_openpyxl_did_not_write_is_an_error():
    workbook, _ = _workbook_with("General")
    parts = {fast.worksheet_part(2): (0, lambda target: None)}
    with pytest.raises(RuntimeError, match=r"did not write the worksheets xl/worksheets/sheet2\.xml"):
        with fast.SplicingZipFile(io.BytesIO(), datetime(2025, 2, 16, tzinfo=UTC), parts) as archive:
            fast.write_package(workbook, archive)
