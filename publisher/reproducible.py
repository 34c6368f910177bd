"""Byte-identical ZIP containers (xlsx, docx): fixed entry times, attributes and order.

Office files are ZIP archives.  ``zipfile`` stamps every entry with the
current local time (or a temporary file's mtime), so two builds of the same
input differ.  :class:`ReproducibleZipFile` writes every entry with one given
time (the build time, which honours ``SOURCE_DATE_EPOCH``), fixed permissions
and the ``create_system`` of the platform-neutral MS-DOS form; entries keep
the order the library writes them in, which is deterministic.  File entries
are copied in chunks, so large parts (worksheets) never sit in memory.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a ZIP entry can hold
ZIP_END = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)


def zip_date_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """``when`` (UTC) as a ZIP entry time, clamped to the range ZIP can store."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = min(max(when.astimezone(UTC), ZIP_EPOCH), ZIP_END)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)


class ReproducibleZipFile(zipfile.ZipFile):
    """A write-mode ``ZipFile`` whose bytes depend only on what is written into it.

    ``overrides`` maps entry names to bytes written instead of what the
    caller passes (to replace a part a library writes, e.g. ``docProps/app.xml``).
    """

    def __init__(
        self,
        file: str | IO[bytes],
        when: datetime,
        *,
        compression: int = zipfile.ZIP_DEFLATED,
        compresslevel: int = 6,
        overrides: dict[str, bytes] | None = None,
    ) -> None:
        super().__init__(file, "w", compression=compression, allowZip64=True, compresslevel=compresslevel)
        self.date_time = zip_date_time(when)
        self.overrides = dict(overrides or {})

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = self.compression
        info._compresslevel = self.compresslevel  # type: ignore[attr-defined]  # zipfile applies its own level only to entries given by name
        info.create_system = 0
        info.external_attr = 0
        return info

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: str | bytes,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        if name in self.overrides:
            data = self.overrides[name]
        super().writestr(self._info(name), data, compress_type, compresslevel)

    def write_chunks(self, name: str, chunks: Iterable[bytes]) -> None:
        """An entry written as its chunks come (the same bytes as :meth:`writestr` of their join)."""
        with self.open(self._info(name), "w") as target:
            for chunk in chunks:
                target.write(chunk)

    def write(self, filename: Any, arcname: str | None = None, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = arcname or str(filename)
        if name in self.overrides:
            super().writestr(self._info(name), self.overrides[name])
            return
        info = self._info(name)
        info.file_size = os.path.getsize(filename)  # lets zipfile decide on ZIP64 as it would for writestr
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)
