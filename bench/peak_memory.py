"""Peak memory of a whole build, all audiences, as the feed grows.

    python bench/peak_memory.py [--sizes 1000,10000,100000] [--builds all,wiki,global] [--jobs 1] [--keep DIR]

For each size it writes a feed of that many reports (bench/corpus.py, numbers
perturbed so no two reports are alike), runs ``publisher build FEED -a all``
cold into an empty folder as a separate process, and reports its wall time and
peak resident set size (``getrusage(RUSAGE_CHILDREN)``: with ``-j 1`` the
build process is the only one).  It also builds the wiki pages alone
(``-a wiki``, Markdown: the per-report format), whose peak a streaming build
would keep flat; ``--builds`` names any other audience to build alone
(``global``: the bilingual page, written a chunk of reports at a time).  The
ratios between sizes show how memory grows: 10 for a peak proportional to
the feed, 1 for a flat one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import make_digest  # noqa: E402
from end_to_end import COMMAND, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--builds", default="all,wiki", help="all (every audience) or audience names, comma-separated")
    parser.add_argument("--jobs", default="1")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="publisher-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        feed = work / f"feed-{n}.txt"
        feed.write_text(make_digest(n, unique=True), encoding="utf-8")
        labels = {"all": "all audiences", "wiki": "wiki pages only"}
        builds = [(labels.get(name, f"{name} only"), ["-a", name]) for name in args.builds.split(",")]
        for label, audience in builds:
            out = work / f"out-{n}-{audience[1]}"
            shutil.rmtree(out, ignore_errors=True)
            wall, rss = measure([*COMMAND, "build", "-q", str(feed), *audience, "-j", args.jobs, "-o", str(out)])
            rows.append((n, label, wall, rss))
            print(f"{n:>7} reports, {label}: {wall:.1f} s, {rss:.0f} MiB", flush=True)
            shutil.rmtree(out, ignore_errors=True)
        feed.unlink()
    print("\n| reports | build | wall | peak RSS |\n|---|---|---|---|")
    for n, label, wall, rss in rows:
        print(f"| {n:,} | {label} | {wall:.1f} s | {rss:,.0f} MiB |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
