"""Small text helpers shared by readers and writers: what is Chinese, XML-safe text, display width,
sentences, file names, and the bytes of a text as its source stored them.

:data:`HAN_CLASS`, :data:`HAN`, :func:`is_han` and :func:`has_cjk` are the one definition
of a Chinese (Han) character in publisher: the CJK Unified Ideographs with
Extension A, the compatibility ideographs and the supplementary planes
(Extensions B to H).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# Code points XML 1.0 forbids (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SENTENCE_END = re.compile(r"[。！？!?;；]|\.(?=\s|$)")
#: Han ideographs as a regular-expression character class: CJK Unified Ideographs and
#: Extension A, compatibility ideographs, supplementary planes (Extensions B to H).
HAN_CLASS = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
#: :data:`HAN_CLASS` compiled.
HAN = re.compile(HAN_CLASS)


# Names Windows reserves for devices, with or without an extension ("nul", "com1.txt").
_DEVICE = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)


def not_a_device(name: str) -> str:
    """``name`` as a file or folder name Windows can hold: ``nul`` → ``nul_`` (other names unchanged)."""
    if _DEVICE.fullmatch(name):
        stem, dot, ext = name.partition(".")
        return f"{stem}_{dot}{ext}"
    return name


def xml_safe(text: str, replacement: str = "\ufffd") -> tuple[str, int]:
    """``text`` without XML-illegal code points, and how many were replaced."""
    return _XML_ILLEGAL.subn(replacement, text)


def xml_escape(text: str, cr: bool = True) -> str:
    """``text`` for an XML text node: ``& < >`` escaped, and CR as ``&#13;`` (a parser reads a raw CR as LF).

    With ``cr=False`` a CR stays as it is, for a caller that turns line breaks into elements itself.
    """
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if cr and "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width grid: CJK and full-width count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (up to and including its end mark)."""
    m = _SENTENCE_END.search(text)
    return text[: m.end()].strip() if m else text.strip()


#: Marks after which a clause ends: a takeaway is cut after one of them.
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:](?=\S)|[，；。！？：]")


def clause_cut(text: str, width: int) -> str:
    """``text`` cut after its last clause (``，`` ``；`` ``。`` …) that ends within ``width`` columns
    (CJK count two), without the closing mark; a first clause wider than ``width`` is cut at the
    width with ``…``.  Text that fits is returned whole."""
    text = text.strip()
    if display_width(text) <= width:
        return text
    cut = used = at = 0  # the width of text[:at], grown clause by clause: linear in the text
    for m in _CLAUSE_END.finditer(text):
        used += display_width(text[at : m.start()])
        at = m.start()
        if used > width:
            break
        cut = at
    if cut:
        return text[:cut].rstrip()
    used, end = 0, 0
    for end, ch in enumerate(text):  # noqa: B007
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > width - 1:
            break
    return text[:end].rstrip() + "…"


def is_han(ch: str) -> bool:
    """Is the character ``ch`` a Chinese (Han) character (one of :data:`HAN_CLASS`)?"""
    if ch < "\u3400":  # Latin, digits, punctuation, kana: the usual answer, with one comparison
        return False
    if ch <= "\u9fff":
        return ch >= "\u4e00" or ch <= "\u4dbf"
    return "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


def has_cjk(text: str) -> bool:
    """Does ``text`` contain a Chinese (Han) character?"""
    return HAN.search(text) is not None


def encode(text: str, encoding: str = "utf-8", bom: bool = False, newline: str = "\n") -> bytes:
    """``text`` (with ``\\n`` line ends) as bytes the way its source stored it: encoding, BOM, line ends.

    The inverse of :func:`publisher.readers.source.decode`; unpaired surrogates
    (only a JSON model holds them) pass through UTF-8 as they are.
    """
    if newline != "\n":
        text = text.replace("\n", newline)
    data = text.encode(encoding, errors="surrogatepass" if encoding == "utf-8" else "strict")
    return codecs.BOM_UTF8 + data if bom else data
