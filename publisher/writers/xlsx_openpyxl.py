"""Where the Excel writer relies on openpyxl's internals: all of it, in one place.

The workbook writer (``publisher/writers/xlsx.py``) lets openpyxl build the
package (styles, tables, charts, properties) but writes the rows of its
table sheets itself, as XML text, five times faster than openpyxl's cell
objects.  That needs four things openpyxl does not document:

- the index a cell style gets in the ``cellXfs`` openpyxl writes
  (:func:`style_index`: ``Workbook._cell_styles``), and a style set on a
  write-only cell (:func:`set_style`: ``Cell._style``);
- the names openpyxl gives worksheet parts (:func:`worksheet_part`);
- that it writes each worksheet of a write-only workbook through
  ``ZipFile.write`` from a temporary file, with an empty ``<sheetData>``
  (:class:`SplicingZipFile` splices the rows in there, and gives formula
  cells their cached values) when :func:`write_package` runs its ``ExcelWriter``;
- ``WriteOnlyWorksheet`` (type hints only) and ``workbook.epoch``.

openpyxl is bounded to :data:`TESTED` in ``pyproject.toml``;
``tests/writers/test_xlsx_openpyxl.py`` checks each assumption above on the
installed openpyxl, so a new version that breaks one fails there, by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import IO, Any, BinaryIO

from ..reproducible import ReproducibleZipFile

#: The openpyxl minor version these internals were written for (``pyproject.toml`` bounds it).
TESTED = "3.1"


def style_index(workbook: Any, style: Any) -> int:
    """The ``s`` attribute of a cell with ``style``: its index in the ``cellXfs`` openpyxl will write."""
    return int(workbook._cell_styles.add(style))


def cell_style(cell: Any) -> Any:
    """The style array of an openpyxl cell (shared between cells of the same look)."""
    return cell._style


def set_style(cell: Any, style: Any) -> None:
    """Give a write-only cell a style array made earlier (building one per cell would dominate)."""
    cell._style = style


def worksheet_part(position: int) -> str:
    """The ZIP entry openpyxl writes the ``position``-th worksheet (from 1) to."""
    return f"xl/worksheets/sheet{position}.xml"


class SplicingZipFile(ReproducibleZipFile):
    """The workbook's ZIP, with rows spliced into the worksheets openpyxl writes empty.

    ``rows`` maps a worksheet's entry name to ``(size, copy)``: the byte size of the
    ``<row>`` elements and a function writing them to a binary file.  ``values`` maps
    a worksheet's entry name to the cached results of its formula cells (``{"B5": "3"}``):
    openpyxl writes a formula with an empty ``<v>``, which readers that do not calculate
    (pandas, Power Query, openpyxl with ``data_only``) read as nothing.
    """

    _EMPTY = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
    _FORMULA_CELL = re.compile(rb'(<c r="([A-Z]+[0-9]+)"[^>]*>)(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)?(</c>)')

    def __init__(
        self,
        file: BinaryIO,
        when: datetime,
        rows: Mapping[str, tuple[int, Callable[[IO[bytes]], None]]],
        values: Mapping[str, Mapping[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(file, when, **kwargs)
        self.rows = dict(rows)
        self.values = dict(values or {})

    def write(self, filename: Any, arcname: str | None = None, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        rows = self.rows.pop(arcname, None) if arcname else None
        values = self.values.pop(arcname, None) if arcname else None
        if values is not None and rows is None and arcname is not None:
            with open(filename, "rb") as sheet:
                self.writestr(arcname, self._with_values(sheet.read(), values))
            return
        if rows is None or arcname is None:
            super().write(filename, arcname, *args, **kwargs)
            return
        size, copy = rows
        with open(filename, "rb") as shell:
            head, *rest = self._EMPTY.split(shell.read())
        if len(rest) != 1:
            raise RuntimeError(f"{arcname}: the worksheet openpyxl wrote has no single empty <sheetData>")
        head += b"<sheetData>"
        tail = b"</sheetData>" + rest[0]
        info = self._info(arcname)
        info.file_size = len(head) + size + len(tail)  # lets zipfile decide on ZIP64
        with self.open(info, "w") as target:
            target.write(head)
            copy(target)
            target.write(tail)

    def _with_values(self, xml: bytes, values: Mapping[str, str]) -> bytes:
        def cached(m: re.Match[bytes]) -> bytes:
            value = values.get(m.group(2).decode())
            if value is None:
                return m.group(0)
            return m.group(1) + m.group(3) + b"<v>" + value.encode() + b"</v>" + m.group(4)

        return self._FORMULA_CELL.sub(cached, xml)


def write_package(workbook: Any, archive: SplicingZipFile) -> None:
    """Write ``workbook`` into ``archive`` (openpyxl's ``ExcelWriter``); every spliced sheet must be met."""
    from openpyxl.writer.excel import ExcelWriter

    ExcelWriter(workbook, archive).write_data()
    if archive.rows or archive.values:
        raise RuntimeError(f"openpyxl did not write the worksheets {', '.join([*archive.rows, *archive.values])}")
