"""Regressions the hostile-input suite and the fuzzers found, one test per problem."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.model import Block, Digest, Report, Section, assign_ids
from publisher.readers import json as json_reader
from publisher.readers.source import SourceText
from publisher.writers.base import RenderContext

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
        ("version", 2, "version: must be 1, found 2"),
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
    (line,) = result.stderr.splitlines()
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
