"""Hostile institution names on the Summary sheet: the counts match them literally.

The Summary counts rows per institution with ``COUNTIFS``, whose criterion is
a pattern: ``*``, ``?`` and ``~`` are wildcards and escapes, a leading ``<``,
``>``, ``=`` or ``<>`` an operator.  Institution names are input text, so each
must count exactly the rows of that institution once LibreOffice recalculated
the workbook.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timedelta

import openpyxl
import pytest
from test_xlsx import SOFFICE, build, soffice_csv, summary_counts

from publisher.model import Block, Digest, Report, Section, assign_ids
from publisher.transforms.metrics import metrics

#: Names that COUNTIFS would read as a pattern or a comparison, and names they would match.
HOSTILE_INSTITUTIONS = [
    "中金*", "中金公司", "中金", "中金?司", "?", "*", "<A", "A", ">0", "0", "=1", "1", "~", "~*", "A~*", "A~B",
    "<>", "<>x", "==", "<=B", "B", "'引号", " 空格 ",
]  # fmt: skip
#: Names that differ only in case: COUNTIFS cannot tell them apart, so they share one Summary row.
CASE_PAIR = ["CICC", "cicc"]


def hostile_digest() -> Digest:
    """Reports of each institution (1, 2, 3, … of them), each with two bullets and their metrics."""
    reports = []
    start = datetime(2025, 2, 16, 9, 0)
    for i, institution in enumerate([*HOSTILE_INSTITUTIONS, *CASE_PAIR]):
        for k in range(i % 3 + 1):
            report = Report(
                title=f"报告{i}-{k}",
                institution=institution,
                published_at=start + timedelta(minutes=i * 5 + k),
            )
            report.sections = [
                Section(
                    heading="市场表现",
                    blocks=[
                        Block("bullet", f"沪指涨0.{i}{k}%,收报3346.72点[1]"),
                        Block("bullet", "营收同比增长12.3%[2]" if k % 2 else "无数字的要点"),
                    ],
                )
            ]
            reports.append(report)
    digest = Digest(source="hostile.txt", reports=reports, title="Hostile institutions")
    assign_ids(digest)
    return metrics(digest)


def expected_counts(digest: Digest, key=lambda name: name) -> dict[str, list[int]]:
    """Reports, metrics and bullets per institution (grouped by ``key``)."""
    counts: dict[str, Counter[str]] = {}
    for report in digest.reports:
        counter = counts.setdefault(key(report.institution), Counter())
        counter["reports"] += 1
        counter["metrics"] += sum(1 for _ in report.metrics())
        counter["bullets"] += sum(1 for _ in report.blocks())
    return {name: [c["reports"], c["metrics"], c["bullets"]] for name, c in counts.items()}


def test_institution_criteria_are_literal_in_the_formula():
    """The criterion is the cell's text with ``~ * ?`` escaped, after ``=``: never an operator."""
    data, _ = build(hostile_digest())
    ws = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f" and "Institution" in c.value]
    assert formulas
    literal = re.compile(
        r'=COUNTIFS\((Reports|Metrics|Bullets)\[Institution\],"="&'
        r'SUBSTITUTE\(SUBSTITUTE\(SUBSTITUTE\(\$A(\d+),"~","~~"\),"\*","~\*"\),"\?","~\?"\)\)'
    )
    assert all(literal.fullmatch(f) for f in formulas), formulas[:3]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_hostile_institutions_count_only_their_own_rows(tmp_path):
    digest = hostile_digest()
    data, diagnostics = build(digest)
    assert not [d for d in diagnostics if d.severity == "error"]
    path = tmp_path / "hostile-institutions.xlsx"
    path.write_bytes(data)
    sheets = soffice_csv(path, tmp_path / "lo-profile")
    by_institution = summary_counts(sheets["Summary"], "Institution")
    expected = expected_counts(digest)
    for institution in HOSTILE_INSTITUTIONS:
        assert by_institution[institution] == expected[institution], institution
    # COUNTIFS ignores case: names that differ only in case share the row of the first, counted together
    assert "cicc" not in by_institution
    assert by_institution["CICC"] == [a + b for a, b in zip(expected["CICC"], expected["cicc"], strict=True)]
    totals = [sum(column) for column in zip(*expected.values(), strict=True)]
    assert by_institution["Total"] == totals  # every row counted once
    assert len(by_institution) == len(HOSTILE_INSTITUTIONS) + 2  # and the CICC row, and Total
