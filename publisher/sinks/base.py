"""What every sink is: where the outputs of writers go.

A sink is a plug-in registered under the ``publisher.sinks`` entry point
group (see :mod:`publisher.registry`).  The contract:

* :meth:`Sink.write` takes the :class:`~publisher.writers.base.Output`
  objects of a build (relative, ``/``-separated paths) and returns a
  :class:`Written` for each, saying whether it was ``written`` or left
  ``unchanged``;
* a path that would leave the sink's root, or is not portable, is refused
  (:func:`publisher.sinks.folder.safe_relative`), whatever the input text was;
* nothing is left half-written: a reader of the target sees an output
  entirely old or entirely new (atomic renames, one commit);
* a sink knows nothing of formats or of the model: it stores bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..writers.base import Output


@dataclass(slots=True)
class Written:
    """What the sink did with one output."""

    path: Path
    status: str  # "written" or "unchanged"
    size: int
    sha256: str = ""
    relative: str = ""


class Sink:
    """Base class of sinks; subclasses set :attr:`name` and implement :meth:`write`."""

    name: ClassVar[str] = ""

    def write(self, outputs: Iterable[Output]) -> list[Written]:
        """Store ``outputs``; what happened to each."""
        raise NotImplementedError
