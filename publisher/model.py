"""The canonical report model: Digest → Report → Section → Block → Citation.

Every reader produces this model and every writer consumes only it.  It is
plain data (dataclasses) that serialises to JSON and back without loss
(``to_json``/``from_json``), validated by the versioned JSON Schema shipped
as ``publisher/schema/model-v2.json``.  Version 2 added each report's research
:class:`Facts`; JSON of version 1 still loads (its reports have no facts).

Each node keeps its source position (line and column, 1-based, columns in
code points; the file name is stored once on the :class:`Digest`).  A few
fields exist only so that the digest writer can reproduce the input byte
for byte (``sep`` fields, ``before``, ``preamble`` …); other writers ignore
them.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import operator
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from importlib import resources
from typing import Any, Protocol, TypeVar, overload

from .diagnostics import Diagnostics
from .textutil import not_a_device

SCHEMA_VERSION = 2
SCHEMA_ID = "https://publisher.dev/schema/model-v2.json"
#: Model versions ``from_json`` reads: version 1 is version 2 without facts.
READABLE_VERSIONS = (1, 2)

ROLE_SUMMARY = "summary"
ROLE_RATING = "rating"
ROLE_RISK = "risk"
ROLE_BODY = "body"
ROLES = (ROLE_SUMMARY, ROLE_RATING, ROLE_RISK, ROLE_BODY)

BULLET = "bullet"
PARAGRAPH = "paragraph"
RAW = "raw"
BLOCK_KINDS = (BULLET, PARAGRAPH, RAW)

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(slots=True)
class Pos:
    """A position in the input: 1-based line and column (code points)."""

    line: int = 0
    column: int = 0

    def to_json(self) -> list[int]:
        return [self.line, self.column]

    @classmethod
    def from_json(cls, data: list[int] | None) -> Pos:
        return cls(*data) if data else cls()


@dataclass(slots=True, init=False)
class Citation:
    """A citation marker ``[ref]`` at ``offset`` in its block's text.

    ``sep`` is the whitespace written before the marker (``" [1]"`` has
    ``sep=" "``); it only matters to the digest writer.  ``pos`` is where
    the marker stands in the input (kept as two numbers: a report of a
    million bullets has a million citations).
    """

    ref: int
    offset: int
    sep: str
    line: int
    column: int

    def __init__(self, ref: int, offset: int, sep: str = "", pos: Pos | None = None) -> None:
        self.ref = ref
        self.offset = offset
        self.sep = sep
        self.line, self.column = (pos.line, pos.column) if pos is not None else (0, 0)

    @property
    def pos(self) -> Pos:
        return Pos(self.line, self.column)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref, "offset": self.offset}
        if self.sep:
            data["sep"] = self.sep
        data["pos"] = [self.line, self.column]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Citation:
        return cls(data["ref"], data["offset"], data.get("sep", ""), Pos.from_json(data.get("pos")))


METRIC_ORIGINS = ("title", "heading", "block")


@dataclass(slots=True)
class Metric:
    """A figure found in a title, heading or block (see ``publisher.transforms.metrics``).

    Numbers are kept as exact decimal strings.  ``value`` is the number as
    written (sign kept, thousands separators dropped); a range (``1 - 2个季度``)
    has ``low`` and ``high`` instead.  ``unit`` is the unit as written (scale
    included: ``亿元``, ``pcts``, ``US$ billion``); ``normalized`` (or
    ``normalized_low``/``normalized_high``) is the value in ``base_unit``
    (``0.43%`` → ``0.0043`` ``ratio``; ``17150亿元`` → ``1715000000000``
    ``CNY``).  ``direction`` is ``up``/``down``/``flat`` when the text says
    so, ``relation`` the comparison (``yoy``, ``mom``, ``wow``, ``dod``,
    ``vs``, ``from``, ``to``, ``prior``) and ``bound`` a qualifier
    (``at_least``, ``more_than``, ``at_most``, ``less_than``, ``about``).
    ``change`` is the signed change for a figure that is one (``同比下降5%`` →
    ``-5``, ``YoY -22.2%`` → ``-22.2``, ``增长3%`` → ``3``), in the figure's
    unit; ``basis`` what it is measured against (``yoy``, ``qoq``, ``seq``,
    ``mom``, ``wow``, ``dod``, ``vs``).  ``year`` is the fiscal or calendar
    year the figure belongs to when the text names one (``2025E``, a forecast
    row under ``2023A/2024E/…``), ``estimate`` ``A`` or ``E`` when it is known
    to be an actual or an estimate, and ``item`` the figure's place (from 1)
    in a list or forecast row (``27.3/-1.1/-1.3亿元``).
    ``text`` is the figure exactly as written, ``offset`` where it starts in
    its node's text and ``pos`` where it is in the input file.

    ``origin`` (``title``/``heading``/``block``) and ``refs`` (the citations
    of its block) follow from the node that holds the metric; they are not
    serialised.
    """

    subject: str
    value: str | None
    unit: str
    text: str = ""
    low: str | None = None
    high: str | None = None
    normalized: str | None = None
    normalized_low: str | None = None
    normalized_high: str | None = None
    base_unit: str = ""
    direction: str = ""
    relation: str = ""
    bound: str = ""
    period: str = ""
    sentence: str = ""
    offset: int = 0
    pos: Pos = field(default_factory=Pos)
    origin: str = "block"
    refs: list[int] = field(default_factory=list)
    change: str | None = None
    basis: str = ""
    year: int | None = None
    estimate: str = ""
    item: int = 0

    @property
    def is_range(self) -> bool:
        return self.value is None and self.low is not None and self.high is not None

    _OPTIONAL = (
        "text",
        "low",
        "high",
        "normalized",
        "normalized_low",
        "normalized_high",
        "base_unit",
        "direction",
        "relation",
        "bound",
        "period",
        "sentence",
        "change",
        "basis",
        "year",
        "estimate",
        "item",
    )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"subject": self.subject, "value": self.value, "unit": self.unit}
        for name in self._OPTIONAL:
            value = getattr(self, name)
            if value:
                data[name] = value
        data["offset"] = self.offset
        data["pos"] = self.pos.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], origin: str = "block", refs: list[int] | None = None) -> Metric:
        metric = cls(data["subject"], data.get("value"), data.get("unit", ""))
        for name in cls._OPTIONAL:
            if name in data:
                setattr(metric, name, data[name])
        metric.offset = data.get("offset", 0)
        metric.pos = Pos.from_json(data.get("pos"))
        metric.origin = origin
        metric.refs = list(refs or ())
        return metric


class MetricSpool:
    """The metrics of a huge report, packed: a chunk of blocks' metrics per section, compressed.

    A report of a million bullets has over a million figures; as objects they take
    several hundred bytes each.  The ``metrics`` transform packs them here instead
    (``marshal`` of plain tuples, then ``zlib``), and each block holds a
    :class:`PackedMetrics` that reads its own back.  Readers go through the report
    in order, so the last chunk read stays decoded; an edit to it (``changed``) is
    packed again before another chunk is read, or on :meth:`commit`.
    """

    __slots__ = ("_chunks", "_decoded", "_dirty", "_open")

    _FIELDS = tuple(f.name for f in fields(Metric))
    _GET = operator.attrgetter(*_FIELDS)
    _POS = _FIELDS.index("pos")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._open = -1
        self._decoded: list[list[Metric]] = []
        self._dirty = False

    def add(self, lists: list[list[Metric]]) -> int:
        """Pack the metrics of some blocks (one list each); returns the chunk's number."""
        self._chunks.append(self._pack(lists))
        return len(self._chunks) - 1

    def chunk(self, number: int) -> list[list[Metric]]:
        """The metrics of a chunk's blocks, as objects (kept until another chunk is read)."""
        if number != self._open:
            self.commit()
            self._decoded = self._unpack(self._chunks[number])
            self._open = number
        return self._decoded

    def changed(self) -> None:
        """The open chunk's metrics were edited: pack them again before it is closed."""
        self._dirty = True

    def commit(self) -> None:
        if self._dirty:
            self._chunks[self._open] = self._pack(self._decoded)
            self._dirty = False

    @classmethod
    def _pack(cls, lists: list[list[Metric]]) -> bytes:
        get, at = cls._GET, cls._POS
        rows = []
        for metrics in lists:
            row = []
            for m in metrics:
                values = get(m)
                row.append((*values[:at], (m.pos.line, m.pos.column), *values[at + 1 :]))
            rows.append(row)
        return zlib.compress(marshal.dumps(rows), 1)

    @staticmethod
    def _unpack(data: bytes) -> list[list[Metric]]:
        lists: list[list[Metric]] = []
        for rows in marshal.loads(zlib.decompress(data)):
            metrics = []
            for row in rows:
                metric = Metric(*row)
                metric.pos = Pos(*metric.pos)  # type: ignore[misc]
                metric.refs = list(metric.refs)
                metrics.append(metric)
            lists.append(metrics)
        return lists

    def __getstate__(self) -> tuple[list[bytes]]:
        self.commit()
        return (self._chunks,)

    def __setstate__(self, state: tuple[list[bytes]]) -> None:
        self.__init__()  # type: ignore[misc]
        self._chunks = state[0]


class PackedMetrics(Sequence[Metric]):
    """A block's metrics kept in a :class:`MetricSpool` (item ``item`` of chunk ``chunk``)."""

    __slots__ = ("chunk", "item", "size", "spool")

    def __init__(self, spool: MetricSpool, chunk: int, item: int, size: int) -> None:
        self.spool, self.chunk, self.item, self.size = spool, chunk, item, size

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def _list(self) -> list[Metric]:
        return self.spool.chunk(self.chunk)[self.item]

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._list())  # the spool replaces its decoded list, never changes it: no copy needed

    @overload
    def __getitem__(self, index: int) -> Metric: ...
    @overload
    def __getitem__(self, index: slice) -> list[Metric]: ...
    def __getitem__(self, index: int | slice) -> Metric | list[Metric]:
        return self._list()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, PackedMetrics)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def changed(self) -> None:
        """Its metrics (read from this sequence) were edited in place: keep the edit."""
        self.spool.changed()

    def __repr__(self) -> str:
        return f"PackedMetrics({list(self)!r})"


# --- research facts (schema version 2) --------------------------------------------------------------

#: The normalised rating scale, best first (``买入``/``强推`` → ``buy``, ``增持``/``Overweight`` → ``outperform``).
RATING_SCALE = ("buy", "outperform", "neutral", "underperform", "sell")
#: What a rating statement does: first coverage, keeps, raises or lowers the rating.
RATING_ACTIONS = ("first", "maintain", "upgrade", "downgrade")


def _positions(data: dict[str, Any]) -> list[Pos]:
    return [Pos.from_json(p) for p in data.get("pos", ())]


def _fact_json(fact: Any, required: dict[str, Any]) -> dict[str, Any]:
    """A fact as JSON: its required fields, its ``_OPTIONAL`` ones that are set, its positions and citations."""
    data = dict(required)
    for name in fact._OPTIONAL:
        value = getattr(fact, name)
        if value:
            data[name] = value
    data["pos"] = [p.to_json() for p in fact.pos]
    if fact.refs:
        data["refs"] = fact.refs
    return data


_T = TypeVar("_T")


def _fact_from_json(cls: type[_T], data: dict[str, Any], *required: Any) -> _T:
    """The fact ``data`` holds: ``required`` as given, the ``_OPTIONAL`` fields present, positions, citations."""
    fact = cls(*required, pos=_positions(data), refs=list(data.get("refs", ())))  # type: ignore[call-arg]
    for name in cls._OPTIONAL:  # type: ignore[attr-defined]
        if name in data:
            value = data[name]
            setattr(fact, name, bool(value) if isinstance(getattr(fact, name), bool) else value)
    return fact


@dataclass(slots=True)
class Company:
    """A company a report is about: its name as written, its ticker and exchange when stated.

    ``ticker`` is the code as written (``300616``, ``0700.HK``, ``AAPL.O``) and
    ``exchange`` where it is listed (``SH``, ``SZ``, ``BJ``, ``HK``, ``US``), from the
    code's suffix or, for a six-digit A-share code, its prefix.  ``pos`` lists every
    place the report names it with its code (the first naming when it has none).
    ``pick`` is true for a company an industry note only recommends in a list
    (``建议关注贝达药业、恒瑞医药``): the report names it but is not about it.
    """

    name: str
    ticker: str = ""
    exchange: str = ""
    pos: list[Pos] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)
    pick: bool = False

    _OPTIONAL = ("ticker", "exchange", "pick")

    def to_json(self) -> dict[str, Any]:
        return _fact_json(self, {"name": self.name})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Company:
        return _fact_from_json(cls, data, data["name"])


@dataclass(slots=True)
class Rating:
    """A rating the report gives: ``grade`` as written (``买入``, ``Outperform``), ``scale``
    one of :data:`RATING_SCALE`, ``action`` one of :data:`RATING_ACTIONS` (or ``""``).

    ``company`` names the company it is given to when the report covers several, and
    ``industry`` is true for the rating of an industry (``维持行业“推荐”评级``); ``pos``
    lists every place that states this same rating, ``refs`` their citations.
    """

    grade: str
    scale: str
    action: str = ""
    company: str = ""
    pos: list[Pos] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)
    industry: bool = False

    _OPTIONAL = ("action", "company", "industry")

    def to_json(self) -> dict[str, Any]:
        return _fact_json(self, {"grade": self.grade, "scale": self.scale})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rating:
        return _fact_from_json(cls, data, data["grade"], data["scale"])


@dataclass(slots=True)
class TargetPrice:
    """A target price: ``value`` (or ``low``/``high`` for a range) in ``currency``
    (``CNY``, ``HKD``, ``USD`` …), exact decimal strings.

    ``price`` is the current price when the report states one and ``upside`` the
    upside to the target as a ratio (``0.25``), stated or computed from ``price``.
    """

    value: str | None
    currency: str = ""
    low: str | None = None
    high: str | None = None
    text: str = ""
    price: str | None = None
    upside: str | None = None
    company: str = ""
    pos: list[Pos] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)

    _OPTIONAL = ("currency", "low", "high", "text", "price", "upside", "company")

    def to_json(self) -> dict[str, Any]:
        return _fact_json(self, {"value": self.value})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetPrice:
        return _fact_from_json(cls, data, data.get("value"))


@dataclass(slots=True)
class Valuation:
    """The basis of a valuation as written (``2025年13-14倍PE``, ``DCF``, ``SOTP``)."""

    basis: str
    company: str = ""
    pos: list[Pos] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)

    _OPTIONAL = ("company",)

    def to_json(self) -> dict[str, Any]:
        return _fact_json(self, {"basis": self.basis})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Valuation:
        return _fact_from_json(cls, data, data["basis"])


@dataclass(slots=True)
class Forecast:
    """One forecast (or reported actual) of a report: indicator, fiscal year, value.

    ``indicator`` is the normalised name (``revenue``, ``net_profit``, ``eps``, ``pe``,
    ``pb`` …) and ``label`` the words of the text; ``estimate`` is ``A`` or ``E``.
    ``value``/``unit`` are as written, ``normalized`` the value in ``base_unit`` (as
    for a :class:`Metric`).
    """

    indicator: str
    label: str
    year: int
    value: str
    unit: str = ""
    estimate: str = ""
    normalized: str | None = None
    base_unit: str = ""
    company: str = ""
    pos: list[Pos] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)

    _OPTIONAL = ("unit", "estimate", "normalized", "base_unit", "company")

    def to_json(self) -> dict[str, Any]:
        return _fact_json(
            self, {"indicator": self.indicator, "label": self.label, "year": self.year, "value": self.value}
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forecast:
        return _fact_from_json(cls, data, data["indicator"], data["label"], data["year"], data["value"])


@dataclass(slots=True)
class Facts:
    """The research facts of one report (by the ``facts`` transform, ``publisher.transforms.facts``).

    Each list holds one entry per distinct statement: the same rating stated twice is one
    :class:`Rating` with two positions; two different ratings are two entries, never
    merged (:meth:`conflicts` names the kinds where that happened).
    """

    companies: list[Company] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    target_prices: list[TargetPrice] = field(default_factory=list)
    valuations: list[Valuation] = field(default_factory=list)
    forecasts: list[Forecast] = field(default_factory=list)

    @property
    def company(self) -> Company | None:
        """The company the report is about: the first it names that is not only a pick, or ``None``."""
        return next((c for c in self.companies if not c.pick), None)

    @property
    def rating(self) -> Rating | None:
        """The first rating the report states (of a company before one of an industry), or ``None``."""
        return next((r for r in self.ratings if not r.industry), None) or self.industry_rating

    @property
    def industry_rating(self) -> Rating | None:
        """The first rating of an industry the report states, or ``None``."""
        return next((r for r in self.ratings if r.industry), None)

    @property
    def target_price(self) -> TargetPrice | None:
        """The first target price the report states, or ``None``."""
        return self.target_prices[0] if self.target_prices else None

    @property
    def tickers(self) -> list[str]:
        """The tickers of the report's companies, in order."""
        return [c.ticker for c in self.companies if c.ticker]

    def conflicts(self) -> list[str]:
        """Kinds of fact (``ratings``, ``target_prices``) the text states differently for one company."""
        out = []
        for kind in ("ratings", "target_prices"):
            seen: set[tuple[str, bool]] = set()
            for fact in getattr(self, kind):
                key = (fact.company, getattr(fact, "industry", False))
                if key in seen:
                    out.append(kind)
                    break
                seen.add(key)
        return out

    def for_company(self, name: str) -> tuple[Rating | None, TargetPrice | None]:
        """The rating and target price given to company ``name``.

        A company rating or target that names no company belongs to the company the
        report is about (:attr:`company`); an industry's rating belongs to no company.
        """
        rating = next((r for r in self.ratings if r.company == name and not r.industry), None)
        target = next((t for t in self.target_prices if t.company == name), None)
        main = self.company
        if main is not None and main.name == name:
            rating = rating or next((r for r in self.ratings if not r.company and not r.industry), None)
            target = target or next((t for t in self.target_prices if not t.company), None)
        return rating, target

    def headline(self) -> tuple[Company | None, Rating | None, TargetPrice | None]:
        """The company the report is about with its rating and target price; without one, the
        report's first rating (a company's before an industry's) and first target price."""
        company = self.company
        if company is None:
            return None, self.rating, self.target_price
        return (company, *self.for_company(company.name))

    def __bool__(self) -> bool:
        return bool(self.companies or self.ratings or self.target_prices or self.valuations or self.forecasts)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for kind in ("companies", "ratings", "target_prices", "valuations", "forecasts"):
            items = getattr(self, kind)
            if items:
                data[kind] = [item.to_json() for item in items]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts:
        return cls(
            [Company.from_json(c) for c in data.get("companies", ())],
            [Rating.from_json(r) for r in data.get("ratings", ())],
            [TargetPrice.from_json(t) for t in data.get("target_prices", ())],
            [Valuation.from_json(v) for v in data.get("valuations", ())],
            [Forecast.from_json(f) for f in data.get("forecasts", ())],
        )


@dataclass(slots=True, init=False)
class Block:
    """A bullet, a paragraph, or raw text the reader could not classify.

    ``text`` holds no citation markers; ``citations`` say where they were.
    ``metrics`` are the figures found in ``text`` (by the ``metrics`` transform).

    A block is the model's most numerous node (a 48 MB report has over a million), so it
    is kept small: its citations are a tuple, its position two numbers (``pos`` makes
    the :class:`Pos`).
    """

    kind: str
    text: str
    citations: tuple[Citation, ...]
    sep: str
    line: int
    column: int
    #: Set by the metrics transform; a block read without it shares one empty tuple.
    metrics: Sequence[Metric]

    def __init__(
        self,
        kind: str,
        text: str,
        citations: Sequence[Citation] = (),
        sep: str = "",
        pos: Pos | None = None,
        metrics: Sequence[Metric] = (),
    ) -> None:
        self.kind = kind
        self.text = text
        self.citations = citations if type(citations) is tuple else tuple(citations)
        self.sep = sep
        self.line, self.column = (pos.line, pos.column) if pos is not None else (0, 0)
        self.metrics = metrics

    @property
    def pos(self) -> Pos:
        return Pos(self.line, self.column)

    def clone(self) -> Block:
        """A copy whose metrics can be replaced without touching this block (they are replaced, never changed)."""
        copy = Block.__new__(Block)
        copy.kind, copy.text, copy.citations, copy.sep = self.kind, self.text, self.citations, self.sep
        copy.line, copy.column, copy.metrics = self.line, self.column, self.metrics
        return copy

    @property
    def refs(self) -> list[int]:
        """The cited reference numbers, in order of appearance."""
        return [c.ref for c in self.citations]

    def marked_text(self, fmt: str = "{sep}[{ref}]") -> str:
        """The text with its citation markers put back where they were."""
        if not self.citations:
            return self.text
        parts: list[str] = []
        last = 0
        for c in self.citations:
            parts.append(self.text[last : c.offset])
            parts.append(fmt.format(sep=c.sep, ref=c.ref))
            last = c.offset
        parts.append(self.text[last:])
        return "".join(parts)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.citations:
            data["citations"] = [c.to_json() for c in self.citations]
        if self.sep:
            data["sep"] = self.sep
        data["pos"] = [self.line, self.column]
        if self.metrics:
            data["metrics"] = [m.to_json() for m in self.metrics]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Block:
        block = cls(
            data["kind"],
            data["text"],
            [Citation.from_json(c) for c in data.get("citations", ())],
            data.get("sep", ""),
            Pos.from_json(data.get("pos")),
        )
        refs = block.refs
        if data.get("metrics"):
            block.metrics = [Metric.from_json(m, "block", refs) for m in data["metrics"]]
        return block


@dataclass(slots=True)
class Section:
    """A heading with its blocks and nested sub-sections.

    ``level`` is 1 for top-level sections.  ``role`` says what the section
    is for (``summary``, ``rating``, ``risk`` or ``body``).  ``sep`` is the
    text written before the heading in the digest body.  ``heading_metrics``
    are the figures found in the heading.
    """

    heading: str
    level: int = 1
    role: str = ROLE_BODY
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    sep: str = ""
    pos: Pos = field(default_factory=Pos)
    heading_metrics: list[Metric] = field(default_factory=list)

    def clone(self) -> Section:
        """A copy of the section tree whose lists can change without touching this one."""
        return Section(
            self.heading,
            self.level,
            self.role,
            [b.clone() for b in self.blocks],
            [c.clone() for c in self.children],
            self.sep,
            self.pos,
            list(self.heading_metrics),
        )

    def walk(self) -> Iterator[Section]:
        """This section and all its descendants, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"heading": self.heading, "level": self.level, "role": self.role}
        if self.blocks:
            data["blocks"] = [b.to_json() for b in self.blocks]
        if self.children:
            data["children"] = [s.to_json() for s in self.children]
        if self.sep:
            data["sep"] = self.sep
        data["pos"] = self.pos.to_json()
        if self.heading_metrics:
            data["heading_metrics"] = [m.to_json() for m in self.heading_metrics]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        return cls(
            data["heading"],
            data.get("level", 1),
            data.get("role", ROLE_BODY),
            [Block.from_json(b) for b in data.get("blocks", ())],
            [Section.from_json(s) for s in data.get("children", ())],
            data.get("sep", ""),
            Pos.from_json(data.get("pos")),
            [Metric.from_json(m, "heading") for m in data.get("heading_metrics", ())],
        )


def _has_slot(obj: object, name: str) -> bool:
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return False
    return True


class BodyLoader(Protocol):
    """A deferred report body: where it starts, where its messages go, and its parser."""

    line: int  # the line the body starts on
    file: str
    diagnostics: Diagnostics

    def load(self) -> tuple[list[Section], str]:
        """``(sections, body_trail)``."""
        ...

    def language(self) -> str:
        """The report's language (``zh``, ``en``)."""
        ...

    # A loader may also make the title's figures and the facts: ``made()`` gives
    # ``(title_metrics, facts)`` (the copies of ``Report.transformed_copy``).


@dataclass(slots=True)
class Report:
    """One research report: title, institution, time and sections.

    ``published_at`` is the local time the feed gives (no time zone).  The
    fields after ``sections`` keep the digest layout for a lossless round
    trip: ``meta_sep`` is the separator between institution and time
    (``"· "``), ``timestamp_text`` the time exactly as written, ``before``
    the blank lines above the title and ``body_trail`` trailing whitespace
    of the body.  ``title_metrics`` are the figures found in the title and
    ``facts`` the research facts (company, rating, target price, forecasts).
    """

    title: str
    institution: str
    published_at: datetime
    sections: list[Section] = field(default_factory=list)
    id: str = ""
    language: str = "zh"
    pos: Pos = field(default_factory=Pos)
    meta_sep: str = "· "
    timestamp_text: str = ""
    before: list[str] = field(default_factory=list)
    body_trail: str = ""
    #: A hash of the source text the report was read from, set by readers that
    #: read text (not serialised): the build engine's cheap change detector.
    source_hash: str = ""
    title_metrics: list[Metric] = field(default_factory=list)
    #: The research facts (``None`` until the ``facts`` transform runs).
    facts: Facts | None = None
    # A report whose body is parsed when first used (see ``defer``): the parser, and the
    # text of its key takeaway when a build remembers it (neither is part of the model).
    _body: BodyLoader | None = field(default=None, init=False, repr=False, compare=False)
    _takeaway: str | None = field(default=None, init=False, repr=False, compare=False)
    # The loader of a deferred body, kept once it is parsed: ``release`` defers it again.
    _source: BodyLoader | None = field(default=None, init=False, repr=False, compare=False)

    def defer(self, body: BodyLoader) -> None:
        """Parse the body (``sections``, ``body_trail``) and guess the ``language`` only when read.

        A reader uses this so that a build which finds a report up to date
        never pays for its body.  ``body.load()`` returns the first two
        fields, ``body.language()`` the third.
        """
        del self.sections, self.body_trail, self.language
        self._body = self._source = body

    def release(self) -> bool:
        """Drop a deferred body parsed since (it is parsed again when next used); ``True`` if dropped.

        The build engine calls this once a report is rendered, so that its
        memory does not grow with the feed.  Only a report whose body is
        deferred can be released: the reader's own tree, or a copy whose
        transformed body is made when read (``transformed_copy``); a copy that
        transforms changed (``clone``) keeps its body.  What the body said was
        said when it was first parsed: parsing it again says nothing.
        """
        source = self._source
        if source is None or self._body is not None:
            return False
        if self._takeaway is None:
            self._takeaway = self.takeaway_text()  # (from the parsed body: ``_body`` is None here)
        source.diagnostics = Diagnostics()
        del self.sections, self.body_trail
        self._body = source
        return True

    @property
    def deferred(self) -> BodyLoader | None:
        """The loader of a body not parsed yet, else ``None``."""
        return self._body

    def __getattr__(self, name: str) -> Any:
        # Only reached for an empty slot: a field of a deferred report (or, while a copy is
        # being unpickled, any slot not restored yet: no loader to ask then).
        if name.startswith("_"):
            raise AttributeError(name)
        body = self._body
        if body is None or name not in _DEFERRED_FIELDS:
            raise AttributeError(name)
        made = getattr(body, "made", None)  # a loader that makes the title's figures and the facts too
        if name in ("title_metrics", "facts") and made is None:
            raise AttributeError(name)
        if name == "language" or not _has_slot(self, "language"):
            self.language = body.language()
        if name != "language":  # the body is made (with the title's figures and the facts, if so made)
            self._body = None
            self.sections, self.body_trail = body.load()
            if made is not None and not _has_slot(self, "facts"):
                self.title_metrics, self.facts = made()
        return getattr(self, name)

    def __getstate__(self) -> dict[str, Any]:
        # The slots that are set, read without ``__getattr__``: pickling a deferred report
        # sends its loader, not a body parsed for the occasion.
        state = {}
        for name in Report.__slots__:
            try:
                state[name] = object.__getattribute__(self, name)
            except AttributeError:
                continue
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def transformed_copy(self, body: BodyLoader) -> Report:
        """A copy of this report's header whose body comes from ``body`` when first read, and
        its title's figures and facts too when the loader makes them (``body.made()`` gives
        ``(title_metrics, facts)``): a copy with transforms applied, made one report at a time
        (see ``publisher.views``)."""
        copy = Report.__new__(Report)
        for name in _HEADER_FIELDS:
            object.__setattr__(copy, name, object.__getattribute__(self, name))
        copy.before = list(self.before)
        if _has_slot(self, "language"):
            copy.language = self.language
        if getattr(body, "made", None) is None:
            copy.title_metrics, copy.facts = list(self.title_metrics), self.facts
        copy._body = copy._source = body
        copy._takeaway = None
        return copy

    def pin(self) -> None:
        """Parse a deferred body and keep it for good (a model sent where its loader cannot go)."""
        self.sections  # noqa: B018  (parses a deferred body)
        self._source = None

    def takeaway_text(self) -> str:
        """The text of the key takeaway, or ``""`` (known without parsing when remembered)."""
        if self._body is not None and self._takeaway is not None:
            return self._takeaway
        block = self.key_takeaway()
        return block.text if block else ""

    def remember_takeaway(self, text: str) -> None:
        """What ``takeaway_text`` answers while the body is not parsed (a build's cache)."""
        self._takeaway = text

    def clone(self) -> Report:
        """A copy of the report tree whose lists can change without touching this one."""
        return replace(
            self,
            sections=[s.clone() for s in self.sections],
            title_metrics=list(self.title_metrics),
            before=list(self.before),
        )

    def walk(self) -> Iterator[Section]:
        """Every section of the report, depth first, in document order."""
        for section in self.sections:
            yield from section.walk()

    def blocks(self) -> Iterator[tuple[Section, Block]]:
        """Every block of the report with the section that holds it."""
        for section in self.walk():
            for block in section.blocks:
                yield section, block

    @property
    def timestamp(self) -> str:
        """The time as the feed writes it (``2025-02-16 16:06``)."""
        if self.timestamp_text and parse_timestamp(self.timestamp_text.strip()) == self.published_at:
            return self.timestamp_text
        return self.published_at.strftime(TIMESTAMP_FORMAT)

    @property
    def slug(self) -> str:
        """An ASCII-safe, collision-free file name stem for this report."""
        return make_slug(self.title, self.id)

    def metrics(self) -> Iterator[tuple[Section | None, Block | None, Metric]]:
        """Every metric of the report in document order, with the section and block holding it.

        Title metrics come with ``(None, None)``, heading metrics with ``(section, None)``.
        """
        for metric in self.title_metrics:
            yield None, None, metric
        for section in self.walk():
            for metric in section.heading_metrics:
                yield section, None, metric
            for block in section.blocks:
                for metric in block.metrics:
                    yield section, block, metric

    def section_path(self, target: Section) -> list[str]:
        """Headings from the top-level section down to ``target``."""

        def find(sections: list[Section], trail: list[str]) -> list[str] | None:
            for s in sections:
                here = [*trail, s.heading]
                if s is target:
                    return here
                found = find(s.children, here)
                if found is not None:
                    return found
            return None

        return find(self.sections, []) or []

    def key_takeaway(self) -> Block | None:
        """The first block of the summary section, if there is one."""
        for section in self.walk():
            if section.role == ROLE_SUMMARY and section.blocks:
                return section.blocks[0]
        return None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "institution": self.institution,
            "published_at": self.published_at.isoformat(timespec="minutes"),
            "language": self.language,
            "slug": self.slug,
            "sections": [s.to_json() for s in self.sections],
            "pos": self.pos.to_json(),
        }
        layout: dict[str, Any] = {}
        if self.meta_sep != "· ":
            layout["meta_sep"] = self.meta_sep
        if self.timestamp_text and self.timestamp_text != self.published_at.strftime(TIMESTAMP_FORMAT):
            layout["timestamp_text"] = self.timestamp_text
        if self.before:
            layout["before"] = self.before
        if self.body_trail:
            layout["body_trail"] = self.body_trail
        if layout:
            data["layout"] = layout
        if self.title_metrics:
            data["title_metrics"] = [m.to_json() for m in self.title_metrics]
        if self.facts:  # a report that states none has no ``facts`` (they are found again when read)
            data["facts"] = self.facts.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        layout = data.get("layout", {})
        return cls(
            title=data["title"],
            institution=data["institution"],
            published_at=datetime.fromisoformat(data["published_at"]),
            sections=[Section.from_json(s) for s in data.get("sections", ())],
            id=data.get("id", ""),
            language=data.get("language", "zh"),
            pos=Pos.from_json(data.get("pos")),
            meta_sep=layout.get("meta_sep", "· "),
            timestamp_text=layout.get("timestamp_text", ""),
            before=list(layout.get("before", ())),
            body_trail=layout.get("body_trail", ""),
            title_metrics=[Metric.from_json(m, "title") for m in data.get("title_metrics", ())],
            facts=Facts.from_json(data["facts"]) if "facts" in data else None,
        )


@dataclass(slots=True)
class Skipped:
    """Input lines of a report the reader rejected, kept so nothing is lost.

    ``index`` is the number of accepted reports that come before it.
    """

    index: int
    lines: list[str]
    message: str
    pos: Pos = field(default_factory=Pos)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "lines": self.lines, "message": self.message, "pos": self.pos.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Skipped:
        return cls(data["index"], list(data["lines"]), data["message"], Pos.from_json(data.get("pos")))


@dataclass(slots=True)
class Digest:
    """One input file: a day's feed of reports.

    ``preamble`` holds page clutter lines before the first report and
    ``epilogue`` the lines after the last one (``[""]`` when the file ends
    with a newline).  ``newline``, ``bom`` and ``encoding`` describe the
    file so the digest writer can write it back exactly.
    """

    source: str
    reports: list[Report] = field(default_factory=list)
    title: str = ""
    preamble: list[str] = field(default_factory=list)
    epilogue: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    newline: str = "\n"
    bom: bool = False
    encoding: str = "utf-8"
    #: A hash of the whole input file, set by readers (not serialised).
    source_hash: str = ""
    # A reader may leave the hash to be computed when first needed (``text_hash``).
    _hashing: Callable[[], str] | None = field(default=None, init=False, repr=False, compare=False)

    def defer_hash(self, compute: Callable[[], str]) -> None:
        """Compute ``source_hash`` only when something asks for it (``text_hash``)."""
        self._hashing = compute

    def text_hash(self) -> str:
        """``source_hash``, computed now if a reader deferred it."""
        if self._hashing is not None:
            self.source_hash, self._hashing = self._hashing(), None
        return self.source_hash

    def clone(self) -> Digest:
        """A copy of the whole model that a transform may change freely."""
        return replace(
            self, reports=[r.clone() for r in self.reports], skipped=list(self.skipped), source_hash=self.text_hash()
        )

    @property
    def date_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest publication time, or ``None`` if empty."""
        if not self.reports:
            return None
        times = [r.published_at for r in self.reports]
        return min(times), max(times)

    @property
    def name(self) -> str:
        """The file name stem of the source (``research-digest-2025-02-16``)."""
        base = re.split(r"[\\/]", self.source)[-1] if self.source else "digest"
        stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
        return not_a_device(safe_stem(stem) or "digest")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "$schema": SCHEMA_ID,
            "version": SCHEMA_VERSION,
            "source": self.source,
            "title": self.title,
            "reports": [r.to_json() for r in self.reports],
        }
        layout: dict[str, Any] = {}
        if self.preamble:
            layout["preamble"] = self.preamble
        if self.epilogue:
            layout["epilogue"] = self.epilogue
        if self.newline != "\n":
            layout["newline"] = self.newline
        if self.bom:
            layout["bom"] = True
        if self.encoding != "utf-8":
            layout["encoding"] = self.encoding
        if layout:
            data["layout"] = layout
        if self.skipped:
            data["skipped"] = [s.to_json() for s in self.skipped]
        return data

    def dumps(self, indent: int | None = 2) -> str:
        """The digest as JSON text."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"unsupported model version {version!r}"
                f" (this publisher reads versions {', '.join(map(str, READABLE_VERSIONS))})"
            )
        layout = data.get("layout", {})
        return cls(
            source=data.get("source", ""),
            reports=[Report.from_json(r) for r in data.get("reports", ())],
            title=data.get("title", ""),
            preamble=list(layout.get("preamble", ())),
            epilogue=list(layout.get("epilogue", ())),
            skipped=[Skipped.from_json(s) for s in data.get("skipped", ())],
            newline=layout.get("newline", "\n"),
            bom=layout.get("bom", False),
            encoding=layout.get("encoding", "utf-8"),
        )

    @classmethod
    def loads(cls, text: str) -> Digest:
        return cls.from_json(json.loads(text))


def load_schema(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The JSON Schema of the serialised model of ``version`` (the current one by default)."""
    text = resources.files("publisher.schema").joinpath(f"model-v{version}.json").read_text(encoding="utf-8")
    return json.loads(text)


_TIMESTAMP_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_timestamp(text: str) -> datetime | None:
    """Parse ``2025-02-16 16:06`` (also ``/`` or ``.``, seconds optional).

    Returns ``None`` when the text is not a timestamp; raises ``ValueError``
    when it has the shape of one but names an impossible date or time.
    """
    m = _TIMESTAMP_RE.fullmatch(text)
    if not m:
        return None
    return datetime(*map(int, m.groups("0")))  # type: ignore[arg-type]  # hours, minutes and seconds left out are 0


def report_id(institution: str, published_at: datetime, title: str) -> str:
    """A stable id: the same report gives the same id on every run."""
    key = "\x1f".join(
        (
            unicodedata.normalize("NFC", institution.strip()),
            published_at.isoformat(timespec="minutes"),
            unicodedata.normalize("NFC", title.strip()),
        )
    )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def assign_ids(digest: Digest) -> None:
    """Give each report its stable id; repeats of one report get ``-2``, ``-3`` …"""
    seen: dict[str, int] = {}
    for report in digest.reports:
        base = report_id(report.institution, report.published_at, report.title)
        n = seen.get(base, 0) + 1
        seen[base] = n
        report.id = base if n == 1 else f"{base}-{n}"


_SLUG_MAX = 60
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def _romanise(text: str) -> str:
    """Latin letters for ``text``: pinyin for Chinese, accents folded away."""
    if text.isascii():
        return text  # nothing to romanise (and pypinyin takes a while to import)
    from pypinyin import Style, lazy_pinyin

    pieces = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: s)
    out = " ".join(pieces)
    return unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode("ascii")


#: ``safe_stem`` of texts at the default limit (institution names are sorted by it); the
#: build engine keeps this table from one build to the next, as it keeps ``SLUGS``.
STEMS: dict[str, str] = {}
#: Stems computed (not found in ``STEMS``) since the list was last emptied.
NEW_STEMS: list[tuple[str, str]] = []


def safe_stem(text: str, limit: int = _SLUG_MAX) -> str:
    """Lower-case ASCII words joined by ``-``, at most ``limit`` characters."""
    if limit == _SLUG_MAX:
        stem = STEMS.get(text)
        if stem is None:
            stem = STEMS[text] = _safe_stem(text, limit)
            NEW_STEMS.append((text, stem))
        return stem
    return _safe_stem(text, limit)


#: The fields of a report a deferred body makes when first read (see ``Report.__getattr__``).
_DEFERRED_FIELDS = frozenset({"sections", "body_trail", "language", "title_metrics", "facts"})
#: The fields a ``transformed_copy`` takes over as they are (``before`` is copied).
_HEADER_FIELDS = tuple(
    f.name for f in fields(Report) if not f.name.startswith("_") and f.name not in _DEFERRED_FIELDS | {"before"}
)


def _safe_stem(text: str, limit: int) -> str:
    words = _NON_SLUG.sub("-", _romanise(text).lower()).strip("-")
    if len(words) > limit:
        words = words[:limit]
        if "-" in words:
            words = words.rsplit("-", 1)[0]
    return words.strip("-")


def _readable(cls: type, *methods: str) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if not f.name.startswith("_")) | {"to_json", *methods}


#: What a template may read of each node: its public fields and the methods and
#: properties that only read.  The template sandbox (``publisher.sandbox``) refuses
#: every other attribute (``defer``, ``remember_takeaway``, ``clone``, ``from_json`` …).
TEMPLATE_API: dict[type, frozenset[str]] = {
    Pos: _readable(Pos),
    Citation: _readable(Citation, "pos"),
    Metric: _readable(Metric, "is_range"),
    Block: _readable(Block, "pos", "refs", "marked_text"),
    Section: _readable(Section, "walk"),
    Report: _readable(
        Report, "takeaway_text", "walk", "blocks", "timestamp", "slug", "metrics", "section_path", "key_takeaway"
    ),
    Skipped: _readable(Skipped),
    Company: _readable(Company),
    Rating: _readable(Rating),
    TargetPrice: _readable(TargetPrice),
    Valuation: _readable(Valuation),
    Forecast: _readable(Forecast),
    Facts: _readable(
        Facts,
        "company",
        "rating",
        "industry_rating",
        "target_price",
        "tickers",
        "conflicts",
        "for_company",
        "headline",
    ),
    Digest: _readable(Digest, "date_range", "name"),
}


#: Slugs already computed, by (title, id): pinyin is the costly part of a
#: file name, and the build engine keeps this table from one build to the next.
SLUGS: dict[tuple[str, str], str] = {}
#: Slugs computed (not found in ``SLUGS``) since the list was last emptied.
NEW_SLUGS: list[tuple[str, str, str]] = []


def make_slug(title: str, report_id: str) -> str:
    """``<pinyin-of-title>-<id prefix>``: ASCII, stable, unique per report id.

    The id suffix makes slugs collision-free (two reports with the same
    title differ in institution or time, hence in id); an empty or
    unprintable title gives ``report-<id>``.
    """
    key = (title, report_id)
    slug = SLUGS.get(key)
    if slug is None:
        stem = safe_stem(title) or "report"
        suffix = report_id.replace("-", "")[:8] if report_id else ""
        if report_id and "-" in report_id:
            suffix += "-" + report_id.rsplit("-", 1)[1]
        slug = SLUGS[key] = f"{stem}-{suffix}" if suffix else stem
        NEW_SLUGS.append((title, report_id, slug))
    return slug
