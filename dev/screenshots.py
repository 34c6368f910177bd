#!/usr/bin/env python3
"""Regenerate the screenshots of the example's outputs in the documentation (``docs/images/``).

    python dev/screenshots.py

Each output is looked at the way its reader sees it: the Word briefings and the workbook
through LibreOffice (PDF, first pages as PNG with poppler's ``pdftoppm``), the bilingual page
and the wiki site (built with MkDocs and Material from the pages' ``.mkdocs.yml``) in headless
Chromium at desktop and phone widths.  Needs what ``dev/install-system-packages`` installs and
``pip install -e '.[test]'``.  The build time is fixed (``SOURCE_DATE_EPOCH``), so only a
change of the outputs or of the tools changes the images.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.browser import Browser  # noqa: E402  (the tests' DevTools driver)

EXAMPLE = ROOT / "examples" / "research-digest-2025-02-16.txt"
IMAGES = ROOT / "docs" / "images"
EPOCH = "1739700000"
STEM = EXAMPLE.stem


def run(*args: str, **kwargs: object) -> None:
    subprocess.run(args, check=True, **kwargs)  # type: ignore[call-overload]


def pages_as_png(document: Path, work: Path, name: str, pages: int) -> None:
    """The first ``pages`` pages of a Word or Excel file, as LibreOffice lays it out."""
    run("soffice", f"-env:UserInstallation={(work / 'lo').as_uri()}", "--headless", "--convert-to", "pdf",
        "--outdir", str(work / name), str(document), capture_output=True)  # fmt: skip
    pdf = work / name / f"{document.stem}.pdf"
    run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", str(pages), str(pdf), str(work / name / "page"))
    for number, image in enumerate(sorted((work / name).glob("page-*.png")), 1):  # page-1 or page-01: as many
        shutil.move(image, IMAGES / f"{name}-{number}.png")  # digits as the document has pages


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def browser_shots(browser: Browser, url: str, name: str, search: str = "") -> None:
    for width, height, kind in ((1280, 860, "desktop"), (390, 844, "phone")):
        for _attempt in range(3):  # the search index loads in a worker: type once it is ready
            page = browser.page(width, height)
            page.open(url)
            time.sleep(1.5)
            if not (search and kind == "desktop"):
                break
            page.evaluate("document.querySelector('input.md-search__input').focus()")
            page.call("Input.insertText", {"text": search})
            if any(_found(page) for _ in range(20)):
                break
        page.screenshot(IMAGES / f"{name}-{kind}.png")


def _found(page: object) -> bool:
    time.sleep(0.25)
    return bool(page.evaluate("document.querySelectorAll('.md-search-result__item').length"))  # type: ignore[attr-defined]


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for old in IMAGES.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="publisher-shots-") as tmp:
        work = Path(tmp)
        out = work / "out"
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
        run(sys.executable, "-m", "publisher", "build", str(EXAMPLE), "-a", "all", "-o", str(out), "-q", env=env)
        # the bilingual page as a new digest gets it (no catalog next to it)
        bare = work / "bare" / EXAMPLE.name
        bare.parent.mkdir()
        shutil.copy(EXAMPLE, bare)
        run(sys.executable, "-m", "publisher", "build", str(bare), "-a", "global", "-o", str(work / "bare-out"), "-q",
            env=env, stderr=subprocess.DEVNULL)  # fmt: skip
        pages_as_png(out / "executive" / f"{STEM}.docx", work, "executive-brief", 2)
        pages_as_png(out / "analyst" / f"{STEM}.docx", work, "analyst-briefing", 2)
        pages_as_png(out / "analyst" / f"{STEM}.xlsx", work, "analyst-workbook", 1)
        config = work / "mkdocs.yml"
        docs = out / "wiki"
        config.write_text(f"site_name: 研究报告\ndocs_dir: {docs}\nINHERIT: {docs / '.mkdocs.yml'}\n", encoding="utf-8")
        run(sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(work / "site"),
            stderr=subprocess.DEVNULL)  # fmt: skip
        server, url = serve(work / "site")
        try:
            with Browser() as browser:
                browser_shots(browser, (out / "global" / f"{STEM}.html").as_uri(), "bilingual")
                browser_shots(browser, (work / "bare-out" / "global" / f"{STEM}.html").as_uri(), "bilingual-no-catalog")
                browser_shots(browser, url + "reports/2025-02-16/", "wiki-day")
                browser_shots(browser, url, "wiki-search", search="并购重组")
        finally:
            server.shutdown()
    for image in sorted(IMAGES.glob("*.png")):
        print(image.relative_to(ROOT))


if __name__ == "__main__":
    main()
