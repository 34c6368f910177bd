"""Reader for the research-digest text feed.

A digest is a run of reports, each three lines: a title, an institution
line ``INSTITUTION· YYYY-MM-DD HH:MM`` and one body line.  The body is a
run of sections: a heading, then bullets introduced by `` - `` that end in
citation markers ``[n]``; a heading may instead be followed by a plain
paragraph; a heading may name a parent part and a child (``市场回顾
指数涨跌情况``, ``一、行情回顾 （一）板块表现``, ``Sector Review Banks``).  Lead
sections are known by name in Chinese and English (the vocabulary of
:mod:`publisher.vocabulary`: ``LEAD_SECTIONS``, heading numbers).

The reader is lossless: together with the layout fields of the model, the
``digest`` writer gives back the input byte for byte.  What it cannot
classify is kept as ``raw`` blocks with a warning; a report it cannot read
(no title, no time, no body) is reported as an error with its position,
kept in ``Digest.skipped`` and does not stop the other reports.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import textutil, vocabulary
from ..diagnostics import Diagnostics
from ..memory import collector_paused
from ..model import (
    BULLET,
    PARAGRAPH,
    RAW,
    ROLE_BODY,
    Block,
    Citation,
    Digest,
    Pos,
    Report,
    Section,
    Skipped,
    assign_ids,
)
from ..textutil import HAN, HAN_CLASS, is_han
from ..vocabulary import LEAD_SECTIONS, NUMBER_START, NUMBERING, digest_title, guess_language, lead_role, numbering
from .base import Reader
from .source import FileLines, FileSpan, SourceText, open_lines, read_source

# --- lead sections (names from publisher.vocabulary) ------------------------

_LEAD_RE = re.compile(
    "(?:" + NUMBERING.pattern + ")?"
    "(" + "|".join(re.escape(n) for n in sorted(LEAD_SECTIONS, key=len, reverse=True)) + r")(?=[ \t\u3000:：]|$)",
    re.IGNORECASE,
)


#: First characters of lead names (either case) and of numbers: a cheap test before the regex.
_LEAD_FIRST = frozenset("".join(n[0] + n[0].swapcase() for n in LEAD_SECTIONS) + "一二三四五六七八九十（(0123456789")


# --- character classes -------------------------------------------------------

_WS = " \t\u3000"
_SPACE = frozenset(_WS)
_ALL_SPACE = frozenset(_WS + "\n\r")
_FINAL_PUNCT = frozenset("。．.!！?？;；")
#: Block separators seen, to share (see ``_Body.block``).
_SEPARATORS: dict[str, str] = {}
_MARK = re.compile(r"\[(0|[1-9][0-9]{0,5})\]")
_DASH = re.compile(r"(?<=[ \t\u3000])-(?=[ \t\u3000])")
_BULLET_START = re.compile(r"-[ \t\u3000]+|-$")
_INNER_SPACE = re.compile(r"(?<=\S)[ \u3000](?=\S)")
# Starts with the space itself, so the regex engine can skip straight to spaces.
_PANGU = re.compile(f" (?:(?<={HAN_CLASS} )(?=[0-9])|(?<=[0-9%] )(?={HAN_CLASS}))")
_COLON = re.compile(r"[:：]")
_LEFT_WORD = re.compile(r"[A-Za-z0-9.]+$")

#: An institution line; the groups after ``ts`` are the timestamp's numbers (as ``parse_timestamp`` reads them).
_META_RE = re.compile(
    r"(?P<inst>.*?\S)(?P<sep>[ \t\u3000]*[·・•][ \t\u3000]*|[ \t\u3000]+)"
    r"(?P<ts>(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?[ \t\u3000\r]*)"
)
_DOT_RE = re.compile(r"(?P<inst>[^·・•]*?\S)(?P<sep>[ \t\u3000]*[·・•][ \t\u3000]*)(?P<ts>[^·・•]{0,40})")

_CLOSE = frozenset("%”」』》）")
_OPEN = frozenset("“「『《（")

_MAX_HEADING = 120


def _runs_on(text: str, end: int, limit: int) -> bool:
    """Does an English lead name ending at ``end`` go on with a lower-case word?

    ``Summary of Views DRAM prices rose …`` is not the heading ``Summary``
    followed by a paragraph: English paragraphs start with a capital or a
    digit, while ``of``, ``and`` or ``for`` continue a longer heading.
    """
    if not text[end - 1].isascii():
        return False
    k = end
    while k < limit and text[k] in _SPACE:
        k += 1
    return k < limit and "a" <= text[k] <= "z"


def _dash_is_in_text(text: str, left: int, right: int) -> bool:
    """Is the `` - `` between ``text[:left]`` and ``text[right:]`` part of the text?

    Ranges and names such as ``24 - 28财年``, ``GPT - 4``, ``PB - ROE`` and
    ``R1 - Zero`` keep their dash; a dash after ordinary words or Chinese
    text separates a heading from its first bullet.
    """
    if left == 0 or right >= len(text):
        return False
    a, b = text[left - 1], text[right]
    if not (a.isascii() and a.isalnum()):
        return False
    if b.isascii() and b.isdigit():
        return True
    if b.isascii() and b.isalpha():
        word = _LEFT_WORD.search(text, 0, left)
        w = word.group(0) if word else a
        return w.isupper() or any(c.isdigit() for c in w) or any(c.isupper() for c in w[1:])
    return False


#: English words that end the name of a part with sub-parts (``Sector Review``
#: ``Banks``): a capitalised word after one starts a child heading.
_EN_PARENT = re.compile(
    r"[A-Z][\w&'’.-]*(?: [\w&'’.-]+)*? "
    r"(?:Review|Overview|Update|Updates|Tracker|Breakdown|Recap|Roundup|Wrap|Monitor|Snapshot|Dashboard)"
    r"(?= [A-Z][A-Za-z])"
)


def _split_heading(heading: str, pangu: bool) -> int:
    """Index of the space between a parent and a child heading, or -1.

    ``市场回顾 指数涨跌情况``, ``一、行情回顾 （一）板块表现`` and ``Sector Review
    Banks`` split; ``LLama 3.1``, ``1. 宏观经济`` and (in a report that puts
    spaces between Chinese and Latin text) ``北证 A 股整体 PE`` do not.
    """
    number = NUMBERING.match(heading) if heading and heading[0] in NUMBER_START else None
    after_number = number.end() if number else 0
    for m in _INNER_SPACE.finditer(heading):
        i = m.start()
        a, b = heading[i - 1], heading[i + 1]
        if i < 2 or len(heading) - i - 1 < 2 or i < after_number:
            continue
        if (is_han(a) or a in _CLOSE) and (is_han(b) or b in _OPEN):
            return i
        if not (is_han(a) or a in _CLOSE):
            continue
        if not pangu and is_han(a) and b.isascii() and b.isalpha():
            return i  # 市场回顾 A股 (not "up 18.6% since …")
        if b in "(（0123456789" and numbering(heading[i + 1 :]):
            return i
    if "A" <= heading[:1] <= "Z" and not HAN.search(heading):
        parent = _EN_PARENT.match(heading)
        if parent:
            return parent.end()
    return -1


def _heading_like(text: str, start: int, end: int) -> bool:
    """Could ``text[start:end]`` go on a heading (not begin a sentence)?

    Chinese: short and without sentence punctuation; English: title case
    (``Risk Appetite Indicators``), not a sentence (``We stay cautious …``).
    """
    if end - start > 40:
        return False
    part = text[start:end]
    if any(c in "，。；,;!！?？" for c in part):
        return False
    if HAN.search(part):
        return True
    words = part.split()
    return len(words) <= 6 and all(w[0].isupper() or w[0].isdigit() or w in _SMALL_WORDS for w in words)


_SMALL_WORDS = frozenset(("of", "and", "the", "for", "to", "in", "on", "vs", "vs.", "at", "by", "&"))
_CJK_HEADING_CHARS = frozenset("、&+")


# --- the reader --------------------------------------------------------------


@dataclass
class _Body:
    """Parser of one report body (possibly several lines)."""

    text: str
    line: int
    file: str
    diagnostics: Diagnostics
    sections: list[Section] = field(default_factory=list)
    current: Section | None = None
    parent: Section | None = None
    trail: str = ""

    def __post_init__(self) -> None:
        self._line_starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"] if "\n" in self.text else [0]
        self._single_line = len(self._line_starts) == 1
        self.pangu = sum(1 for _ in itertools.islice(_PANGU.finditer(self.text), 3)) >= 3

    def pos(self, offset: int) -> Pos:
        if self._single_line:
            return Pos(self.line, offset + 1)
        k = bisect.bisect_right(self._line_starts, offset) - 1
        return Pos(self.line + k, offset - self._line_starts[k] + 1)

    def warn(self, message: str, offset: int) -> None:
        p = self.pos(offset)
        self.diagnostics.warning(message, self.file, p.line, p.column)

    # units: the body cut after each citation group that ends a block
    def units(self) -> list[tuple[int, int]]:
        text, n = self.text, len(self.text)
        cuts: list[tuple[int, int]] = []
        start = 0
        for m in _MARK.finditer(text):
            e = m.end()
            j = e
            while j < n and text[j] in _SPACE:
                j += 1
            if j < n and text[j] == "[" and _MARK.match(text, j):
                continue  # the group goes on: [1][12] or [1] [12]
            if e >= n:
                end = n
            elif text[e] in _ALL_SPACE:
                end = e
            elif text[e] in _FINAL_PUNCT and (e + 1 >= n or text[e + 1] in _ALL_SPACE):
                end = e + 1
            else:
                continue  # an inline citation: the block goes on
            cuts.append((start, end))
            start = end
        if start < n:
            cuts.append((start, n))
        return cuts

    def block(self, kind: str, start: int, end: int, sep: str) -> Block:
        """A block of ``text[start:end]`` with its citation markers lifted out."""
        text = self.text
        pieces: list[str] = []
        cites: list[Citation] = []
        length = 0
        last = start
        for m in _MARK.finditer(text, start, end):
            gap = text[last : m.start()]
            piece = gap.rstrip(_WS)
            pieces.append(piece)
            length += len(piece)
            cites.append(Citation(int(m.group(1)), length, gap[len(piece) :], self.pos(m.start())))
            last = m.end()
        pieces.append(text[last:end])
        # the few separators a body has (" - ", "\n- "), one object each for its million blocks
        sep = _SEPARATORS.setdefault(sep, sep) if len(_SEPARATORS) < 4096 else sep
        return Block(kind, "".join(pieces), cites, sep, self.pos(start))

    def add_block(self, block: Block, offset: int) -> None:
        if self.current is None:
            if block.kind == BULLET:
                self.warn("bullet before any heading; kept under an untitled section", offset)
            self.current = Section("", 1, ROLE_BODY, pos=block.pos)
            self.sections.append(self.current)
        self.current.blocks.append(block)

    def add_heading(self, heading: str, sep: str, offset: int) -> None:
        role = lead_role(heading)
        pos = self.pos(offset)
        if role:
            section = Section(heading, 1, role, sep=sep, pos=pos)
            self.sections.append(section)
            self.parent = None
            self.current = section
            return
        split = _split_heading(heading, self.pangu)
        if split >= 0:
            name = heading[:split]
            role = lead_role(name) if name[0] in _LEAD_FIRST else None  # "风险提示 政策风险"
            parent = Section(name, 1, role or ROLE_BODY, sep=sep, pos=pos)
            child = Section(heading[split + 1 :], 2, ROLE_BODY, sep=heading[split], pos=self.pos(offset + split + 1))
            parent.children.append(child)
            self.sections.append(parent)
            self.parent, self.current = parent, child
            return
        kind = numbering(heading) if self.parent is not None else None
        if kind is not None and self.parent is not None and kind == numbering(self.parent.heading):
            # "二、…" after "一、… （一）…": a part of the parent's rank, not one of its children
            section = Section(heading, 1, ROLE_BODY, sep=sep, pos=pos)
            self.sections.append(section)
            self.parent = self.current = section
            return
        if _COLON.search(heading) or self.parent is None:
            section = Section(heading, 1, ROLE_BODY, sep=sep, pos=pos)
            self.sections.append(section)
            if _COLON.search(heading):
                self.parent = section
        else:
            section = Section(heading, self.parent.level + 1, ROLE_BODY, sep=sep, pos=pos)
            self.parent.children.append(section)
        self.current = section

    def parse(self) -> list[Section]:
        text = self.text
        for start, end in self.units():
            i = start
            while i < end and text[i] in _ALL_SPACE:
                i += 1
            if i == end:  # only whitespace: the end of the body
                self.trail = text[start:end]
                continue
            self.unit(start, i, end)
        return self.sections

    def heading_dash(self, i: int, zone_end: int, end: int) -> tuple[int, int, bool] | None:
        """The `` - `` that ends a heading starting at ``i``: (left, right, clean).

        ``clean`` is false when every dash before the first citation looks like
        part of the text (``24 - 28财年``): the first one is then the best guess.
        """
        text = self.text
        fallback: tuple[int, int, bool] | None = None
        for m in _DASH.finditer(text, i, zone_end):
            left = m.start()
            while left > i and text[left - 1] in _SPACE:
                left -= 1
            right = m.end()
            while right < end and text[right] in _SPACE:
                right += 1
            if left == i:
                continue
            if not _dash_is_in_text(text, left, right):
                return left, right, True
            if fallback is None:
                fallback = (left, right, False)
        return fallback

    def cjk_heading(self, i: int, zone_end: int) -> int:
        """End of a short Chinese heading at ``i`` followed by a space and a paragraph, or -1.

        In a report that does not space Chinese text, a space between two
        Chinese words marks a boundary (``板块回顾 本周银行指数下跌0.8%…[2]``).
        """
        if self.pangu:
            return -1
        text = self.text
        limit = min(zone_end, i + 21)
        k = i
        while k < limit and text[k] not in _SPACE:
            c = text[k]
            if not (is_han(c) or (c.isascii() and c.isalnum()) or c in _CJK_HEADING_CHARS):
                return -1
            k += 1
        if k - i < 2 or k >= limit or not is_han(text[k - 1]):
            return -1
        t = k
        while t < zone_end and text[t] in _SPACE:
            t += 1
        if t >= zone_end or not (is_han(text[t]) or text[t].isdigit()):
            return -1
        return k

    def unit(self, start: int, i: int, end: int) -> None:
        text = self.text
        sep = text[start:i]
        bullet = _BULLET_START.match(text, i, end)
        if bullet:
            self.add_block(self.block(BULLET, bullet.end(), end, sep + bullet.group(0)), i)
            return
        first_mark = _MARK.search(text, i, end)
        zone_end = first_mark.start() if first_mark else end
        dash: tuple[int, int, bool] | None = None
        looked = False  # for the dash that ends a heading
        lead = _LEAD_RE.match(text, i, zone_end) if text[i] in _LEAD_FIRST else None
        if lead and _runs_on(text, lead.end(), zone_end):
            lead = None  # "Summary of Views …": the heading is longer than the lead name
        if lead:
            j = lead.end()
            k = j
            if k < end and text[k] in ":：":
                k += 1
            while k < end and text[k] in _SPACE:
                k += 1
            if k > j:
                bullet = _BULLET_START.match(text, k, end)
                if bullet:  # "投资要点 - …", "投资要点： - …"
                    self.add_heading(text[i:j], sep, i)
                    self.add_block(self.block(BULLET, bullet.end(), end, text[j : bullet.end()]), j)
                    return
                dash, looked = self.heading_dash(i, zone_end, end), True
                goes_on = dash is not None and dash[2] and dash[0] > k and _heading_like(text, k, dash[0])
                if k < end and not goes_on:  # "投资要点：公司…[1]", "Our View We …[4]"
                    self.add_heading(text[i:j], sep, i)
                    self.add_block(self.block(PARAGRAPH, k, end, text[j:k]), k)
                    return
                # "风险提示 政策风险 - …": the heading goes on to the dash
        if not looked:
            dash = self.heading_dash(i, zone_end, end)
        if dash is not None and dash[2] and self.heading_bullet(i, dash, sep, end):
            return
        if first_mark is not None:
            k = self.cjk_heading(i, zone_end)
            if k > 0:
                t = k
                while text[t] in _SPACE:
                    t += 1
                self.add_heading(text[i:k], sep, i)
                self.add_block(self.block(PARAGRAPH, t, end, text[k:t]), t)
                return
        if dash is not None and not dash[2] and self.heading_bullet(i, dash, sep, end):
            return
        if first_mark is not None and self.current is not None:
            self.add_block(self.block(PARAGRAPH, i, end, sep), i)
            return
        self.warn("text that is neither a heading, a bullet nor a cited paragraph; kept as raw text", i)
        self.add_block(self.block(RAW, i, end, sep), i)

    def heading_bullet(self, i: int, dash: tuple[int, int, bool], sep: str, end: int) -> bool:
        """A heading up to ``dash`` and the bullet after it, if the heading is one."""
        left, right, _ = dash
        heading = self.text[i:left]
        if len(heading) > _MAX_HEADING or "。" in heading:
            return False
        self.add_heading(heading, sep, i)
        self.add_block(self.block(BULLET, right, end, self.text[left:right]), left)
        return True


#: Starts every hash of source text: changes whenever this reader's code does (or
#: that of the vocabulary and character classes it reads with), so hashes of what
#: it read change too.
_READER_CODE = hashlib.sha256(
    hashlib.sha256(b"".join(Path(f).read_bytes() for f in (__file__, vocabulary.__file__, textutil.__file__))).digest()
)


def _hash(*parts: str) -> str:
    """A hash of source text as this reader reads it (see ``Report.source_hash``).

    SHA-256, 128 bits of it: most processors compute it in hardware, quicker
    than BLAKE2, and a build hashes every report of every digest it reads.
    """
    h = _READER_CODE.copy()
    h.update("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def _hash_lines(lines: list[str], *parts: str) -> str:
    """``_hash("\n".join(lines), *parts)``, without a copy of the whole text (a 48 MB file made two)."""
    h = _READER_CODE.copy()
    step = 1 << 20
    for k, line in enumerate(lines):
        if k:
            h.update(b"\n")
        for start in range(0, len(line), step):
            h.update(line[start : start + step].encode("utf-8", "surrogatepass"))
    return _finish(h, parts)


def _hash_bytes(data: bytes, *parts: str) -> str:
    """A hash of a file's bytes as this reader reads them (a digest's ``source_hash``)."""
    h = _READER_CODE.copy()
    h.update(data)
    return _finish(h, parts)


def _finish(h: Any, parts: tuple[str, ...]) -> str:
    """The hash ``h`` of a text, with the parts that say how it was stored (newline, BOM, encoding)."""
    for part in parts:
        h.update(b"\x1f" + part.encode("utf-8", "surrogatepass"))
    return str(h.hexdigest()[:32])


def _has_body_marker(line: str) -> bool:
    return bool(_MARK.search(line)) or line.lstrip(_WS).startswith("- ")


@dataclass(slots=True)
class _Anchor:
    """An institution line and what the reader made of it."""

    index: int
    institution: str = ""
    sep: str = ""
    timestamp: str = ""
    published_at: datetime | None = None
    error: str = ""
    column: int = 1
    above_blank: bool = True  # whether the line above is blank (then it is no title)


def _anchor(index: int, line: str) -> _Anchor | None:
    """Read ``line`` as an institution line; ``None`` if it is not one."""
    if "[" in line and _MARK.search(line):
        return None
    m = _META_RE.fullmatch(line)
    if m:
        inst, sep, ts, *numbers = m.groups("0")  # hours, minutes and seconds left out are 0
        anchor = _Anchor(index, inst, sep, ts, column=m.start("ts") + 1)
        try:
            anchor.published_at = datetime(*map(int, numbers))  # type: ignore[arg-type]
        except ValueError as exc:
            anchor.error = f"invalid timestamp {ts.strip()!r}: {exc}"
        return anchor
    m = _DOT_RE.fullmatch(line)
    if m and len(m.group("inst")) <= 60 and " - " not in line:
        ts = m.group("ts").strip()
        message = f"invalid timestamp {ts!r}, expected YYYY-MM-DD HH:MM" if ts else "missing timestamp after '·'"
        return _Anchor(index, m.group("inst"), m.group("sep"), m.group("ts"), None, message, m.start("ts") + 1)
    return None


@dataclass(slots=True)
class DeferredBody:
    """A report body and where it stands, parsed by ``load`` (see ``Report.defer``).

    Its messages go to ``diagnostics``; a build that already printed them
    (from its cache) points it elsewhere.
    """

    title: str
    text: str  # "" when ``span`` says where to read it
    line: int
    file: str
    diagnostics: Diagnostics
    #: Where the body stands in its file, when it is read back from there rather than kept.
    span: FileSpan | None = None

    def body_text(self) -> str:
        return self.text if self.span is None else self.span.read(self.line)

    def load(self) -> tuple[list[Section], str]:
        parser = _Body(self.body_text(), self.line, self.file, self.diagnostics)
        return parser.parse(), parser.trail

    def language(self) -> str:
        return guess_language(self.title + self.body_text()[:300])


def read_text(source: SourceText, diagnostics: Diagnostics | None = None, lazy: bool = False) -> Digest:
    """Parse decoded digest text into the canonical model.

    With ``lazy``, report bodies are parsed when first used (``Report.defer``):
    titles, institutions, times, ids and source hashes are there at once.
    """
    # The parser allocates many small objects and no cycles: pausing the
    # cyclic garbage collector halves the parse time of a large digest.
    with collector_paused():
        return _read_text(source, diagnostics, lazy)


def _read_text(source: SourceText | FileLines, diagnostics: Diagnostics | None, lazy: bool) -> Digest:
    diags = diagnostics if diagnostics is not None else Diagnostics()
    file = source.path
    stored = (source.newline, str(source.bom), source.encoding)
    digest = Digest(source=file, newline=source.newline, bom=source.bom, encoding=source.encoding)
    lines: list[str] | FileLines
    if isinstance(source, FileLines):  # read as the parse goes forward; its bytes are hashed already
        lines = source
        digest.source_hash = _finish(source.hasher, stored)
    else:
        lines = text_lines = source.text.split("\n")
        if source.data is not None:  # the bytes of a file: quick to hash, and the text is not kept for it
            digest.source_hash = _hash_bytes(source.data, *stored)
        else:  # hashing the whole text takes a while: only digest-level outputs need it
            digest.defer_hash(lambda: _hash_lines(text_lines, *stored))
    anchors = []
    above = ""
    for i, line in enumerate(lines):
        # a line with a citation mark is no institution line (and body lines have one early)
        if (
            not ("[" in line and _MARK.search(line))
            and ("·" in line or "・" in line or "•" in line or _has_date(line))
            and (a := _anchor(i, line)) is not None
        ):
            a.above_blank = not above.strip()
            anchors.append(a)
        above = line
    # The line right above an institution line is a title, even if it looks
    # like an institution line itself (a title with a '·' or a date).
    anchors = [a for k, a in enumerate(anchors) if not (k + 1 < len(anchors) and anchors[k + 1].index == a.index + 1)]
    if not anchors:
        diags.error("no reports found: no line has the form 'INSTITUTION· YYYY-MM-DD HH:MM'", file, 1, 1)
        digest.preamble = list(lines)
        return digest

    # title line of each anchor (None when missing)
    titles: list[int | None] = []
    prev = -1
    for a in anchors:
        t = a.index - 1
        titles.append(t if t > prev and not a.above_blank else None)
        prev = a.index
    starts = [t if t is not None else a.index for t, a in zip(titles, anchors, strict=False)]

    cursor = 0  # first line not yet given to anything
    pending_before: list[str] = []
    digest.preamble = lines[: starts[0]]
    cursor = starts[0]
    for k, anchor in enumerate(anchors):
        start = starts[k]
        region_end = starts[k + 1] if k + 1 < len(anchors) else len(lines)
        # body region: after the institution line, up to the next report
        body_lines = lines[anchor.index + 1 : region_end]
        after: list[str] = []
        while body_lines and not body_lines[-1].strip():
            after.insert(0, body_lines.pop())
        # a trailing line without citations or bullets is a report cut short
        truncated: list[tuple[int, list[str]]] = []
        nonblank = [j for j, line in enumerate(body_lines) if line.strip()]
        if len(nonblank) > 1:
            for j in reversed(nonblank[1:]):
                if _has_body_marker(body_lines[j]):
                    break
                first = j
                while first > 0 and not body_lines[first - 1].strip():
                    first -= 1
                truncated.insert(0, (anchor.index + 1 + j, body_lines[first : j + 1]))
                body_lines = body_lines[:first]
        before = pending_before + lines[cursor:start]
        chunk = before + lines[start : anchor.index + 1] + body_lines
        line_no = anchor.index + 1  # 1-based line of the institution line
        error = ""
        err_line, err_col = line_no, 1
        if titles[k] is None:
            error, err_line = "report has no title line above its institution line", line_no
        elif anchor.error:
            error, err_col = anchor.error, anchor.column
        elif not nonblank:  # no body line has text (cutting a short tail off never leaves none)
            if region_end >= len(lines):
                error = "report is truncated: the file ends after its institution line"
            else:
                error = "report has an empty body"
            err_line, err_col = line_no + 1, 1
        if error:
            diags.error(error + "; report skipped", file, err_line, err_col)
            digest.skipped.append(Skipped(len(digest.reports), chunk, error, Pos(err_line, err_col)))
        else:
            title_line = titles[k]
            assert title_line is not None and anchor.published_at is not None
            body_text = "\n".join(body_lines)
            # a lazy build of a file reads a body back from it when it needs it (memory stays flat)
            span = source.span(anchor.index + 1, anchor.index + len(body_lines)) if lazy else None
            body = DeferredBody(lines[title_line], body_text if span is None else "", line_no + 1, file, diags, span)
            if not lazy:
                sections, trail = body.load()
            for extra in range(1, len(body_lines)):
                if body_lines[extra].strip():
                    diags.warning("report body continues on another line", file, line_no + 1 + extra, 1)
            report = Report(
                title=lines[title_line],
                institution=anchor.institution,
                published_at=anchor.published_at,
                pos=Pos(title_line + 1, 1),
                meta_sep=anchor.sep,
                timestamp_text=anchor.timestamp,
                before=before,
                source_hash=_hash(lines[title_line], lines[anchor.index], body_text),
            )
            if lazy:
                report.defer(body)
            else:
                report.sections, report.body_trail, report.language = sections, trail, body.language()
            digest.reports.append(report)
        pending_before = []
        for tline, tlines in truncated:
            message = "line has no institution line under it (a report title cut short?)"
            diags.error(message + "; report skipped", file, tline + 1, 1)
            digest.skipped.append(Skipped(len(digest.reports), tlines, message, Pos(tline + 1, 1)))
        if k + 1 < len(anchors):
            pending_before = after
        else:
            digest.epilogue = after
        cursor = region_end
        if isinstance(lines, FileLines):
            lines.drop_before(cursor)
    assign_ids(digest)
    if digest.reports:
        digest.title = digest_title(digest)
    return digest


_DATE_LINE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


def _has_date(line: str) -> bool:
    return len(line) < 200 and bool(_DATE_LINE.search(line))


def read(path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None, lazy: bool = False) -> Digest:
    """Read a digest file (``InputError`` if it cannot be read at all).

    ``lazy`` reads a regular UTF-8 or GB18030 file a line at a time
    (:class:`FileLines`): the file is never held whole, and each body is
    read back from it when it is needed.
    """
    if lazy and encoding is None:
        lines = open_lines(path, _READER_CODE)
        if lines is not None:
            try:
                with collector_paused():
                    return _read_text(lines, diagnostics, lazy)
            finally:
                lines.close()
    return read_text(read_source(path, encoding), diagnostics, lazy)


class DigestReader(Reader):
    """``*.txt``: the research-digest text feed."""

    name = "digest"
    extensions = (".txt", ".digest")
    description = "Research-digest text feed"
    #: ``read(…, lazy=True)`` defers report bodies (the build command asks for it).
    lazy_bodies = True

    def read(
        self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None, lazy: bool = False
    ) -> Digest:
        return read(path, encoding, diagnostics, lazy)
