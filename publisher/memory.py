"""Keeping Python's cyclic garbage collector out of the way of bulk work.

Reading, planning and rendering a large digest make millions of small
objects without reference cycles.  The cyclic collector would walk them
again and again for nothing; reference counting frees them all the same.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (as it was afterwards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
