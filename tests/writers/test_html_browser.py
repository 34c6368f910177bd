"""The bilingual page in headless Chromium: layout, the language control, print, and hostile input.

Driven over the DevTools protocol (``tests/support/browser.py``): real mouse clicks on
the controls, computed visibility of every segment, element boxes for the
side-by-side and stacked layouts, network and console events.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from conftest import run_cli
from support.browser import Browser, available
from support.html_fixtures import HOSTILE_TITLE, write_hostile

pytestmark = pytest.mark.skipif(not available(), reason="Chromium is not installed (dev/install-system-packages)")

VISIBLE = """(() => {
  const count = (sel) => { const all = [...document.querySelectorAll(sel)];
    return [all.filter((e) => e.checkVisibility()).length, all.length]; };
  return {zh: count('.seg > .zh'), en: count('.seg > .en'), both: count('.seg > .both')};
})()"""


@pytest.fixture(scope="module")
def page_path(tmp_path_factory, sample_path) -> Path:
    out = tmp_path_factory.mktemp("browser")
    result = run_cli("build", str(sample_path), "-a", "global", "-o", str(out), env={"SOURCE_DATE_EPOCH": "1739721600"})
    assert result.returncode == 0, result.stderr
    return out / "global" / "research-digest-2025-02-16.html"


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate(
        f"""[...document.querySelector({selector!r}).children].map((e) => {{
            const r = e.getBoundingClientRect();
            return {{cls: e.className, x: r.x, y: r.y, w: r.width, h: r.height}}; }})"""
    )


def test_loads_from_disk_with_nothing_else_and_the_css_applies(browser, page_path, tmp_path):
    page = browser.page(1280, 900)
    page.open(page_path.as_uri())
    requests = [e["request"]["url"] for e in page.events("Network.requestWillBeSent")]
    assert requests == [page_path.as_uri()]
    problems = [
        e["entry"]["text"] for e in page.events("Log.entryAdded") if e["entry"]["level"] in ("error", "warning")
    ]
    assert problems == []  # e.g. no "Refused to apply inline style" from the Content-Security-Policy
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1312px"  # the inline stylesheet is in force
    assert page.evaluate("document.documentElement.lang") == "en"
    shot = page.screenshot(tmp_path / "wide.png")
    assert _png_size(shot) == (1280, 900) and len(shot) > 30_000


def test_side_by_side_on_wide_screens_and_stacked_on_narrow_ones(browser, page_path, tmp_path):
    page = browser.page(1280, 900)
    page.open(page_path.as_uri())
    zh, en = _boxes(page, "article.report .section li .seg")
    assert zh["cls"] == "zh" and en["cls"] == "en"
    assert abs(zh["y"] - en["y"]) < 2 and en["x"] >= zh["x"] + zh["w"]  # side by side
    page.resize(400, 900)
    zh, en = _boxes(page, "article.report .section li .seg")
    assert en["y"] >= zh["y"] + zh["h"] - 1 and abs(en["x"] - zh["x"]) < 2  # stacked
    shot = page.screenshot(tmp_path / "narrow.png")
    assert _png_size(shot) == (400, 900)


def test_the_control_switches_between_chinese_english_and_both(browser, page_path, tmp_path):
    page = browser.page(1280, 900)
    page.open(page_path.as_uri())
    start = page.evaluate(VISIBLE)
    total_zh, total_en = start["zh"][1], start["en"][1]
    assert total_zh > 200 and start["zh"][0] == total_zh and start["en"][0] == total_en
    assert start["both"][0] == start["both"][1] > 0  # Latin-only headings (DeepSeek V2 …) show in every mode

    page.click('label[for="show-zh"]')
    zh_only = page.evaluate(VISIBLE)
    assert zh_only["zh"][0] == total_zh and zh_only["en"][0] == 0 and zh_only["both"][0] == zh_only["both"][1]
    assert page.evaluate("document.getElementById('show-zh').checked")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(tmp_path / "zh.png")
    # one column when only one language shows
    (zh, _) = _boxes(page, "article.report .section li .seg")
    assert zh["w"] > 900

    page.click('label[for="show-en"]')
    en_only = page.evaluate(VISIBLE)
    assert en_only["en"][0] == total_en and en_only["zh"][0] == 0 and en_only["both"][0] == en_only["both"][1]
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(tmp_path / "en.png")

    page.click('label[for="show-both"]')
    assert page.evaluate(VISIBLE) == start


def test_keyboard_users_can_switch_too(browser, page_path):
    page = browser.page(1280, 900)
    page.open(page_path.as_uri())
    page.evaluate("document.getElementById('show-both').focus()")
    for key, code in (("ArrowRight", 39),):
        for kind in ("rawKeyDown", "keyUp"):
            page.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code})
    state = page.evaluate(VISIBLE)
    assert page.evaluate("document.getElementById('show-zh').checked")
    assert state["en"][0] == 0


def test_print_hides_the_controls_and_keeps_both_columns(browser, page_path):
    page = browser.page(600, 900)
    page.open(page_path.as_uri())
    page.media("print")
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "none"
        columns = page.evaluate("getComputedStyle(document.querySelector('article .seg')).gridTemplateColumns")
        assert len(columns.split()) == 2
        # reports follow one another (no near-empty pages), a report's heading never ends a page
        assert page.evaluate("getComputedStyle(document.querySelector('article.report')).breakBefore") == "auto"
        assert (
            page.evaluate("getComputedStyle(document.querySelector('article.report > header')).breakAfter") == "avoid"
        )
    finally:
        page.media("")


def test_missing_translations_show_the_original_once_with_a_coverage_line(browser, tmp_path, sample_path):
    """A digest with no catalog: no badge per segment; the original once, muted; the share in English on top."""
    digest = tmp_path / "digest.txt"  # no catalog next to it: only the glossary translates
    digest.write_text(sample_path.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("build", str(digest), "-a", "global", "-o", str(tmp_path)).returncode == 0
    page = browser.page(1280, 900)
    page.open((tmp_path / "global" / "digest.html").as_uri())
    assert page.evaluate("document.querySelectorAll('.flag-missing, .flag').length") == 0
    assert "translation missing" not in page.evaluate("document.body.innerText").lower()
    missing = page.evaluate("document.querySelectorAll('.seg.missing').length")
    assert missing > 100
    once = page.evaluate(
        """[...document.querySelectorAll('.seg.missing')].every((s) =>
            [...s.children].filter((e) => e.checkVisibility()).length === 1)"""
    )
    assert once  # the original alone, not the original and an empty or flagged English cell
    muted, ink = page.evaluate(
        """[getComputedStyle(document.querySelector('article .seg.missing > .zh')).color,
            getComputedStyle(document.querySelector(
                'article .seg.glossary > .en, article .seg.reviewed > .en')).color]"""
    )
    assert muted != ink
    line = page.evaluate("document.querySelector('.page-head .coverage').innerText")
    assert re.match(r"English: \d+% reviewed, \d+% machine-translated, \d+% not yet translated", line), line
    assert "publisher i18n extract" in line and "digest.en.po" in line
    page.click('label[for="show-en"]')
    shown = page.evaluate("[...document.querySelectorAll('.seg.missing > .zh')].every((e) => e.checkVisibility())")
    hidden = page.evaluate("[...document.querySelectorAll('.seg.glossary > .zh')].some((e) => e.checkVisibility())")
    assert shown and not hidden


@pytest.mark.parametrize("policy", ["with CSP", "without CSP"])
def test_hostile_input_is_shown_as_text_and_never_runs(browser, tmp_path, policy):
    digest = write_hostile(tmp_path)
    assert run_cli("build", str(digest), "-a", "global", "-o", str(tmp_path / "out")).returncode == 0
    path = tmp_path / "out" / "global" / "hostile.html"
    if policy == "without CSP":  # the escaping alone must be enough
        html = path.read_text(encoding="utf-8")
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", html)
        assert "Content-Security-Policy" not in html
        path.write_text(html, encoding="utf-8")
    page = browser.page(1280, 900)
    page.open(path.as_uri())
    page.click("h2.seg")  # hovering and clicking would fire inline handlers, if there were any
    page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 200, "y": 300})
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.title") == "Research digest 2025-02-16"
    assert page.evaluate("document.querySelectorAll('script, img, svg, iframe, object, b').length") == 0
    assert page.evaluate("[...document.querySelectorAll('[onload],[onerror],[onmouseover]')].length") == 0
    text = page.evaluate("document.querySelector('article h2 .zh').textContent")
    assert text == HOSTILE_TITLE
    english = page.evaluate("document.querySelector('article h2 .en').textContent")
    assert english == '<script>window.pwned=8</script><img src=x onerror="window.pwned=9"> &amp; Report'
    bullet = page.evaluate("document.querySelector('article li .zh').textContent")
    assert "javascript:window.pwned=4</a> &amp; &lt;b&gt;粗体&lt;/b&gt; &#x3C;script&#x3E;" in bullet
    assert page.evaluate("[...document.links].every((a) => a.protocol === 'file:')")
