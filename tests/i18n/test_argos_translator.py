"""The ``argos`` translator: offline drafts where argostranslate and a zh→en package are installed."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from publisher.diagnostics import Diagnostics
from publisher.i18n.segments import TEXT, Segment
from publisher.i18n.translate import Resources, Settings, make_chain

ARGOS = importlib.util.find_spec("argostranslate") is not None


def _chain(tmp_path):
    settings = Settings.from_profile(
        {"translators": ["argos"], "catalogs": [], "argos": {"cache": str(tmp_path / "c.sqlite3")}}
    )
    diagnostics = Diagnostics()
    return make_chain(settings, Resources(settings, diagnostics), None), diagnostics


def _zh_en_installed() -> bool:
    if not ARGOS:
        return False
    import argostranslate.translate as argos

    codes = {lang.code.split("_")[0]: lang for lang in argos.get_installed_languages()}
    return "zh" in codes and "en" in codes and codes["zh"].get_translation(codes["en"]) is not None


@pytest.mark.skipif(ARGOS, reason="argostranslate is installed here")
def test_not_installed_is_one_clear_warning_in_a_build(cli, sample_path, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "-a", "global", "-o", str(out), "-D", 'i18n.translators=["argos"]')
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "argos translator" in line]
    assert len(warnings) == 1
    assert "argostranslate is not installed (pip install 'publisher[argos]'" in warnings[0]
    assert (out / "global" / "research-digest-2025-02-16.html").is_file()


@pytest.mark.skipif(ARGOS, reason="argostranslate is installed here")
def test_not_installed_is_a_usage_error_for_i18n_translate(cli, sample_path, tmp_path):
    catalog = tmp_path / "c.po"
    cli("i18n", "extract", str(sample_path), "-o", str(catalog))
    result = cli("i18n", "translate", str(catalog), "--with", "argos")
    assert result.returncode == 2
    assert result.stderr.startswith("publisher: error: argos translator: argostranslate is not installed")


@pytest.mark.skipif(not _zh_en_installed(), reason="argostranslate with a zh→en package is not installed")
def test_installed_package_translates_offline(tmp_path):
    chain, diagnostics = _chain(tmp_path)
    segment = Segment(TEXT, "沪深300指数上涨0.5%")
    found = chain.translate([segment])
    assert found[segment.id].state == "machine" and found[segment.id].text.strip()
    assert not diagnostics.items


def test_adapter_with_a_stand_in_package(tmp_path, monkeypatch):
    """The adapter's own logic (language lookup, errors per segment, cache) with a stand-in module."""
    calls = []

    class Translation:
        def translate(self, text):
            calls.append(text)
            if "坏" in text:
                raise RuntimeError("model failure")
            return f"en:{text}"

    class Language:
        def __init__(self, code):
            self.code = code

        def get_translation(self, other):
            return Translation() if (self.code, other.code) == ("zh", "en") else None

    translate = types.ModuleType("argostranslate.translate")
    translate.get_installed_languages = lambda: [Language("zh"), Language("en")]
    package = types.ModuleType("argostranslate")
    package.translate = translate
    monkeypatch.setitem(sys.modules, "argostranslate", package)
    monkeypatch.setitem(sys.modules, "argostranslate.translate", translate)

    good, bad = Segment(TEXT, "好的一条"), Segment(TEXT, "坏的一条")
    chain, diagnostics = _chain(tmp_path)
    found = chain.translate([good, bad])
    chain.close()
    assert found[good.id].text == "en:好的一条" and found[good.id].state == "machine"
    assert bad.id not in found
    assert [d.message for d in diagnostics] == [
        "argos translator: 1 segments left untranslated (RuntimeError: model failure)"
    ]
    chain, _ = _chain(tmp_path)
    again = chain.translate([good])
    chain.close()
    assert again[good.id].text == "en:好的一条" and calls.count("好的一条") == 1  # cached


def test_missing_language_package_is_reported(tmp_path, monkeypatch):
    translate = types.ModuleType("argostranslate.translate")
    translate.get_installed_languages = lambda: []
    package = types.ModuleType("argostranslate")
    package.translate = translate
    monkeypatch.setitem(sys.modules, "argostranslate", package)
    monkeypatch.setitem(sys.modules, "argostranslate.translate", translate)
    chain, diagnostics = _chain(tmp_path)
    assert chain.translate([Segment(TEXT, "一条")]) == {}
    (warning,) = diagnostics.warnings
    assert "no zh→en language package is installed" in warning.message
