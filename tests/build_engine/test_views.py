"""Transformed views made a report at a time (publisher/views.py) against copies made whole."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read
from publisher.transforms.facts import facts
from publisher.transforms.metrics import metrics
from publisher.views import per_report, transformed_view, whole_view
from publisher.writers.base import RenderContext


def _ctx() -> RenderContext:
    return RenderContext(AudienceCatalog(()).load("analyst"), Diagnostics(), datetime(2025, 2, 16, tzinfo=UTC))


def test_a_view_made_report_by_report_is_the_copy_made_whole(sample_path):
    transforms = [metrics, facts]
    assert per_report(transforms)
    whole = whole_view(read(str(sample_path)), transforms, _ctx())
    ctx = _ctx()
    lazy = transformed_view(read(str(sample_path), lazy=True), transforms, ctx)
    assert all(r.deferred is not None for r in lazy.reports)  # nothing made yet
    assert [r.facts for r in lazy.reports] == [r.facts for r in whole.reports]  # facts: made with the body
    assert lazy.to_json() == whole.to_json()
    said = list(ctx.diagnostics.items)
    for report in lazy.reports:
        assert report.release()  # a made body is dropped …
        assert report.deferred is not None
    assert lazy.to_json() == whole.to_json()  # … and made again the same
    assert ctx.diagnostics.items == said  # what the transforms say is said once


def test_a_transform_that_needs_the_whole_digest_gets_it_whole():
    def whole_only(digest, ctx):
        return digest

    assert not per_report([metrics, whole_only])
