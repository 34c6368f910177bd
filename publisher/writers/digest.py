"""Writer back to the digest text feed: the inverse of the digest reader.

For a model read from a digest the output is the input, byte for byte
(encoding, BOM and line ends included).  For any other model it is a
well-formed digest in the feed's usual layout.
"""

from __future__ import annotations

import re

from ..model import Digest, Section
from ..textutil import encode
from .base import Output, RenderContext, Writer


def _section_text(section: Section, out: list[str]) -> None:
    # Separators the model does not record (it was not read from a digest)
    # get the feed's usual ones; nothing goes before the start of the body.
    sep = section.sep or (" " if out else "")
    out.append(sep)
    out.append(section.heading)
    for block in section.blocks:
        default = " - " if block.kind == "bullet" else (" " if section.heading or sep else "")
        out.append(block.sep or (default if any(out) else ("- " if block.kind == "bullet" else "")))
        out.append(block.marked_text())
    for child in section.children:
        _section_text(child, out)


def report_body(sections: list[Section]) -> str:
    """The body line(s) of a report."""
    out: list[str] = []
    for section in sections:
        _section_text(section, out)
    return "".join(out)


def digest_text(digest: Digest) -> str:
    """The whole digest as text (with ``\\n`` line ends)."""
    lines: list[str] = list(digest.preamble)
    skipped = sorted(digest.skipped, key=lambda s: s.index)
    k = 0
    for index, report in enumerate(digest.reports):
        while k < len(skipped) and skipped[k].index <= index:
            lines.extend(skipped[k].lines)
            k += 1
        lines.extend(report.before)
        lines.append(report.title)
        lines.append(f"{report.institution}{report.meta_sep}{report.timestamp}")
        lines.append(report_body(report.sections) + report.body_trail)
    for rest in skipped[k:]:
        lines.extend(rest.lines)
    lines.extend(digest.epilogue)
    return "\n".join(lines)


class DigestWriter(Writer):
    """``--format digest``: the model as digest text again."""

    name = "digest"
    extension = ".txt"
    description = "Digest text feed (lossless round trip of the input)"
    enriched = False  # shows the text as read; needs no transform

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        text = digest_text(digest)
        if _SURROGATE.search(text):  # only a JSON model can hold them; no file can
            text, count = _SURROGATE.subn("\ufffd", text)
            ctx.diagnostics.warning(
                f"digest: {count} unpaired surrogate{'s' * (count != 1)} replaced by U+FFFD", digest.source
            )
        try:
            data = encode(text, digest.encoding, digest.bom, digest.newline)
        except UnicodeEncodeError as exc:
            ctx.diagnostics.warning(
                f"digest: {exc.object[exc.start : exc.end]!r} cannot be written in {digest.encoding}; written as UTF-8",
                digest.source,
            )
            data = encode(text, "utf-8", digest.bom, digest.newline)
        return [Output(f"{digest.name}{self.extension}", data)]


_SURROGATE = re.compile("[\ud800-\udfff]")
