"""Reproducible builds, every format: the same input and ``SOURCE_DATE_EPOCH`` give the same bytes
(separate processes, other output folders, ``-j 1`` or ``-j 2``); another build time changes
only the stamps that show it."""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from publisher.reproducible import zip_date_time

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from corpus import make_digest

EPOCH_A = 1739700000  # 2025-02-16 10:00:00 UTC
EPOCH_B = 1700000000  # 2023-11-14 22:13:20 UTC
EXTENSIONS = {".docx", ".xlsx", ".md", ".html", ".json", ".txt", ".yml"}


def _inputs(sample_path: Path, tmp_path: Path) -> list[Path]:
    """The sample and a generated digest of 60 reports (two digests: the wiki indexes span both)."""
    generated = tmp_path / "in" / "generated-2025-02-17.txt"
    generated.parent.mkdir()
    generated.write_text(make_digest(60), encoding="utf-8")
    return [sample_path, generated]


def _templates(tmp_path: Path) -> Path:
    """An audience writing the digest and json formats, so that ``-a all`` covers every writer."""
    root = tmp_path / "templates"
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "raw" / "profile.toml").write_text(
        'description = "The digest text and the model"\nbase = "base"\nformats = ["digest", "json"]\n'
        'transforms = ["metrics"]\n',
        encoding="utf-8",
    )
    return root


def _build(cli, tmp_path: Path, inputs: list[Path], out: Path, epoch: int, *extra: str) -> dict[str, bytes]:
    args = [str(p) for p in inputs]
    result = cli(
        "build", *args, "-a", "all", "-t", str(_templates(tmp_path)), "-o", str(out), "-q", *extra,
        env={"SOURCE_DATE_EPOCH": str(epoch)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".publisher" not in p.parts
    }


def _stamps(epoch: int) -> list[str]:
    """How outputs write the build time: ISO 8601 (document properties, <time>) and for people."""
    when = datetime.fromtimestamp(epoch, tz=UTC)
    local = when.astimezone(ZoneInfo("Asia/Shanghai"))  # the audiences' time zone
    return [when.strftime("%Y-%m-%dT%H:%M:%SZ"), local.strftime("%Y-%m-%d %H:%M CST")]


def _restamped(data: bytes, old: int, new: int) -> bytes:
    for a, b in zip(_stamps(old), _stamps(new), strict=True):
        data = data.replace(a.encode(), b.encode())
    return data


def test_same_input_and_epoch_give_the_same_bytes_in_every_format(cli, sample_path, tmp_path):
    inputs = _inputs(sample_path, tmp_path)
    first = _build(cli, tmp_path, inputs, tmp_path / "one", EPOCH_A, "-j", "1")
    second = _build(cli, tmp_path, inputs, tmp_path / "two", EPOCH_A, "-j", "2")
    assert {Path(p).suffix for p in first} == EXTENSIONS
    assert len(first) > 80  # two digests for five audiences, 70 wiki pages
    assert first.keys() == second.keys()
    differ = [p for p in first if first[p] != second[p]]
    assert not differ, differ
    for path, data in first.items():
        if path.endswith((".docx", ".xlsx")):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert {i.date_time for i in z.infolist()} == {zip_date_time(datetime.fromtimestamp(EPOCH_A, UTC))}


def test_another_build_time_changes_only_the_stamps(cli, sample_path, tmp_path):
    inputs = _inputs(sample_path, tmp_path)
    a = _build(cli, tmp_path, inputs, tmp_path / "a", EPOCH_A)
    b = _build(cli, tmp_path, inputs, tmp_path / "b", EPOCH_B)
    assert a.keys() == b.keys()
    changed_parts: set[str] = set()
    for path in a:
        if path.endswith((".md", ".yml", ".json", ".txt")):
            assert a[path] == b[path], path  # no clock in a wiki page, the model or the digest text
        elif path.endswith(".html"):
            assert a[path] != b[path] and _restamped(a[path], EPOCH_A, EPOCH_B) == b[path], path
        else:
            with zipfile.ZipFile(io.BytesIO(a[path])) as za, zipfile.ZipFile(io.BytesIO(b[path])) as zb:
                assert za.namelist() == zb.namelist(), path
                for ia, ib in zip(za.infolist(), zb.infolist(), strict=True):
                    assert ia.date_time == zip_date_time(datetime.fromtimestamp(EPOCH_A, UTC))
                    assert ib.date_time == zip_date_time(datetime.fromtimestamp(EPOCH_B, UTC))
                    pa, pb = za.read(ia), zb.read(ib)
                    if pa != pb:
                        changed_parts.add(f"{Path(path).suffix} {ia.filename}")
                        assert _restamped(pa, EPOCH_A, EPOCH_B) == pb, (path, ia.filename)
    # document properties (created, modified) and the briefing cover's generation time
    assert changed_parts == {".docx docProps/core.xml", ".docx word/document.xml", ".xlsx docProps/core.xml"}


def test_nothing_else_in_the_environment_leaks_into_the_bytes(cli, sample_path, tmp_path):
    """Another time zone, locale and hash seed, the same bytes."""
    inputs = _inputs(sample_path, tmp_path)
    here = _build(cli, tmp_path, inputs, tmp_path / "here", EPOCH_A)
    out = tmp_path / "there"
    args = [str(p) for p in inputs]
    env = {"SOURCE_DATE_EPOCH": str(EPOCH_A), "TZ": "America/Los_Angeles", "LANG": "C", "PYTHONHASHSEED": "12345"}
    result = cli("build", *args, "-a", "all", "-t", str(_templates(tmp_path)), "-o", str(out), "-q", env=env)
    assert result.returncode == 0, result.stderr
    there = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.rglob("*")
        if p.is_file() and ".publisher" not in p.parts
    }
    assert there == {k: hashlib.sha256(v).hexdigest() for k, v in here.items()}
