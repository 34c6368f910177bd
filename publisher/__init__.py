"""publisher: research-report digests into Word, Excel, Markdown and bilingual HTML.

Readers parse inputs into one canonical model (:mod:`publisher.model`),
transforms enrich it, writers render it for an audience and sinks publish
the result.  See the README for the command line.
"""

__version__ = "0.1.0"
