"""Coverage-guided fuzzing of the readers and writers with atheris.

    pip install atheris
    python fuzz/fuzz_readers.py -atheris_runs=200000 fuzz/corpus

Each input is decoded as a digest file (any bytes: the encoding detection
runs too) and must give a model or an ``InputError`` with a position; the
digest writer must give the decoded text back; every other installed writer
must render the model without an exception.  Anything else is a crash that
atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import atheris

with atheris.instrument_imports():
    from publisher import registry
    from publisher.audiences import AudienceCatalog
    from publisher.diagnostics import Diagnostics, InputError
    from publisher.readers.digest import read_text
    from publisher.readers.source import decode
    from publisher.writers.base import RenderContext
    from publisher.writers.digest import digest_text

AUDIENCES = AudienceCatalog()
WRITERS = [
    (registry.create("writers", name), AUDIENCES.load(audience))
    for name, audience in (
        ("json", "analyst"),
        ("docx", "analyst"),
        ("xlsx", "analyst"),
        ("md", "wiki"),
        ("html", "global"),
    )
    if name in registry.names("writers")
]
BUILD_TIME = datetime(2025, 2, 16, tzinfo=UTC)


def one_input(data: bytes) -> None:
    try:
        source = decode(data, "fuzz.txt")
    except InputError as exc:
        assert exc.diagnostic.file == "fuzz.txt"
        return
    diags = Diagnostics()
    digest = read_text(source, diags)
    if digest_text(digest) != source.text:
        raise AssertionError("digest round trip lost text")
    for d in diags:
        assert d.line >= 1 and d.column >= 1, d
    for writer, audience in WRITERS:
        ctx = RenderContext(audience, Diagnostics(), BUILD_TIME)
        for _ in writer.write(digest, ctx):
            pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
