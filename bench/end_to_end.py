"""End-to-end build benchmark: all four formats, cold and incremental, -j 1 and -j 2, next to pandoc.

    python bench/end_to_end.py [--reports 1000 10000] [--skip-pandoc]

For each corpus size (generated from the sample's shapes, bench/corpus.py)
it times the ``publisher`` command of the Python that runs it (installed
with ``pip install .``; ``python -m publisher`` if there is none), as
separate processes, with their peak memory (largest process):

- a cold build of every audience (executive docx, analyst docx + xlsx,
  wiki md, global html) with ``-j 1`` and with ``-j 2`` (each twice, into
  new folders, keeping the quicker);
- the same after one report changed (incremental), and a cold and an
  incremental build of the wiki pages alone (the cold one twice, into new
  folders, keeping the quicker; the incremental one five times, each after
  one report changed, keeping the median);
- ``pandoc -f markdown -t docx`` and ``pandoc -f markdown -t html -s`` on
  the same reports as one Markdown document (the digest's content with
  headings, bullets and citations), as the reference.

It prints a Markdown table, and the two ratios the project aims at:
incremental wiki / cold wiki (goal < 5 %) and cold -j 1 / -j 2 (goal ≥ 1.6).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import make_digest  # noqa: E402

AUDIENCES = ["-a", "executive", "-a", "analyst", "-a", "wiki", "-a", "global"]
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(code, wall, rss)\n"
)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command, run in a fresh wrapper process."""
    run = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=env, check=True)
    out = run.stdout.split()
    code, wall, rss = int(out[0]), float(out[1]), int(out[2])
    if code != 0:
        said = "\n".join(run.stderr.strip().splitlines()[-5:])  # the build's own last words
        raise SystemExit(f"command failed ({code}) after {wall:.0f} s: {' '.join(cmd)}\n{said}")
    return wall, rss / 1024


#: The ``publisher`` command of this Python's installation, as a user runs it (else ``python -m publisher``).
SCRIPT = Path(sys.executable).with_name("publisher")
COMMAND = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "publisher"]


def publisher(*args: str) -> list[str]:
    return [*COMMAND, "build", "-q", *args]


def markdown_of(digest_path: Path, target: Path) -> None:
    """The reports as one Markdown document for pandoc (what the digest says, in Markdown)."""
    from publisher.readers.digest import read

    digest = read(str(digest_path))
    lines: list[str] = [f"% {digest.title}", ""]
    for report in digest.reports:
        lines += [f"# {report.title}", "", f"{report.institution} · {report.timestamp}", ""]
        for section in report.walk():
            lines += ["#" * (section.level + 1) + " " + section.heading, ""]
            for block in section.blocks:
                marks = "".join(f"[{c.ref}]" for c in block.citations)
                prefix = "- " if block.kind == "bullet" else ""
                lines.append(f"{prefix}{block.text} {marks}".rstrip())
            lines.append("")
    target.write_text("\n".join(lines), encoding="utf-8")


def change_one_report(path: Path) -> None:
    """Change the key takeaway of the first report (its page and its day's index page show it)."""
    text = path.read_text(encoding="utf-8")
    before, after = ("持续被看好", "继续被看好") if "持续被看好" in text else ("继续被看好", "持续被看好")
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


def run(n: int, work: Path, pandoc: bool) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    src = work / f"digest-{n}.txt"
    src.write_text(make_digest(n), encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1739692800")
    for jobs in ("1", "2"):  # each twice, into new folders (the second run is kept for the incremental one)
        runs = [
            measure(publisher(str(src), *AUDIENCES, "-o", str(work / f"out-{n}-j{jobs}-{k}"), "-j", jobs), env)
            for k in (1, 2)
        ]
        rows.append((f"cold, all four formats, -j {jobs}", *min(runs)))
        shutil.move(work / f"out-{n}-j{jobs}-2", work / f"out-{n}-j{jobs}")
    same = _tree(work / f"out-{n}-j1") == _tree(work / f"out-{n}-j2")
    print(f"  -j 1 and -j 2 outputs identical: {same}", file=sys.stderr)
    colds = [measure(publisher(str(src), "-a", "wiki", "-o", str(work / f"wiki-{n}-{k}")), env) for k in (1, 2)]
    rows.append(("cold, wiki pages only, -j 1", *min(colds)))
    wiki = work / f"wiki-{n}-1"
    incrementals = []
    for _ in range(5):
        change_one_report(src)
        incrementals.append(measure(publisher(str(src), "-a", "wiki", "-o", str(wiki)), env))
    rows.append(("incremental (one report changed), wiki pages only", *sorted(incrementals)[2]))
    print(f"  incremental wiki runs: {', '.join(f'{wall:.3f} s' for wall, _ in incrementals)}", file=sys.stderr)
    wall, rss = measure(publisher(str(src), *AUDIENCES, "-o", str(work / f"out-{n}-j1"), "-j", "1"), env)
    rows.append(("incremental (one report changed), all four formats, -j 1", wall, rss))  # (5 changes: odd)
    if pandoc and shutil.which("pandoc"):
        md = work / f"digest-{n}.md"
        markdown_of(src, md)
        for fmt, ext, extra in (("docx", "docx", ["--toc"]), ("html", "html", ["-s", "--toc"])):
            wall, rss = measure(["pandoc", "-f", "markdown", "-t", fmt, *extra, str(md), "-o", str(work / f"p.{ext}")])
            rows.append((f"pandoc -t {fmt}{' -s' * ('-s' in extra)} (reference)", wall, rss))
    return rows


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".publisher" not in p.parts
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--skip-pandoc", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results: dict[int, list[tuple[str, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
        for n in args.reports:
            print(f"{n} reports …", file=sys.stderr)
            results[n] = run(n, Path(tmp), not args.skip_pandoc)
    print("| reports | build | wall time | peak memory |")
    print("|---|---|---|---|")
    for n, rows in results.items():
        for name, wall, rss in rows:
            print(f"| {n:,} | {name} | {wall:.{2 if wall < 10 else 1}f} s | {rss:.0f} MiB |")
    for n, rows in results.items():
        t = {name: wall for name, wall, _ in rows}
        j1, j2 = t["cold, all four formats, -j 1"], t["cold, all four formats, -j 2"]
        cold, inc = t["cold, wiki pages only, -j 1"], t["incremental (one report changed), wiki pages only"]
        print(
            f"\n{n:,} reports: -j 2 speed-up {j1 / j2:.2f}× (goal ≥ 1.6×); "
            f"incremental wiki {100 * inc / cold:.1f} % of cold (goal < 5 %)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
