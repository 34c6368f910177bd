"""Whether a function of text takes linear time: ten times the text, about ten times the CPU time."""

from __future__ import annotations

import time
from collections.abc import Callable


def cpu_seconds(run: Callable[[str], object], text: str) -> float:
    """CPU seconds of this process for ``run(text)``, best of three: other jobs on a busy machine do not count."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        run(text)
        best = min(best, time.process_time() - start)
    return best


def assert_linear(run: Callable[[str], object], make: Callable[[int], str], small: int, what: str) -> None:
    """``run`` on ``make(10 * small)`` costs under 30 times ``run`` on ``make(small)`` (quadratic: 100)."""
    a, b = cpu_seconds(run, make(small)), cpu_seconds(run, make(10 * small))
    assert b / max(a, 3e-3) < 30, (
        f"{what}: {10 * small:,} characters took {b / max(a, 3e-3):.0f}× the time of {small:,}"
    )
