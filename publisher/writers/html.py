"""Bilingual HTML: one self-contained page per digest, Chinese and English side by side.

``--format html`` (the ``global`` audience's format).  The page is rendered
by the audience's Jinja templates (``digest.html.j2`` and the stylesheet
``html-digest.css.j2``, autoescaped, in the sandbox) from a view of the
digest in which every text is a :class:`Text`: the Chinese original, its
English and the state of that translation.  Translations come from the
audience's translator chain (``[i18n]``: glossary, catalogs, machine
translators; see :mod:`publisher.i18n.translate`).

The page needs nothing but itself: CSS inline (allowed by a hash in a
Content-Security-Policy that forbids scripts and every external request),
no JavaScript, no web fonts; it opens from disk or as an e-mail.
Settings (``[html]``): ``template``, ``stylesheet``, ``show`` (``both`` |
``zh`` | ``en``: the view the page opens with), ``toc``, ``term_hints``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import marshal
import os
import shlex
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from markupsafe import Markup

from .. import __version__
from ..audiences import Audience, AudienceError
from ..content import COUNT_BLOCKS, ContentSettings
from ..diagnostics import Diagnostics
from ..i18n.catalog import MISSING
from ..i18n.glossary import Glossary
from ..i18n.segments import (
    HEADING,
    INSTITUTION,
    LABEL,
    TEXT,
    TITLE,
    Segment,
    SegmentTable,
    report_segments,
    translatable,
)
from ..i18n.translate import Chain, Resources, Settings, Translation, make_chain
from ..memory import collector_paused
from ..model import BULLET, Block, Digest, Report
from ..sandbox import template_view
from ..textutil import xml_safe
from ..vocabulary import company_label, rating_label, target_label
from .base import Output, RenderContext, Writer

VERBATIM = "verbatim"
#: This writer's ``content.citations`` when the profile sets none.
DEFAULT_CITATIONS = "superscript"
SHOW_MODES = ("both", "zh", "en")
#: Sections nested deeper are shown as siblings at this depth (the template renders
#: nesting by recursion: a JSON model may nest sections hundreds of levels deep).
MAX_NESTING = 12


#: The view the template gets (plain tuples and dicts: the sandbox checks every attribute
#: access, so the hot paths of the page use tuple unpacking and ``["key"]`` lookups):
#:
#: * a text: ``{"zh": original, "en": English or "", "state": state}``; ``state`` is
#:   ``reviewed``, ``glossary``, ``machine``, ``fuzzy``, ``missing`` (no English) or
#:   ``verbatim`` (no Chinese in it: shown once, as it is);
#: * a report: ``(slug, title, institution, time_iso, time_text, sections)``;
#: * a section: ``(tag, role, level, heading, groups, children)``, ``groups`` being
#:   ``(kind, blocks)`` with ``kind`` ``list`` (bullets) or ``para`` (a paragraph or raw text);
#: * a block: ``(kind, state, parts, en, cite)``: ``parts`` the Chinese as ``(text, hint,
#:   citation)`` pieces (``hint`` the English of a glossary term, ``citation`` a marker like
#:   ``[1]`` after ``text``), ``en`` the English, ``cite`` the markers to put after it.
TextView = dict[str, str]
Part = tuple[str, str, str]
BlockView = tuple[str, str, list[Part], str, str]


@template_view
@dataclass(slots=True)
class SkippedView:
    line: int
    message: str
    text: str


class _Texts:
    """Turns source texts into text views using the translations of a few reports.

    ``states`` counts the texts a page shows by the state of their English, each
    time it shows one (a heading on every report counts on every report).
    """

    def __init__(self, found: dict[tuple[str, str], Translation]) -> None:
        self.found = found
        self.states: Counter[str] = Counter()
        self.cache: dict[tuple[str, str], TextView] = {}

    def __call__(self, context: str, text: str) -> TextView:
        key = (context, text)
        view = self.cache.get(key)
        if view is None:
            shown = clean(text)
            if not translatable(shown):
                view = {"zh": shown, "en": shown, "state": VERBATIM}
            else:
                translation = self.found.get(key)
                if translation is None:
                    view = {"zh": shown, "en": "", "state": MISSING}
                else:
                    view = {"zh": shown, "en": clean(translation.text), "state": translation.state}
            self.cache[key] = view
        if view["state"] != VERBATIM:
            self.states[view["state"]] += 1
        return view


def clean(text: str) -> str:
    """Text without code points HTML forbids (controls, lone surrogates, non-characters)."""
    return xml_safe(text)[0]


def _cite(refs: list[int], style: str) -> str:
    if style == "none" or not refs:
        return ""
    return "".join(f"[{r}]" for r in refs)


class HtmlWriter(Writer):
    """``--format html``: a bilingual, self-contained page per digest."""

    name = "html"
    extension = ".html"
    description = "Bilingual Chinese/English page: side by side, self-contained, printable"
    unit = "digest"
    enriched = False  # shows the model as read (facts included); needs no transform

    def __init__(self) -> None:
        self._resources: tuple[int, Settings, Resources] | None = None

    def _setup(self, ctx: RenderContext) -> tuple[Settings, Resources]:
        key = id(ctx.audience)
        if self._resources is None or self._resources[0] != key:
            settings = Settings.from_audience(ctx.audience)
            self._resources = (key, settings, Resources(settings, ctx.diagnostics))
        return self._resources[1], self._resources[2]

    def check(self, audience: Audience) -> None:
        ContentSettings.from_audience(audience, citations=DEFAULT_CITATIONS)
        Settings.from_audience(audience)

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        with collector_paused():  # rendering 10,000 reports took twice as long with it
            return self._write(digest, ctx)

    def _write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        audience = ctx.audience
        settings, resources = self._setup(ctx)
        options = _options(audience)
        content = ContentSettings.from_audience(audience, citations=DEFAULT_CITATIONS)
        glossary = resources.glossary if options["term_hints"] else None
        translations = _Translations(digest, settings, resources, content)
        label_texts, stats = translations.census(ctx.diagnostics)
        # run in the input's folder, where the profile finds {dir}/{name}.en.po (the file name only:
        # the page is the same bytes wherever the input lies)
        source = os.path.basename(digest.source) or digest.name
        covered = coverage(stats, shlex.quote(source), shlex.quote(f"{digest.name}.en.po"))
        if covered["translated"] < options["min_coverage"]:
            ctx.diagnostics.warning(
                f"html: {covered['translated']:.0f}% of the page is in English, under html.min_coverage "
                f"({options['min_coverage']:g}%); fill the gaps: {covered['command']}",
                digest.source,
            )
        rng = digest.date_range
        messages = audience.messages
        css = audience.render(_template(audience, options["stylesheet"]))
        css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
        reports = ReportViews(translations, glossary)
        page = functools.partial(
            audience.render_to,
            _template(audience, options["template"]),
            digest=digest,
            title=clean(digest.title or digest.name),
            reports=reports,
            facts=FactsBySlug(reports),
            skipped=[SkippedView(s.pos.line, clean(s.message), clean("\n".join(s.lines))) for s in digest.skipped],
            labels=label_texts,
            stats=stats,
            coverage=covered,
            first=rng[0].strftime("%Y-%m-%d") if rng else "",
            last=rng[1].strftime("%Y-%m-%d") if rng else "",
            show=options["show"],
            toc=options["toc"],
            css=Markup(css),
            csp_style=f"'sha256-{css_hash}'",
            source_lang=settings.source,
            target_lang=settings.target,
            generated_iso=ctx.build_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            generated=f"{messages.time(ctx.build_time)} {messages.zone_label(ctx.build_time)}".strip(),
            version=__version__,
        )

        def stream(out: BinaryIO) -> None:  # written as it is rendered: a page of many reports is never held whole
            with collector_paused():
                page(out)

        return [Output(f"{digest.name}{self.extension}", stream=stream)]


#: Reports translated at a time: a page holds the texts and translations of this many, never the digest's.
CHUNK = 256


class _Translations:
    """A digest's translations, found a chunk of reports at a time and kept on disk until shown.

    :meth:`census` translates every chunk once (one translator chain for the
    page, so a translation server that fails is given up on once), counts what
    the page will show by state (the coverage line at the top of the page needs
    the whole count before the first report), and spills each chunk's
    translations to an unnamed temporary file; :meth:`chunks` reads them back,
    as often as a template loops over the reports.  Memory holds one chunk.
    Bodies parsed on the way are released after their chunk (``Report.release``):
    they are parsed again when shown.
    """

    def __init__(self, digest: Digest, settings: Settings, resources: Resources, content: ContentSettings) -> None:
        self.digest, self.settings, self.resources, self.content = digest, settings, resources, content
        self._spill = tempfile.TemporaryFile(prefix="publisher-html-")
        self._offsets: list[int] = []  # where each chunk's translations start in the spill

    def census(self, diagnostics: Diagnostics) -> tuple[dict[str, TextView], dict[str, int]]:
        """Translate the page: its labels' views and how many texts it shows in each state."""
        digest, content, settings = self.digest, self.content, self.settings
        states: Counter[str] = Counter()
        chain = make_chain(settings, self.resources, digest)
        try:
            labels = SegmentTable()
            for text in settings.labels.values():
                labels.add(Segment(LABEL, text))
            texts = _Texts(_translated(chain, labels))
            label_texts = {key: texts(LABEL, text) for key, text in settings.labels.items()}
            states.update(texts.states)
            flattened: list[Report] = []
            for chunk in _chunks(digest.reports):
                table = SegmentTable()
                for report in chunk:
                    for segment, _ in report_segments(report, "", content.roles, where=False):
                        table.add(segment)
                found = _translated(chain, table)
                self._offsets.append(self._spill.tell())
                marshal.dump([(*key, t.text, t.state, t.origin) for key, t in found.items()], self._spill)
                texts = _Texts(found)
                for report in chunk:
                    if _count(report, texts, content):
                        flattened.append(report)
                    report.release()  # parsed again when shown: memory holds one chunk of bodies
                states.update(texts.states)
        finally:
            chain.close()
        for report in flattened:
            diagnostics.warning(
                f"html: sections nested deeper than {MAX_NESTING} levels are shown at level {MAX_NESTING}",
                digest.source,
                report.pos.line,
                report.pos.column,
            )
        return label_texts, {state: states[state] for state in ("reviewed", "glossary", "machine", "fuzzy", MISSING)}

    def chunks(self) -> Iterator[tuple[list[Report], dict[tuple[str, str], Translation]]]:
        """Each chunk of reports with its translations, as :meth:`census` found them (each chunk read
        from its own offset: a template may loop over the reports inside a loop over them)."""
        spill = self._spill
        for chunk, offset in zip(_chunks(self.digest.reports), self._offsets, strict=True):
            spill.seek(offset)
            rows = marshal.load(spill)  # plain tuples of text: nothing in it runs
            yield chunk, {(c, text): Translation(en, state, origin) for c, text, en, state, origin in rows}


def _chunks(reports: list[Report]) -> Iterator[list[Report]]:
    for i in range(0, len(reports), CHUNK):
        yield reports[i : i + CHUNK]


def _translated(chain: Chain, table: SegmentTable) -> dict[tuple[str, str], Translation]:
    by_id = chain.translate(table)
    return {s.key: by_id[s.id] for s in table if s.id in by_id}


def _count(report: Report, texts: _Texts, content: ContentSettings) -> bool:
    """Count the texts a report shows (as :class:`ReportViews` and :func:`_section_views` make them);
    whether it nests too deep."""
    texts(TITLE, report.title)
    texts(INSTITUTION, report.institution)
    deep = False
    for section, depth, blocks in content.select(report, COUNT_BLOCKS):
        texts(HEADING, section.heading)
        for block in blocks:
            texts(TEXT, block.text)
        deep = deep or depth > MAX_NESTING
    return deep


@template_view
class ReportViews:
    """The page's reports (``reports``): each a ``(slug, title, institution, time_iso, time_text,
    sections)`` tuple, made a chunk at a time each time a template loops over them, so the page
    never holds more than a chunk of reports (``sections`` is made when looped over too)."""

    def __init__(self, translations: _Translations, glossary: Glossary | None) -> None:
        self._translations, self._glossary = translations, glossary
        self._count = len(translations.digest.reports)
        self._current: dict[str, Report] = {}

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple]:
        content = self._translations.content
        for chunk, found in self._translations.chunks():
            texts, hints = _Texts(found), _Hints(self._glossary)
            self._current = {report.slug: report for report in chunk}
            for report in chunk:
                yield (
                    report.slug,
                    texts(TITLE, report.title),
                    texts(INSTITUTION, report.institution),
                    report.published_at.strftime("%Y-%m-%dT%H:%M"),
                    report.published_at.strftime("%Y-%m-%d %H:%M"),
                    SectionViews(report, texts, hints, content),
                )
            for report in chunk:
                report.release()
        self._current = {}

    def _report(self, slug: str) -> Report | None:
        """The report of ``slug`` (looked up among the chunk being shown first; not for templates)."""
        found = self._current.get(slug)
        if found is None:
            found = next((r for r in self._translations.digest.reports if r.slug == slug), None)
        return found


@template_view
class SectionViews:
    """A report's sections as the page shows them: ``(tag, role, level, heading, groups, children)``
    tuples, made each time a template loops over them (see :func:`_section_views`)."""

    def __init__(self, report: Report, texts: _Texts, hints: _Hints, content: ContentSettings) -> None:
        self._args = (report, texts, hints, content)

    def __iter__(self) -> Iterator[tuple]:
        return iter(_section_views(*self._args))

    def __len__(self) -> int:
        return len(_section_views(*self._args))


def _section_views(report: Report, texts: _Texts, hints: _Hints, content: ContentSettings) -> list[tuple]:
    style = content.citations
    sections: list[tuple] = []
    # the children lists of the sections being filled, by depth (``[0]``: the report's).
    open_lists = [sections]
    # max_bullets counts every block (bullets and paragraphs) in document order
    for s, depth, blocks in content.select(report, COUNT_BLOCKS):
        groups: list[tuple[str, list[BlockView]]] = []
        for b in blocks:
            text = texts(TEXT, b.text)
            state = text["state"]
            parts = _parts(text["zh"], b, style, hints if state != VERBATIM else None)
            view = (b.kind, state, parts, text["en"], _cite(b.refs, style))
            kind = "list" if b.kind == BULLET else "para"
            if kind == "list" and groups and groups[-1][0] == "list":
                groups[-1][1].append(view)
            else:
                groups.append((kind, [view]))
        depth = min(depth, MAX_NESTING + 1)  # deeper: shown as a child of its ancestor at depth MAX_NESTING
        children: list[tuple] = []
        del open_lists[depth:]
        open_lists[depth - 1].append(
            (f"h{min(s.level + 2, 6)}", s.role, s.level, texts(HEADING, s.heading), groups, children)
        )
        open_lists.append(children)
    return sections


@template_view
class FactsBySlug:
    """Each report's company, rating and target price in both languages (``facts.get(slug)``:
    a dict of ``company``, ``rating_zh``, ``rating_en``, ``target_zh``, ``target_en``, or ``None``)."""

    def __init__(self, reports: ReportViews) -> None:
        self._reports = reports

    def get(self, slug: str) -> dict[str, str] | None:
        report = self._reports._report(slug)
        facts = report.facts if report is not None else None
        if not facts:
            return None
        company, rating, target = facts.headline()
        if company is None and rating is None and target is None:
            return None
        return {
            "company": company_label(company),
            "rating_zh": rating_label(rating, "zh"),
            "rating_en": rating_label(rating, "en"),
            "target_zh": target_label(target, "zh"),
            "target_en": target_label(target, "en"),
        }


class _Hints:
    """Glossary term hints per text, computed once per distinct text."""

    def __init__(self, glossary: Glossary | None) -> None:
        self.glossary = glossary
        self.cache: dict[str, list[tuple[int, int, str]]] = {}

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        if self.glossary is None:
            return []
        found = self.cache.get(text)
        if found is None:
            found = self.cache[text] = [(a, b, term.target) for a, b, term in self.glossary.hints(text)]
        return found


def _parts(text: str, block: Block, style: str, hints: _Hints | None) -> list[Part]:
    """The Chinese of a block in pieces: plain text, glossary terms (with English) and citations."""
    cuts: dict[int, list[int]] = {}
    if style != "none":
        for c in block.citations:
            cuts.setdefault(min(max(c.offset, 0), len(text)), []).append(c.ref)
    terms = hints(text) if hints is not None else []
    if not terms:
        if not cuts:
            return [(text, "", "")]
        if len(cuts) == 1 and len(text) in cuts:
            return [(text, "", _cite(cuts[len(text)], style))]
    offsets = sorted(cuts)
    parts: list[Part] = []
    pos, i = 0, 0
    for start, end, target in terms:
        if any(start < o < end for o in offsets):
            continue  # a citation inside a term: leave the term as plain text
        while i < len(offsets) and offsets[i] <= start:
            parts.append((text[pos : offsets[i]], "", _cite(cuts[offsets[i]], style)))
            pos, i = offsets[i], i + 1
        parts.append((text[pos:start], "", ""))
        parts.append((text[start:end], target, ""))
        pos = end
    while i < len(offsets):
        parts.append((text[pos : offsets[i]], "", _cite(cuts[offsets[i]], style)))
        pos, i = offsets[i], i + 1
    parts.append((text[pos:], "", ""))
    return [p for p in parts if p[0] or p[2]]


def _options(audience: Audience) -> dict[str, Any]:
    where = f"profile of audience {audience.name!r}"
    show = audience.get("html.show")
    if show is None:
        language = audience.language
        show = "both" if "-" in language else ("en" if language.startswith("en") else "zh" if language else "both")
    if show not in SHOW_MODES:
        raise AudienceError(f"{where}: html.show must be one of {', '.join(SHOW_MODES)}, not {show!r}")
    least = audience.get("html.min_coverage", 0)
    if isinstance(least, bool) or not isinstance(least, int | float) or not 0 <= least <= 100:
        from ..content import origin

        raise AudienceError(
            f"{origin(audience, 'html.min_coverage')}: html.min_coverage must be a percentage from 0 to 100, "
            f"not {least!r}"
        )
    return {
        "template": str(audience.get("html.template", "digest.html.j2")),
        "stylesheet": str(audience.get("html.stylesheet", "html-digest.css.j2")),
        "show": show,
        "toc": bool(audience.get("html.toc", True)),
        "term_hints": bool(audience.get("html.term_hints", True)),
        "min_coverage": float(least),
    }


def coverage(stats: dict[str, int], source: str, catalog: str) -> dict[str, Any]:
    """How much of a page is in English, in whole percentages that add up to 100, and the commands
    that fill the gaps (a catalog of the page's texts, then machine drafts to review)."""
    total = sum(stats.values())
    groups = {
        "reviewed": stats.get("reviewed", 0) + stats.get("glossary", 0),
        "machine": stats.get("machine", 0) + stats.get("fuzzy", 0),
        "missing": stats.get(MISSING, 0),
    }
    shares = {k: (100 * v / total if total else 0.0) for k, v in groups.items()}
    whole = {k: int(v) for k, v in shares.items()}
    for k in sorted(shares, key=lambda k: whole[k] - shares[k])[: (100 - sum(whole.values())) if total else 0]:
        whole[k] += 1  # largest remainders: the three add up to 100
    return {
        **whole,
        "translated": 100 * (groups["reviewed"] + groups["machine"]) / total if total else 100.0,
        "segments": total,
        "command": f"publisher i18n extract {source} -o {catalog} && publisher i18n translate {catalog}",
    }


def _template(audience: Audience, name: str) -> str:
    """The audience's template, else the ``global`` audience's (any audience can ask for HTML)."""
    if audience.has_template(name) or "/" in name:
        return name
    return f"global/{name}"
