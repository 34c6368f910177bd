"""Hostile input through every writer: valid files that show the text as written, or
positioned messages; never a formula, markup, script, evaluated template or stray path.

Models are written as JSON (so unpaired surrogates arrive as ``\\ud800`` escapes, as
in a real feed converted by another tool), read by the JSON reader and built for
every audience: ``executive`` (docx), ``analyst`` (docx, xlsx, and json and digest
directly or through a test audience), ``wiki`` (md) and ``global`` (html).  The checks are in
``tests/support/hostile_checks.py``.  Bigger shapes (deep nesting, 100,000 bullets, a 1 MB line)
run once each, through the command line.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile_checks import (
    check_docx,
    check_html,
    check_markdown,
    check_package,
    check_xlsx,
    output_files,
)

from publisher.audiences import AudienceCatalog
from publisher.build import Builder, apply_transforms
from publisher.diagnostics import Diagnostics
from publisher.model import Block, Citation, Digest, Report, Section, assign_ids
from publisher.readers import json as json_reader
from publisher.readers.digest import read_text as read_digest
from publisher.readers.source import SourceText
from publisher.textutil import clause_cut, xml_safe
from publisher.writers.base import RenderContext
from publisher.writers.markdown_escape import sanitize

EPOCH = 1739700000
#: Jinja would turn it into «49»: it must show as written, everywhere.
TEMPLATE = "«{{ 7*7 }}»"
EVALUATED = "«49»"
#: Shown literally by every writer (no character any of them must replace).
CANARY = (
    f"{TEMPLATE} {{% if true %}}yes{{% endif %}} {{# note #}} <script>alert(1)</script> "
    "[a](javascript:alert(1)) ![i](http://evil.example/i.png) [r]: http://evil.example "
    '=HYPERLINK("http://evil.example","x") &amp; &copy; *em* __u__ ~~s~~ " onload="alert(1)'
)
#: What the executive brief's table shows of it: its opening, cut at 56 columns.
EXEC_CANARY = clause_cut(CANARY, 56)
HOSTILE = [
    "\x00",
    "\x01\x08\x0b\x0c\x1f",
    "\x1b[31m",
    "\x7f\x85",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2069",
    "\u200b",
    "\u200d",
    "\ufeff",
    "长" * 2000,
    '=HYPERLINK("http://evil.example","x")',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '" onload="alert(1)',
    "&amp;",
    "&copy;",
    "&#x3c;script&#x3e;",
    "[a](http://evil.example)",
    "[a]: http://evil.example",
    "![i](http://evil.example/i.png)",
    "<http://evil.example>",
    "[1]",
    "[^1]",
    "*em*",
    "**strong**",
    "_u_",
    "~~s~~",
    "`code`",
    "{{ 7*7 }}",
    "{% if true %}yes{% endif %}",
    "{# c #}",
    "{%",
    "}}",
    "../../etc/passwd",
    "CON",
    "NUL.txt",
    "\n",
    "\r\n",
    "\t",
    " - ",
    "# ",
    "> ",
    "1. ",
    "|",
    "heading 1: x",
    "{PAGE}",
]
TITLES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/shadow",
    "CON",
    "NUL.txt",
    "aux",
    "com1.txt",
    "",
    " ",
    ".",
    "..",
    "T" * 300,
    "题" * 300,
    'a/b\\c:d*e?f"g<h>i|j',
    "\x00\ud800\u202e",
]

hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=4).map("".join)
titles = st.one_of(st.sampled_from(TITLES), hostile)


@st.composite
def blocks(draw: st.DrawFn, canary: bool = False) -> list[Block]:
    found = [Block("bullet", CANARY, [Citation(1, len(CANARY))])] if canary else []
    for kind in draw(st.lists(st.sampled_from(["bullet", "paragraph", "raw"]), max_size=3)):
        text = draw(hostile)
        found.append(Block(kind, text, [Citation(draw(st.integers(0, 60)), len(text))] if text else []))
    return found


@st.composite
def reports(draw: st.DrawFn) -> Report:
    summary = Section(draw(hostile), 1, "summary", draw(blocks(canary=True)))
    summary.children = [Section(draw(hostile), 2, "body", draw(blocks())) for _ in range(draw(st.integers(0, 2)))]
    others = [
        Section(draw(hostile), 1, draw(st.sampled_from(["rating", "risk", "body"])), draw(blocks()))
        for _ in range(draw(st.integers(0, 2)))
    ]
    day, hour = draw(st.integers(1, 28)), draw(st.integers(0, 23))
    return Report(draw(titles), draw(hostile), datetime(2025, 2, day, hour, 6), [summary, *others])


@st.composite
def digests(draw: st.DrawFn) -> Digest:
    digest = Digest("hostile.txt", draw(st.lists(reports(), min_size=1, max_size=3)), title=draw(titles))
    assign_ids(digest)
    return digest


# --- building -----------------------------------------------------------------------------------

FORMATS = {"executive": ["docx"], "analyst": ["docx", "xlsx", "json", "digest"], "wiki": ["md"], "global": ["html"]}


def write_json(digest: Digest, path: Path) -> None:
    """The model as another tool would write it: ASCII JSON, surrogates as escapes."""
    path.write_text(json.dumps(digest.to_json(), ensure_ascii=True), encoding="ascii")


def build(path: Path, out: Path) -> tuple[Digest, Diagnostics]:
    """Read ``path`` with the JSON reader and build it for every audience, as ``publisher build`` does."""
    diagnostics = Diagnostics()
    digest = json_reader.JsonReader().read(str(path), None, diagnostics)
    catalog = AudienceCatalog()
    audiences = [catalog.load(name) for name in FORMATS]
    build_time = datetime.fromtimestamp(EPOCH, tz=UTC)
    Builder(audiences, FORMATS, out, diagnostics, build_time, force=True).run([digest])
    return digest, diagnostics


def analyst_model(digest: Digest) -> Digest:
    """What the analyst's ``json`` holds: the model after the audience's transforms (metrics)."""
    analyst = AudienceCatalog().load("analyst")
    enriched = [digest.clone()]
    ctx = RenderContext(analyst, Diagnostics(), datetime.fromtimestamp(EPOCH, tz=UTC))
    apply_transforms(enriched, analyst, ctx)
    return enriched[0]


def expected_files(digest: Digest) -> set[str]:
    name = digest.name
    analyst = {f"analyst/{name}.{ext}" for ext in ("docx", "xlsx", "json", "txt")}
    return analyst | {f"executive/{name}.docx", f"global/{name}.html"}


def check_build(digest: Digest, out: Path) -> dict[str, str]:
    """Every output opens and is safe; the text each shows, by relative path."""
    files = output_files(out)
    assert expected_files(digest) <= files.keys()
    pages = [p for p in files if p.startswith("wiki/reports/") and not p.endswith("/index.md")]
    assert len(pages) == len({r.id for r in digest.reports})
    shown: dict[str, str] = {}
    for rel, path in files.items():
        data = path.read_bytes()
        if rel.endswith(".docx"):
            shown[rel] = check_docx(data)
        elif rel.endswith(".xlsx"):
            shown[rel] = check_xlsx(data)
        elif rel.startswith("wiki/"):
            shown[rel] = check_markdown(rel, data.decode("utf-8"))
        elif rel.endswith(".html"):
            shown[rel] = check_html(data)
        elif rel.endswith(".json"):
            again = json_reader.read_text(SourceText(rel, data.decode("utf-8")), Diagnostics())
            assert again.to_json() == analyst_model(digest).to_json()  # lossless, unpaired surrogates included
            shown[rel] = CANARY * len(digest.reports)
        elif rel.endswith(".txt"):
            text = data.decode("utf-8")  # valid UTF-8 even when the model held unpaired surrogates
            read_digest(SourceText(rel, text), Diagnostics())
            shown[rel] = text
        else:
            raise AssertionError(f"unexpected output {rel}")
        assert EVALUATED not in shown[rel], rel
    return shown


def _lines(text: str) -> str:
    """Line ends as ``\\n`` (XML and HTML parsers turn CR and CRLF into LF)."""
    return re.sub(r"\r\n?", "\n", text)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(digests())
def test_every_writer_survives_hostile_text(digest):
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "hostile.json", Path(tmp) / "out"
        write_json(digest, source)
        digest, diagnostics = build(source, out)
        assert not diagnostics.errors, [str(d) for d in diagnostics.errors]
        shown = check_build(digest, out)
    name = digest.name
    for report in digest.reports:
        # the canary is the key takeaway: every format shows it, as written (the executive table
        # its first clauses, cut at 56 columns)
        for rel in (f"analyst/{name}.docx", f"analyst/{name}.xlsx", f"global/{name}.html"):
            assert shown[rel].count(CANARY) >= 1, rel
        assert shown[f"executive/{name}.docx"].count(EXEC_CANARY) >= 1
        page = _lines(shown[f"wiki/reports/{report.published_at:%Y-%m-%d}/{report.slug}.md"])
        assert CANARY in page
        # every text of the report, as each writer can show it
        blocks = [report.title, *(b.text for _, b in report.blocks())]
        texts = blocks + [s.heading for s in report.walk()]
        docx, xlsx = _lines(shown[f"analyst/{name}.docx"]), _lines(shown[f"analyst/{name}.xlsx"])
        html = _lines(shown[f"global/{name}.html"])
        for text in texts:
            if text.strip():
                assert _lines(xml_safe(text)[0]).strip() in docx
                assert _lines(xml_safe(text)[0]).strip() in html
                assert _lines(sanitize(text)[0]).strip() in page
                if text in blocks:  # the workbook has a row per block (headings only in its section path)
                    assert _lines(xml_safe(text, "")[0]).strip() in xlsx


# --- through the command line ---------------------------------------------------------------------

DIAGNOSTIC = re.compile(r"^\S.*?(:\d+:\d+)?: (warning|error): \S")


def hostile_model() -> Digest:
    """Every hostile piece in every kind of field at once."""
    reports = []
    for k, title in enumerate(TITLES):
        texts = [CANARY, *HOSTILE]
        summary = Section(
            HOSTILE[k % len(HOSTILE)], 1, "summary", [Block("bullet", t, [Citation(1, len(t))]) for t in texts]
        )
        body = Section(
            HOSTILE[(k + 7) % len(HOSTILE)],
            1,
            "body",
            [Block(kind, t) for t in HOSTILE for kind in ("paragraph", "raw")],
            [Section(HOSTILE[(k + 9) % len(HOSTILE)], 2, "risk", [Block("bullet", "风险 [1]")])],
        )
        reports.append(Report(title, HOSTILE[k % len(HOSTILE)], datetime(2025, 2, 16, k % 24, 6), [summary, body]))
    digest = Digest("hostile.txt", reports, title="\x1b[2J{{ 7*7 }} <script>\ud800")
    assign_ids(digest)
    return digest


def raw_audience(tmp_path: Path) -> Path:
    """A templates folder with an audience that writes the digest and json formats (so ``-a all`` covers them)."""
    root = tmp_path / "templates"
    (root / "raw").mkdir(parents=True)
    (root / "raw" / "profile.toml").write_text(
        'description = "The digest text and the model"\nbase = "base"\nformats = ["digest", "json"]\n'
        'transforms = ["metrics"]\n',
        encoding="utf-8",
    )
    return root


def build_cli(cli, tmp_path: Path, source: Path, *args: str, timeout_check: float = 0):
    out = tmp_path / "out"
    start = time.perf_counter()
    result = cli(
        "build",
        str(source),
        "-a",
        "all",
        "-t",
        str(raw_audience(tmp_path)),
        "-o",
        str(out),
        "-q",
        *args,
        env={"SOURCE_DATE_EPOCH": str(EPOCH)},
    )
    elapsed = time.perf_counter() - start
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]
    assert "\x1b" not in result.stderr + result.stdout
    for line in result.stderr.splitlines():
        assert DIAGNOSTIC.match(line), line
    return out, result, elapsed


def test_hostile_model_through_the_command_line(cli, tmp_path):
    digest = hostile_model()
    source = tmp_path / "hostile.json"
    write_json(digest, source)
    out, result, _ = build_cli(cli, tmp_path, source)
    assert result.returncode == 0, result.stderr[-3000:]
    files = output_files(out)
    assert {
        "analyst/hostile.docx",
        "analyst/hostile.xlsx",
        "executive/hostile.docx",
    } <= files.keys()
    assert {
        "global/hostile.html",
        "raw/hostile.txt",
        "raw/hostile.json",
        "wiki/index.md",
        "wiki/.nav.yml",
    } <= files.keys()
    pages = [p for p in files if p.startswith("wiki/reports/") and not p.endswith("/index.md")]
    assert len(pages) == len(TITLES)
    for page in pages:  # titles are no paths: one folder per day, ASCII slugs with the id
        assert re.fullmatch(r"wiki/reports/2025-02-16/([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{8}\.md", page), page
    assert check_docx(files["executive/hostile.docx"].read_bytes()).count(EXEC_CANARY) == len(TITLES)
    analyst = check_docx(files["analyst/hostile.docx"].read_bytes())
    assert analyst.count(CANARY) == len(TITLES) and TEMPLATE in analyst and EVALUATED not in analyst
    sheet = check_xlsx(files["analyst/hostile.xlsx"].read_bytes())
    assert sheet.count(CANARY) >= len(TITLES) and EVALUATED not in sheet
    html = check_html(files["global/hostile.html"].read_bytes())
    assert html.count(CANARY) == len(TITLES) and "{{ 7*7 }} <script>" in html and EVALUATED not in html
    for page in pages:
        shown = check_markdown(page, files[page].read_text(encoding="utf-8"))
        assert CANARY in shown and EVALUATED not in shown
    for rel in ("wiki/index.md", "wiki/archive.md", "wiki/institutions.md", "wiki/_Sidebar.md", "wiki/.nav.yml"):
        check_markdown(rel, files[rel].read_text(encoding="utf-8"))
    again = json_reader.read_text(SourceText("again.json", files["raw/hostile.json"].read_text("utf-8")))
    assert again.to_json() == json_reader.JsonReader().read(str(source)).to_json()
    # the digest text: valid UTF-8, surrogates replaced (with a warning), the rest as written
    text = files["raw/hostile.txt"].read_text(encoding="utf-8")
    assert CANARY in text and "\ud800" not in text
    assert (
        "hostile.txt: warning: digest: " in result.stderr and "unpaired surrogates replaced by U+FFFD" in result.stderr
    )


#: What a text file can hold (no NUL byte, which marks a binary file; no unpaired surrogates).
FILE_SAFE = [p for p in HOSTILE if "\x00" not in p and not re.search("[\ud800-\udfff]", p)]


def test_markdown_input_with_deep_headings_and_hostile_text(cli, tmp_path):
    """A Markdown note: six heading levels again and again, hostile text under each."""
    lines = ["---", 'title: "../../etc/passwd {{ 7*7 }}"', "institution: CON", "published: 2025-02-16 16:06", "---", ""]
    for k in range(600):
        level = k % 6 + 1
        lines.append(f"{'#' * level} 第{k}节 {TEMPLATE} &lt;script&gt;x&lt;/script&gt;")
        lines.append(f"- 要点 {TEMPLATE} {{% if true %}}yes{{% endif %}} [{k % 9 + 1}]")
        lines.append(f"- {FILE_SAFE[k % len(FILE_SAFE)].strip() or 'x'}")
    lines.append("####### seven hashes is a paragraph")
    lines.append(">" * 500 + " nested quotes")
    source = tmp_path / "note.md"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, result, _ = build_cli(cli, tmp_path, source)
    assert result.returncode == 0, result.stderr[-3000:]
    files = output_files(out)
    analyst = check_docx(files["analyst/note.docx"].read_bytes())
    assert analyst.count(TEMPLATE) >= 600 and EVALUATED not in analyst
    assert check_html(files["global/note.html"].read_bytes()).count(TEMPLATE) >= 600
    check_xlsx(files["analyst/note.xlsx"].read_bytes())
    (page,) = [p for p in files if p.startswith("wiki/reports/") and not p.endswith("index.md")]
    assert check_markdown(page, files[page].read_text(encoding="utf-8")).count(TEMPLATE) >= 600
    assert "md: sections nested deeper than 5 levels" in result.stderr


def test_deeply_nested_sections_from_json(cli, tmp_path):
    """Sections 400 deep (what JSON allows): every writer renders them, the page and wiki flatten the rest."""
    section = Section("第400层", 400, "body", [Block("bullet", "最深处 [1]")])
    for depth in range(399, 0, -1):
        section = Section(
            f"第{depth}层 {TEMPLATE}", depth, "summary" if depth == 1 else "body", [Block("bullet", CANARY)], [section]
        )
    digest = Digest("deep.txt", [Report("深", "机构", datetime(2025, 2, 16, 9, 0), [section])], title="deep")
    assign_ids(digest)
    source = tmp_path / "deep.json"
    write_json(digest, source)
    out, result, _ = build_cli(cli, tmp_path, source)
    assert result.returncode == 0, result.stderr[-3000:]
    files = output_files(out)
    html = check_html(files["global/deep.html"].read_bytes())
    assert html.count(CANARY) == 399 and "最深处" in html
    assert "deep.txt: warning: html: sections nested deeper than 12 levels are shown at level 12" in result.stderr
    assert check_docx(files["analyst/deep.docx"].read_bytes()).count(CANARY) == 399
    check_xlsx(files["analyst/deep.xlsx"].read_bytes())


def test_a_hundred_thousand_bullets_through_every_writer(cli, tmp_path):
    source = tmp_path / "many.txt"
    body = "报告核心观点" + "".join(f" - 第{k}条要点 <b>{{{{ {k} }}}}</b> [{k % 50 + 1}]" for k in range(100_000))
    source.write_text("标题\n海通国际· 2025-02-16 16:06\n" + body + "\n", encoding="utf-8")
    out, result, elapsed = build_cli(cli, tmp_path, source)
    assert result.returncode == 0, result.stderr[-3000:]
    files = output_files(out)
    assert files["raw/many.txt"].read_bytes() == source.read_bytes()
    model = json.loads(files["raw/many.json"].read_bytes())
    assert len(model["reports"][0]["sections"][0]["blocks"]) == 100_000
    _, rows = check_package(files["analyst/many.xlsx"].read_bytes())
    assert max(rows.values()) == 100_001  # the Bullets sheet: a header and one row per bullet
    document = _docx_part(files["analyst/many.docx"], "word/document.xml")
    assert document.count(b'<w:pStyle w:val="ListBullet"/>') == 100_000
    check_docx(files["executive/many.docx"].read_bytes())
    html = files["global/many.html"].read_bytes()
    assert html.count(b'<li><div class="seg ') == 100_000 and b"&lt;b&gt;{{ 99999 }}&lt;/b&gt;" in html
    (page,) = [p for p in files if p.startswith("wiki/reports/") and not p.endswith("index.md")]
    markdown = files[page].read_text(encoding="utf-8")
    assert sum(line.startswith("- ") for line in markdown.splitlines()) == 100_000
    assert elapsed < 600  # a hang guard, not a speed goal


def test_a_one_megabyte_line_through_every_writer(cli, tmp_path):
    unit = "沪指涨0.43%,收报3346.72点 GPT - 4 <script>alert(1)</script> {{ 7*7 }} [a](b) =1+1 "
    line = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    source = tmp_path / "long.txt"
    source.write_text("标题\n海通国际· 2025-02-16 16:06\n报告核心观点 - " + line + " [1]\n", encoding="utf-8")
    out, result, elapsed = build_cli(cli, tmp_path, source)
    assert result.returncode == 0, result.stderr[-3000:]
    files = output_files(out)
    assert files["raw/long.txt"].read_bytes() == source.read_bytes()
    assert json.loads(files["raw/long.json"].read_bytes())["reports"][0]["sections"][0]["blocks"][0]["text"] == line
    assert line in check_docx(files["analyst/long.docx"].read_bytes())
    assert line in check_html(files["global/long.html"].read_bytes())
    check_package(files["analyst/long.xlsx"].read_bytes())
    (page,) = [p for p in files if p.startswith("wiki/reports/") and not p.endswith("index.md")]
    assert line in check_markdown(page, files[page].read_text(encoding="utf-8"))
    assert elapsed < 600  # a hang guard, not a speed goal


def _docx_part(path: Path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(name)
