"""Markdown and YAML escaping: input text shown literally, never read as markup.

:func:`escape` makes Markdown that displays a text exactly as written, wherever
it is placed inline (CommonMark renderers: GitLab, Gitea, Azure DevOps,
Wiki.js; and Python-Markdown: MkDocs); :class:`MdSafe` marks Markdown that is
already safe (made by the Markdown writer) and is printed as is, which is what
the ``md`` template filter (:func:`md_filter`) checks.  :func:`yaml_quote`,
:func:`yaml_entry` and :func:`meta_text` do the same for front matter and the
navigation file.
"""

from __future__ import annotations

import html
import re
from typing import Any


class MdSafe(str):
    """A string that already is Markdown (made by the Markdown writer); printed as is."""

    __slots__ = ()


# Characters escaped wherever they occur.  Backslash escapes are used only for
# the characters both CommonMark and Python-Markdown (MkDocs) unescape; the
# others become character references, which every renderer decodes.
_ANYWHERE = {c: "\\" + c for c in "\\`*_[]#{}"}
_ANYWHERE.update(
    {
        "<": "&lt;",  # raw HTML, autolinks
        "&": "&amp;",  # entities: &copy; stays "&copy;"
        "|": "&#124;",  # table cells (GFM, Python-Markdown tables)
        "~": "&#126;",  # strikethrough (GFM), ~~~ fences
        "$": "&#36;",  # math ($…$ in GitLab, Gitea, dollarmath)
        "\t": "&#9;",  # Python-Markdown expands tabs
        "\n": "&#10;",  # a line break would end a heading or a table row
        "\r": "&#13;",
    }
)
_SPECIAL = re.compile(
    "[" + re.escape("".join(_ANYWHERE)) + "]"
    # ':name:' is an emoji short code in GitLab, Gitea and pymdownx
    r"|:(?=[A-Za-z0-9_+\-]+:)"
)
_ANYWHERE[":"] = "&#58;"
_ORDERED = re.compile(r"[0-9]{1,9}(?=[.)])")
#: Code points Markdown cannot carry: C0/C1 controls (but tab, LF, CR),
#: lone surrogates, U+FFFE/U+FFFF.  CommonMark itself turns NUL into U+FFFD.
UNREPRESENTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# Text that needs no escaping at all: no special character anywhere, nothing that matters at
# the start (whitespace, block markers, digits of "1."), no whitespace or "!" at the end.
_INERT = "\\\\`*_\\[\\]#{}<&|~$:\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_PLAIN = re.compile(f"[^\\s\ufeff{_INERT}\\-+>!(=?0-9](?:[^{_INERT}]*[^\\s\ufeff{_INERT}!])?")


def _strippable(ch: str) -> bool:
    """Whitespace a Markdown parser trims from the ends of a paragraph, heading or cell."""
    return ch.isspace() or ch == "\ufeff"


def _refs(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def _sub(m: re.Match[str]) -> str:
    return _ANYWHERE[m.group()]


def sanitize(text: str) -> tuple[str, int]:
    """``text`` with code points Markdown cannot carry replaced by U+FFFD, and how many."""
    return UNREPRESENTABLE.subn("\ufffd", text)


def escape(text: str, *, start: bool = True, end: bool = True) -> MdSafe:
    """Markdown that displays ``text`` literally, wherever it is placed inline.

    The result is safe at the start of a line, inside a paragraph, a list
    item, a heading, a table cell or a link text: no emphasis, link, image,
    raw HTML, entity, code span, heading, list, block quote, thematic break,
    setext underline, table, fence, math or emoji can come out of it, and
    leading or trailing whitespace is kept (as character references).

    ``start=False`` / ``end=False`` say the text is known to follow / to be
    followed by other non-blank Markdown on the same line (used between
    citation markers), which spares a few escapes.
    """
    if not text:
        return MdSafe("")
    if _PLAIN.fullmatch(text):
        return MdSafe(text)
    if UNREPRESENTABLE.search(text):
        text = sanitize(text)[0]
    n = len(text)
    i = 0
    if start:
        while i < n and _strippable(text[i]):
            i += 1
        if i == n:
            return MdSafe(_refs(text))
    j = n
    if end:
        while j > i and _strippable(text[j - 1]):
            j -= 1
    body = text[i:j]
    if not body:
        return MdSafe(_refs(text[:i]) + _refs(text[j:]))
    out = _SPECIAL.sub(_sub, body)
    first = body[0]
    if start:
        if first in "-+>!(":  # list items, block quotes, admonitions, images, link destinations
            out = "\\" + out
        elif first in "=?" or (first == ":" and out[0] == ":"):  # setext underlines, definition lists, ::: fences
            out = _refs(first) + out[1:]
        else:
            m = _ORDERED.match(body)  # "1." / "1)" ordered list items
            if m:
                out = out[: m.end()] + "\\" + out[m.end() :]
    elif first == "(":  # "[1](…)" would be a link
        out = "\\" + out
    elif first == ":" and out[0] == ":":  # "[1]: …" a link reference definition
        out = "&#58;" + out[1:]
    if end and len(body) > 1 and body[-1] == "!":  # "!" before a following "[" makes an image
        out = out[:-1] + "\\!"
    if i or j < n:
        out = _refs(text[:i]) + out + _refs(text[j:])
    return MdSafe(out)


def md_filter(value: Any) -> MdSafe:
    """The ``md`` template filter: escape a value (:class:`MdSafe` Markdown stays as is)."""
    if isinstance(value, MdSafe):
        return value
    return escape("" if value is None else str(value))


_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_YAML_SPECIAL = re.compile('[\\\\"\n\r\t\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]')


_META_PLAIN = re.compile(r"[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]*")


def meta_text(text: str) -> str:
    """A front-matter or navigation string: MkDocs and its themes print these as HTML, so
    ``&``, ``<`` and ``>`` are escaped (the Markdown reader unescapes them)."""
    if _META_PLAIN.fullmatch(text):
        return text
    return html.escape(sanitize(text)[0], quote=False)


def yaml_quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that every YAML parser reads back exactly."""

    def sub(m: re.Match[str]) -> str:
        ch = m.group()
        return _YAML_ESCAPES.get(ch) or f"\\u{ord(ch):04X}"

    if not _YAML_SPECIAL.search(text):
        return f'"{text}"'
    return '"' + _YAML_SPECIAL.sub(sub, text) + '"'


#: YAML allows at most 1024 characters in a key written the usual way (``key: value``).
_YAML_IMPLICIT_KEY = 1000


def yaml_entry(indent: str, key: str, value: str | None) -> str:
    """A one-key mapping as a list item: ``- "key": "value"``, or ``- "key":`` opening a list.

    A key too long for YAML's implicit form (a report title of thousands of characters)
    is written in the explicit form ``? "key"`` / ``: "value"``, which has no limit.
    """
    quoted = yaml_quote(key)
    tail = f" {yaml_quote(value)}" if value is not None else ""
    if len(quoted) <= _YAML_IMPLICIT_KEY:
        return f"{indent}- {quoted}:{tail}"
    return f"{indent}- ? {quoted}\n{indent}  :{tail}"
