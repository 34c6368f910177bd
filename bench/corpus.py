"""Synthetic digests built from the shapes of the shipped sample, for benchmarks.

``make_digest(n)`` returns digest text with ``n`` reports: the sample's ten
reports repeated with distinct titles, institutions and times, so that ids
and slugs stay unique and every parser path of the real feed is exercised.

``make_digest(n, unique=True)`` also perturbs the numbers of every report
(seeded by ``seed``, so the text is the same on every run): no two reports
share a title or a body, and few share a block, as in a real feed, so a
benchmark cannot profit from text it has already seen.
"""

from __future__ import annotations

import random
import re
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


# a number outside a citation marker ([12] stays as it is)
_NUMBER = re.compile(r"(?<![0-9\[])[0-9]+(?:\.[0-9]+)?(?![0-9\]])")


def perturb(text: str, rng: random.Random) -> str:
    """``text`` with new random numbers: same shape (integer digits, maybe one more; as many decimals).

    A year 19xx/20xx stays a year, a citation marker stays as it is.
    """

    def change(m: re.Match[str]) -> str:
        whole, _, decimals = m.group().partition(".")
        if len(whole) == 4 and whole.startswith(("19", "20")) and not decimals:
            return whole[:2] + (f"{rng.randrange(40):02d}" if whole[1] == "0" else str(rng.randrange(50, 100)))
        size = len(whole) + rng.randrange(2)
        digits = str(rng.randrange(10 ** (size - 1), 10**size)) if size > 1 else str(rng.randrange(10))
        if decimals:
            digits += "." + "".join(rng.choice("0123456789") for _ in decimals)
        return digits

    return _NUMBER.sub(change, text)


def make_digest(
    n: int, start: datetime = datetime(2025, 2, 16, 18, 0), unique: bool = False, seed: int = 20250216
) -> str:
    shapes = sample_reports()
    rng = random.Random(seed)
    lines = ["Workflow"]
    for k in range(n):
        title, institution, body = shapes[k % len(shapes)]
        if unique:
            title, body = perturb(title, rng), perturb(body, rng)
        when = start - timedelta(minutes=7 * k)
        lines.append(f"{title}(第{k + 1}篇)")
        lines.append(f"{institution}· {when:%Y-%m-%d %H:%M}")
        lines.append(body)
    return "\n".join(lines) + "\n"


def write_digest(path: Path, n: int) -> Path:
    path.write_text(make_digest(n), encoding="utf-8")
    return path
