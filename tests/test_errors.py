"""Broken input: positioned messages, a non-zero exit, never a traceback,
and the good reports of the same file still read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

POSITIONED = re.compile(r"^(?P<file>[^\n:]+):(?P<line>\d+):(?P<col>\d+): error: ", re.MULTILINE)


def _lines(sample_path: Path) -> list[str]:
    return sample_path.read_text(encoding="utf-8").split("\n")


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _broken(sample_path: Path) -> dict[str, tuple[list[str], int, int, str]]:
    """name → (lines, expected line, expected column, words in the message)."""
    s = _lines(sample_path)
    cases = {}
    a = list(s)
    a[5] = "国信证券· 2025-02-30 15:12"
    cases["invalid_timestamp"] = (a, 6, 7, "invalid timestamp")
    a = list(s)
    a[5] = "国信证券·"
    cases["missing_timestamp"] = (a, 6, 6, "missing timestamp")
    a = list(s)
    a[5] = "国信证券· 昨天下午"
    cases["timestamp_words"] = (a, 6, 7, "invalid timestamp")
    a = list(s)
    a[6] = ""
    cases["empty_body"] = (a, 7, 1, "empty body")
    a = [*s, "某报告标题", "某机构· 2025-02-14 10:00"]
    cases["truncated_after_institution"] = (a, len(s) + 3, 1, "truncated")
    a = [*s, "只有标题的报告"]
    cases["truncated_title_only"] = (a, len(s) + 1, 1, "no institution line")
    a = list(s)
    a[4] = ""
    cases["missing_title"] = (a, 6, 1, "no title")
    return cases


CASES = [
    "invalid_timestamp",
    "missing_timestamp",
    "timestamp_words",
    "empty_body",
    "truncated_after_institution",
    "truncated_title_only",
    "missing_title",
]


@pytest.mark.parametrize("case", CASES)
def test_check_reports_position_and_keeps_good_reports(case, tmp_path, sample_path, cli):
    lines, line, col, words = _broken(sample_path)[case]
    path = _write(tmp_path, f"{case}.txt", lines)
    result = cli("check", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    match = POSITIONED.search(result.stdout)
    assert match, result.stdout
    assert match.group("file") == str(path)
    assert (int(match.group("line")), int(match.group("col"))) == (line, col)
    assert words in result.stdout
    good = 10 if case.startswith("truncated") else 9
    assert f"{good} reports read, 1 skipped" in result.stdout

    parsed = cli("parse", str(path))
    assert parsed.returncode == 1
    assert len(json.loads(parsed.stdout)["reports"]) == good
    # nothing is lost: the rejected lines come back in the digest form
    back = cli("parse", "--to", "digest", str(path))
    assert back.stdout == path.read_text(encoding="utf-8")


def test_strict_turns_warnings_into_failure(tmp_path, cli):
    path = _write(
        tmp_path, "raw.txt", ["T", "海通国际· 2025-02-16 16:06", "报告核心观点 - 要点 [1] 没有引用的结尾文字"]
    )
    relaxed = cli("check", str(path))
    assert relaxed.returncode == 0
    assert re.search(r":3:\d+: warning: .*raw text", relaxed.stdout)
    strict = cli("check", "--strict", str(path))
    assert strict.returncode == 1


def test_unclassified_text_is_kept_not_dropped(tmp_path, cli):
    path = _write(
        tmp_path, "raw.txt", ["T", "海通国际· 2025-02-16 16:06", "报告核心观点 - 要点 [1] 没有引用的结尾文字"]
    )
    model = json.loads(cli("parse", str(path)).stdout)
    blocks = model["reports"][0]["sections"][0]["blocks"]
    assert blocks[-1]["kind"] == "raw" and blocks[-1]["text"] == "没有引用的结尾文字"


def test_unreadable_and_missing_files(tmp_path, cli, sample_path):
    result = cli("check", str(tmp_path / "missing.txt"), str(tmp_path), str(sample_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'missing.txt'}: error: cannot read file" in result.stdout
    assert f"{tmp_path}: error: is a directory" in result.stdout
    assert "10 reports read" in result.stdout


def test_wrong_encoding_is_positioned(tmp_path, cli):
    path = tmp_path / "bad.txt"
    path.write_bytes("标题\n海通国际· 2025-02-16 16:06\n".encode() + b"\x80\x80\xff\xff\n")
    result = cli("check", str(path))
    assert result.returncode == 1
    assert re.search(rf"{re.escape(str(path))}:3:1: error: not UTF-8 or GB18030", result.stdout), result.stdout


def test_forced_encoding_that_does_not_fit(tmp_path, cli, sample_path):
    path = tmp_path / "sample.txt"
    path.write_bytes(sample_path.read_bytes())
    result = cli("check", "--encoding", "ascii", str(path))
    assert result.returncode == 1
    assert re.search(r":2:1: error: cannot decode as ascii", result.stdout), result.stdout


def test_binary_file(tmp_path, cli):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = cli("check", str(path))
    assert result.returncode == 1 and "not a text file" in result.stdout


def test_no_reports_at_all(tmp_path, cli):
    path = _write(tmp_path, "notes.txt", ["just some notes", "nothing else"])
    result = cli("check", str(path))
    assert result.returncode == 1
    assert f"{path}:1:1: error: no reports found" in result.stdout


@pytest.mark.parametrize("variant", ["bom", "crlf", "gb18030"])
def test_encodings_and_line_ends(variant, tmp_path, cli, sample_path):
    text = sample_path.read_text(encoding="utf-8")
    data = {
        "bom": b"\xef\xbb\xbf" + text.encode(),
        "crlf": text.replace("\n", "\r\n").encode(),
        "gb18030": text.encode("gb18030"),
    }[variant]
    path = tmp_path / f"{variant}.txt"
    path.write_bytes(data)
    parsed = cli("parse", str(path))
    assert parsed.returncode == 0, parsed.stderr
    model = json.loads(parsed.stdout)
    assert next(r["title"] for r in model["reports"]) == "股息增长潜力可期;非常规业务推进信心十足"
    assert len(model["reports"]) == 10
    built = cli("build", str(path), "--format", "digest", "--out", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "analyst" / f"{variant}.txt").read_bytes() == data


def test_gb18030_given_explicitly(tmp_path, cli, sample_path):
    path = tmp_path / "gb.txt"
    path.write_bytes(sample_path.read_text(encoding="utf-8").encode("gb18030"))
    result = cli("check", "--encoding", "gb18030", str(path))
    assert result.returncode == 0 and "10 reports read" in result.stdout


def test_invalid_json_model(tmp_path, cli):
    path = tmp_path / "model.json"
    path.write_text('{"version": 1,\n "reports": [}', encoding="utf-8")
    result = cli("check", str(path))
    assert result.returncode == 1
    assert f"{path}:2:14: error: invalid JSON" in result.stdout


def test_json_model_with_a_path_as_id(tmp_path, cli, sample_path):
    model = json.loads(cli("parse", str(sample_path)).stdout)
    model["reports"][0]["id"] = "../../etc"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
    result = cli("parse", str(path))
    assert result.returncode == 0
    assert "warning: report id '../../etc' is not of the form" in result.stderr
    assert json.loads(result.stdout)["reports"][0]["id"] == "f3c4e1630bf2"
