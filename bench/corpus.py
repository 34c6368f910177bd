"""Synthetic digests built from the shapes of the shipped sample, for benchmarks.

``make_digest(n)`` returns digest text with ``n`` reports: the sample's ten
reports repeated with distinct titles, institutions and times, so that ids
and slugs stay unique and every parser path of the real feed is exercised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "research-digest-2025-02-16.txt"


def sample_reports() -> list[tuple[str, str, str]]:
    """(title, institution, body) of each sample report."""
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    out = []
    for i, line in enumerate(lines):
        if "· 20" in line and i + 1 < len(lines):
            out.append((lines[i - 1], line.split("·")[0], lines[i + 1]))
    return out


def make_digest(n: int, start: datetime = datetime(2025, 2, 16, 18, 0)) -> str:
    shapes = sample_reports()
    lines = ["Workflow"]
    for k in range(n):
        title, institution, body = shapes[k % len(shapes)]
        when = start - timedelta(minutes=7 * k)
        lines.append(f"{title}(第{k + 1}篇)")
        lines.append(f"{institution}· {when:%Y-%m-%d %H:%M}")
        lines.append(body)
    return "\n".join(lines) + "\n"


def write_digest(path: Path, n: int) -> Path:
    path.write_text(make_digest(n), encoding="utf-8")
    return path
