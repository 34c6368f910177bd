"""Word briefings (``--format docx``): one ``.docx`` per digest, optionally one per report.

What goes into a briefing is decided by the audience's Jinja template
(``briefing.docx.j2``), which yields an *outline* (see
:mod:`publisher.writers.docx.outline`); this writer turns the outline into
WordprocessingML.  How it looks comes from a reference document (see
:mod:`publisher.writers.docx.package`): every paragraph, run and table
uses a named style, never direct formatting.

The body is built as a list of XML strings, one append per paragraph, so
the cost grows linearly with the number of reports (python-docx's
``add_paragraph`` re-scans the growing body and is quadratic).  Output is
reproducible: the same input and ``SOURCE_DATE_EPOCH`` give the same
bytes.

The package's modules, in the order a briefing passes through them:

* :mod:`~publisher.writers.docx.writer`: :class:`DocxWriter`, the writer plug-in;
* :mod:`~publisher.writers.docx.helpers`: the functions templates get;
* :mod:`~publisher.writers.docx.outline`: the outline a template yields, parsed into directives;
* :mod:`~publisher.writers.docx.body`: directives turned into WordprocessingML;
* :mod:`~publisher.writers.docx.package`: the reference document, and the ``.docx`` assembled.
"""

from __future__ import annotations

from .body import DEFAULT_FOOTNOTE, BodyBuilder
from .helpers import template_helpers
from .writer import DEFAULT_CITATIONS, DocxWriter

__all__ = ["DEFAULT_CITATIONS", "DEFAULT_FOOTNOTE", "BodyBuilder", "DocxWriter", "template_helpers"]
