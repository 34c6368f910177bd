"""The digest reader on an English feed: lead sections, headings and bullets as a reader sees them."""

from __future__ import annotations

from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read_text
from publisher.readers.source import SourceText
from publisher.writers.digest import digest_text

FEED = """Workflow
Tencent Holdings: Cloud margins widen as AI demand lifts revenue
Morgan Stanley· 2025-03-04 08:15
Key Takeaways - Revenue grew 11% YoY to RMB 172.4 billion [1][3] - Cloud gross margin rose 4.5 pcts [2] \
Investment Rating Overweight, price target raised to HK$520 [4] Risks to our view - Slower ad recovery [6]
Semiconductor monthly: memory prices keep rising
Goldman Sachs ·2025-03-03 19:40
Core Insights DRAM contract prices rose 8-10% QoQ in Q1 [1] Summary of Views Memory is tight [2]
"""


def _outline(report) -> list[tuple[str, str, list[tuple[str, str, list[int]]]]]:
    return [(s.heading, s.role, [(b.kind, b.text, b.refs) for b in s.blocks]) for s in report.walk()]


def test_an_english_feed_reads_as_a_reader_sees_it():
    diagnostics = Diagnostics()
    digest = read_text(SourceText("en.txt", FEED), diagnostics)
    assert [(r.title, r.institution, r.language) for r in digest.reports] == [
        ("Tencent Holdings: Cloud margins widen as AI demand lifts revenue", "Morgan Stanley", "en"),
        ("Semiconductor monthly: memory prices keep rising", "Goldman Sachs", "en"),
    ]
    assert _outline(digest.reports[0]) == [
        (
            "Key Takeaways",
            "summary",
            [
                ("bullet", "Revenue grew 11% YoY to RMB 172.4 billion", [1, 3]),
                ("bullet", "Cloud gross margin rose 4.5 pcts", [2]),
            ],
        ),
        ("Investment Rating", "rating", [("paragraph", "Overweight, price target raised to HK$520", [4])]),
        # "Risks" followed by "to our view" is a longer heading, not the lead name and a paragraph
        ("Risks to our view", "body", [("bullet", "Slower ad recovery", [6])]),
    ]
    # A lead name followed by a capital starts a paragraph; "Summary of …" is no lead heading
    # and, with no bullet to end a heading, stays a cited paragraph of the section before.
    (core, *_) = digest.reports[1].sections
    assert (core.heading, core.role) == ("Core Insights", "summary")
    assert core.blocks[0].text == "DRAM contract prices rose 8-10% QoQ in Q1"
    assert "Summary of Views Memory is tight" in [b.text for s in digest.reports[1].walk() for b in s.blocks]
    assert [d.message for d in diagnostics.items if d.severity == "warning"] == []
    assert digest_text(digest) == FEED
