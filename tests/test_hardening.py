"""Regressions the hostile-input suite and the fuzzers found, one test per problem."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostic, Diagnostics, printable
from publisher.model import Block, Digest, Report, Section, assign_ids
from publisher.readers import json as json_reader
from publisher.readers.source import SourceText
from publisher.writers.base import RenderContext
from publisher.writers.digest import DigestWriter
from publisher.writers.html import HtmlWriter
from publisher.writers.json import JsonWriter
from publisher.writers.markdown import MarkdownWriter

BUILD_TIME = datetime(2025, 2, 16, 10, 0, tzinfo=UTC)


def _digest(title: str = "标题", text: str = "要点", source: str = "x.txt") -> Digest:
    report = Report(
        title, "机构", datetime(2025, 2, 16, 9, 0), [Section("核心观点", 1, "summary", [Block("bullet", text)])]
    )
    digest = Digest(source, [report], title=title)
    assign_ids(digest)
    return digest


def _model_file(tmp_path: Path, digest: Digest, name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(digest.to_json(), ensure_ascii=True), encoding="ascii")
    return path


def _ctx(audience: str) -> RenderContext:
    return RenderContext(AudienceCatalog().load(audience), Diagnostics(), BUILD_TIME)


# --- unpaired surrogates (a JSON model may hold them: "\ud800") ----------------------------------------


def test_unpaired_surrogates_in_a_json_model_build(cli, tmp_path):
    """They once broke the build engine's fingerprints: an internal error, nothing written."""
    source = _model_file(tmp_path, _digest(title="标题 \ud800", text="要点 \udfff"))
    result = cli("build", str(source), "-a", "wiki", "-o", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "wiki" / "index.md").is_file()


def test_json_writer_escapes_unpaired_surrogates():
    digest = _digest(title="标题 \ud800", text="a\udfffb")
    (output,) = JsonWriter().write(digest, _ctx("analyst"))
    text = output.content().decode("utf-8")  # valid UTF-8: other JSON tools can read it
    assert "\\ud800" in text and "a\\udfffb" in text
    again = json_reader.read_text(SourceText("again.json", text))
    assert again.to_json() == digest.to_json()


def test_digest_writer_replaces_unpaired_surrogates_with_a_warning():
    digest = _digest(title="标题 \ud800", text="a\udfffb")
    ctx = _ctx("analyst")
    (output,) = DigestWriter().write(digest, ctx)
    text = output.content().decode("utf-8")
    assert "标题 \ufffd" in text and "a\ufffdb" in text
    assert [str(d) for d in ctx.diagnostics] == ["x.txt: warning: digest: 2 unpaired surrogates replaced by U+FFFD"]


def test_digest_writer_falls_back_to_utf8_for_text_its_encoding_cannot_hold():
    digest = _digest()
    digest.encoding = "latin-1"
    ctx = _ctx("analyst")
    (output,) = DigestWriter().write(digest, ctx)
    assert output.content().decode("utf-8").startswith("标题\n")
    assert "cannot be written in latin-1; written as UTF-8" in str(ctx.diagnostics.items[0])


# --- the JSON reader checks the model --------------------------------------------------------------


GOOD = {
    "version": 1,
    "source": "x.txt",
    "reports": [
        {
            "id": "000000000000",
            "title": "t",
            "institution": "i",
            "published_at": "2025-02-16T16:06",
            "sections": [
                {
                    "heading": "h",
                    "level": 1,
                    "role": "summary",
                    "blocks": [{"kind": "bullet", "text": "abc", "citations": [{"ref": 1, "offset": 3}]}],
                }
            ],
        }
    ],
}


def _bad(path: str, value: object) -> dict:
    data = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("reports.0.sections.0.blocks.0.text", 5, "reports[0].sections[0].blocks[0].text: expected string, found 5"),
        ("reports.0.sections.0.blocks.0.kind", "list", 'blocks[0].kind: must be one of "bullet", "paragraph", "raw"'),
        ("reports.0.sections.0.role", "intro", 'sections[0].role: must be one of "summary"'),
        ("reports.0.sections.0.level", 0, "reports[0].sections[0].level: 0 is below the minimum 1"),
        ("reports.0.sections.0.level", True, "reports[0].sections[0].level: expected integer, found true"),
        ("reports.0.sections.0.blocks.0.citations.0.offset", 4, "citations[0].offset: 4 is outside the text"),
        ("reports.0.sections.0.blocks.0.citations.0.ref", -1, "citations[0].ref: -1 is below the minimum 0"),
        ("reports.0.published_at", "2025-02-16T16:06+08:00", 'published_at: "2025-02-16T16:06+08:00" has a zone'),
        ("reports.0.published_at", "yesterday", 'published_at: "yesterday" is not an ISO 8601 time'),
        ("reports.0.title", KeyError, "reports[0]: missing field 'title'"),
        ("version", 3, "version: must be 1 or 2, found 3"),
        ("layout", {"encoding": "rot13"}, 'layout.encoding: "rot13" is not a text encoding'),
        ("layout", {"newline": "\r"}, "layout.newline: must be one of"),
        ("reports.0.sections.0.blocks.0.metrics", [{"subject": "x", "value": "1e9", "unit": ""}], "metrics[0].value"),
    ],
)
def test_json_reader_names_what_is_wrong(cli, tmp_path, path, value, message):
    """Once such a model went through and a writer failed on it ("docx writer failed: TypeError")."""
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(_bad(path, value)), encoding="utf-8")
    result = cli("build", str(source), "-a", "executive,analyst,global", "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert line.startswith(f"{source}:1:1: error: not a publisher model: ") and message in line, line
    assert not [p for p in (tmp_path / "o").rglob("*") if p.is_file() and ".publisher" not in p.parts]


def test_json_reader_still_computes_missing_or_malformed_ids():
    data = _bad("reports.0.id", "../../x")
    data["reports"][0]["slug"] = "../../etc/passwd"  # computed, never read
    diagnostics = Diagnostics()
    digest = json_reader.read_text(SourceText("x.json", json.dumps(data)), diagnostics)
    assert re.fullmatch("[0-9a-f]{12}", digest.reports[0].id) and digest.reports[0].slug.startswith("t-")
    assert "is not of the form of the model schema; a new one is computed" in str(diagnostics.items[0])


def test_json_reader_checks_deep_models_without_recursion():
    section: dict = {"heading": "h", "level": 1, "role": "body", "blocks": [{"kind": "x", "text": "t"}]}
    for _ in range(300):
        section = {"heading": "h", "level": 1, "role": "body", "children": [section]}
    data = _bad("reports.0.sections", [section])
    problem = json_reader.model_problem(data)
    assert problem and problem.startswith("reports[0].sections[0]" + ".children[0]" * 300 + ".blocks[0].kind")


# --- the HTML page and deep sections -----------------------------------------------------------------


def test_html_flattens_sections_nested_deeper_than_twelve_levels():
    """A JSON model may nest sections hundreds of levels deep; the page once failed (RecursionError)."""
    section = Section("第300层", 300, "body", [Block("bullet", "最深处")])
    for depth in range(299, 0, -1):
        section = Section(f"第{depth}层", depth, "body", [Block("bullet", f"要点{depth}")], [section])
    report = Report("深", "机构", datetime(2025, 2, 16, 9, 0), [section])
    digest = Digest("deep.txt", [report], title="deep")
    assign_ids(digest)
    ctx = _ctx("global")
    (output,) = HtmlWriter().write(digest, ctx)
    page = output.content().decode("utf-8")
    assert page.count('<section class="section') == 300
    assert page.index("要点1<") < page.index("要点12<") < page.index("要点13<") < page.index("最深处")
    opened = closed = deepest = 0
    for tag in re.findall(r"<section class=\"section|</section>", page):
        opened, closed = (opened + 1, closed) if tag.startswith("<section") else (opened, closed + 1)
        deepest = max(deepest, opened - closed)
    assert deepest == 13  # twelve levels, the rest as siblings one level below
    assert [str(d) for d in ctx.diagnostics if "min_coverage" not in str(d)] == [  # (no catalog translates it)
        "deep.txt: warning: html: sections nested deeper than 12 levels are shown at level 12"
    ]


# --- the wiki navigation -------------------------------------------------------------------------------


def test_navigation_holds_titles_longer_than_a_yaml_key_may_be():
    """YAML keys written as ``key: value`` may have 1,024 characters; a long title broke .nav.yml."""
    digest = _digest(title="长" * 2000 + ' "引号" \\ ' + "<b>")
    writer = MarkdownWriter()
    ctx = _ctx("wiki")
    (nav,) = [o for o in writer.write_collection([digest], ctx) if o.path == ".nav.yml"]
    text = nav.data.decode("utf-8")
    assert "- ? " in text
    entries = next(e["报告"] for e in yaml.safe_load(text)["nav"] if "报告" in e)[0]["2025-02-16"]
    assert entries[1] == {"长" * 2000 + ' "引号" \\ &lt;b&gt;': f"reports/2025-02-16/{digest.reports[0].slug}.md"}


# --- messages: input text never reaches the terminal raw -------------------------------------------------


def test_diagnostics_escape_control_and_bidi_characters():
    assert printable("a\x1b[2Jb\nc\u202ed\ud800 中文") == "a\\x1b[2Jb\\nc\\u202ed\\ud800 中文"
    shown = str(Diagnostic("error", "bad \x07 title \u2066", "evil\x1b]0;x\x07.json", 3, 4))
    assert shown == "evil\\x1b]0;x\\x07.json:3:4: error: bad \\x07 title \\u2066"


def test_a_json_model_cannot_forge_messages(cli, tmp_path):
    """The model's source names the file in messages: an escape sequence or a line break in it stays text."""
    digest = _digest(source="evil\x1b[2J\nfake.txt:1:1: error: injected\ud800.txt", text="\x00")
    source = _model_file(tmp_path, digest)
    result = cli("build", str(source), "-a", "wiki", "-o", str(tmp_path / "o"))
    assert result.returncode == 0
    assert "\x1b" not in result.stderr and "\nfake.txt" not in result.stderr
    assert "evil\\x1b[2J\\nfake.txt:1:1: error: injected\\ud800.txt:" in result.stderr
    check = cli("check", str(source))
    assert check.returncode == 0 and "internal error" not in check.stderr


# --- file names and printed models ------------------------------------------


def test_markers_with_leading_zeros_or_other_digits_stay_text():
    """``[09]`` would come back as ``[9]`` and ``[١٢]`` as ``[12]``: they are text, not citations (found by atheris)."""
    from publisher.readers.digest import read_text
    from publisher.writers.digest import digest_text

    text = "标题\n海通国际· 2025-02-16 16:06\n报告核心观点 - 北证[09]与[١٢]及[007] 涨[3]\n"
    digest = read_text(SourceText("x.txt", text), Diagnostics())
    (block,) = digest.reports[0].sections[0].blocks
    assert block.refs == [3] and "[09]与[١٢]及[007]" in block.text
    assert digest_text(digest) == text


def test_a_digest_named_like_a_windows_device_is_built(cli, sample_path, tmp_path):
    source = tmp_path / "CON.txt"
    source.write_bytes(sample_path.read_bytes())
    result = cli("build", str(source), "-a", "executive", "-o", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "o" / "executive").glob("*.docx"))) == 1


def test_parse_prints_a_model_with_unpaired_surrogates(cli, tmp_path):
    source = _model_file(tmp_path, _digest(title="标题 \ud800"))
    result = cli("parse", str(source))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"] == "标题 \ud800"


# --- the build engine ---------------------------------------------------------------------------------


def _outputs(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".publisher" not in p.parts
    }


INDEXES = {"wiki/index.md", "wiki/archive.md", "wiki/institutions.md", "wiki/_Sidebar.md", "wiki/.nav.yml"}


def test_an_unreadable_input_removes_nothing_an_earlier_build_wrote(cli, sample_path, tmp_path):
    """A truncated or binary feed once made the build delete every page and workbook of that digest."""
    source, out = tmp_path / "feed.txt", tmp_path / "out"
    source.write_bytes(sample_path.read_bytes())
    assert cli("build", str(source), "-a", "wiki,analyst", "-o", str(out)).returncode == 0
    before = _outputs(out)
    source.write_bytes(b"\x00 not a digest")
    broken = cli("build", str(source), "-a", "wiki,analyst", "-o", str(out))
    assert broken.returncode == 1 and "removed" not in broken.stdout
    assert "wiki: warning: input errors: kept the outputs of 10 earlier jobs" in broken.stderr
    after = _outputs(out)
    assert after.keys() == before.keys()
    assert {k for k in after if after[k] != before[k]} <= INDEXES
    # a report that cannot be read keeps its page too
    text = sample_path.read_text(encoding="utf-8").replace("海通国际· 2025-02-16 16:06", "海通国际· 2025-02-30 16:06")
    source.write_text(text, encoding="utf-8")
    skipped = cli("build", str(source), "-a", "wiki,analyst", "-o", str(out))
    assert skipped.returncode == 1 and "removed" not in skipped.stdout
    assert _outputs(out).keys() == before.keys()
    # once the input is good again, the build mirrors it exactly
    source.write_text(text.replace("2025-02-30", "2025-02-15"), encoding="utf-8")
    fixed = cli("build", str(source), "-a", "wiki,analyst", "-o", str(out))
    assert fixed.returncode == 0 and "removed" in fixed.stdout
    assert cli("build", str(source), "-a", "wiki,analyst", "-o", str(tmp_path / "fresh")).returncode == 0
    assert _outputs(out).keys() == _outputs(tmp_path / "fresh").keys()


def test_an_audience_without_wiki_templates_asking_for_md_is_a_clear_usage_error(cli, sample_path, tmp_path):
    """The default page layout once read a slot descriptor: "md.page must be a string path, not <member …>"."""
    result = cli("build", str(sample_path), "-a", "analyst", "-f", "md", "-o", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "has no template 'report.md.j2'" in result.stderr and "member" not in result.stderr


def test_institution_folders_are_never_windows_device_names(cli, tmp_path):
    """With md.page = "{institution}/…" an institution called NUL gave the folder "nul", which the sink refuses."""
    source = tmp_path / "inst.txt"
    source.write_text(
        "标题\nNUL· 2025-02-16 16:06\n报告核心观点 - a [1]\n标题二\nCOM1.txt· 2025-02-16 16:07\n报告核心观点 - b [1]\n",
        encoding="utf-8",
    )
    result = cli("build", str(source), "-a", "wiki", "-D", "md.page={institution}/{slug}.md", "-o", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    pages = (tmp_path / "o" / "wiki").glob("*/*.md")
    assert sorted(p.parent.name for p in pages if p.parent.name != "companies") == ["com1-txt", "nul_"]
