"""LibreOffice as a spreadsheet reader: a workbook's sheets after LibreOffice loaded and recalculated them."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice")


def soffice_csv(path: Path, profile: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``path`` as CSV rows, after LibreOffice loaded and recalculated it."""
    out = path.parent / f"{path.stem}-csv"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = {}
    for file in out.glob("*.csv"):
        text = file.read_bytes().decode("utf-8")  # cells may hold line breaks: csv reads them
        sheets[file.stem.rsplit("-", 1)[1]] = list(csv.reader(io.StringIO(text, newline="")))
    return sheets
