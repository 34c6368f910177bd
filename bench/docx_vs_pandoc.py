"""Word briefing throughput: the docx writer against ``pandoc -f markdown -t docx``, side by side.

    python bench/docx_vs_pandoc.py [--reports 1000 10000] [--repeat 1]

For each corpus size (digests generated from the sample's shapes by
``bench/corpus.py``) the script times, in the same run:

* publisher: reading the digest text and writing the ``analyst`` briefing
  (every report, section, bullet and citation, a table of contents,
  header and footer fields);
* pandoc: converting equivalent Markdown, generated here from the same
  model (headings, bullet lists, superscript citations, ``--toc``), to
  docx.

and prints reports per second for both and the throughput ratio
(publisher / pandoc; above 1 means publisher is faster).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest
from parse_throughput import best_of

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import Block, Digest
from publisher.readers.digest import read_text
from publisher.readers.source import decode
from publisher.writers.base import RenderContext
from publisher.writers.docx import DocxWriter


def _md_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\`*_{}[]<>#+-.!|^~$@":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _md_block(block: Block) -> str:
    if not block.citations:
        return _md_escape(block.text)
    parts, last = [], 0
    for c in block.citations:
        parts.append(_md_escape(block.text[last : c.offset]))
        parts.append(f"^\\[{c.ref}\\]^")
        last = c.offset
    parts.append(_md_escape(block.text[last:]))
    return "".join(parts)


def markdown(digest: Digest) -> str:
    """The same content as the analyst briefing, as pandoc Markdown."""
    lines = [f'---\ntitle: "{digest.title}"\n---\n']
    for report in digest.reports:
        lines.append(f"# {_md_escape(report.title)}\n")
        lines.append(f"{_md_escape(report.institution)} · {report.timestamp}\n")
        for section in report.walk():
            lines.append(f"{'#' * (section.level + 1)} {_md_escape(section.heading)}\n")
            bullets = False
            for block in section.blocks:
                if block.kind == "bullet":
                    lines.append(f"- {_md_block(block)}")
                    bullets = True
                else:
                    if bullets:
                        lines.append("")
                    lines.append(_md_block(block) + "\n")
                    bullets = False
            if bullets:
                lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    pandoc = shutil.which("pandoc")
    if not pandoc:
        sys.exit("pandoc is not installed")
    version = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    audience = AudienceCatalog().load("analyst")
    writer = DocxWriter()
    print(f"analyst briefing; {version}; best of {args.repeat}")
    print(f"{'reports':>8} {'publisher':>12} {'pandoc':>12} {'publisher':>13} {'pandoc':>11} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.reports:
            text = make_digest(n).encode("utf-8")
            digest = read_text(decode(text, f"bench-{n}.txt"), Diagnostics())
            assert len(digest.reports) == n
            md_path = Path(tmp) / f"bench-{n}.md"
            md_path.write_text(markdown(digest), encoding="utf-8")
            out_path = Path(tmp) / f"bench-{n}.docx"

            def ours(text: bytes = text, n: int = n, out_path: Path = out_path) -> None:
                ctx = RenderContext(audience, Diagnostics(), datetime(2025, 2, 16, tzinfo=UTC))
                d = read_text(decode(text, f"bench-{n}.txt"), ctx.diagnostics)
                data = writer.write(d, ctx)[0].data
                assert data
                out_path.write_bytes(data)

            def theirs(md_path: Path = md_path) -> None:
                subprocess.run(
                    [
                        pandoc,
                        "-f",
                        "markdown",
                        "-t",
                        "docx",
                        "--toc",
                        "-o",
                        str(Path(tmp) / "pandoc.docx"),
                        str(md_path),
                    ],
                    check=True,
                )

            t_ours = best_of(args.repeat, ours)
            t_pandoc = best_of(args.repeat, theirs)
            size = out_path.stat().st_size / 1e6
            print(
                f"{n:>8} {t_ours:>10.2f} s {t_pandoc:>10.2f} s {n / t_ours:>9.0f} r/s {n / t_pandoc:>7.0f} r/s"
                f" {t_pandoc / t_ours:>6.1f}×   (docx {size:.1f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
