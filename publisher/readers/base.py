"""What every reader is: a named input format that turns a file into the canonical model.

A reader is a plug-in registered under the ``publisher.readers`` entry point
group (see :mod:`publisher.registry`); the command line picks one by file
extension (``extensions``, built-in readers first) or by name (``--from``).

The contract:

* :meth:`Reader.read` returns one :class:`~publisher.model.Digest` per file,
  with ``source`` set to the path it was given;
* a file that cannot be read at all (missing, binary, undecodable, not the
  format) raises :class:`~publisher.diagnostics.InputError` with its position;
* anything less is a message in ``diagnostics`` (``FILE:LINE:COL``), and the
  reader goes on: a report it cannot read is left out (in ``Digest.skipped``
  when it can be given back), the others are read;
* it reads text through :func:`publisher.readers.source.read_source`, so
  every format takes the same encodings, BOM and line ends;
* it never imports a writer: readers and writers meet only in the model.

A reader whose ``lazy_bodies`` is true also takes ``lazy=True`` and may then
defer report bodies (``Report.defer``), which the build engine asks for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..diagnostics import Diagnostics
    from ..model import Digest


class Reader:
    """Base class of readers; subclasses set the class attributes and implement :meth:`read`."""

    name: ClassVar[str] = ""
    #: File name endings this reader takes (lower case, with the dot).
    extensions: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    #: Whether :meth:`read` takes ``lazy=True`` (report bodies parsed when first used).
    lazy_bodies: ClassVar[bool] = False

    def read(self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
        """The model of the file at ``path`` (``encoding``: forced, else detected)."""
        raise NotImplementedError
