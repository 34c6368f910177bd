"""Throughput of the ``metrics`` transform against its own earlier version, in the same process.

    python bench/metrics_throughput.py [--reports 1000 10000] [--repeat 3] [--corpus repeated unique uncached]
                                       [--against REV]

The reference is a frozen copy of the transform as it was before its speed work (same rules,
same output), no longer in the tree: it is read from git history (``bench/metrics_reference/``
of commit ``REFERENCE_COMMIT``) into a temporary folder when the benchmark starts, so this
needs git and a clone that has that commit (not a shallow one).  For each corpus size, both transforms
run on their own freshly read copy of the same digest, alternating (the reference first in
odd rounds, the current one first in even rounds, so that a change in the machine's load
hits both); the time is the best of ``--repeat`` rounds.  Every round compares the metrics
both give (all fields): the rules have been improved since the reference was frozen (units such
as ``㎡`` and ``TEU``, subject boundaries, see ``tests/gold/README.md``), so some differ; the
count is printed, and ``--identical`` makes any difference an error.

``--against REV`` takes the reference from ``publisher/transforms/`` of any commit instead (its
imports of the rest of ``publisher`` made absolute), to measure a change of the rules against the
transform just before it: ``--against 0e17cae`` is the transform before the list grammar of
aligned names and values, forecast rows and signed changes.

Corpora (``bench/corpus.py``):

- ``repeated``: ``make_digest(n)``, the sample's ten reports over and over (only titles
  differ), as the other benchmarks use;
- ``unique``: ``make_digest(n, unique=True, seed=round)``: every report's numbers are new,
  and each round draws a new corpus, so no round sees text an earlier round saw.  The
  transform's small caches (pure functions of short strings) are emptied before each run:
  every run starts cold;
- ``uncached``: the same unique corpora with those caches switched off, the lower bound for
  text whose every phrase is new (the corpus repeats the sample's wording, so within one
  run the caches still find phrases they have seen).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_digest

from publisher.diagnostics import Diagnostics
from publisher.model import Digest
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText
from publisher.transforms import metrics as current

#: The commit whose ``bench/metrics_reference/`` holds the reference: the transform of commit
#: 88ff215 (before its speed work), with only the imports of ``publisher.model`` made absolute.
REFERENCE_COMMIT = "9b207b241eb0044dd1d33c3cf67432ced7268b66"
REFERENCE_FOLDER = "bench/metrics_reference"
REFERENCE_FILES = ("__init__.py", "metric_rules.py", "metrics.py")
_FOLDERS: list[tempfile.TemporaryDirectory[str]] = []  # the reference's files, kept until exit


def _git_show(spec: str) -> bytes:
    """A file of git history (``REV:path``); exits with a message when git or the commit is not there."""
    root = Path(__file__).resolve().parent.parent
    try:
        shown = subprocess.run(["git", "-C", str(root), "show", spec], capture_output=True, check=False)
    except OSError as exc:
        sys.exit(f"metrics_throughput: the reference transform is read from git history, and git cannot run: {exc}")
    if shown.returncode:
        error = shown.stderr.decode("utf-8", "replace").strip()
        sys.exit(
            f"metrics_throughput: cannot read the reference transform ({spec}) from git history: {error}\n"
            "It needs a git clone of the project that has that commit "
            "(a shallow clone does not: `git fetch --unshallow`)."
        )
    return shown.stdout


def _import_package(name: str, files: dict[str, bytes]) -> ModuleType:
    """``files`` written as the package ``name`` in a temporary folder (removed at exit); its ``metrics``."""
    folder = tempfile.TemporaryDirectory(prefix=f"{name}-")
    _FOLDERS.append(folder)
    package = Path(folder.name) / name
    package.mkdir()
    for file, content in files.items():
        (package / file).write_bytes(content)
    sys.path.insert(0, folder.name)
    try:
        return importlib.import_module(f"{name}.metrics")
    finally:
        sys.path.remove(folder.name)


def load_reference() -> ModuleType:
    """The reference transform, read from git history into a temporary folder and imported."""
    files = {name: _git_show(f"{REFERENCE_COMMIT}:{REFERENCE_FOLDER}/{name}") for name in REFERENCE_FILES}
    return _import_package("metrics_reference", files)


def load_revision(rev: str) -> ModuleType:
    """The ``metrics`` transform of commit ``rev``, read from git history and imported under another name
    (its imports of the rest of ``publisher`` made absolute)."""
    listing = _git_show(f"{rev}:publisher/transforms").decode("utf-8").split()
    files = {}
    for name in (n for n in listing if n.endswith(".py")):
        text = _git_show(f"{rev}:publisher/transforms/{name}").decode("utf-8")
        text = re.sub(
            r"^from \.\.(\w*)", lambda m: "from publisher" + (f".{m.group(1)}" if m.group(1) else ""), text, flags=re.M
        )
        files[name] = text.encode("utf-8")
    return _import_package("metrics_revision", files)


def fields(digest: Digest) -> list[tuple]:
    """Every field of every metric of ``digest``, for comparison."""
    return [
        (*(m.to_json().items()), m.pos.line, m.pos.column, m.origin, tuple(m.refs))
        for report in digest.reports
        for _, _, m in report.metrics()
    ]


def caches(enabled: bool) -> None:
    """Switch the transform's caches on or off (the module calls them by their global names)."""
    for wrapper in current._CACHED:
        setattr(current, wrapper.__wrapped__.__name__, wrapper if enabled else wrapper.__wrapped__)


def run(transform, text: str) -> tuple[float, Digest]:
    digest = read_text(SourceText("bench.txt", text), Diagnostics())
    clear = getattr(current, "clear_caches", None)
    if clear is not None:
        clear()
    gc.collect()
    start = time.perf_counter()
    transform.metrics(digest)
    return time.perf_counter() - start, digest


def measure(
    reference: ModuleType, n: int, kind: str, repeat: int, identical: bool = False
) -> tuple[int, float, float, int]:
    """(metrics found, best reference time, best current time, metrics that differ from the reference)."""
    best = {"reference": float("inf"), "current": float("inf")}
    count = differ = 0
    for round_ in range(repeat):
        text = make_digest(n) if kind == "repeated" else make_digest(n, unique=True, seed=round_)
        caches(kind != "uncached")
        order = [("reference", reference), ("current", current)]
        if round_ % 2:
            order.reverse()
        found = {}
        for name, module in order:
            seconds, digest = run(module, text)
            best[name] = min(best[name], seconds)
            found[name] = fields(digest)
            del digest
        ref, cur = found["reference"], found["current"]
        if ref != cur and identical:
            i = next((i for i, (a, b) in enumerate(zip(ref, cur, strict=False)) if a != b), min(len(ref), len(cur)))
            sys.exit(f"{kind} {n} round {round_}: metric {i} differs: {ref[i : i + 1]} ≠ {cur[i : i + 1]}")
        differ = sum(a != b for a, b in zip(ref, cur, strict=False)) + abs(len(ref) - len(cur))
        count = len(found["current"])
    caches(True)
    return count, best["reference"], best["current"], differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    kinds = ["repeated", "unique", "uncached"]
    parser.add_argument("--corpus", nargs="+", choices=kinds, default=kinds)
    parser.add_argument("--identical", action="store_true", help="stop when a metric differs from the reference")
    parser.add_argument("--against", metavar="REV", help="the transform of this commit as the reference")
    args = parser.parse_args()
    reference = load_revision(args.against) if args.against else load_reference()
    rows = []
    for kind in args.corpus:
        for n in args.reports:
            count, ref, cur, differ = measure(reference, n, kind, args.repeat, args.identical)
            rows.append((kind, n, count, ref, cur))
            print(
                f"{kind:>8} {n:>6} reports, {count:,} metrics ({differ:,} differ from the reference): "
                f"reference {ref:.2f} s, "
                f"current {cur:.2f} s, {ref / cur:.2f}× faster",
                flush=True,
            )
    print()
    print("| corpus | reports | metrics | reference | current | speed-up | reports/s | metrics/s |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, n, count, ref, cur in rows:
        print(
            f"| {kind} | {n:,} | {count:,} | {ref:.2f} s | {cur:.2f} s | {ref / cur:.2f}× "
            f"| {n / ref:,.0f} → {n / cur:,.0f} | {count / ref:,.0f} → {count / cur:,.0f} |"
        )


if __name__ == "__main__":
    main()
