"""``--format pdf``: the Word briefing laid out by LibreOffice, read back with poppler."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="LibreOffice and poppler-utils are needed (dev/install-system-packages)",
)

EPOCH = "1739700000"


def _poppler(tool: str, pdf: Path, *args: str) -> str:
    return subprocess.run([tool, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def analyst_pdf(tmp_path_factory, sample_path) -> tuple[Path, Path]:
    from conftest import run_cli

    work = tmp_path_factory.mktemp("pdf")
    pdfs = []
    for run in ("one", "two"):
        result = run_cli("build", str(sample_path), "-a", "analyst", "-f", "pdf", "-o", str(work / run), "-q",
                         env={"SOURCE_DATE_EPOCH": EPOCH})  # fmt: skip
        assert result.returncode == 0, result.stderr
        pdfs.append(work / run / "analyst" / "research-digest-2025-02-16.pdf")
    return pdfs[0], pdfs[1]


def test_contents_have_page_numbers(analyst_pdf, sample_digest):
    pdf = analyst_pdf[0]
    pages = int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", pdf), re.M).group(1))
    text = _poppler("pdftotext", pdf, "-layout")
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", text, re.M)
    titles = {re.sub(r"\s+", "", r.title) for r in sample_digest.reports}
    listed = {re.sub(r"\s+", "", title): int(page) for title, page in entries}
    assert titles <= listed.keys()  # every report in the contents, with its page
    numbers = [listed[t] for t in (re.sub(r"\s+", "", r.title) for r in sample_digest.reports)]
    assert numbers == sorted(numbers) and 2 < numbers[0] and numbers[-1] <= pages
    # the first report starts on the page its entry gives
    first = sample_digest.reports[0].title
    page_text = _poppler("pdftotext", pdf, "-f", str(numbers[0]), "-l", str(numbers[0]))
    assert re.sub(r"\s+", "", first) in re.sub(r"\s+", "", page_text)


def test_contents_leave_no_empty_page(analyst_pdf):
    pdf = analyst_pdf[0]
    pages = int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", pdf), re.M).group(1))
    for page in range(1, pages + 1):
        lines = [
            line for line in _poppler("pdftotext", pdf, "-f", str(page), "-l", str(page)).splitlines() if line.strip()
        ]
        assert len(lines) > 4, (page, lines)  # more than the running header and the footer


def test_chinese_fonts_are_embedded(analyst_pdf):
    fonts = _poppler("pdffonts", analyst_pdf[0]).splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    assert any("NotoSerifCJK" in line for line in cjk) and any("NotoSansCJK" in line for line in cjk)
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded


def test_same_input_and_epoch_give_the_same_pdf(analyst_pdf):
    one, two = (p.read_bytes() for p in analyst_pdf)
    assert one == two
    assert b"/CreationDate(D:20250216100000" in one.replace(b" ", b"")


def test_no_libreoffice_is_a_clear_error(cli, sample_path, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = cli("build", str(sample_path), "-a", "analyst", "-f", "pdf", "-o", str(tmp_path / "out"),
                 env={"PATH": str(empty)})  # fmt: skip
    assert result.returncode == 2
    assert "needs LibreOffice" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pdf"))


def test_a_bad_timeout_is_a_profile_error(cli, sample_path, tmp_path):
    result = cli("build", str(sample_path), "-a", "analyst", "-f", "pdf", "-o", str(tmp_path / "out"),
                 "-D", "pdf.timeout=-1")  # fmt: skip
    assert result.returncode == 2
    assert "command line (-D): pdf.timeout must be a number of seconds" in result.stderr
