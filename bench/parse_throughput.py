"""Digest parsing throughput in MB/s on a corpus generated from the sample's shapes.

    python bench/parse_throughput.py [--reports 10000] [--repeat 3]

Reports the best of ``--repeat`` runs of decoding plus parsing, and, as a
reference measured in the same process, the time ``json.loads`` takes on
the model's own JSON form of the same digest (a C-accelerated parser of a
comparable amount of text), as a ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest

from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read_text
from publisher.readers.source import decode


def best_of(repeat: int, func) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = make_digest(args.reports).encode("utf-8")
    mb = len(data) / 1e6
    digest = read_text(decode(data, "bench.txt"), Diagnostics())
    assert len(digest.reports) == args.reports, len(digest.reports)
    parse = best_of(args.repeat, lambda: read_text(decode(data, "bench.txt"), Diagnostics()))
    as_json = digest.dumps(indent=None)
    ref = best_of(args.repeat, lambda: json.loads(as_json))
    print(f"corpus: {args.reports} reports, {mb:.1f} MB of digest text")
    print(f"publisher digest reader: {parse:.2f} s  → {mb / parse:.1f} MB/s  ({args.reports / parse:,.0f} reports/s)")
    print(
        f"json.loads of the model ({len(as_json) / 1e6:.1f} MB): {ref:.2f} s"
        f"  → reader/json time ratio {parse / ref:.2f}"
    )


if __name__ == "__main__":
    main()
