"""Coverage-guided fuzzing of every writer with atheris.

    pip install atheris
    mkdir -p /tmp/writers-corpus      # no seeds needed: the bytes only steer the model below
    python fuzz/fuzz_writers.py -max_total_time=2100 -max_len=4096 /tmp/writers-corpus

Each input is turned into a model as the JSON reader would accept it: the
fuzzer's bytes choose the titles, institutions, headings and texts (mixed
with hostile pieces: control characters, unpaired surrogates, bidi
controls, formula starts, markup, template syntax, path look-alikes), the
depth of the sections, the block kinds and the citations.  The JSON goes
through the JSON reader, then every writer renders it for its audience:
``json`` and ``digest`` (analyst), ``docx`` (executive and analyst),
``xlsx`` (analyst, after the ``metrics`` transform), ``md`` (wiki: pages
and index pages) and ``html`` (global).  What must hold:

* no writer raises; every output path is safe for the folder sink;
* ``json`` reads back to the same model;
* every XML part of the Word and Excel packages is well-formed, and the
  only formulas in a workbook are the writer's own (``COUNTIFS``/``SUM`` on
  the Summary sheet, ``HYPERLINK("#…")`` links on the Reports sheet);
* Markdown pages hold no raw HTML, image or link that is not the writer's
  own relative ``.md`` link;
* the HTML page has no script element, no ``on…`` attribute and no link
  out of the page;
* ``{{ 7*'7' }}`` in any input text never becomes ``7777777``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import atheris

# Libraries first, uninstrumented: coverage feedback is wanted from publisher's own code.
import docx  # noqa: F401
import jinja2  # noqa: F401
import lxml.html  # noqa: F401
import markdown_it  # noqa: F401
import openpyxl  # noqa: F401
import pypinyin  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["publisher"]):
    import publisher.transforms.metrics
    import publisher.writers.digest
    import publisher.writers.docx
    import publisher.writers.html
    import publisher.writers.json
    import publisher.writers.markdown
    import publisher.writers.xlsx  # noqa: F401
    from publisher import registry
    from publisher.audiences import AudienceCatalog
    from publisher.build import apply_transforms
    from publisher.diagnostics import Diagnostics, InputError
    from publisher.readers import json as json_reader
    from publisher.readers.source import SourceText
    from publisher.sinks.folder import safe_relative
    from publisher.writers.base import RenderContext

# What a user would notice, format by format: the checks the test suite uses (tests/support/hostile_checks.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.hostile_checks import check_html, check_markdown, check_package

HOSTILE = [
    "\x00",
    "\x01\x08\x0b\x1b[31m",
    "\ud800",
    "\udfff",
    "\ufffe\uffff",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "\u200b\u200d\ufeff",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    '"onload="alert(1)',
    "&amp;&copy;&#x3c;",
    "[a](javascript:alert(1))",
    "![i](http://evil.example/x.png)",
    "[r]: http://evil.example",
    "<http://evil.example>",
    "*em* **strong** _u_ ~~s~~",
    "{{ 7*'7' }}",
    "{% for x in y %}{% endfor %}",
    "{# c #}",
    "../../etc/passwd",
    "CON",
    "NUL.txt",
    " - ",
    "[1]",
    "\n",
    "\r\n",
    "\u3000",
    "报告核心观点",
    "heading 2: x",
    "row: a | b",
    "{PAGE}",
]
KINDS = ("bullet", "paragraph", "raw")
ROLES = ("summary", "rating", "risk", "body")
TARGETS = (
    ("json", "analyst"),
    ("digest", "analyst"),
    ("docx", "executive"),
    ("docx", "analyst"),
    ("xlsx", "analyst"),
    ("md", "wiki"),
    ("html", "global"),
)
CATALOG = AudienceCatalog()
AUDIENCES = {name: CATALOG.load(name) for name in {a for _, a in TARGETS}}
BUILD_TIME = datetime(2025, 2, 16, 9, 30, tzinfo=UTC)
WRITERS = {target: registry.create("writers", target[0]) for target in TARGETS}  # made once, as in a build


class _Text:
    def __init__(self, fdp: atheris.FuzzedDataProvider) -> None:
        self.fdp = fdp

    def __call__(self, limit: int = 24) -> str:
        parts = []
        for _ in range(self.fdp.ConsumeIntInRange(0, 4)):
            if self.fdp.ConsumeBool():
                parts.append(HOSTILE[self.fdp.ConsumeIntInRange(0, len(HOSTILE) - 1)])
            else:
                parts.append(self.fdp.ConsumeUnicode(self.fdp.ConsumeIntInRange(0, limit)))
        return "".join(parts)


def _section(fdp: atheris.FuzzedDataProvider, text: _Text, level: int, budget: list[int]) -> dict:
    blocks = []
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        body = text(40)
        offsets = sorted(fdp.ConsumeIntInRange(0, len(body)) for _ in range(fdp.ConsumeIntInRange(0, 2)))
        citations = [{"ref": fdp.ConsumeIntInRange(0, 60), "offset": o} for o in offsets]
        blocks.append({"kind": KINDS[fdp.ConsumeIntInRange(0, 2)], "text": body, "citations": citations})
    children = []
    while budget[0] > 0 and fdp.ConsumeIntInRange(0, 2) == 0:
        budget[0] -= 1
        children.append(_section(fdp, text, level + 1, budget))
    return {
        "heading": text(),
        "level": level,
        "role": ROLES[fdp.ConsumeIntInRange(0, 3)],
        "blocks": blocks,
        "children": children,
    }


def model_json(data: bytes) -> str:
    """The JSON of a model made from the fuzzer's bytes (ASCII: surrogates as escapes)."""
    fdp = atheris.FuzzedDataProvider(data)
    text = _Text(fdp)
    reports = []
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        budget = [fdp.ConsumeIntInRange(0, 30)]
        reports.append(
            {
                "id": "",
                "title": text(),
                "institution": text(12),
                "published_at": f"2025-02-{fdp.ConsumeIntInRange(1, 28):02d}T{fdp.ConsumeIntInRange(0, 23):02d}:06",
                "sections": [_section(fdp, text, 1, budget) for _ in range(fdp.ConsumeIntInRange(0, 3))],
            }
        )
    source = HOSTILE[fdp.ConsumeIntInRange(0, len(HOSTILE) - 1)] if fdp.ConsumeBool() else "fuzz.txt"
    return json.dumps({"version": 1, "source": source, "title": text(), "reports": reports})


def one_input(data: bytes) -> None:
    text = model_json(data)
    try:
        digest = json_reader.read_text(SourceText("fuzz.json", text), Diagnostics())
    except InputError as exc:
        assert exc.diagnostic.line >= 1, exc.diagnostic
        return
    evaluated = "7777777"  # what {{ 7*'7' }} would become
    templated = evaluated not in text
    contexts = {name: RenderContext(a, Diagnostics(), BUILD_TIME) for name, a in AUDIENCES.items()}
    apply_transforms([digest], AUDIENCES["analyst"], contexts["analyst"])
    for fmt, audience in TARGETS:
        writer = WRITERS[fmt, audience]
        ctx = contexts[audience]
        outputs = list(writer.write(digest, ctx)) + list(writer.write_collection([digest], ctx))
        for output in outputs:
            safe_relative(output.path)  # raises UnsafePathError for a path the folder sink refuses
            content = output.content()
            if fmt == "json":
                again = json_reader.read_text(SourceText("again.json", content.decode("utf-8")), Diagnostics())
                assert again.to_json() == digest.to_json()
                continue
            if fmt == "digest":
                continue
            if fmt in ("docx", "xlsx"):
                shown = check_package(content)[0]
            elif fmt == "md":
                shown = check_markdown(output.path, content.decode("utf-8"))
            else:
                shown = check_html(content)
            if templated:
                assert evaluated not in shown, (fmt, audience, output.path)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
