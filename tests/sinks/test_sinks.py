"""The folder sink: atomic writes, and no path outside the output folder."""

from __future__ import annotations

import pytest

from publisher.sinks.folder import FolderSink, UnsafePathError, atomic_write
from publisher.writers.base import Output


@pytest.mark.parametrize(
    "path", ["../escape.txt", "/etc/passwd", "a/../../b", "CON", "nul.txt", "a\\b", "", "x/./y", "c:evil", "dir/ "]
)
def test_unsafe_paths_are_refused(tmp_path, path):
    sink = FolderSink(tmp_path / "out")
    with pytest.raises(UnsafePathError):
        sink.write([Output(path, b"x")])
    assert not any(tmp_path.rglob("*.txt"))


def test_symlink_escape_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError):
        FolderSink(out).write([Output("link/escape.txt", b"x")])
    assert not (tmp_path / "escape.txt").exists()


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_bytes(b"old")

    def explode(handle):
        handle.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_unchanged_files_are_not_rewritten(tmp_path):
    sink = FolderSink(tmp_path)
    first = sink.write([Output("a/b.txt", b"same")])
    mtime = (tmp_path / "a" / "b.txt").stat().st_mtime_ns
    second = sink.write([Output("a/b.txt", b"same")])
    assert [w.status for w in first + second] == ["written", "unchanged"]
    assert (tmp_path / "a" / "b.txt").stat().st_mtime_ns == mtime
