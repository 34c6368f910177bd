"""Coverage-guided fuzzing of the readers with atheris.

    pip install atheris
    cp -r fuzz/corpus /tmp/corpus     # atheris adds what it finds to the folder
    python fuzz/fuzz_readers.py -atheris_runs=200000 -max_len=8192 /tmp/corpus

Each input is decoded as an input file (any bytes: the encoding detection
runs too) and read by every reader:

* the digest reader must give a model, and the digest writer the decoded
  text back, byte for byte;
* the Markdown reader must give a model or an ``InputError`` with a
  position; each page the ``md`` writer makes of that model must read back
  to a report with the same title (as the page can show it);
* the JSON reader must give a model or a positioned ``InputError``; the
  ``json`` writer's bytes must read back to the same model.

Every diagnostic has a line and a column.  Anything else (an exception, a
wrong round trip) is a crash that atheris reports with the input that
caused it.  ``fuzz/fuzz_writers.py`` covers the writers.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import atheris

# Libraries first, uninstrumented: coverage feedback is wanted from publisher's own code.
import jinja2  # noqa: F401
import markdown_it  # noqa: F401
import pypinyin  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["publisher"]):
    from publisher.audiences import AudienceCatalog
    from publisher.diagnostics import Diagnostics, InputError
    from publisher.readers import json as json_reader
    from publisher.readers import markdown as markdown_reader
    from publisher.readers.digest import read_text
    from publisher.readers.source import SourceText, decode
    from publisher.writers.base import RenderContext
    from publisher.writers.digest import digest_text
    from publisher.writers.json import JsonWriter
    from publisher.writers.markdown import MarkdownWriter, sanitize

WIKI = AudienceCatalog().load("wiki")
BUILD_TIME = datetime(2025, 2, 16, tzinfo=UTC)
MD = MarkdownWriter()
JSON = JsonWriter()


def _positioned(diags: Diagnostics) -> None:
    for d in diags:
        assert d.line >= 1 and d.column >= 1, d


def _error_positioned(exc: InputError, path: str) -> None:
    assert exc.diagnostic.file == path, exc.diagnostic
    assert exc.diagnostic.line >= 1 and exc.diagnostic.column >= 1, exc.diagnostic


def check_digest(source: SourceText) -> None:
    diags = Diagnostics()
    digest = read_text(source, diags)
    if digest_text(digest) != source.text:
        raise AssertionError("digest round trip lost text")
    _positioned(diags)


def check_markdown(source: SourceText) -> None:
    diags = Diagnostics()
    try:
        digest = markdown_reader.read_text(source, diags)
    except InputError as exc:
        _error_positioned(exc, source.path)
        return
    _positioned(diags)
    ctx = RenderContext(WIKI, Diagnostics(), BUILD_TIME)
    for report in digest.reports:
        (page,) = MD.write_report(report, digest, ctx)
        again = markdown_reader.read_text(SourceText("page.md", page.content().decode("utf-8")), Diagnostics())
        (back,) = again.reports
        expected = sanitize(report.title)[0]
        if back.title != expected:
            raise AssertionError(f"title {report.title!r} came back as {back.title!r}")


def check_json(source: SourceText) -> None:
    try:
        digest = json_reader.read_text(source, Diagnostics())
    except InputError as exc:
        _error_positioned(exc, source.path)
        return
    ctx = RenderContext(WIKI, Diagnostics(), BUILD_TIME)
    (output,) = JSON.write(digest, ctx)
    again = json_reader.read_text(SourceText("again.json", output.content().decode("utf-8")), Diagnostics())
    if again.to_json() != digest.to_json():
        raise AssertionError("json round trip changed the model")


def one_input(data: bytes) -> None:
    try:
        source = decode(data, "fuzz.txt")
    except InputError as exc:
        _error_positioned(exc, "fuzz.txt")
        return
    check_digest(source)
    check_markdown(SourceText("fuzz.md", source.text))
    check_json(SourceText("fuzz.json", source.text))


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
