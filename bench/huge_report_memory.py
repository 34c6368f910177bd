"""Peak memory of the analyst build (docx + xlsx + metrics) on one huge report, next to 1/8 of it.

    python bench/huge_report_memory.py [--size-mb 48] [--bullets 8] [--stages] [--keep DIR]

The generator writes a digest with a single report whose body line is
``--size-mb`` MB: sections of ``--bullets`` bullets, each with one or two
figures (``营收同比增长12.3%[1]``, ``净利润同比下降4.5%,毛利率为23.1%[2]``), so the reader, the
``metrics`` transform and both writers see hundreds of thousands of blocks
and over a million metrics in one report.  The same generator at 1/8 of the
size is the reference: the ratio of the two peaks shows how memory grows
with the report (8 for a peak proportional to it: the parsed model is, and
so is every stage that builds a whole report's output in memory before
writing it; a stage that streams block by block adds a constant).

For each size it runs the installed ``publisher build FILE -a analyst``
(``python -m publisher`` when there is no ``publisher`` command) as a
subprocess, from a wrapper process that reports the child's wall time and
peak resident set size (``getrusage(RUSAGE_CHILDREN)``: the largest process,
``-j 1`` is the build's default).

``--stages`` also runs the build's steps one by one in a fresh process, in
the build's order (``-j 1``), with the kernel's peak resident set size
(``VmHWM``, reset before each step; Linux):
read (the source text; bodies are parsed when first used), parse (the body
into sections and blocks), docx (from the model as read), metrics (the
transform on a copy of the model, as the build's view) and xlsx.  For each
it prints the peak during the step and what stays resident after it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUBJECTS = ("营收", "净利润", "毛利率", "订单量", "出货量", "成交额", "研发投入", "经营现金流")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import WRAPPER  # noqa: E402  (one process, its peak memory and wall time)


def make_report(size_mb: float, bullets: int = 8) -> str:
    """A digest of one report whose body line is about ``size_mb`` MB (UTF-8)."""
    target = int(size_mb * 1_000_000)
    parts: list[str] = []
    total = 0
    section = ref = 0
    while total < target:
        section += 1
        heading = "核心观点" if section == 1 else f"板块表现{section}"
        items = []
        for b in range(bullets):
            subject = SUBJECTS[(section + b) % len(SUBJECTS)]
            value = (section * 7 + b * 13) % 1000 / 10
            ref = ref % 50 + 1
            if b % 2:
                items.append(f"{subject}同比下降{value:.1f}%,毛利率为{(section + b) % 400 / 10:.1f}%[{ref}]")
            else:
                items.append(f"{subject}同比增长{value:.1f}%[{ref}]")
        part = f"{heading} - " + " - ".join(items) + " "
        parts.append(part)
        total += len(part.encode("utf-8"))
    body = "".join(parts).rstrip()
    return f"Workflow\n大报告:一份超长的研究报告\n中金公司· 2025-02-16 16:06\n{body}\n"


def publisher_command() -> list[str]:
    found = shutil.which("publisher")
    return [found] if found else [sys.executable, "-m", "publisher"]


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command, run in a fresh wrapper process."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True)
    code, wall, rss = out.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"command failed ({code}): {' '.join(cmd)}")
    return float(wall), int(rss) / 1024


# --- the stages, in a process of their own ----------------------------------------------------


class HighWater:
    """The process's peak resident set size since :meth:`reset` (Linux: ``VmHWM``).

    The kernel keeps the peak, so a short one inside a C call that holds the GIL (joining a
    huge list of strings) is not missed, as a sampling thread would miss it; writing ``5``
    to ``/proc/self/clear_refs`` resets it to the current size.
    """

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field} in /proc/self/status")

    def reset(self) -> None:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")

    @property
    def peak(self) -> int:
        return self._status("VmHWM")

    def rss(self) -> int:
        return self._status("VmRSS")


def run_stages(path: Path, out: Path) -> list[tuple[str, float, float, float]]:
    """(stage, seconds, peak MiB during it, MiB resident after it), the build's steps in its order."""
    import gc

    from publisher.audiences import AudienceCatalog
    from publisher.diagnostics import Diagnostics
    from publisher.memory import collector_paused
    from publisher.readers.digest import read
    from publisher.transforms.metrics import metrics
    from publisher.writers.base import RenderContext
    from publisher.writers.docx import DocxWriter
    from publisher.writers.xlsx import XlsxWriter

    audience = AudienceCatalog().load("analyst")
    ctx = RenderContext(audience, Diagnostics())
    high = HighWater()
    rows: list[tuple[str, float, float, float]] = []
    state: dict[str, object] = {}

    def write(writer: object, digest: object) -> None:
        for output in writer.write(digest, ctx):  # type: ignore[attr-defined]
            with open(out / Path(output.path).name, "wb") as handle:
                if output.stream is not None:
                    output.stream(handle)
                else:
                    handle.write(output.data)

    def parse() -> None:
        for report in state["digest"].reports:  # type: ignore[attr-defined]
            report.sections  # noqa: B018 (a deferred body is parsed when first used)

    def view() -> None:
        digest = state["digest"].clone()  # type: ignore[attr-defined]
        state["view"] = metrics(digest, ctx)

    steps = [
        ("read", lambda: state.__setitem__("digest", read(str(path), lazy=True))),
        ("parse", parse),
        ("docx", lambda: write(DocxWriter(), state["digest"])),
        ("metrics", view),
        ("xlsx", lambda: write(XlsxWriter(), state["view"])),
    ]
    mib = 1 << 20
    with collector_paused(keep=True):  # as the build: the model is frozen out of the collector's sight
        for name, step in steps:
            gc.collect()
            high.reset()
            start = time.perf_counter()
            step()
            seconds = time.perf_counter() - start
            rows.append((name, seconds, high.peak / mib, high.rss() / mib))
    return rows


def stages(path: Path, out: Path) -> list[tuple[str, float, float, float]]:
    """:func:`run_stages` in a fresh process (so each size starts from an empty heap)."""
    result = subprocess.run(
        [sys.executable, __file__, "--stage-child", str(path), str(out)], capture_output=True, text=True, check=True
    )
    return [tuple(row) for row in json.loads(result.stdout.splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=48.0, help="body line of the big report, in MB")
    parser.add_argument("--bullets", type=int, default=8, help="bullets per section")
    parser.add_argument("--stages", action="store_true", help="also measure each step in a process of its own")
    parser.add_argument("--keep", help="write the digests and outputs here instead of a temporary folder")
    parser.add_argument("--stage-child", nargs=2, metavar=("FILE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage_child:
        print(json.dumps(run_stages(Path(args.stage_child[0]), Path(args.stage_child[1]))))
        return
    sizes = [("reference (1/8)", args.size_mb / 8), ("huge", args.size_mb)]
    with tempfile.TemporaryDirectory(prefix="huge-report-") as temporary:
        root = Path(args.keep or temporary)
        root.mkdir(parents=True, exist_ok=True)
        results = []
        breakdowns = []
        for label, size in sizes:
            digest = root / f"huge-{size:g}mb.txt"
            digest.write_text(make_report(size, args.bullets), encoding="utf-8")
            actual = digest.stat().st_size / 1e6
            print(f"{label}: {actual:.1f} MB digest, building …", file=sys.stderr, flush=True)
            out = root / f"out-{size:g}"
            shutil.rmtree(out, ignore_errors=True)
            wall, rss = measure([*publisher_command(), "build", str(digest), "-a", "analyst", "-o", str(out), "-q"])
            results.append((label, actual, wall, rss))
            if args.stages:
                staged = root / f"stages-{size:g}"
                staged.mkdir(exist_ok=True)
                breakdowns.append((label, actual, stages(digest, staged)))
    print("| report | digest | wall time | peak RSS |")
    print("|---|---|---|---|")
    for label, actual, wall, rss in results:
        print(f"| {label} | {actual:.1f} MB | {wall:.1f} s | {rss:,.0f} MiB |")
    (_, small, _, small_rss), (_, big, _, big_rss) = results
    print(f"\nsize × {big / small:.1f} → peak RSS × {big_rss / small_rss:.2f}")
    for label, actual, rows in breakdowns:
        print(f"\n{label} ({actual:.1f} MB), step by step (-j 1 order):\n")
        print("| step | time | peak RSS during | RSS after |")
        print("|---|---|---|---|")
        for name, seconds, peak, after in rows:
            print(f"| {name} | {seconds:.1f} s | {peak:,.0f} MiB | {after:,.0f} MiB |")


if __name__ == "__main__":
    main()
