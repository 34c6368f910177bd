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
def collector_paused(keep: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside the block (as it was afterwards).

    With ``keep``, what the block made stays (as a command's model does): it is
    frozen out of the collector's sight, where it would otherwise be walked,
    all of it, by the first collection after the block.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()
