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
import os
import shlex
from collections import Counter
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
    digest_segments,
    translatable,
)
from ..i18n.translate import Resources, Settings, Translation, make_chain
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
    """Turns source texts into text views using the translations of one digest."""

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
                self.states[view["state"]] += 1
            self.cache[key] = view
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

        table = digest_segments(digest, content.roles, where=False)
        labels = {key: Segment(LABEL, text) for key, text in settings.labels.items()}
        for segment in labels.values():
            table.add(segment)
        found = self._translate(digest, table, settings, resources)
        texts = _Texts(found)
        hints = _Hints(resources.glossary if options["term_hints"] else None)
        reports = [
            self._report(report, texts, hints, content, ctx.diagnostics, digest.source) for report in digest.reports
        ]
        label_texts = {key: texts(LABEL, text) for key, text in settings.labels.items()}
        stats = {state: texts.states[state] for state in ("reviewed", "glossary", "machine", "fuzzy", MISSING)}
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
        page = functools.partial(
            audience.render_to,
            _template(audience, options["template"]),
            digest=digest,
            title=clean(digest.title or digest.name),
            reports=reports,
            facts=_facts_by_slug(digest),
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

    def _translate(
        self, digest: Digest, table: SegmentTable, settings: Settings, resources: Resources
    ) -> dict[tuple[str, str], Translation]:
        chain = make_chain(settings, resources, digest)
        try:
            by_id = chain.translate(table)
        finally:
            chain.close()
        return {s.key: by_id[s.id] for s in table if s.id in by_id}

    def _report(
        self,
        report: Report,
        texts: _Texts,
        hints: _Hints,
        content: ContentSettings,
        diagnostics: Diagnostics,
        source: str,
    ) -> tuple:
        style = content.citations
        sections: list[tuple] = []
        # the children lists of the sections being filled, by depth (``[0]``: the report's).
        open_lists = [sections]
        flattened = False
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
            if depth > MAX_NESTING:  # shown as a child of its ancestor at depth MAX_NESTING
                flattened = True
                depth = MAX_NESTING + 1
            children: list[tuple] = []
            del open_lists[depth:]
            open_lists[depth - 1].append(
                (f"h{min(s.level + 2, 6)}", s.role, s.level, texts(HEADING, s.heading), groups, children)
            )
            open_lists.append(children)
        if flattened:
            diagnostics.warning(
                f"html: sections nested deeper than {MAX_NESTING} levels are shown at level {MAX_NESTING}",
                source,
                report.pos.line,
                report.pos.column,
            )
        return (
            report.slug,
            texts(TITLE, report.title),
            texts(INSTITUTION, report.institution),
            report.published_at.strftime("%Y-%m-%dT%H:%M"),
            report.published_at.strftime("%Y-%m-%d %H:%M"),
            sections,
        )


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


def _facts_by_slug(digest: Digest) -> dict[str, dict[str, str]]:
    """Each report's company, rating and target price in both languages (``facts[slug]``)."""
    out: dict[str, dict[str, str]] = {}
    for report in digest.reports:
        facts = report.facts
        if not facts:
            continue
        company, rating, target = facts.headline()
        if company is None and rating is None and target is None:
            continue
        out[report.slug] = {
            "company": company_label(company),
            "rating_zh": rating_label(rating, "zh"),
            "rating_en": rating_label(rating, "en"),
            "target_zh": target_label(target, "zh"),
            "target_en": target_label(target, "en"),
        }
    return out
