"""The wiki pages in a real wiki renderer: MkDocs builds them in strict mode (broken links fail)."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

NASTY = (
    "Workflow\n"
    "<script>alert(1)</script> [1][2] **“专精特新”** &copy; | 10~20% $5\n"
    "机构<b>甲</b>· 2025-02-17 09:30\n"
    "核心观点 - 含 <b>粗体</b>、`代码`、[链接](http://x) 和 _下划线_ [1] "
    "风险提示 - # 不是标题 > 不是引用 1. 不是列表 [2]\n"
)


class Content(HTMLParser):
    """Headings, list items and links inside the page content (MkDocs' role="main" column)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside the main column
        self.stack: list[str] = []
        self.items: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in ("br", "hr", "img", "input", "meta", "link")
            self.tags.append(tag)
            if tag == "a":
                self.links.append(attrs.get("href") or "")
            if tag in ("h1", "h2", "h3", "li", "td", "p"):
                self.stack.append(tag)
                self.items.append((tag, ""))
        elif attrs.get("role") == "main":
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.depth and self.stack:
            kind, text = self.items[-1]
            self.items[-1] = (kind, text + data)

    def texts(self, kind: str) -> list[str]:
        return [text.strip() for k, text in self.items if k == kind]


def content(path: Path) -> Content:
    parser = Content()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def mkdocs_build(docs: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    config = tmp / "mkdocs.yml"
    config.write_text(
        f"site_name: Research wiki\ndocs_dir: {docs}\nINHERIT: {docs / '.nav.yml'}\nuse_directory_urls: false\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(tmp / "site")],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory, sample_path):
    from conftest import run_cli

    tmp = tmp_path_factory.mktemp("mkdocs")
    nasty = tmp / "nasty.txt"
    nasty.write_text(NASTY, encoding="utf-8")
    built = run_cli("build", str(sample_path), str(nasty), "-a", "wiki", "-o", str(tmp / "out"))
    assert built.returncode == 0, built.stderr
    result = mkdocs_build(tmp / "out" / "wiki", tmp)
    return tmp, result


def test_mkdocs_strict_build_passes(site):
    tmp, result = site
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    pages = {p.relative_to(tmp / "site").as_posix() for p in (tmp / "site").rglob("*.html")}
    assert {"index.html", "archive.html", "institutions.html", "reports/2025-02-16/index.html"} <= pages
    assert len([p for p in pages if p.startswith("reports/2025-02-1")]) == 11 + 3  # 11 reports, 3 day pages
    assert not (tmp / "site" / ".nav.yml").exists()  # the navigation file is not published


def test_report_page_renders_headings_bullets_and_citations(site, sample_digest):
    tmp, _ = site
    report = sample_digest.reports[0]
    page = content(tmp / "site" / "reports" / "2025-02-16" / f"{report.slug}.html")
    assert page.texts("h1") == [report.title]
    assert page.texts("h2") == ["报告核心观点", "各部分总结"]
    assert page.texts("h3") == ["点评", "新增钻机情况", "Enersol关键支撑", "区域扩张最新进展"]
    bullets = page.texts("li")
    assert len(bullets) == 6
    assert bullets[0].startswith("阿布扎比国家石油钻井公司") and bullets[0].endswith("持续被看好 [1]")
    assert bullets[1].endswith("[2]") and bullets[-1].endswith("可能调用现有钻机承接工作 [3]")
    assert page.texts("p")[0] == "海通国际 · 2025-02-16 16:06 · 当日报告"
    assert page.links == ["index.html"]


def test_markup_in_the_input_shows_literally(site):
    tmp, _ = site
    (path,) = (tmp / "site" / "reports" / "2025-02-17").glob("script-*.html")
    page = content(path)
    assert page.texts("h1") == ["<script>alert(1)</script> [1][2] **“专精特新”** &copy; | 10~20% $5"]
    assert page.texts("li") == [
        "含 <b>粗体</b>、`代码`、[链接](http://x) 和 _下划线_ [1]",
        "# 不是标题 > 不是引用 1. 不是列表 [2]",
    ]
    assert page.texts("p")[0].startswith("机构<b>甲</b> · 2025-02-17 09:30")
    assert not {"script", "b", "code", "em", "strong", "del", "table"} & set(page.tags)
    assert "<script>alert" not in path.read_text(encoding="utf-8")


def test_index_pages_link_every_report(site, sample_digest):
    tmp, _ = site
    home = content(tmp / "site" / "index.html")
    reports = [link for link in home.links if link.startswith("reports/")]
    assert len(reports) == 11
    assert reports[0].startswith("reports/2025-02-17/script-")  # latest first
    assert f"reports/2025-02-16/{sample_digest.reports[0].slug}.html" in reports
    institutions = content(tmp / "site" / "institutions.html")
    assert "海通国际" in institutions.texts("h2")


def test_strict_mode_catches_a_broken_link(site, tmp_path):
    import shutil

    tmp, _ = site
    docs = tmp_path / "docs"
    shutil.copytree(tmp / "out" / "wiki", docs)
    (docs / "index.md").write_text("# Home\n\n[gone](reports/nowhere.md)\n", encoding="utf-8")
    result = mkdocs_build(docs, tmp_path)
    assert result.returncode != 0
    assert "nowhere.md" in result.stderr


# --- the site its readers use: Material for MkDocs with Chinese search ---------------------------------


@pytest.fixture(scope="module")
def material_site(tmp_path_factory, sample_path) -> Path:
    """The example's wiki as the shipped settings (.mkdocs.yml) build it."""
    pytest.importorskip("material")
    pytest.importorskip("jieba")
    from conftest import run_cli

    tmp = tmp_path_factory.mktemp("material")
    built = run_cli("build", str(sample_path), "-a", "wiki", "-o", str(tmp / "out"))
    assert built.returncode == 0, built.stderr
    docs = tmp / "out" / "wiki"
    config = tmp / "mkdocs.yml"
    config.write_text(f"site_name: 研究报告\ndocs_dir: {docs}\nINHERIT: {docs / '.mkdocs.yml'}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(tmp / "site")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return tmp / "site"


def test_the_sidebar_page_is_left_out_of_the_site(material_site):
    assert not list(material_site.rglob("_Sidebar*"))
    assert (material_site / "search" / "search_index.json").is_file()


def test_chinese_search_finds_words_in_a_browser(material_site):
    """Typed into the search box of the built site in headless Chromium, Chinese words find their pages."""
    import functools
    import http.server
    import threading
    import time

    from support.browser import Browser, available

    if not available():
        pytest.skip("Chromium is not installed (dev/install-system-packages)")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=material_site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"

    def search(browser, query: str) -> list[str]:
        for _ in range(5):  # the search index loads in a worker (slowly on a loaded machine): try again
            page = browser.page(1280, 900)
            page.open(url)
            time.sleep(1.5)
            page.evaluate("document.querySelector('input.md-search__input').focus()")
            page.call("Input.insertText", {"text": query})
            for _ in range(60):
                time.sleep(0.25)
                found = page.evaluate(
                    "[...document.querySelectorAll('.md-search-result__item > a')].map(a => a.textContent)"
                )
                if found:
                    return [hit.replace("\u200b", "") for hit in found]  # the words jieba split
        return []

    try:
        with Browser() as browser:
            drilling = search(browser, "钻机")
            mergers = search(browser, "并购重组")
    finally:
        server.shutdown()
    assert any("股息增长潜力可期" in hit for hit in drilling), drilling  # ADNOC Drilling's rigs
    assert any("并购重组赋能新质生产力" in hit for hit in mergers), mergers
