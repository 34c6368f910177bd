"""Transformed views: a digest as an audience's transforms leave it, made a report at a time.

Most outputs show the model as read; an audience with transforms (figures,
forecasts) is rendered from a copy of the digest with them applied.  A copy
made whole holds every report's transformed body at once, and a build's memory
would grow with the feed.  :func:`transformed_view` makes a copy whose reports
hold their headers only: a report's body, its title's figures and its facts are
made when first read (the report as read, cloned and transformed alone), and the
body can be dropped again (``Report.release``) and is made anew when read again.
Transforms that work report by report say so (``per_report = True`` on the
function); a digest is given to the others whole (:func:`whole_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .diagnostics import Diagnostics
from .model import Digest, Facts, Metric, Report, Section
from .writers.base import RenderContext

Transform = Callable[[Digest, RenderContext], Digest]


def per_report(transforms: Sequence[Transform]) -> bool:
    """Whether every transform works report by report (a view can then be made a report at a time)."""
    return all(getattr(t, "per_report", False) for t in transforms)


def whole_view(digest: Digest, transforms: Sequence[Transform], ctx: RenderContext) -> Digest:
    """A copy of ``digest`` with ``transforms`` applied to it whole (in order)."""
    copy = digest.clone()
    for transform in transforms:
        copy = transform(copy, ctx)
    return copy


def transformed_view(digest: Digest, transforms: Sequence[Transform], ctx: RenderContext) -> Digest:
    """A copy of ``digest`` whose reports are transformed when first read (``transforms`` work
    report by report); a transform's messages go to ``ctx`` the first time only."""
    reports = [r.transformed_copy(TransformedBody(r, digest.source, transforms, ctx)) for r in digest.reports]
    return replace(digest, reports=reports, skipped=list(digest.skipped), source_hash=digest.text_hash())


class TransformedBody:
    """The body of a report of a :func:`transformed_view`: the report as read, cloned and
    transformed (a body deferred by its reader is parsed for the copy and dropped again)."""

    __slots__ = ("_ctx", "_made", "_report", "_transforms", "diagnostics", "file", "line")

    def __init__(self, report: Report, source: str, transforms: Sequence[Transform], ctx: RenderContext) -> None:
        self._report, self._transforms, self._ctx = report, transforms, ctx
        self.file, self.line = source, report.pos.line
        #: Where the transforms' messages go: the view's context, then nowhere (``Report.release``).
        self.diagnostics: Diagnostics = ctx.diagnostics
        self._made: tuple[list[Metric], Facts | None] | None = None

    def _transformed(self) -> Report:
        original = self._report
        deferred = original.deferred is not None
        copy = original.clone()
        if deferred:
            original.release()  # parsed for the copy only
        ctx = self._ctx
        local = RenderContext(ctx.audience, self.diagnostics, ctx.build_time, ctx.options)
        one = Digest(source=self.file, reports=[copy])
        for transform in self._transforms:
            one = transform(one, local)
        done = one.reports[0]
        self._made = (done.title_metrics, done.facts)
        return done

    def load(self) -> tuple[list[Section], str]:
        done = self._transformed()
        return done.sections, done.body_trail

    def language(self) -> str:
        return self._report.language

    def made(self) -> tuple[list[Metric], Facts | None]:
        """The title's figures and the facts, as the body's first making found them."""
        if self._made is None:
            self._transformed()
        assert self._made is not None
        return self._made
