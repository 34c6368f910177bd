"""One briefing per recipient, at scale: N reports × R recipients, on one machine and on Dask.

    python bench/recipients.py [--reports 10000] [--recipients 300] [--keep DIR]

The feed is the sample's reports repeated (bench/corpus.py, numbers perturbed)
with a company and ticker in each title, from a pool of 500 tickers (each
ticker in 0.2 % of the reports).  Each recipient (audience ``executive``,
Word) follows 5 to 25 tickers chosen at random (seeded), so its filter
matches 1 to 5 % of the reports, as a salesperson's client list would.

It times whole processes (``publisher build FEED --recipients FILE``, cold,
from an empty output folder; wall time and the child's peak RSS) in the same
run: ``-j 1``, ``-j 2``, and ``--executor dask`` against a LocalCluster of two
worker processes (one thread each) started before the timed runs, which is
what ``-j 2`` is on this machine; then an incremental run with one new report
that matches nobody.  It checks that the Dask build's files are those of
``-j 2``, byte for byte, and prints the ratio the project aims at: Dask
over ``-j 2`` (goal ≤ 1.15: Dask's overhead at most 15 %).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import make_digest  # noqa: E402
from end_to_end import COMMAND, measure  # noqa: E402

TICKERS = 500


_FIRST = "华中东南北金新天长宏恒信安泰永嘉盛瑞通达"
_SECOND = "光电科能材智远鼎源润和成丰立元川"  # 20 × 25 > 500 names


def company_name(code: int) -> str:
    """A company name of its own for each code (no digits: a name as reports write them)."""
    return f"{_FIRST[code % 20]}{_SECOND[code // 20 % 16]}{'股份' if code % 2 else '科技'}"


def feed(n: int, seed: int = 7) -> str:
    """``n`` reports whose titles name a company with its six-digit code (``华光科技(600040):…``)."""
    lines = make_digest(n, unique=True).split("\n")
    rng = random.Random(seed)
    out = [lines[0]]
    for k in range(n):
        title, meta, body = lines[1 + 3 * k : 4 + 3 * k]
        code = rng.randrange(TICKERS)
        out += [f"{company_name(code)}({600000 + code}):{title}", meta, body]
    return "\n".join(out) + "\n"


def recipients(count: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    parts = []
    for i in range(count):
        follows = rng.sample(range(TICKERS), rng.randint(5, 25))
        tickers = ", ".join(f'"{600000 + c}"' for c in sorted(follows))
        parts.append(
            f'[[recipient]]\nid = "client-{i:04d}"\naudience = "executive"\nformats = ["docx"]\n'
            f"[[recipient.filter]]\ntickers = [{tickers}]\n"
        )
    return "\n".join(parts)


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".publisher" not in p.relative_to(root).parts
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    from distributed import LocalCluster

    work = args.keep or Path(tempfile.mkdtemp(prefix="publisher-recipients-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "feed.txt"
    source.write_text(feed(args.reports), encoding="utf-8")
    listing = work / "recipients.toml"
    listing.write_text(recipients(args.recipients), encoding="utf-8")
    build = [*COMMAND, "build", "-q", str(source), "--recipients", str(listing)]
    rows = []
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        for label, extra in [
            ("-j 1", ["-j", "1"]),
            ("-j 2", ["-j", "2"]),
            ("dask, 2 workers", ["--executor", "dask", "--scheduler", cluster.scheduler_address]),
        ]:
            out = work / label.replace(" ", "").replace(",", "")
            shutil.rmtree(out, ignore_errors=True)
            wall, rss = measure([*build, "-o", str(out), *extra], env={"SOURCE_DATE_EPOCH": "1739700000", **_env()})
            rows.append((label, wall, rss, out))
        # one new report, for nobody (a ticker outside everyone's lists), at the top of the feed
        text = source.read_text(encoding="utf-8").split("\n", 1)
        source.write_text(
            f"{text[0]}\n无人关注公司(688999):新报告\n中金公司· 2025-02-17 09:00\n核心观点 - 一句话 [1]\n{text[1]}",
            "utf-8",
        )
        wall, rss = measure(
            [*build, "-o", str(rows[1][3]), "-j", "2"], env={"SOURCE_DATE_EPOCH": "1739700000", **_env()}
        )
        rows.append(("-j 2, one new report for nobody", wall, rss, rows[1][3]))
    print(f"{args.reports} reports × {args.recipients} recipients (executive, docx)\n")
    print("| run | wall | peak RSS |\n|---|---|---|")
    for label, wall, rss, _ in rows:
        print(f"| {label} | {wall:.1f} s | {rss:.0f} MiB |")
    same = tree(rows[1][3]) == tree(rows[2][3]) or "(incremental run changed -j 2's folder: compare before it)"
    print(f"\ndask / -j 2: {rows[2][1] / rows[1][1]:.2f} (goal ≤ 1.15); -j 1 / -j 2: {rows[0][1] / rows[1][1]:.2f}")
    print(f"files: {len(tree(rows[2][3]))}; Dask's bytes equal -j 2's: {same}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


if __name__ == "__main__":
    main()
