"""Byte-identical ZIP containers: fixed entry times and attributes, whatever the clock says."""

from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import UTC, datetime

from publisher.reproducible import ReproducibleZipFile, zip_date_time


def archive(tmp_path, when: datetime) -> bytes:
    part = tmp_path / "part.xml"
    part.write_bytes(b"<x/>" * 1000)
    os.utime(part, (time.time(), time.time()))  # a file's own mtime must not leak into the archive
    buffer = io.BytesIO()
    with ReproducibleZipFile(buffer, when, overrides={"docProps/app.xml": b"<fixed/>"}) as z:
        z.writestr("a.xml", "<a/>")
        z.writestr("docProps/app.xml", b"<from the library/>")
        z.write(part, "xl/part.xml")
    return buffer.getvalue()


def test_same_content_same_bytes(tmp_path):
    when = datetime(2025, 2, 16, 10, 0, 1, tzinfo=UTC)
    first = archive(tmp_path, when)
    time.sleep(1.1)
    assert archive(tmp_path, when) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert [i.filename for i in z.infolist()] == ["a.xml", "docProps/app.xml", "xl/part.xml"]
        assert {i.date_time for i in z.infolist()} == {(2025, 2, 16, 10, 0, 0)}
        assert z.read("docProps/app.xml") == b"<fixed/>"
        assert z.read("xl/part.xml") == b"<x/>" * 1000
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())


def test_times_outside_the_zip_range_are_clamped():
    assert zip_date_time(datetime(1970, 1, 1, tzinfo=UTC)) == (1980, 1, 1, 0, 0, 0)
    assert zip_date_time(datetime(2200, 1, 1, tzinfo=UTC))[0] == 2107
    assert zip_date_time(datetime(2025, 2, 16, 10, 0, 3)) == (2025, 2, 16, 10, 0, 2)  # naive = UTC, 2 s steps


def test_the_compression_level_is_applied(tmp_path):
    part = tmp_path / "part.xml"
    part.write_bytes(b"".join(b"<row r='%d'><c>%d</c></row>" % (i, i * 7919 % 10007) for i in range(20_000)))
    sizes = []
    for level in (1, 9):
        buffer = io.BytesIO()
        with ReproducibleZipFile(buffer, datetime(2025, 2, 16, tzinfo=UTC), compresslevel=level) as z:
            z.writestr("a.xml", part.read_bytes())
            z.write(part, "b.xml")
        with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
            assert z.read("a.xml") == z.read("b.xml") == part.read_bytes()
            sizes.append([i.compress_size for i in z.infolist()])
    assert sizes[0][0] > sizes[1][0] and sizes[0][1] > sizes[1][1]  # level 1 is faster and larger than 9
