"""PDF briefings (``--format pdf``): the audience's Word briefing, laid out by LibreOffice.

The writer renders the same ``.docx`` as ``--format docx`` (same template,
reference document and settings) and has LibreOffice (``soffice``, run
headless) open it, update its indexes, so that the table of contents gets
its page numbers, and export it as PDF with every font embedded and subset.

LibreOffice runs with a profile of its own, made once per process in a
temporary folder, holding one Basic macro of this module (load hidden,
update the indexes, export, close); the document's own content never runs
anything.  Each conversion is bounded by ``pdf.timeout`` seconds.  The PDF's
creation date is the build time and its file identifier a hash of its bytes,
so the same input and ``SOURCE_DATE_EPOCH`` give the same PDF on one
LibreOffice version.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

from ..audiences import Audience, AudienceError
from ..model import Digest
from .base import Output, RenderContext, Writer
from .docx import DocxWriter

#: Seconds one conversion may take when the profile sets no ``pdf.timeout``.
DEFAULT_TIMEOUT = 300

_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub ToPdf(sIn As String, sOut As String)
    Dim aLoad(1) As New com.sun.star.beans.PropertyValue
    aLoad(0).Name = &quot;Hidden&quot;
    aLoad(0).Value = True
    aLoad(1).Name = &quot;MacroExecutionMode&quot;
    aLoad(1).Value = 0
    oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(sIn), &quot;_blank&quot;, 0, aLoad())
    oIndexes = oDoc.getDocumentIndexes()
    For i = 0 To oIndexes.getCount() - 1
        oIndexes.getByIndex(i).update()
    Next i
    Dim aFilter(0) As New com.sun.star.beans.PropertyValue
    aFilter(0).Name = &quot;UseTaggedPDF&quot;
    aFilter(0).Value = True
    Dim aStore(1) As New com.sun.star.beans.PropertyValue
    aStore(0).Name = &quot;FilterName&quot;
    aStore(0).Value = &quot;writer_pdf_Export&quot;
    aStore(1).Name = &quot;FilterData&quot;
    aStore(1).Value = aFilter()
    oDoc.storeToURL(ConvertToURL(sOut), aStore())
    oDoc.close(True)
End Sub
</script:module>
"""

_CREATION = re.compile(rb"/(?:CreationDate|ModDate)\s*\(D:([0-9]{14})([^)]*)\)")
_CHECKSUM = re.compile(rb"/DocChecksum\s*/([0-9A-Fa-f]{32})")
_FILE_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")


class PdfError(Exception):
    """LibreOffice could not convert a briefing."""


def soffice() -> str | None:
    """The LibreOffice program, if one is installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


class _LibreOffice:
    """A headless LibreOffice with a profile of its own (one per process)."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.home = Path(tempfile.mkdtemp(prefix="publisher-pdf-"))
        atexit.register(shutil.rmtree, self.home, True)
        self.profile = self.home / "profile"
        self._run(["--terminate_after_init"], DEFAULT_TIMEOUT)  # LibreOffice writes its profile
        module = self.profile / "user" / "basic" / "Standard" / "Module1.xba"
        if not module.parent.is_dir():
            raise PdfError(f"LibreOffice made no profile in {self.profile}")
        module.write_text(_MACRO, encoding="utf-8")  # then our macro replaces its empty Module1

    def _run(self, args: list[str], timeout: float) -> None:
        command = [
            self.program,
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            *args,
        ]
        env = {**os.environ, "HOME": str(self.home)}
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice did not finish within {timeout:g} s (pdf.timeout)") from None
        except OSError as exc:
            raise PdfError(f"cannot run LibreOffice ({self.program}): {exc.strerror or exc}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
            raise PdfError(f"LibreOffice failed: {detail[0]}")

    def convert(self, docx: bytes, timeout: float) -> bytes:
        work = Path(tempfile.mkdtemp(dir=self.home))
        try:
            source, target = work / "briefing.docx", work / "briefing.pdf"
            source.write_bytes(docx)
            # the paths are this module's own (no quote can reach the macro call)
            self._run([f'macro:///Standard.Module1.ToPdf("{source}","{target}")'], timeout)
            if not target.is_file() or target.stat().st_size == 0:
                raise PdfError("LibreOffice wrote no PDF")
            return target.read_bytes()
        finally:
            shutil.rmtree(work, ignore_errors=True)


_office: _LibreOffice | None = None
_office_pid = 0


def _libreoffice(program: str) -> _LibreOffice:
    global _office, _office_pid
    if _office is None or _office_pid != os.getpid() or _office.program != program:
        _office, _office_pid = _LibreOffice(program), os.getpid()  # a forked worker makes its own profile
    return _office


def stamped(pdf: bytes, when: datetime) -> bytes:
    """``pdf`` with its creation date set to ``when``, and its file identifier and checksum a hash of
    its bytes.  All are rewritten in place, at the same length, so every offset of the file stays right.
    """
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)

    def date(m: re.Match[bytes]) -> bytes:
        # D:YYYYMMDDHHmmSS then the zone as LibreOffice wrote it (Z, +08'00'): the digits become
        # the build time in that zone
        offset = re.match(rb"([+-])([0-9]{2})'?([0-9]{2})?", m.group(2))
        zone = UTC
        if offset is not None:
            minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
            zone = timezone(timedelta(minutes=-minutes if offset.group(1) == b"-" else minutes))
        return m.group(0).replace(m.group(1), when.astimezone(zone).strftime("%Y%m%d%H%M%S").encode(), 1)

    pdf = _CREATION.sub(date, pdf)
    # the identifier and LibreOffice's checksum differ from run to run: blank both, hash the rest
    spans = [m.span(g) for m in _FILE_ID.finditer(pdf) for g in (1, 2)]
    spans += [m.span(1) for m in _CHECKSUM.finditer(pdf)]
    blank = bytearray(pdf)
    for start, end in spans:
        blank[start:end] = b"0" * (end - start)
    digest = hashlib.md5(bytes(blank), usedforsecurity=False).hexdigest().upper().encode()
    for start, end in spans:
        blank[start:end] = digest[: end - start].ljust(end - start, b"0")
    return bytes(blank)


class PdfWriter(Writer):
    """``--format pdf``: the audience's Word briefing, laid out and exported by LibreOffice."""

    name = "pdf"
    extension = ".pdf"
    description = "PDF briefing (the Word briefing laid out by LibreOffice, with page numbers in its contents)"
    enriched = False
    _docx: ClassVar[DocxWriter | None] = None

    def check(self, audience: Audience) -> None:
        if soffice() is None:
            raise AudienceError(
                "--format pdf needs LibreOffice: install it (Debian: apt-get install libreoffice-writer "
                "fonts-noto-cjk) so that `soffice` is on PATH"
            )
        self._timeout(audience)
        DocxWriter().check(audience)

    def _timeout(self, audience: Audience) -> float:
        value = audience.get("pdf.timeout", DEFAULT_TIMEOUT)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            from ..content import origin

            raise AudienceError(
                f"{origin(audience, 'pdf.timeout')}: pdf.timeout must be a number of seconds, not {value!r}"
            )
        return float(value)

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        program = soffice()
        if program is None:
            raise AudienceError("--format pdf needs LibreOffice (`soffice`)")
        docx = DocxWriter().document(digest, digest.reports, None, ctx)  # the briefing (never per-report files)
        try:
            pdf = _libreoffice(program).convert(docx, self._timeout(ctx.audience))
        except PdfError as exc:
            ctx.diagnostics.error(f"pdf: {exc}", digest.source)
            return []
        return [Output(f"{digest.name}{self.extension}", stamped(pdf, ctx.build_time))]
