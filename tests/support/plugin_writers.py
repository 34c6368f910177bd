"""Writers used by the build-engine tests, installed as a throwaway plug-in.

``pages`` writes one small text file per report and an index per digest,
so tests can watch which files a build touches.
"""

from __future__ import annotations

import os
import time

from publisher.writers.base import Output, Writer


class PagesWriter(Writer):
    name = "pages"
    extension = ".page"
    description = "One text page per report (test writer)"
    unit = "report"

    def write_report(self, report, digest, ctx):
        delay = float(os.environ.get("PAGES_DELAY", "0"))
        if delay:
            time.sleep(delay)
        lines = [report.title, report.institution, report.timestamp]
        lines += [block.marked_text() for _, block in report.blocks()]
        text = "\n".join(lines) * int(os.environ.get("PAGES_REPEAT", "1")) + "\n"
        yield Output(f"pages/{digest.name}/{report.slug}.page", text.encode())

    def write_index(self, digest, ctx):
        text = "".join(f"{r.published_at:%Y-%m-%d} {r.slug} {r.title}\n" for r in digest.reports)
        yield Output(f"pages/{digest.name}/index.page", text.encode())
