"""The Word writer itself: ``--format docx``, one briefing per digest (optionally one per report).

:class:`DocxWriter` finds the audience's reference document and template,
renders the outline (:mod:`publisher.writers.docx.outline`), has the body
built (:mod:`publisher.writers.docx.body`) and the package assembled
(:mod:`publisher.writers.docx.package`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2

from ...audiences import Audience, AudienceError
from ...content import ContentSettings
from ...model import Digest, Report
from ...textutil import xml_safe
from ...vocabulary import localized_title
from ..base import Output, RenderContext, Writer
from .body import DEFAULT_FOOTNOTE, BlockOwners, BodyBuilder
from .helpers import template_helpers
from .outline import OutlineError, outline_environment, stream_outline
from .package import Package, Properties, Reference, ReferenceDocError, assemble, load_reference, write_package

#: This writer's ``content.citations`` when the profile sets none.
DEFAULT_CITATIONS = "superscript"


class _Reading:
    """What a briefing reads of its digest's reports, a report at a time.

    The template loops over the reports through :meth:`reports`.  Once a loop has moved
    two reports past one (one ahead: ``loop.last``), a report the template has parsed is
    read (:meth:`read`: checked for text Word cannot hold, and its blocks' owners added
    to :class:`BlockOwners`) and its body dropped (a deferred body: ``Report.release``),
    to be parsed again if another loop needs it.  A briefing of a whole feed so holds a
    few parsed reports, not the feed.  The owner of a block not read yet is found by
    reading the reports the loops hold, else every report.  :meth:`finish` checks the
    reports the template never parsed.
    """

    def __init__(self, digest: Digest, ctx: RenderContext) -> None:
        self._digest, self._ctx = digest, ctx
        self._read: set[int] = set()
        self._held: list[Report] = []  # reports the loops are at (each loop's current and two behind)
        self.owners = BlockOwners(more=self._read_more)

    def reports(self, reports: list[Report]) -> _ShownReports:
        return _ShownReports(reports, self)

    def reached(self, report: Report) -> None:
        """A loop is at ``report``."""
        self._held.append(report)

    def left(self, report: Report) -> None:
        """A loop has left ``report`` behind: read it if parsed, and drop its body if no loop is at it."""
        held = self._held  # by identity: reports compare by their fields, bodies included
        del held[next(i for i, r in enumerate(held) if r is report)]
        if report.deferred is None:  # parsed (or read whole)
            self.read(report)
            if not any(r is report for r in held):
                report.release()

    def read(self, report: Report) -> bool:
        """Check a report and add its blocks' owners (once); ``True`` if it was not read before."""
        if id(report) in self._read:
            return False
        self._read.add(id(report))
        self._check_report(report)
        self.owners.add(report)
        return True

    def _read_more(self) -> bool:
        """Read the reports the loops are at, else all the others (for the owner of a block not
        read yet); ``True`` if any was read."""
        if any([self.read(report) for report in self._held]):
            return True
        return any([self._read_alone(report) for report in self._digest.reports])

    def _read_alone(self, report: Report) -> bool:
        deferred = report.deferred is not None
        found = self.read(report)
        if deferred:
            report.release()
        return found

    def finish(self) -> None:
        """Check the reports the template never parsed (parsed, checked and dropped)."""
        for report in self._digest.reports:
            self._read_alone(report)

    def _check_report(self, report: Report) -> None:
        check = self._check
        check(report.title, "report title", report.pos.line, report.pos.column)
        check(report.institution, "institution", report.pos.line + 1, 1)
        for section in report.walk():
            check(section.heading, "heading", section.pos.line, section.pos.column)
            for block in section.blocks:
                check(block.text, block.kind, block.line, block.column)

    def _check(self, text: str, what: str, line: int, column: int) -> None:
        n = xml_safe(text)[1]
        if n:
            self._ctx.diagnostics.warning(
                f"docx: {what} has {n} character{'s' * (n != 1)} Word cannot store "
                "(control characters, unpaired surrogates); replaced by U+FFFD",
                self._digest.source,
                line,
                column,
            )


class _ShownReports(list[Report]):
    """The reports a template loops over (``reports``): a list whose loops tell the briefing's
    :class:`_Reading` where they are, so that bodies are read and dropped as they go."""

    def __init__(self, reports: list[Report], reading: _Reading) -> None:
        super().__init__(reports)
        self._reading = reading

    def __iter__(self) -> Iterator[Report]:
        reading = self._reading
        behind: list[Report] = []  # the current report and two before it
        try:
            for report in list.__iter__(self):
                reading.reached(report)
                behind.append(report)
                yield report
                if len(behind) > 2:
                    reading.left(behind.pop(0))
        finally:  # the loop ended (or a filter stopped it early)
            for report in behind:
                reading.left(report)


def _template_line(exc: BaseException) -> str:
    """``FILE:LINE:1: `` of the template line a render error happened on (Jinja maps it)."""
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".jinja", ".jinja2")):
            found = f"{filename}:{tb.tb_lineno}:1: "
        tb = tb.tb_next
    return found


def _east_asian_lang(language: str) -> str:
    language = language.lower()
    if language.startswith(("zh-tw", "zh-hk", "zh-hant")):
        return "zh-TW"
    if language.startswith("ja"):
        return "ja-JP"
    if language.startswith("ko"):
        return "ko-KR"
    return "zh-CN"


class DocxWriter(Writer):
    """``--format docx``: a Word briefing per digest, styled by a reference document."""

    name = "docx"
    extension = ".docx"
    description = "Word briefing (template-driven, styles from a reference document)"
    unit = "digest"
    enriched = False  # shows the model as read (facts included); needs no transform

    def __init__(self) -> None:
        self._env_cache: tuple[jinja2.Environment, ContentSettings, jinja2.Environment] | None = None

    # -- configuration -----------------------------------------------------------------

    def reference(self, audience: Audience) -> Reference:
        """The reference document: ``docx.reference``, else ``reference.docx`` on the audience path."""
        wanted = str(audience.get("docx.reference", "") or "")
        path: Path | None
        if wanted:
            # A path given on the command line (-D) may be anywhere; a profile's names a
            # file of its templates folder (profiles come from folders the build does not own).
            if "docx.reference" in audience.overridden:
                path = Path(wanted).expanduser()
                if not path.is_file():
                    try:
                        path = audience.find_file(wanted)
                    except AudienceError:
                        path = None
            else:
                path = audience.find_file(wanted)
            if path is None:
                raise AudienceError(f"docx.reference: {wanted}: no such file")
        else:
            path = audience.find_file("reference.docx")
            if path is None:
                raise AudienceError(f"audience {audience.name!r} has no reference.docx (set docx.reference)")
        try:
            return load_reference(path, _east_asian_lang(audience.language))
        except ReferenceDocError as exc:
            raise AudienceError(f"docx.reference: {exc}") from None

    def _env(self, audience: Audience, content: ContentSettings) -> jinja2.Environment:
        base = audience.env  # a new object whenever the profile changes (-D)
        cached = self._env_cache
        if cached is None or cached[0] is not base or cached[1] != content:
            cached = self._env_cache = (base, content, outline_environment(base, **template_helpers(content)))
        return cached[2]

    def _template(self, audience: Audience, content: ContentSettings, name: str) -> jinja2.Template:
        """The outline template ``name`` of the audience."""
        env = self._env(audience, content)
        try:
            return env.get_template(name)
        except jinja2.TemplateNotFound:
            where = ", ".join(str(p) for p in audience.search_path)
            raise AudienceError(f"audience {audience.name!r} has no template {name!r} (searched {where})") from None
        except jinja2.TemplateSyntaxError as exc:
            raise AudienceError(f"{exc.filename or name}:{exc.lineno}:1: template error: {exc.message}") from None

    # -- writing -----------------------------------------------------------------------

    def check(self, audience: Audience) -> None:
        self.reference(audience)
        ContentSettings.from_audience(audience, citations=DEFAULT_CITATIONS)

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        audience = ctx.audience
        ref = self.reference(audience)
        reading = _Reading(digest, ctx)
        warned: set[str] = set()
        # built now (its messages and errors are the job's); its bytes are written where they go
        pkg = self._built(digest, digest.reports, None, ctx, ref, reading, warned)
        outputs = [Output(f"{digest.name}{self.extension}", stream=lambda out: write_package(ref, pkg, out))]
        if audience.get("docx.per_report", False):
            for report in digest.reports:
                try:
                    data = self.document(digest, [report], report, ctx, ref, reading, warned)
                except AudienceError:
                    raise
                except Exception as exc:  # one report the writer fails on must not stop the others
                    ctx.diagnostics.error(
                        f"docx: report {report.title[:40]!r} not written: {type(exc).__name__}: {exc}",
                        digest.source,
                        report.pos.line,
                        report.pos.column,
                    )
                    continue
                outputs.append(Output(f"{digest.name}/{report.slug}{self.extension}", data))
        reading.finish()
        return outputs

    def document(
        self,
        digest: Digest,
        reports: list[Report],
        report: Report | None,
        ctx: RenderContext,
        ref: Reference | None = None,
        reading: _Reading | None = None,
        warned: set[str] | None = None,
    ) -> bytes:
        """One ``.docx``: the whole digest, or one report of it when ``report`` is given."""
        ref = ref or self.reference(ctx.audience)
        return assemble(ref, self._built(digest, reports, report, ctx, ref, reading, warned))

    def _built(
        self,
        digest: Digest,
        reports: list[Report],
        report: Report | None,
        ctx: RenderContext,
        ref: Reference,
        reading: _Reading | None = None,
        warned: set[str] | None = None,
    ) -> Package:
        """The package of one ``.docx`` (see :meth:`document`), its body built."""
        audience = ctx.audience
        alone = reading is None
        reading = reading if reading is not None else _Reading(digest, ctx)
        settings = ContentSettings.from_audience(audience, citations=DEFAULT_CITATIONS)
        content = dict(audience.get("content", {}) or {})  # as templates see it
        options = dict(audience.get("docx", {}) or {})
        build_time = ctx.build_time
        messages = audience.messages
        times = [r.published_at for r in reports]
        first_time, last_time = (f"{min(times):%Y-%m-%d %H:%M}", f"{max(times):%Y-%m-%d %H:%M}") if times else ("", "")
        date_range = f"{first_time} – {last_time}" if times else ""
        title = localized_title(digest, messages)
        variables = {
            "digest": digest,
            "reports": reading.reports(reports),  # each read as the template reaches it
            "report": report,
            # the digest's title in the audience's language (a title the input gave stays as it is)
            "title": title,
            "build_time": build_time,
            # the build time in the audience's time zone, with the zone: 2025-02-16 18:30 CST
            "generated": f"{messages.time(build_time)} {messages.zone_label(build_time)}".strip(),
            "date_range": date_range,
            "first_time": first_time,
            "last_time": last_time,
            "content": content,
            "docx": options,
        }
        name = str(options.get("report_template" if report else "template", ""))
        name = name or ("report.docx.j2" if report else "briefing.docx.j2")
        template = self._template(audience, settings, name)

        metadata = audience.get("metadata", {}) or {}
        keywords = metadata.get("keywords", [])
        properties = Properties(
            title=(report.title if report else title) or digest.name,
            subject="",
            author=str(metadata.get("author", "")),
            company=str(metadata.get("company", "")),
            keywords=", ".join(map(str, keywords)) if isinstance(keywords, list) else str(keywords),
            description=f"{len(reports)} report{'s' * (len(reports) != 1)}, {date_range}" if date_range else "",
            language=_east_asian_lang(audience.language) if audience.language.startswith("zh") else audience.language,
            created=build_time,
        )
        for field_name in ("title", "subject", "author", "company", "keywords", "description"):
            setattr(properties, field_name, xml_safe(getattr(properties, field_name))[0])
        warned = warned if warned is not None else set()

        def warn(message: str) -> None:
            if message not in warned:
                warned.add(message)
                ctx.diagnostics.warning(f"docx: {message}", ref.path)

        builder = BodyBuilder(
            ref,
            citations=settings.citations,
            footnote_pattern=str(options.get("footnote", DEFAULT_FOOTNOTE)),
            owners=reading.owners,
            warn=warn,
            properties=properties,
            theme_font_lang=_east_asian_lang(audience.language),
        )
        try:
            with stream_outline(template, variables) as directives:  # built as the template writes it
                builder.feed(directives)
        except jinja2.TemplateError as exc:
            where = _template_line(exc)
            raise AudienceError(f"{where}template {name!r} of audience {audience.name!r}: {exc}") from None
        except OutlineError as exc:
            raise AudienceError(f"template {name!r} of audience {audience.name!r}: {exc}") from None
        if alone:
            reading.finish()
        return builder.finish()
