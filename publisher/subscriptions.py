"""Subscriptions: who gets which reports, in which audience, language and formats.

A recipients file (TOML) lists, for each recipient, an ``id`` and a display
``name``, the ``audience`` whose templates render the briefing, the ``locale``
and ``formats`` (the audience's when not given), how it is delivered (the
folder ``OUT/recipients/<id>/`` always; ``email`` for ``publisher deliver``)
and its filters::

    [[recipient]]
    id = "wang"
    name = "王总"
    audience = "executive"
    email = "wang@example.com"

    [[recipient.filter]]              # any number of filters: a report that passes one is in
    institutions = ["中金公司"]        # each kind lists alternatives (any one matches) …
    tickers = ["300616", "0700.HK"]   # … and every kind a filter names must match
    companies = ["尚品宅配"]
    keywords = ["并购重组"]             # in the title or the text, case aside
    roles = ["summary", "rating"]     # the sections the briefing shows (content.roles)

A recipient without filters gets every report.  Problems are reported with
the file, line and column of the entry (an unknown audience, a filter that
is not a list of texts, a duplicate id); a bad entry is left out and the
others are built.  :func:`select` gives a recipient's reports as digests of
their own whose fingerprint is that of the selected reports alone, so the
build of a recipient's folder is incremental: a new report that matches
nobody's filters renders nothing again.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .audiences import Audience, AudienceCatalog, AudienceError
from .diagnostics import Diagnostics
from .model import ROLES, Digest, Report
from .sinks.email import EmailError, check_address
from .vocabulary import digest_title

#: The folder, under the output folder, of the recipients' briefings.
RECIPIENTS_FOLDER = "recipients"
#: What a recipient id may be: it names a folder.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ENTRY = re.compile(r"^[ \t]*\[\[[ \t]*recipient[ \t]*\]\]", re.MULTILINE)
FILTER_KINDS = ("institutions", "tickers", "companies", "keywords", "roles")
RECIPIENT_KEYS = ("id", "name", "audience", "locale", "formats", "email", "filter")
#: A-share codes are matched with or without their exchange suffix (300616 = 300616.SZ).
_A_SHARE = re.compile(r"^(\d{6})(?:\.(?:SZ|SH|BJ))?$", re.IGNORECASE)


class RecipientsError(Exception):
    """The recipients file cannot be used at all (unreadable, not TOML, no recipients)."""


@dataclass
class Filter:
    """One filter: every kind it names must match (any of its values)."""

    institutions: frozenset[str] = frozenset()
    tickers: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()

    def matches(self, report: Report, index: ReportIndex) -> bool:
        if self.institutions and index.institution(report) not in self.institutions:
            return False
        if self.tickers and not (self.tickers & index.tickers(report)):
            return False
        if self.companies and not (self.companies & index.companies(report)):
            return False
        if self.keywords:
            text = index.text(report)
            if not any(word in text for word in self.keywords):
                return False
        return True


@dataclass
class Recipient:
    """One recipient of the recipients file."""

    id: str
    name: str
    audience: Audience
    formats: list[str]
    email: str = ""
    filters: list[Filter] = field(default_factory=list)
    file: str = ""
    line: int = 0

    def wants(self, report: Report, index: ReportIndex) -> bool:
        return not self.filters or any(f.matches(report, index) for f in self.filters)


def normal_ticker(ticker: str) -> str:
    """A ticker as filters compare it: upper case, an A-share code without its exchange suffix."""
    ticker = ticker.strip().upper()
    match = _A_SHARE.match(ticker)
    return match.group(1) if match else ticker


def _fold(text: str) -> str:
    return text.strip().casefold()


class ReportIndex:
    """What filters look at in a report, computed once per report for every recipient."""

    def __init__(self) -> None:
        self._text: dict[int, str] = {}
        self._tickers: dict[int, frozenset[str]] = {}
        self._companies: dict[int, frozenset[str]] = {}
        self._positions: dict[int, dict[tuple[str, str], list[int]]] = {}

    def positions(self, digest: Digest) -> dict[tuple[str, str], list[int]]:
        """Where each institution, ticker and company is in ``digest``: (kind, value) → report positions."""
        found = self._positions.get(id(digest))
        if found is None:
            found = self._positions[id(digest)] = {}
            for n, report in enumerate(digest.reports):
                keys = {("institutions", self.institution(report))}
                keys.update(("tickers", t) for t in self.tickers(report))
                keys.update(("companies", c) for c in self.companies(report))
                for key in keys:
                    found.setdefault(key, []).append(n)
        return found

    def candidates(self, digest: Digest, recipient: Recipient) -> Iterable[int]:
        """The positions of the reports of ``digest`` that may pass ``recipient``'s filters: those
        named by each filter's institutions, tickers or companies (every report when a filter names
        none of them), in order.  Each still has to pass :meth:`Recipient.wants`."""
        if not recipient.filters:
            return range(len(digest.reports))
        where = self.positions(digest)
        chosen: set[int] = set()
        for f in recipient.filters:
            kinds = [(k, getattr(f, k)) for k in ("tickers", "institutions", "companies") if getattr(f, k)]
            if not kinds:
                return range(len(digest.reports))
            kind, values = min(kinds, key=lambda item: len(item[1]))
            for value in values:
                chosen.update(where.get((kind, value), ()))
        return sorted(chosen)

    def institution(self, report: Report) -> str:
        return _fold(report.institution)

    def tickers(self, report: Report) -> frozenset[str]:
        key = id(report)
        found = self._tickers.get(key)
        if found is None:
            companies = report.facts.companies if report.facts else []
            found = self._tickers[key] = frozenset(normal_ticker(c.ticker) for c in companies if c.ticker)
        return found

    def companies(self, report: Report) -> frozenset[str]:
        key = id(report)
        found = self._companies.get(key)
        if found is None:
            companies = report.facts.companies if report.facts else []
            found = self._companies[key] = frozenset(_fold(c.name) for c in companies)
        return found

    def text(self, report: Report) -> str:
        key = id(report)
        found = self._text.get(key)
        if found is None:
            parts = [report.title]
            for _section, block in report.blocks():
                parts.append(block.text)
            parts.extend(s.heading for s in report.walk())
            found = self._text[key] = _fold("\n".join(parts))
        return found


# --- reading the file ---------------------------------------------------------------------------


def _entry_lines(text: str) -> list[int]:
    """The line of each ``[[recipient]]`` header, in order."""
    return [text.count("\n", 0, m.start()) + 1 for m in _ENTRY.finditer(text)]


def _key_line(lines: list[str], start: int, key: str) -> int:
    """The line (from 1) where ``key = …`` is set in the entry starting at line ``start``."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and _ENTRY.match(line):
            break
        if pattern.match(line):
            return number
    return start


class FilterError(ValueError):
    """A filter that cannot be used; ``key`` is the filter's key at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _texts(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FilterError(key, f"filter.{key} must be a list of non-empty texts, not {value!r}")
    return [v.strip() for v in value]


def _filter(data: Any) -> tuple[Filter, list[str]]:
    """A filter table: the filter and the sections it asks for (``roles``)."""
    if not isinstance(data, dict):
        raise FilterError("filter", "a filter must be a table ([[recipient.filter]]) of institutions, tickers …")
    unknown = sorted(set(data) - set(FILTER_KINDS))
    if unknown:
        raise FilterError(unknown[0], f"unknown filter {unknown[0]!r} (known: {', '.join(FILTER_KINDS)})")
    roles = _texts(data.get("roles", []), "roles")
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise FilterError("roles", f"filter.roles: unknown role {bad[0]!r} (known: {', '.join(ROLES)})")
    found = Filter(
        institutions=frozenset(_fold(v) for v in _texts(data.get("institutions", []), "institutions")),
        tickers=frozenset(normal_ticker(v) for v in _texts(data.get("tickers", []), "tickers")),
        companies=frozenset(_fold(v) for v in _texts(data.get("companies", []), "companies")),
        keywords=tuple(_fold(v) for v in _texts(data.get("keywords", []), "keywords")),
    )
    return found, roles


def load_recipients(
    path: str | Path,
    catalog: AudienceCatalog,
    diagnostics: Diagnostics,
    defines: Iterable[tuple[str, Any]] = (),
    formats: list[str] | None = None,
) -> list[Recipient]:
    """The recipients of ``path``; each bad entry is an error in ``diagnostics`` (file, line, column)
    and is left out.  ``defines`` (``-D``) apply to every recipient's audience, ``formats``
    (``--format``) replace every recipient's."""
    return load_recipients_file(path, catalog, diagnostics, defines, formats)[0]


def load_recipients_file(
    path: str | Path,
    catalog: AudienceCatalog,
    diagnostics: Diagnostics,
    defines: Iterable[tuple[str, Any]] = (),
    formats: list[str] | None = None,
) -> tuple[list[Recipient], dict[str, Any]]:
    """The recipients of ``path`` (as :func:`load_recipients`) and its ``[smtp]`` table (``{}`` when
    there is none), from one reading of the file."""
    from . import registry

    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipientsError(f"{file}: cannot read the recipients file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{match.group(1)}:{match.group(2)}" if match else "1:1"
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise RecipientsError(f"{file}:{where}: not a valid recipients file: {message}") from None
    entries = data.get("recipient")
    unknown = sorted(set(data) - {"recipient", "smtp"})
    if unknown:
        raise RecipientsError(
            f"{file}:1:1: unknown table {unknown[0]!r} (a recipients file has [[recipient]] and [smtp])"
        )
    if not isinstance(entries, list) or not entries:
        raise RecipientsError(f"{file}:1:1: no recipients: add [[recipient]] tables")
    lines = text.splitlines()
    starts = _entry_lines(text)
    recipients: list[Recipient] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries):
        start = starts[n] if n < len(starts) else 1

        def fail(key: str, message: str, start: int = start, n: int = n) -> None:
            line = _key_line(lines, start, key) if key else start
            diagnostics.error(f"recipient {n + 1}: {message}; this recipient is left out", file, line, 1)

        if not isinstance(entry, dict):
            fail("", "must be a table")
            continue
        extra = sorted(set(entry) - set(RECIPIENT_KEYS))
        if extra:
            fail(extra[0], f"unknown key {extra[0]!r} (known: {', '.join(RECIPIENT_KEYS)})")
            continue
        rid = entry.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            fail("id", f"id must be 1-64 letters, digits, '.', '_' or '-' (it names a folder), not {rid!r}")
            continue
        if rid.lower() in seen:
            fail("id", f"id {rid!r} is used twice (first on line {seen[rid.lower()]})")
            continue
        seen[rid.lower()] = _key_line(lines, start, "id")
        name = entry.get("name", rid)
        if not isinstance(name, str):
            fail("name", "name must be a text")
            continue
        email = entry.get("email", "")
        try:
            if email != "":
                check_address("email", email)  # the e-mail sink's own test: one home for what an address is
        except EmailError as exc:
            fail("email", f"email must be one address such as desk@example.com: {exc}")
            continue
        try:
            audience = catalog.load(entry.get("audience", "executive"))
        except (AudienceError, TypeError) as exc:
            fail("audience", str(exc))
            continue
        if audience.abstract:
            fail("audience", f"audience {audience.name!r} is abstract (only a base for others)")
            continue
        try:
            raw = entry.get("filter", [])
            filters_and_roles = [_filter(f) for f in (raw if isinstance(raw, list) else [raw])]
        except FilterError as exc:
            fail(exc.key, str(exc))
            continue
        for key, value in defines:
            audience.override(key, value)
        locale = entry.get("locale")
        if locale is not None:
            audience.override("locale", locale)
        roles = sorted({r for _, rs in filters_and_roles for r in rs}, key=ROLES.index)
        if roles:
            audience.override("content.roles", roles)
        try:
            audience.messages  # noqa: B018  (the locale is checked here)
        except AudienceError as exc:
            fail("locale", str(exc))
            continue
        wanted = formats or entry.get("formats", audience.formats)
        if not isinstance(wanted, list) or not wanted or not all(isinstance(f, str) for f in wanted):
            fail("formats", "formats must be a non-empty list of format names")
            continue
        bad = [f for f in wanted if not registry.has("writers", f)]
        if bad:
            fail("formats", f"unknown format {bad[0]!r} (known: {', '.join(registry.names('writers'))})")
            continue
        filters = [f for f, _ in filters_and_roles]
        recipients.append(Recipient(rid, name, audience, list(wanted), email, filters, file=file, line=start))
    smtp = data.get("smtp", {})
    return recipients, smtp if isinstance(smtp, dict) else {}


# --- choosing the reports --------------------------------------------------------------------------


def select(digests: list[Digest], recipient: Recipient, index: ReportIndex) -> list[Digest]:
    """The digests of ``recipient``: each input's reports that pass a filter (inputs with none left
    out).  A selected digest's fingerprint is its reports', so it changes only when they do."""
    from .build import report_fingerprint

    chosen: list[Digest] = []
    for digest in digests:
        reports = [
            digest.reports[n] for n in index.candidates(digest, recipient) if recipient.wants(digest.reports[n], index)
        ]
        if not reports:
            continue
        selected = replace(digest, reports=reports, skipped=[], source_hash="")
        if digest.title == digest_title(digest):  # a title made from the dates: made again from the chosen
            selected.title = digest_title(selected)
        h = hashlib.blake2b(f"{digest.source}\x1frecipient".encode("utf-8", "surrogatepass"), digest_size=16)
        for report in reports:
            h.update(report_fingerprint(report).encode("utf-8", "surrogatepass"))
        selected.source_hash = h.hexdigest()
        chosen.append(selected)
    return chosen


# --- building every recipient's folder ---------------------------------------------------------------


@dataclass
class RecipientsResult:
    """What a build of the recipients' folders did."""

    recipients: int = 0
    reports: int = 0  # reports selected, summed over the recipients
    written: list[Any] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    skipped_jobs: int = 0
    changed: int = 0


def build_recipients(
    recipients: list[Recipient],
    digests: list[Digest],
    out: Path,
    diagnostics: Diagnostics,
    build_time: datetime,
    problems: Diagnostics | None = None,
    **options: Any,
) -> RecipientsResult:
    """Render each recipient's briefing into ``out/recipients/<id>/`` (an incremental build per
    folder); ``options`` are the :class:`~publisher.build.Builder`'s (``jobs``, ``force`` …).

    ``diagnostics`` holds the inputs' problems (an input error keeps what the last build wrote,
    see the build engine) and gets the builds'; a recipient whose audience cannot render is
    reported in ``problems`` (by default ``diagnostics`` too) and the others are built."""
    from . import registry
    from .build import Builder

    problems = diagnostics if problems is None else problems
    result = RecipientsResult()
    ready: list[Recipient] = []
    for recipient in recipients:
        try:  # a recipient whose audience cannot render its formats is left out, before anything is built
            recipient.audience.messages  # noqa: B018
            for fmt in recipient.formats:
                registry.create("writers", fmt).check(recipient.audience)
        except AudienceError as exc:
            message = f"recipient {recipient.id!r}: {exc}; nothing was built for it"
            problems.error(message, recipient.file, recipient.line, 1)
            continue
        ready.append(recipient)
    if not ready:
        return result

    def choose(read: list[Digest]) -> tuple[list[Digest], dict[str, list[int]]]:
        """Every recipient's digests, one recipient after the other, and each one's share of them."""
        index = ReportIndex()
        chosen: list[Digest] = []
        subsets: dict[str, list[int]] = {}
        for recipient in ready:
            mine = select(read, recipient, index)
            subsets[recipient.id] = list(range(len(chosen), len(chosen) + len(mine)))
            chosen.extend(mine)
            result.reports += sum(len(d.reports) for d in mine)
        return chosen, subsets

    # One build for every recipient: their jobs share the pool (or the cluster), each folder keeps
    # its own manifest, and the lock and the body cache (the reports' facts, so that the filters
    # need not parse every body again) are those of out/recipients.
    builder = Builder(
        [r.audience for r in ready],
        {r.id: r.formats for r in ready},
        out / RECIPIENTS_FOLDER,
        diagnostics,
        build_time,
        names=[r.id for r in ready],
        folders={r.id: out / RECIPIENTS_FOLDER / r.id for r in ready},
        choose=choose,
        **options,
    )
    done = builder.run(digests)
    result.recipients = len(ready)
    result.written, result.removed = done.written, done.removed
    result.skipped_jobs, result.changed = done.skipped_jobs, done.changed
    return result
