"""Bilingual HTML writer against ``pandoc -t html -s`` on the same content, in the same run.

    python bench/html_vs_pandoc.py [--reports 10000] [--repeat 3]

The corpus is ``make_digest(n)`` (the sample's reports repeated with distinct
titles).  publisher: reading the digest and rendering the ``global``
audience's page (translation chain with the glossary and the sample's
reviewed catalog, Jinja templates, both languages) — the best of
``--repeat`` runs after a warm-up on ten reports (loading the pinyin
dictionaries, compiling the templates, reading the catalog).  pandoc: the same reports as Markdown (headings,
bullets, citation markers), ``pandoc -f markdown -t html -s`` once; and, as
a render-only reference without Markdown parsing, pandoc's own AST
(``-f json``) to HTML.  The page publisher writes holds both languages, so
about twice the text pandoc writes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import SAMPLE, make_digest

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import Digest
from publisher.readers.digest import read_text
from publisher.readers.source import decode
from publisher.writers.base import RenderContext
from publisher.writers.html import HtmlWriter


def best_of(repeat: int, func) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
    return best, result


def markdown(digest: Digest) -> str:
    """The digest's content as pandoc Markdown: report titles, meta line, headings, bullets."""
    out = [f"% {digest.title}", ""]
    for r in digest.reports:
        out += [f"## {r.title}", "", f"{r.institution} · {r.timestamp}", ""]
        for s in r.walk():
            out += ["#" * min(s.level + 2, 6) + " " + s.heading, ""]
            for b in s.blocks:
                out.append(("- " if b.kind == "bullet" else "") + b.marked_text())
            out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        sys.exit("pandoc is not installed")

    data = make_digest(args.reports).encode("utf-8")
    audience = AudienceCatalog().load("global")
    audience.override("i18n.catalogs", [str(SAMPLE.with_suffix(".en.po"))])
    writer = HtmlWriter()

    def render(digest: Digest) -> bytes:
        (output,) = writer.write(digest, RenderContext(audience, Diagnostics()))
        return output.content()

    def read() -> Digest:
        return read_text(decode(data, "bench.txt"), Diagnostics())

    digest = read()
    assert len(digest.reports) == args.reports
    # warm-up: load the pinyin dictionaries, compile the templates, read the catalog
    render(read_text(decode(make_digest(10).encode("utf-8"), "bench.txt"), Diagnostics()))
    t_read, _ = best_of(args.repeat, read)
    t_render, page = best_of(args.repeat, lambda: render(digest))
    t_both, _ = best_of(args.repeat, lambda: render(read()))

    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "digest.md"
        md.write_text(markdown(digest), encoding="utf-8")
        ast = Path(tmp) / "digest.json"
        subprocess.run(["pandoc", "-f", "markdown", "-t", "json", "-o", str(ast), str(md)], check=True)
        t0 = time.perf_counter()
        subprocess.run(
            ["pandoc", "-f", "markdown", "-t", "html", "-s", "-o", str(Path(tmp) / "a.html"), str(md)], check=True
        )
        t_pandoc_md = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(
            ["pandoc", "-f", "json", "-t", "html", "-s", "-o", str(Path(tmp) / "b.html"), str(ast)], check=True
        )
        t_pandoc_ast = time.perf_counter() - t0
        pandoc_size = (Path(tmp) / "a.html").stat().st_size
        md_size = md.stat().st_size

    n = args.reports
    print(f"corpus: {n} reports, {len(data) / 1e6:.1f} MB digest text ({md_size / 1e6:.1f} MB as Markdown)")
    rows = [
        ("publisher render (html writer)", t_render, f"{len(page) / 1e6:.1f} MB"),
        ("publisher read + render", t_both, f"reading alone {t_read:.2f} s"),
        ("pandoc -f markdown -t html -s", t_pandoc_md, f"{pandoc_size / 1e6:.1f} MB"),
        ("pandoc -f json -t html -s", t_pandoc_ast, "from pandoc's AST"),
    ]
    for label, seconds, note in rows:
        print(f"{label:<32}{seconds:7.2f} s {n / seconds:9,.0f} reports/s  {note}")
    print(
        f"ratios: pandoc markdown / publisher render {t_pandoc_md / t_render:.1f}x, "
        f"/ publisher read + render {t_pandoc_md / t_both:.1f}x; "
        f"pandoc json / publisher render {t_pandoc_ast / t_render:.1f}x"
    )


if __name__ == "__main__":
    main()
