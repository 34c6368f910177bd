"""A lazy read streams its file (``FileLines``): the same model and messages as reading it whole, in little memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read, read_text
from publisher.readers.source import read_source

LINES = st.sampled_from(
    [
        "标题一:公司业绩稳健",
        "某证券· 2025-02-16 09:30",
        "核心观点 - 营收增长12% [1] - 维持买入评级 [2]",
        "Title with a · dot",
        "Bank· 2025-02-17",
        "Bank· not a time",
        "",
        "   ",
        "a trailing line without marks",
        "- bullet without a mark",
        "盈利预测 - 预计2025-2027年归母净利润4.4/4.8/5.3亿元 [3]",
    ]
)


def _same(path: Path) -> None:
    streamed, whole = Diagnostics(), Diagnostics()
    a = read(str(path), diagnostics=streamed, lazy=True)
    b = read_text(read_source(str(path)), whole, lazy=True)
    assert a.source_hash == b.source_hash
    assert (a.preamble, a.epilogue) == (b.preamble, b.epilogue)
    assert [(s.index, s.lines, s.message, s.pos) for s in a.skipped] == [
        (s.index, s.lines, s.message, s.pos) for s in b.skipped
    ]
    assert a.to_json() == b.to_json()
    assert [str(d) for d in streamed] == [str(d) for d in whole]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINES, max_size=24),
    newline=st.sampled_from(["\n", "\r\n", "mixed"]),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
    final=st.booleans(),
)
def test_a_streamed_read_is_a_whole_read(tmp_path, lines, newline, bom, encoding, final):
    text = "\n".join(lines) + ("\n" if final else "")
    if newline == "mixed":
        text = text.replace("\n", "\r\n", 2)
    elif newline == "\r\n":
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "feed.txt"
    path.write_bytes(data)
    _same(path)


def test_a_streamed_read_holds_one_report_at_a_time(tmp_path):
    body = "核心观点 - " + " - ".join(f"第{k}条营收增长{k % 50}% [1]" for k in range(20_000))
    path = tmp_path / "feed.txt"
    with path.open("w", encoding="utf-8") as f:
        for k in range(20):
            f.write(f"标题{k}:公司点评\n某证券· 2025-02-16 09:{k:02d}\n{body}\n")
    size = path.stat().st_size
    peaks = []
    for reading in (lambda: read(str(path), lazy=True), lambda: read_text(read_source(str(path)), lazy=True)):
        tracemalloc.start()
        try:
            digest = reading()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert len(digest.reports) == 20
        del digest
    streamed, whole = peaks
    assert whole > 2 * size  # its bytes, its text and its lines
    assert streamed < size / 2, f"peak {streamed:,} bytes for a file of {size:,}"  # a report's lines, a few times


def test_a_file_changed_between_its_passes_is_an_error_not_a_mixed_read(tmp_path):
    import hashlib

    import pytest

    from publisher.readers.source import InputError, open_lines

    path = tmp_path / "feed.txt"
    path.write_text("标题\n某证券· 2025-02-16 09:30\n观点 - 营收增长12% [1]\n", encoding="utf-8")
    lines = open_lines(str(path), hashlib.sha256())
    assert lines is not None and len(lines) == 4
    with path.open("a", encoding="utf-8") as f:
        f.write("标题二\n")
    with pytest.raises(InputError, match="the file changed while it was being read"):
        list(lines)
    with pytest.raises(InputError, match="the file changed while it was being read"):
        _ = lines[0]
    lines.close()
    fresh = open_lines(str(path), hashlib.sha256())
    assert fresh is not None
    try:
        assert fresh[2] == "观点 - 营收增长12% [1]"
        fresh.drop_before(2)
        with pytest.raises(IndexError):
            _ = fresh[0:3]  # a dropped line is never served as another
    finally:
        fresh.close()
