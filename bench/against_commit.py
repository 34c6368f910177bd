"""Whole-process build time of this tree against an earlier commit, in the same run.

    python bench/against_commit.py REF [--reports 1000] [--audiences executive,global] [--repeat 3] [--goal 1.2]

The earlier commit is checked out into a temporary git worktree and run from
there (``python -m publisher`` with that tree first on ``PYTHONPATH``, its own
templates); both
build the same generated digest (``bench/corpus.py``, unique numbers) for
each audience with ``--force``, alternating, ``--repeat`` times each, and the
best time counts.  Prints seconds for both and the ratio this/earlier; exits
1 when a ratio is above ``--goal`` (the reference is measured in the same run,
so a slow machine slows both).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest

ROOT = Path(__file__).resolve().parent.parent


def build_time(tree: Path, digest: Path, audience: str, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "SOURCE_DATE_EPOCH": "1739700000"}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "build", str(digest), "-a", audience, "-o", str(out), "--force", "-q"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: warnings under --strict aside, problems in the input
        raise SystemExit(f"{tree}: build failed: {result.stderr.strip()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the earlier commit (or branch, tag)")
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--audiences", default="executive,global")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--goal", type=float, default=1.2, help="highest ratio this/earlier that passes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
        work = Path(tmp)
        earlier = work / "earlier"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(earlier), args.ref],
                       check=True, capture_output=True)  # fmt: skip
        # the package's built-in templates are the folder templates/ (setuptools package-dir): the
        # earlier tree's own, not the ones an editable install of this tree would map them to
        (earlier / "publisher" / "templates").symlink_to("../templates")
        try:
            digest = work / f"corpus-{args.reports}.txt"
            digest.write_text(make_digest(args.reports, unique=True), encoding="utf-8")
            failed = False
            for audience in args.audiences.split(","):
                best = {"this": float("inf"), "earlier": float("inf")}
                for _ in range(args.repeat):
                    for name, tree in (("earlier", earlier), ("this", ROOT)):
                        seconds = build_time(tree, digest, audience, work / f"out-{name}")
                        best[name] = min(best[name], seconds)
                ratio = best["this"] / best["earlier"]
                failed |= ratio > args.goal
                print(
                    f"{audience:10} {args.reports} reports: this {best['this']:.2f} s, "
                    f"{args.ref} {best['earlier']:.2f} s, ratio {ratio:.2f} (goal ≤ {args.goal})"
                )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(earlier)], capture_output=True)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
