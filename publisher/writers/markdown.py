"""Markdown writer: one wiki page per report, plus home, archive, institution and navigation pages.

``--format md`` renders each report to its own page (YAML front matter, an
H1 title, a metadata line, its sections as nested headings, bullets and
``[n]`` citations) through the audience's Jinja templates
(``report.md.j2``; ``home.md.j2``, ``archive.md.j2``, ``day.md.j2``,
``institutions.md.j2`` and ``sidebar.md.j2`` for the index pages), and
writes an MkDocs navigation file (``.nav.yml``) and MkDocs site settings
(``.mkdocs.yml``: the theme, a search that splits Chinese, the navigation)
next to them.

Input text never becomes Markdown markup: every value a template prints is
escaped by :func:`~publisher.writers.markdown_escape.escape` unless it is
already Markdown made by this module (:class:`~publisher.writers.markdown_escape.MdSafe`),
so a title such as ``[1][2] <script> &copy; **x**`` shows exactly as written
in CommonMark renderers (GitLab, Gitea, Azure DevOps, Wiki.js) and in
Python-Markdown (MkDocs).

Pages are pure functions of their input: a report's page depends only on
that report, its source file name and the audience (profile and templates);
the index pages depend only on the list of reports.  Nothing else (no clock,
no global state) goes into them, so the same input always gives the same
bytes and a build manifest can skip pages whose inputs did not change
(the index pages' keys: :mod:`publisher.writers.markdown_index`).
"""

from __future__ import annotations

import dataclasses
import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import jinja2

from ..audiences import Audience, AudienceError
from ..content import COUNT_BULLETS, ContentSettings
from ..model import BULLET, RAW, ROLE_BODY, Block, Digest, Report, Section, safe_stem
from ..sandbox import template_view
from ..textutil import clause_cut, not_a_device
from ..textutil import first_sentence as _first_sentence
from ..vocabulary import company_label, lead_role, rating_label, target_label
from .base import Output, RenderContext, Writer
from .markdown_escape import UNREPRESENTABLE, MdSafe, escape, md_filter, meta_text, sanitize, yaml_entry, yaml_quote
from .markdown_index import ALL_FIELDS, ALWAYS_SHOWN, IndexPage, entry_values, key_of, keys_by_path, template_reads

#: This writer's ``content.citations`` when the profile sets none: ``[1]`` as plain text,
#: which every wiki renderer shows and the Markdown reader reads back.
DEFAULT_CITATIONS = "inline"

_NO_URL = MdSafe("")


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` in a Markdown template is escaped unless it is :class:`MdSafe`."""
    return md_filter(value)


def md_translator(messages: Any) -> Any:
    """``_()`` of a Markdown template: the catalog's words are Markdown (a translation may hold a
    link, ``按[日期]({archive})``), the values filled into them are escaped like any other value."""

    def _(message: str, /, **values: Any) -> MdSafe:
        return MdSafe(messages(message, **{key: md_filter(value) for key, value in values.items()}))

    return _


# --- page views ------------------------------------------------------------------


def format_time(when: datetime) -> str:
    """``2025-02-16 16:06`` (seconds only when there are some; no fraction, no zone)."""
    text = when.isoformat(" ")  # YYYY-MM-DD HH:MM:SS, then any fraction and zone (cut off)
    return text[:19] if when.second else text[:16]


_URL_SAFE = re.compile(r"[A-Za-z0-9._/#-]*")


def url(path: str) -> MdSafe:
    """A link destination for a relative ``/``-separated path."""
    return MdSafe(path if _URL_SAFE.fullmatch(path) else quote(path, safe="/#"))


def relative(target: str, from_page: str) -> MdSafe:
    """The relative link from the page at ``from_page`` to ``target`` (both from the root)."""
    base = from_page.split("/")[:-1]
    parts = target.split("/")
    if any(p in ("", ".", "..") for p in base + parts):
        return url(posixpath.relpath(target, posixpath.dirname(from_page) or "."))
    k = 0
    while k < len(base) and k < len(parts) - 1 and base[k] == parts[k]:
        k += 1
    return url("/".join([".."] * (len(base) - k) + parts[k:]))


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@functools.lru_cache(maxsize=256)
def _pattern_parts(pattern: str, known: tuple[str, ...], setting: str) -> tuple[str, ...]:
    """A path setting cut at its ``{name}`` placeholders: literal, name, literal, …

    Split and checked once per pattern (paths are made for every report).
    """
    parts = tuple(_PLACEHOLDER.split(pattern))
    for name in parts[1::2]:
        if name not in known:
            names = ", ".join("{" + n + "}" for n in known)
            raise AudienceError(f"md.{setting} = {pattern!r}: unknown placeholder {{{name}}} (known: {names})")
    return parts


#: Placeholders of md.day, and of md.page (the date's and the report's own).
_DATE_NAMES = ("date", "year", "month", "day")
_PAGE_NAMES = (*_DATE_NAMES, "slug", "id", "institution")
_DATE_FORMATS = {"date": "%Y-%m-%d", "year": "%Y", "month": "%m", "day": "%d"}


@functools.lru_cache(maxsize=1 << 12)
def _date_text(day: date, name: str) -> str:
    """A date placeholder's value (pages of a day share it)."""
    return day.strftime(_DATE_FORMATS[name])


@dataclass(frozen=True, slots=True)
class Layout:
    """Where pages go; read from the audience's ``[md]`` table."""

    page: str = "reports/{date}/{slug}.md"
    day: str = "reports/{date}/index.md"
    home: str = "index.md"
    archive: str = "archive.md"
    institutions: str = "institutions.md"
    companies: str = "companies/index.md"
    sidebar: str = "_Sidebar.md"
    nav: str = ".nav.yml"
    site: str = ".mkdocs.yml"

    @classmethod
    def from_audience(cls, audience: Audience) -> Layout:
        settings = {}
        for name, field_ in cls.__dataclass_fields__.items():
            value = audience.get(f"md.{name}", field_.default)
            if not isinstance(value, str):
                raise AudienceError(f"md.{name} must be a string path, not {value!r}")
            settings[name] = value
        layout = cls(**settings)
        for name in ("page", "day", "home", "archive", "institutions"):
            if not getattr(layout, name):
                raise AudienceError(f"md.{name} must not be empty")
        return layout

    def report_path(self, report: Report, slug: Callable[[], str] | None = None) -> str:
        """The page of a report (``slug`` may supply ``report.slug`` from a cache)."""
        parts = list(_pattern_parts(self.page, _PAGE_NAMES, "page"))
        for k in range(1, len(parts), 2):  # a value is computed only when its placeholder is used
            name = parts[k]
            if name == "slug":
                parts[k] = slug() if slug else report.slug
            elif name == "id":
                parts[k] = report.id
            elif name == "institution":
                parts[k] = not_a_device(safe_stem(report.institution) or "unknown")
            else:
                parts[k] = _date_text(report.published_at.date(), name)
        return "".join(parts)

    def day_path(self, when: datetime) -> str:
        parts = list(_pattern_parts(self.day, _DATE_NAMES, "day"))
        for k in range(1, len(parts), 2):
            parts[k] = _date_text(when.date(), parts[k])
        return "".join(parts)


#: The index pages and the build's index keys both want the first sentence of every takeaway.
first_sentence = functools.lru_cache(maxsize=1 << 16)(_first_sentence)
#: Widest takeaway a day page's table shows (columns, CJK count two): a phone still reads the row.
TAKEAWAY_WIDTH = 60


def takeaway_line(text: str) -> str:
    """A takeaway as an index table shows it: its first sentence, cut at a clause boundary."""
    return clause_cut(first_sentence(text), TAKEAWAY_WIDTH)


@template_view
@dataclass(slots=True)
class BlockView:
    """A block ready for a template: ``markdown`` is the complete Markdown of it."""

    block: Block
    markdown: MdSafe
    blank_before: bool

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def text(self) -> str:
        return self.block.text

    @property
    def refs(self) -> list[int]:
        return self.block.refs


@template_view
@dataclass(slots=True)
class SectionView:
    """A section ready for a template (sections come flat, in document order).

    ``markdown`` is the whole section as the default template prints it: a
    blank line and the heading line, then the blocks (bullets of one list
    together, a blank line before anything else).
    """

    heading: str
    depth: int
    level: int
    role: str
    hashes: MdSafe
    heading_line: MdSafe
    blocks: list[BlockView] = field(default_factory=list)
    markdown: MdSafe = _NO_URL


class _Citations:
    """How ``[n]`` markers are written (``content.citations``, checked by :class:`ContentSettings`)."""

    def __init__(self, style: str) -> None:
        self.style = style

    def marker(self, ref: int) -> str:
        if self.style == "none":
            return ""
        if self.style == "inline":
            return f"[{ref}]"
        return f"<sup>[{ref}]</sup>"  # superscript; footnote pages have no notes to point to


def block_markdown(block: Block, citations: _Citations) -> str:
    """The inline Markdown of a block: escaped text with its citation markers."""
    if not block.citations or citations.style == "none":
        return escape(block.text)
    text = block.text
    end = len(text)
    if text and all(c.offset == end and (not c.sep or c.sep == " ") for c in block.citations):
        # the usual shape: the text, then its citation group
        return escape(text, end=False) + "".join(c.sep + citations.marker(c.ref) for c in block.citations)
    parts: list[str] = []
    last = 0
    for c in block.citations:
        piece = text[last : c.offset]
        if piece:
            parts.append(escape(piece, start=not parts, end=False))
        if c.sep:
            if parts and c.sep.strip(" ") == "":
                parts.append(c.sep)  # plain spaces between text and a marker need no escaping
            else:
                parts.append(escape(c.sep, start=not parts, end=False))
        parts.append(citations.marker(c.ref))
        last = c.offset
    tail = text[last:]
    if tail:
        parts.append(escape(tail, start=not parts, end=True))
    return "".join(parts)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def _block(block: Block, citations: _Citations) -> MdSafe:
    """The complete Markdown of one block (a list item, a paragraph or a fenced raw block)."""
    kind = block.kind
    if kind == BULLET:
        inline = block_markdown(block, citations)
        return MdSafe("- " + inline if inline else "-")
    if kind == RAW:
        fmt = "" if citations.style == "none" else "{sep}[{ref}]"
        return MdSafe(_fence(sanitize(block.marked_text(fmt))[0]))
    return MdSafe(block_markdown(block, citations))


def _render_sections(
    chosen: list[tuple[Section, int, list[Block]]], citations: _Citations, views: list[SectionView] | None = None
) -> MdSafe:
    """All sections as Markdown; with ``views``, also the section views for templates."""
    out: list[str] = []
    first = True
    for section, depth, blocks in chosen:
        hashes = "#" * min(6, depth + 1)
        if section.heading:
            heading_line = f"{hashes} {escape(section.heading)}"
        elif first and blocks and not section.children:
            heading_line = ""  # blocks before any heading: no heading line at all
        else:
            heading_line = hashes  # an empty heading keeps the untitled section apart
        first = False
        mark = len(out)
        if heading_line:
            out.append(f"\n{heading_line}\n")
        previous = ""
        block_views: list[BlockView] = []
        for block in blocks:
            markdown = _block(block, citations)
            blank = not (previous == BULLET and block.kind == BULLET)
            out.append(f"\n{markdown}\n" if blank else f"{markdown}\n")
            previous = block.kind
            if views is not None:
                block_views.append(BlockView(block, markdown, blank))
        if views is not None:
            views.append(
                SectionView(
                    section.heading,
                    depth,
                    section.level,
                    section.role,
                    MdSafe(hashes),
                    MdSafe(heading_line),
                    block_views,
                    MdSafe("".join(out[mark:])),
                )
            )
    return MdSafe("".join(out))


@template_view
class Sections:
    """The section views of a page, made only when a template loops over them."""

    def __init__(self, chosen: list[tuple[Section, int, list[Block]]], citations: _Citations) -> None:
        self._chosen, self._citations = chosen, citations
        self._views: list[SectionView] | None = None

    def _list(self) -> list[SectionView]:
        if self._views is None:
            self._views = []
            _render_sections(self._chosen, self._citations, self._views)
        return self._views

    def __iter__(self) -> Iterator[SectionView]:
        return iter(self._list())

    def __len__(self) -> int:
        return len(self._chosen)

    def __getitem__(self, index: int) -> SectionView:
        return self._list()[index]


# --- rendering -------------------------------------------------------------------


def source_name(digest: Digest) -> str:
    """The file name of a digest's source, without its folder (pages never show local paths)."""
    return re.split(r"[\\/]", digest.source)[-1] if digest.source else ""


@template_view
@dataclass(slots=True)
class Entry:
    """A report as the index pages list it; ``url`` is relative to the page being rendered."""

    id: str
    title: str
    institution: str
    published_at: datetime
    published: str
    date: str
    time: str
    path: str
    takeaway: str
    #: The report's first company (``尚品宅配(300616)``), its rating (``买入(维持)``) and target price (``18.2元``).
    company: str = ""
    rating: str = ""
    target: str = ""
    url: MdSafe = _NO_URL

    def __str__(self) -> str:  # printed whole in a template: the title (index keys always cover it)
        return self.title

    __repr__ = __str__

    def at(self, page: str) -> Entry:
        """This entry with its link relative to ``page``."""
        return Entry(
            self.id,
            self.title,
            self.institution,
            self.published_at,
            self.published,
            self.date,
            self.time,
            self.path,
            self.takeaway,
            self.company,
            self.rating,
            self.target,
            relative(self.path, page),
        )


@template_view
@dataclass(slots=True)
class Day:
    """One day of the archive: its page and its reports (latest first)."""

    date: str
    month: str
    path: str
    entries: list[Entry]
    url: MdSafe = _NO_URL

    def __str__(self) -> str:  # printed whole in a template: the date
        return self.date

    __repr__ = __str__


class PageRenderer:
    """Renders pages for one audience; holds nothing but the audience's settings and templates."""

    def __init__(
        self, audience: Audience, diagnostics: Any | None = None, slugs: dict[tuple[str, str], str] | None = None
    ) -> None:
        self.audience = audience
        self.slugs = {} if slugs is None else slugs  # report.slug (pinyin) is the costly part of a path
        self._roles: dict[str, str] = {}
        self._entry_fields: dict[str, frozenset[str]] = {}
        self.diagnostics = diagnostics
        self.layout = Layout.from_audience(audience)
        self.content = ContentSettings.from_audience(audience, citations=DEFAULT_CITATIONS)
        self.citations = _Citations(self.content.citations)
        tags = audience.get("md.tags", audience.get("metadata.keywords", []))
        if not isinstance(tags, list):
            raise AudienceError("md.tags must be a list of strings")
        self.tags = [str(t) for t in tags]
        self.home_latest = self._count("md.home_latest", 50)
        self.sidebar_days = self._count("md.sidebar_days", 14)
        env = audience.env.overlay(finalize=_finalize, cache_size=64)
        env.filters = dict(env.filters)
        env.filters.update(md=md_filter, yaml=lambda v: MdSafe(yaml_quote(str(v))), md_raw=lambda v: MdSafe(str(v)))
        env.globals = {**env.globals, "_": md_translator(audience.messages)}
        self.env = env

    def entry_fields(self, template: str | None) -> frozenset[str]:
        """The fields of index entries ``template`` can show (``None``: the navigation file)."""
        if template is None:
            return ALWAYS_SHOWN
        fields = self._entry_fields.get(template)
        if fields is None:
            try:
                reads = template_reads(self.env, template)
            except jinja2.TemplateError:
                reads = None  # rendering will say what is wrong
            fields = self._entry_fields[template] = ALL_FIELDS if reads is None else ALWAYS_SHOWN | (ALL_FIELDS & reads)
        return fields

    def _count(self, key: str, default: int) -> int:
        value = self.audience.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise AudienceError(f"{key} must be a whole number (0 = all)")
        return value

    def render(self, name: str, **context: Any) -> str:
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            where = ", ".join(str(p) for p in self.audience.search_path)
            raise AudienceError(
                f"audience {self.audience.name!r} has no template {name!r} (searched {where})"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise AudienceError(f"{exc.filename or name}:{exc.lineno}:1: template error: {exc.message}") from None
        try:
            return template.render(**context)
        except jinja2.TemplateError as exc:
            raise AudienceError(f"template {name!r} of audience {self.audience.name!r}: {exc}") from exc

    # per-report pages: a function of the report, its source name and the audience only

    def front_matter(self, report: Report, source: str) -> MdSafe:
        tags = list(dict.fromkeys([report.institution, *self.tags]))
        lines = [
            "---",
            f"id: {yaml_quote(report.id)}",
            f"title: {yaml_quote(meta_text(report.title))}",
            f"institution: {yaml_quote(meta_text(report.institution))}",
            f"published: {yaml_quote(format_time(report.published_at))}",
            f"language: {yaml_quote(report.language)}",
            "tags: [" + ", ".join(yaml_quote(meta_text(t)) for t in tags if t) + "]",
        ]
        if source:  # a list, as MkDocs' themes expect of `source`
            lines.append(f"source: [{yaml_quote(meta_text(source))}]")
        facts = report.facts
        if facts:
            if facts.companies:
                lines.append("companies: [" + ", ".join(yaml_quote(meta_text(c.name)) for c in facts.companies) + "]")
            if facts.tickers:
                lines.append("tickers: [" + ", ".join(yaml_quote(meta_text(t)) for t in facts.tickers) + "]")
            main = facts.company
            rating, target = facts.for_company(main.name) if main else (facts.industry_rating, None)
            if rating is not None:
                lines.append(f"rating: {yaml_quote(meta_text(rating.grade))}")
                lines.append(f"rating_scale: {yaml_quote(rating.scale)}")
                if rating.action:
                    lines.append(f"rating_action: {yaml_quote(rating.action)}")
                if rating.industry:
                    lines.append("rating_of: industry")
            if target is not None and (target.value or target.high):
                lines.append(f"target_price: {target.value or target.high}")
                if target.currency:
                    lines.append(f"currency: {yaml_quote(target.currency)}")
        sections = list(report.walk())
        if any(s.role != self.implied_role(s.heading) for s in sections):
            lines.append("roles: [" + ", ".join(yaml_quote(s.role) for s in sections) + "]")
        lines.append("---")
        return MdSafe("\n".join(lines))

    def implied_role(self, heading: str) -> str:
        """The role a heading gives its section when read back (as the readers infer it)."""
        role = self._roles.get(heading)
        if role is None:
            role = self._roles[heading] = lead_role(heading) or ROLE_BODY
        return role

    def path_of(self, report: Report) -> str:
        """The page of ``report``."""

        def slug() -> str:
            key = (report.title, report.id)
            found = self.slugs.get(key)
            if found is None:
                found = self.slugs[key] = report.slug
            return found

        return self.layout.report_path(report, slug)

    def report_page(self, report: Report, source: str = "") -> Output:
        path = self.path_of(report)
        chosen = self.content.select(report, COUNT_BULLETS)  # max_bullets counts bullets only
        self._check(report, source, chosen)
        body = _render_sections(chosen, self.citations)
        stamp = format_time(report.published_at)
        page = {
            "path": path,
            "front_matter": self.front_matter(report, source),
            "published": stamp,
            "date": stamp[:10],
            "time": stamp[11:16],
            "day_url": relative(self.layout.day_path(report.published_at), path),
            "home_url": relative(self.layout.home, path),
            "source": source,
            "sections": Sections(chosen, self.citations),
            "body": body,
        }
        # the default template prints only top-level names: no attribute look-ups in the sandbox
        text = self.render(
            "report.md.j2",
            report=report,
            page=page,
            front_matter=page["front_matter"],
            title=escape(report.title),
            institution=escape(report.institution),
            published=stamp,
            day_url=page["day_url"],
            body=body,
        )
        return Output(path, text.encode("utf-8"))

    def _check(self, report: Report, source: str, chosen: list[tuple[Section, int, list[Block]]]) -> None:
        if self.diagnostics is None:
            return
        texts = [report.title, report.institution]
        texts.extend(s.heading for s, _, _ in chosen)
        texts.extend(b.text for _, _, blocks in chosen for b in blocks)
        joined = "\n".join(texts)
        replaced = sanitize(joined)[1] if UNREPRESENTABLE.search(joined) else 0
        if replaced:
            self.diagnostics.warning(
                f"md: {replaced} control character{'s' * (replaced != 1)} Markdown cannot carry replaced by U+FFFD",
                source,
                report.pos.line,
                report.pos.column,
            )
        if any(depth > 5 for _, depth, _ in chosen):
            self.diagnostics.warning(
                "md: sections nested deeper than 5 levels are written as level-6 headings",
                source,
                report.pos.line,
                report.pos.column,
            )

    # index pages: a function of the list of reports only

    def entry(self, report: Report) -> Entry:
        stamp = format_time(report.published_at)
        facts = report.facts
        company = rating = target = ""
        if facts:
            first, r, t = facts.headline()
            company, rating, target = company_label(first), rating_label(r), target_label(t)
        return Entry(
            report.id,
            report.title,
            report.institution,
            report.published_at,
            stamp,
            stamp[:10],
            stamp[11:16],
            self.path_of(report),
            takeaway_line(report.takeaway_text()),  # known without parsing the body when a build remembers it
            company,
            rating,
            target,
        )

    def entries(self, reports: Iterable[Report]) -> list[Entry]:
        """Index entries, latest first, one per page path (the first report wins)."""
        seen: dict[str, Entry] = {}
        for report in reports:
            e = self.entry(report)
            other = seen.get(e.path)
            if other is None:
                seen[e.path] = e
            elif other.id != e.id and self.diagnostics is not None:
                self.diagnostics.warning(f"md: reports {other.id} and {e.id} both map to {e.path}; kept the first", "")
        ordered = sorted(seen.values(), key=lambda e: (e.institution, e.title, e.id))
        ordered.sort(key=lambda e: e.published_at, reverse=True)  # stable: ties keep the order above
        return ordered

    def index_pages(self, reports: Iterable[Report]) -> list[Output]:
        """Every index page."""
        return [page.render() for page in self.index_plan(reports)]

    def index_plan(self, reports: Iterable[Report]) -> list[IndexPage]:
        """The index pages, each with a key of all its template can reach, not yet rendered.

        A page's key covers every value of its context (entries with all
        their fields, days with their entries, the page's own path, which
        the relative links depend on): the same key, the same page.
        """
        reports = list(reports)
        entries = self.entries(reports)
        layout = self.layout
        kept = {e.path: e for e in entries}
        by_company: dict[str, list[Entry]] = {}  # every company of a report, each with its own rating and target
        for report in reports:
            facts = report.facts
            e = kept.get(self.path_of(report))
            if facts and facts.companies and e is not None and e.id == report.id:
                for company in facts.companies:
                    rating, target = facts.for_company(company.name)
                    label = company_label(company)
                    by_company.setdefault(label, []).append(
                        dataclasses.replace(e, company=label, rating=rating_label(rating), target=target_label(target))
                    )
        days: dict[str, Day] = {}
        for e in entries:
            day = days.get(e.date)
            if day is None:
                path = layout.day_path(e.published_at)
                day = days[e.date] = Day(e.date, e.date[:7], path, [])
            day.entries.append(e)
        months: dict[str, list[Day]] = {}
        for day in days.values():
            months.setdefault(day.month, []).append(day)
        by_institution: dict[str, list[Entry]] = {}
        for e in entries:
            by_institution.setdefault(e.institution, []).append(e)
        institutions = sorted(by_institution, key=lambda name: (safe_stem(name), name))
        companies = sorted(by_company, key=lambda name: (safe_stem(name), name))
        for rows in by_company.values():  # latest first, as on every index page
            rows.sort(key=lambda e: (e.institution, e.title, e.id))
            rows.sort(key=lambda e: e.published_at, reverse=True)

        def days_at(page: str, some: Iterable[Day]) -> list[Day]:
            return [Day(d.date, d.month, d.path, d.entries, relative(d.path, page)) for d in some]

        def links(page: str) -> dict[str, MdSafe]:
            return {
                "home": relative(layout.home, page),
                "archive": relative(layout.archive, page),
                "institutions": relative(layout.institutions, page),
                "companies": relative(layout.companies, page) if layout.companies else MdSafe(""),
            }

        common = {"total": len(entries)}  # and the home page: "latest"
        common_key = str(len(entries))
        pages: list[IndexPage] = []
        views: dict[frozenset[str], tuple[dict[str, str], dict[str, str], str]] = {}
        paths = [e.path for e in entries]
        values = list(map(entry_values, entries))
        day_paths = {d.date: [e.path for e in d.entries] for d in days.values()}

        def keys(template: str | None) -> tuple[dict[str, str], dict[str, str], str]:
            """Keys of the entries and days as ``template`` can see them, and of all days."""
            fields = self.entry_fields(template)
            if fields not in views:
                entry_keys = keys_by_path(paths, values, fields)
                day_keys = {
                    d.date: key_of(d.date, d.month, d.path, *map(entry_keys.__getitem__, day_paths[d.date]))
                    for d in days.values()
                }
                views[fields] = entry_keys, day_keys, key_of(*day_keys.values())
            return views[fields]

        def emit(path: str, template: str, key: str, context: Callable[[], dict[str, Any]]) -> None:
            def render() -> Output:
                text = self.render(template, links=links(path), **common, **context())
                return Output(path, text.encode("utf-8"))

            pages.append(IndexPage(path, key_of(path, template, common_key, key), render))

        latest = entries[: self.home_latest] if self.home_latest else entries
        entry_keys, _, all_days = keys("home.md.j2")
        emit(
            layout.home,
            "home.md.j2",
            key_of(all_days, *(entry_keys[e.path] for e in latest)),
            lambda: {
                "reports": [e.at(layout.home) for e in latest],
                "days": days_at(layout.home, days.values()),
                "latest": entries[0] if entries else None,
            },
        )
        emit(
            layout.archive,
            "archive.md.j2",
            key_of(keys("archive.md.j2")[2], *months),
            lambda: {"months": [(month, days_at(layout.archive, ds)) for month, ds in months.items()]},
        )
        entry_keys = keys("institutions.md.j2")[0]
        emit(
            layout.institutions,
            "institutions.md.j2",
            key_of(*(f"{name}\x1e{entry_keys[e.path]}" for name in institutions for e in by_institution[name])),
            lambda: {
                "institutions": [
                    (name, [e.at(layout.institutions) for e in by_institution[name]]) for name in institutions
                ]
            },
        )
        if layout.companies:
            entry_keys = keys("companies.md.j2")[0]
            emit(
                layout.companies,
                "companies.md.j2",
                key_of(
                    *(
                        f"{name}\x1e{entry_keys[e.path]}\x1e{e.rating}\x1e{e.target}"
                        for name in companies
                        for e in by_company[name]
                    )
                ),
                lambda: {
                    "companies": [(name, [e.at(layout.companies) for e in by_company[name]]) for name in companies]
                },
            )
        day_keys = keys("day.md.j2")[1]
        for day in days.values():
            emit(
                day.path,
                "day.md.j2",
                day_keys[day.date],
                lambda day=day: {"day": day, "reports": [e.at(day.path) for e in day.entries]},  # type: ignore[misc]
            )
        if layout.sidebar:
            recent = list(days.values())[: self.sidebar_days] if self.sidebar_days else list(days.values())
            day_keys = keys("sidebar.md.j2")[1]
            emit(
                layout.sidebar,
                "sidebar.md.j2",
                key_of(*(day_keys[d.date] for d in recent)),
                lambda: {"days": days_at(layout.sidebar, recent)},
            )
        if layout.nav:
            nav = layout.nav
            pages.append(
                IndexPage(
                    nav,
                    key_of(nav, keys(None)[2]),  # mkdocs_nav shows days, titles and paths
                    lambda: Output(nav, self.mkdocs_nav(days.values()).encode("utf-8")),
                )
            )
        if layout.site:
            site = layout.site
            text = self.mkdocs_site()
            pages.append(IndexPage(site, key_of(site, text), lambda: Output(site, text.encode("utf-8"))))
        return pages

    def mkdocs_site(self) -> str:
        """MkDocs settings for these pages (``INHERIT: <docs>/.mkdocs.yml`` in mkdocs.yml): Material for
        MkDocs in the audience's language, its search segmenting Chinese with jieba at build time
        (words split by zero-width spaces, which the separator must include), the navigation, and
        the sidebar page, a page for other wikis, left out."""
        layout = self.layout
        theme = self.audience.get("md.mkdocs_theme", "material")
        if not isinstance(theme, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", theme):
            raise AudienceError(f"md.mkdocs_theme must be an MkDocs theme name, not {theme!r}")
        language = "zh" if self.audience.locale.lower().startswith("zh") else "en"
        here = posixpath.dirname(layout.site)
        lines = [
            "# Generated by publisher: MkDocs settings for these pages. In your mkdocs.yml, next to this folder:",
            "#   docs_dir: <this folder>",
            f"#   INHERIT: <this folder>/{layout.site}",
            '# Chinese search needs Material for MkDocs and jieba: pip install "publisher[wiki]".',
        ]
        if layout.nav:
            lines.append(f"INHERIT: {yaml_quote(posixpath.relpath(layout.nav, here or '.'))}")
        lines += [
            "theme:",
            f"  name: {theme}",
            f"  language: {language}",
            "plugins:",
            "  - search:",
            f"      lang: {language}",
            "      separator: '[\\s\\u200b\\-]+'",
            "markdown_extensions:",
            "  - tables",
            "  - toc:",
            "      permalink: true",
            "exclude_docs: |",
            "  .*",
            "  /templates/",
        ]
        if layout.sidebar:
            lines.append(f"  /{layout.sidebar}")
        return "\n".join(lines) + "\n"

    def mkdocs_nav(self, days: Iterable[Day]) -> str:
        """``nav:`` for MkDocs (``INHERIT: <docs>/.nav.yml`` in mkdocs.yml): indexes, then days, latest first."""
        labels = self.audience.get("md.nav_labels", {})
        if not isinstance(labels, dict):
            raise AudienceError("md.nav_labels must be a table")

        def label(key: str, default: str) -> str:
            return meta_text(str(labels.get(key, self.audience.messages(default))))

        layout = self.layout
        lines = [
            "# Generated by publisher: the MkDocs navigation of these pages (use with INHERIT).",
            "nav:",
            yaml_entry("  ", label("home", "Home"), layout.home),
            yaml_entry("  ", label("archive", "By date"), layout.archive),
            yaml_entry("  ", label("institutions", "By institution"), layout.institutions),
        ]
        if layout.companies:
            lines.append(yaml_entry("  ", label("companies", "By company"), layout.companies))
        days = list(days)
        if days:
            lines.append(yaml_entry("  ", label("reports", "Reports"), None))
            for day in days:
                lines.append(f"      - {yaml_quote(day.date)}:")
                lines.append(f"          - {yaml_quote(day.path)}")
                for e in day.entries:
                    lines.append(yaml_entry("          ", meta_text(e.title), e.path))
        return "\n".join(lines) + "\n"


class MarkdownWriter(Writer):
    """``--format md``: wiki pages in Markdown."""

    name = "md"
    extension = ".md"
    description = "Wiki pages in Markdown: one per report, with home, archive, institution and navigation pages"
    unit = "report"
    enriched = False  # shows the model as read (facts included); needs no transform

    def __init__(self) -> None:
        self.slugs: dict[tuple[str, str], str] = {}  # shared by write() and write_collection() of a build
        self._renderers: dict[int, PageRenderer] = {}

    def renderer(self, ctx: RenderContext) -> PageRenderer:
        """The page renderer of ``ctx``'s audience, made once per audience."""
        renderer = self._renderers.get(id(ctx.audience))
        if renderer is None or renderer.audience is not ctx.audience:
            renderer = self._renderers[id(ctx.audience)] = PageRenderer(ctx.audience, ctx.diagnostics, self.slugs)
        renderer.diagnostics = ctx.diagnostics
        return renderer

    def check(self, audience: Audience) -> None:
        renderer = PageRenderer(audience)
        layout = renderer.layout
        needed = ["report.md.j2", "day.md.j2", "home.md.j2", "archive.md.j2", "institutions.md.j2"]
        needed += ["companies.md.j2"] * bool(layout.companies) + ["sidebar.md.j2"] * bool(layout.sidebar)
        for name in needed:  # a missing template stops the build before it writes anything
            if not audience.has_template(name):
                where = ", ".join(str(p) for p in audience.search_path)
                raise AudienceError(f"audience {audience.name!r} has no template {name!r} (searched {where})")

    def index_key(self, report: Report) -> str:
        """The fields of :class:`Entry` that come from the report, and its facts (the index pages show nothing else)."""
        sentence = first_sentence(report.takeaway_text())
        facts = report.facts  # remembered by the build with the body: known without parsing it
        shown = []
        if facts:
            for company in facts.companies:
                rating, target = facts.for_company(company.name)
                shown.append(f"{company_label(company)}\x1d{rating_label(rating)}\x1d{target_label(target)}")
            _, r, t = facts.headline()
            shown.append(f"{rating_label(r)}\x1d{target_label(t)}")
        parts = (report.id, report.title, report.institution, report.published_at.isoformat(), sentence, *shown)
        return "\x1f".join(parts)

    def write_report(self, report: Report, digest: Digest, ctx: RenderContext) -> list[Output]:
        """The page of one report (the build engine renders and skips reports one by one)."""
        return [self.renderer(ctx).report_page(report, source_name(digest))]

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        renderer = self.renderer(ctx)
        source = source_name(digest)
        outputs: list[Output] = []
        for report in digest.reports:
            try:
                outputs.append(renderer.report_page(report, source))
            except AudienceError:
                raise
            except Exception as exc:  # one report the writer fails on must not take the others down
                ctx.diagnostics.error(
                    f"md writer failed on this report: {type(exc).__name__}: {exc}",
                    digest.source,
                    report.pos.line,
                    report.pos.column,
                )
        return outputs

    def write_collection(self, digests: list[Digest], ctx: RenderContext) -> list[Output]:
        return self.renderer(ctx).index_pages(r for d in digests for r in d.reports)

    def write_collection_since(
        self, digests: list[Digest], ctx: RenderContext, previous: Mapping[str, str]
    ) -> tuple[list[Output], dict[str, str]]:
        pages = self.renderer(ctx).index_plan(r for d in digests for r in d.reports)
        outputs = [page.render() for page in pages if previous.get(page.path) != page.key]
        return outputs, {page.path: page.key for page in pages}
