"""Excel workbook throughput and peak memory, against a bare openpyxl write-only loop (the floor).

    python bench/xlsx_throughput.py [--reports 1000 10000] [--repeat 3]

For each corpus size (generated from the sample's shapes, ``bench/corpus.py``)
the digest is read and run through the ``metrics`` transform once (timed, for
information); then, in the same process:

- **writer**: ``XlsxWriter`` writes the analyst workbook (Metrics, Reports,
  Bullets with tables, typed and styled cells, formula-safe text, widths,
  Summary formulas and charts, reproducible ZIP) to a temporary file: openpyxl
  builds the workbook around the sheets, the writer streams the rows' XML itself;
- **floor**: a bare openpyxl write-only loop appends the same cell values to
  the same three sheets (no styles, tables, checks, summary or charts) and
  saves with openpyxl's own ``save``: what writing these cells through
  openpyxl's cell objects costs at least.  The writer is faster than this
  floor; ``writer / floor`` (time) says by how much.

Time is the best of ``--repeat`` runs, writer and floor alternating so that a change
in the machine's load hits both; peak memory is measured in a separate run under
``tracemalloc`` (Python allocations made while writing; the model
itself is already in memory).  Rows are the data rows of the three sheets.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import Digest
from publisher.readers.digest import read_text
from publisher.readers.source import decode
from publisher.transforms.metrics import metrics
from publisher.writers.base import RenderContext
from publisher.writers.xlsx import XlsxWriter, workbook_spec


def number(text: str | None, percent: bool = False):
    if text is None:
        return None
    value = Decimal(text) / 100 if percent else Decimal(text)
    return float(value)


def floor(digest: Digest, path: Path) -> None:
    """The same cell values, written by the plainest openpyxl write-only loop."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Metrics")
    ws.append([
        "Report id", "Time", "Institution", "Title", "Section", "Subject", "Value", "Unit", "Low", "High",
        "Normalised", "Base unit", "Direction", "Relation", "Bound", "Period", "Sentence", "Citations",
    ])  # fmt: skip
    for report in digest.reports:
        when = report.published_at
        for section, _, m in report.metrics():
            path_text = " › ".join(report.section_path(section)) if section is not None else ""
            pct = m.unit == "%"
            ws.append([
                report.id, when, report.institution, report.title, path_text, m.subject,
                number(m.value, pct), m.unit, number(m.low, pct), number(m.high, pct), number(m.normalized),
                m.base_unit, m.direction, m.relation, m.bound, m.period, m.sentence, ", ".join(map(str, m.refs)),
            ])  # fmt: skip
    ws = wb.create_sheet("Reports")
    ws.append(["Report id", "Time", "Institution", "Title", "Sections", "Bullets", "Metrics", "Key takeaway"])
    for report in digest.reports:
        block = report.key_takeaway()
        ws.append([
            report.id, report.published_at, report.institution, report.title, sum(1 for _ in report.walk()),
            sum(1 for _ in report.blocks()), sum(1 for _ in report.metrics()), block.text if block else "",
        ])  # fmt: skip
    ws = wb.create_sheet("Bullets")
    ws.append(["Report id", "Time", "Institution", "Title", "Section", "Kind", "Text", "Citations"])
    for report in digest.reports:
        for section in report.walk():
            path_text = " › ".join(report.section_path(section))
            for b in section.blocks:
                ws.append([
                    report.id, report.published_at, report.institution, report.title, path_text, b.kind, b.text,
                    ", ".join(map(str, b.refs)),
                ])  # fmt: skip
    wb.save(path)


def writer(digest: Digest, path: Path, ctx: RenderContext) -> None:
    spec = workbook_spec(ctx)
    with open(path, "wb") as handle:
        XlsxWriter().save(digest, ctx, spec, handle)


def timed(repeat: int, *funcs) -> list[float]:
    """Best time of each function over ``repeat`` rounds, the functions alternating."""
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            gc.collect()
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def peak(func) -> int:
    gc.collect()
    tracemalloc.start()
    func()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ctx = RenderContext(AudienceCatalog().load("analyst"), Diagnostics())
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for n in args.reports:
            digest = read_text(decode(make_digest(n).encode("utf-8"), "bench.txt"), Diagnostics())
            start = time.perf_counter()
            metrics(digest)
            transform = time.perf_counter() - start
            rows = sum(1 + sum(1 for _ in r.metrics()) + sum(1 for _ in r.blocks()) for r in digest.reports)
            w, f = timed(
                args.repeat,
                lambda d=digest: writer(d, out / "writer.xlsx", ctx),
                lambda d=digest: floor(d, out / "floor.xlsx"),
            )
            wm = peak(lambda d=digest: writer(d, out / "writer.xlsx", ctx))
            fm = peak(lambda d=digest: floor(d, out / "floor.xlsx"))
            size = (out / "writer.xlsx").stat().st_size
            floor_size = (out / "floor.xlsx").stat().st_size
            rows_out.append((n, rows, transform, w, f, wm, fm, size))
            print(
                f"{n:>6} reports, {rows:,} rows: metrics transform {transform:.2f} s; "
                f"writer {w:.2f} s ({rows / w:,.0f} rows/s, peak {wm / 1e6:.1f} MB); "
                f"floor {f:.2f} s ({rows / f:,.0f} rows/s, peak {fm / 1e6:.1f} MB); "
                f"writer/floor time {w / f:.2f}× ({f / w:.1f}× the floor's speed); "
                f"workbook {size / 1e6:.1f} MB, floor's {floor_size / 1e6:.1f} MB",
                flush=True,
            )
    print()
    print("| reports | rows | writer | writer rows/s | floor rows/s | writer / floor | writer peak | floor peak |")
    print("|---|---|---|---|---|---|---|---|")
    for n, rows, _, w, f, wm, fm, _ in rows_out:
        print(
            f"| {n:,} | {rows:,} | {w:.2f} s | {rows / w:,.0f} | {rows / f:,.0f} | {w / f:.2f}× "
            f"| {wm / 1e6:.1f} MB | {fm / 1e6:.1f} MB |"
        )


if __name__ == "__main__":
    main()
