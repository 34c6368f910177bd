"""Markdown rendering speed against pandoc's Markdown writers, on the same content, in the same run.

    python bench/markdown_vs_pandoc.py [--reports 10000] [--repeat 3] [--chunk 1000]

Renders a digest of ``--reports`` reports (``corpus.make_digest``, the
sample's shapes) to wiki pages with the ``md`` writer (a page per report,
plus the index pages) and, as the reference, has pandoc write the same
content: the reports as a pandoc document (headings, the metadata line,
bullet lists and paragraphs with their ``[n]`` citations, built from the
model before timing) read from pandoc's JSON and written with
``-t markdown`` and ``-t commonmark``.  Pandoc gets the reports in
documents of ``--chunk`` reports (its writers slow down more than linearly
on one huge document; ``--chunk 0`` gives it everything at once).  Also
timed, for scale: ``pandoc -f commonmark -t commonmark`` on the pages
publisher wrote.

Times are CPU seconds (this process for publisher, the pandoc processes
for pandoc; both run on one core), so that other work on the machine
sways the ratios less than it sways wall-clock times, which are shown too.
Every measure is the best of ``--repeat`` runs.  Parsing the digest is not
timed on either side.  The report slugs (the
pinyin of the titles, part of the model: ``Report.slug``) go into pandoc's
input as header ids, computed before timing; publisher is timed both with
the slugs computed beforehand (the same footing) and computing them itself.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import BULLET, Block, Report, Section
from publisher.readers.digest import read_text
from publisher.readers.source import decode
from publisher.writers.base import RenderContext
from publisher.writers.markdown import MarkdownWriter, format_time


def inlines(text: str) -> list[dict]:
    out: list[dict] = []
    for k, word in enumerate(text.split(" ")):
        if k:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def block_inlines(block: Block) -> list[dict]:
    return inlines(block.marked_text())


def section_blocks(section: Section, depth: int) -> list[dict]:
    out: list[dict] = [{"t": "Header", "c": [depth + 1, ["", [], []], inlines(section.heading)]}]
    items: list[list[dict]] = []

    def flush() -> None:
        if items:
            out.append({"t": "BulletList", "c": list(items)})
            items.clear()

    for block in section.blocks:
        if block.kind == BULLET:
            items.append([{"t": "Plain", "c": block_inlines(block)}])
        else:
            flush()
            out.append({"t": "Para", "c": block_inlines(block)})
    flush()
    for child in section.children:
        out.extend(section_blocks(child, depth + 1))
    return out


def report_blocks(report: Report) -> list[dict]:
    out: list[dict] = [
        {"t": "Header", "c": [1, [report.slug, [], []], inlines(report.title)]},
        {
            "t": "BlockQuote",
            "c": [{"t": "Para", "c": inlines(f"{report.institution} · {format_time(report.published_at)}")}],
        },
    ]
    for section in report.sections:
        out.extend(section_blocks(section, 1))
    return out


def pandoc_document(reports: list[Report]) -> str:
    version = json.loads(subprocess.run(["pandoc", "-t", "json"], input=b"x", capture_output=True, check=True).stdout)
    blocks = [b for r in reports for b in report_blocks(r)]
    return json.dumps({"pandoc-api-version": version["pandoc-api-version"], "meta": {}, "blocks": blocks})


def chunks(items: list, size: int) -> list[list]:
    return [items[k : k + size] for k in range(0, len(items), size)] if size else [items]


def measure(repeat: int, func) -> tuple[float, float]:
    """Best CPU seconds (this process and its children) and best wall seconds of ``repeat`` runs of ``func``."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        r0, c0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time(), time.perf_counter()
        func()
        r1, c1, t1 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time(), time.perf_counter()
        children = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        cpu = min(cpu, c1 - c0 + children)
        wall = min(wall, t1 - t0)
    return cpu, wall


def run_pandoc(args: list[str], sources: list[Path], repeat: int) -> tuple[float, float, int]:
    """CPU and wall seconds pandoc takes over all ``sources`` (one run each), and the bytes it wrote."""
    written = 0

    def once() -> None:
        nonlocal written
        written = 0
        for source in sources:
            written += len(subprocess.run(["pandoc", *args, str(source)], capture_output=True, check=True).stdout)

    cpu, wall = measure(repeat, once)
    return cpu, wall, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=1000, help="reports per pandoc document (0: all in one)")
    args = parser.parse_args()

    digest = read_text(decode(make_digest(args.reports).encode("utf-8"), "bench.txt"), Diagnostics())
    assert len(digest.reports) == args.reports
    ctx = RenderContext(AudienceCatalog().load("wiki"))
    slugs = {(r.title, r.id): r.slug for r in digest.reports}
    outputs: list = []

    def render(with_slugs: bool) -> None:
        writer = MarkdownWriter()
        if with_slugs:
            writer.slugs.update(slugs)
        outputs[:] = [*writer.write(digest, ctx), *writer.write_collection([digest], ctx)]

    ours, ours_wall = measure(args.repeat, lambda: render(True))
    ours_all, ours_all_wall = measure(args.repeat, lambda: render(False))
    pages = [o for o in outputs if o.path.startswith("reports/") and not o.path.endswith("/index.md")]
    size = sum(len(o.data) for o in outputs)
    print(f"corpus: {args.reports} reports; publisher wrote {len(outputs)} files, {size / 1e6:.1f} MB of Markdown")
    print(f"publisher md writer, slugs from the model: {ours:.2f} s CPU, {ours_wall:.2f} s wall")
    print(f"publisher md writer, computing the slugs:  {ours_all:.2f} s CPU, {ours_all_wall:.2f} s wall")

    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for k, part in enumerate(chunks(digest.reports, args.chunk)):
            docs.append(Path(tmp) / f"reports-{k}.json")
            docs[-1].write_text(pandoc_document(part), encoding="utf-8")
        mds = []
        for k, part in enumerate(chunks(pages, args.chunk)):
            mds.append(Path(tmp) / f"pages-{k}.md")
            mds[-1].write_bytes(b"\n\n".join(o.data.split(b"\n---\n", 1)[-1] for o in part))
        where = f"in {len(docs)} document{'s' * (len(docs) != 1)}"
        rows = [
            (f"pandoc -f json -t markdown ({where})", ["-f", "json", "-t", "markdown"], docs),
            (f"pandoc -f json -t commonmark ({where})", ["-f", "json", "-t", "commonmark"], docs),
            (
                f"pandoc -f commonmark -t commonmark, publisher's pages ({where})",
                ["-f", "commonmark", "-t", "commonmark"],
                mds,
            ),
        ]
        for label, pandoc_args, sources in rows:
            cpu, wall, written = run_pandoc(pandoc_args, sources, args.repeat)
            print(
                f"{label}: {cpu:.2f} s CPU, {wall:.2f} s wall ({written / 1e6:.1f} MB) → publisher "
                f"{cpu / ours:.1f}× faster ({cpu / ours_all:.1f}× computing slugs)"
            )


if __name__ == "__main__":
    main()
