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
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from .. import __version__
from ..audiences import Audience, AudienceError
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
    included_sections,
    translatable,
)
from ..i18n.translate import Resources, Settings, Translation, make_chain
from ..model import BULLET, Block, Digest, Report, Section
from ..textutil import xml_safe
from .base import Output, RenderContext, Writer

VERBATIM = "verbatim"
SHOW_MODES = ("both", "zh", "en")


@dataclass(slots=True)
class Text:
    """One text of the page in both languages.

    ``state`` is ``reviewed``, ``glossary``, ``machine``, ``fuzzy``,
    ``missing`` (``en`` is empty) or ``verbatim`` (no Chinese in it: shown
    once, as it is, in ``lang`` ``en``).
    """

    zh: str
    en: str
    state: str


@dataclass(slots=True)
class BlockView:
    kind: str
    text: Text
    #: The Chinese as ``(text, hint, citation)`` pieces: ``hint`` is the English of a glossary
    #: term (``text`` is that term), ``citation`` a marker like ``[1]`` after ``text``.
    parts: list[tuple[str, str, str]]
    #: Citation markers after the English (``[1][12]``), or "".
    cite: str


@dataclass(slots=True)
class SectionView:
    heading: Text
    level: int
    role: str
    tag: str
    #: Consecutive blocks grouped: ``("list", bullets)`` or ``("para", [paragraph or raw block])``.
    groups: list[tuple[str, list[BlockView]]] = field(default_factory=list)
    children: list[SectionView] = field(default_factory=list)


@dataclass(slots=True)
class ReportView:
    slug: str
    title: Text
    institution: Text
    time_iso: str
    time_text: str
    sections: list[SectionView]


@dataclass(slots=True)
class SkippedView:
    line: int
    message: str
    text: str


class _Texts:
    """Turns source texts into :class:`Text` using the translations of one digest."""

    def __init__(self, found: dict[tuple[str, str], Translation]) -> None:
        self.found = found
        self.states: Counter[str] = Counter()
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, context: str, text: str, language: str = "zh") -> Text:
        text = clean(text)
        if not translatable(text, language):
            return Text(text, text, VERBATIM)
        key = (context, text)
        translation = self.found.get(key)
        if translation is None:
            result = Text(text, "", MISSING)
        else:
            result = Text(text, clean(translation.text), translation.state)
        if key not in self.seen:
            self.seen.add(key)
            self.states[result.state] += 1
        return result


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

    def __init__(self) -> None:
        self._resources: tuple[int, Settings, Resources] | None = None

    def _setup(self, ctx: RenderContext) -> tuple[Settings, Resources]:
        key = id(ctx.audience)
        if self._resources is None or self._resources[0] != key:
            settings = Settings.from_audience(ctx.audience)
            self._resources = (key, settings, Resources(settings, ctx.diagnostics))
        return self._resources[1], self._resources[2]

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        audience = ctx.audience
        settings, resources = self._setup(ctx)
        options = _options(audience)
        roles = audience.get("content.roles")
        roles = list(roles) if isinstance(roles, list) else None

        table = digest_segments(digest, roles)
        labels = {key: Segment(LABEL, text) for key, text in settings.labels.items()}
        for segment in labels.values():
            table.add(segment)
        found = self._translate(digest, table, settings, resources)
        texts = _Texts(found)
        glossary = resources.glossary if options["term_hints"] else None

        reports = [self._report(report, texts, glossary, roles, audience, ctx) for report in digest.reports]
        label_texts = {key: texts(LABEL, text) for key, text in settings.labels.items()}
        stats = {state: texts.states[state] for state in ("reviewed", "glossary", "machine", "fuzzy", MISSING)}
        rng = digest.date_range
        css = audience.render(_template(audience, options["stylesheet"]))
        css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
        html = audience.render(
            _template(audience, options["template"]),
            digest=digest,
            title=clean(digest.title or digest.name),
            reports=reports,
            skipped=[SkippedView(s.pos.line, clean(s.message), clean("\n".join(s.lines))) for s in digest.skipped],
            labels=label_texts,
            stats=stats,
            first=rng[0].strftime("%Y-%m-%d") if rng else "",
            last=rng[1].strftime("%Y-%m-%d") if rng else "",
            show=options["show"],
            toc=options["toc"],
            css=Markup(css),
            csp_style=f"'sha256-{css_hash}'",
            source_lang=settings.source,
            target_lang=settings.target,
            generated_iso=ctx.build_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            generated=ctx.build_time.strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
        )
        return [Output(f"{digest.name}{self.extension}", html.encode("utf-8"))]

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
        glossary: Glossary | None,
        roles: list[str] | None,
        audience: Audience,
        ctx: RenderContext,
    ) -> ReportView:
        lang = report.language
        style = str(audience.get("content.citations", "superscript"))
        limit = int(audience.get("content.max_bullets", 0) or 0)
        budget = [limit if limit > 0 else -1]

        def block(b: Block) -> BlockView | None:
            if budget[0] == 0:
                return None
            budget[0] -= 1
            text = texts(TEXT, b.text, lang)
            hints = glossary if text.state != VERBATIM else None
            return BlockView(b.kind, text, _parts(b, style, hints), _cite(b.refs, style))

        def section(s: Section) -> SectionView:
            view = SectionView(texts(HEADING, s.heading, lang), s.level, s.role, f"h{min(s.level + 2, 6)}")
            for v in map(block, s.blocks):
                if v is None:
                    break
                kind = "list" if v.kind == BULLET else "para"
                if kind == "list" and view.groups and view.groups[-1][0] == "list":
                    view.groups[-1][1].append(v)
                else:
                    view.groups.append((kind, [v]))
            view.children = [section(c) for c in s.children]
            return view

        return ReportView(
            slug=report.slug,
            title=texts(TITLE, report.title, lang),
            institution=texts(INSTITUTION, report.institution, lang),
            time_iso=report.published_at.strftime("%Y-%m-%dT%H:%M"),
            time_text=report.published_at.strftime("%Y-%m-%d %H:%M"),
            sections=[section(s) for s in included_sections(report, roles)],
        )


def _parts(block: Block, style: str, glossary: Glossary | None) -> list[tuple[str, str, str]]:
    """The Chinese of a block in pieces: plain text, glossary terms (with English) and citations."""
    text = clean(block.text)
    cuts: dict[int, list[int]] = {}
    if style != "none":
        for c in block.citations:
            cuts.setdefault(min(max(c.offset, 0), len(text)), []).append(c.ref)
    hints = glossary.hints(text) if glossary is not None else []
    if not cuts and not hints:
        return [(text, "", "")]
    offsets = sorted(cuts)
    parts: list[tuple[str, str, str]] = []
    pos, i = 0, 0
    for start, end, term in hints:
        if any(start < o < end for o in offsets):
            continue  # a citation inside a term: leave the term as plain text
        while i < len(offsets) and offsets[i] <= start:
            parts.append((text[pos : offsets[i]], "", _cite(cuts[offsets[i]], style)))
            pos, i = offsets[i], i + 1
        parts.append((text[pos:start], "", ""))
        parts.append((text[start:end], term.target, ""))
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
    return {
        "template": str(audience.get("html.template", "digest.html.j2")),
        "stylesheet": str(audience.get("html.stylesheet", "html-digest.css.j2")),
        "show": show,
        "toc": bool(audience.get("html.toc", True)),
        "term_hints": bool(audience.get("html.term_hints", True)),
    }


def _template(audience: Audience, name: str) -> str:
    """The audience's template, else the ``global`` audience's (any audience can ask for HTML)."""
    if audience.has_template(name) or "/" in name:
        return name
    return f"global/{name}"
