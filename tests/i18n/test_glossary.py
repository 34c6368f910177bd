"""The finance glossary: bundled, documented, exact; users add their own."""

from __future__ import annotations

import tomllib

import pytest

from publisher.diagnostics import Diagnostics
from publisher.i18n.glossary import GlossaryError, bundled_text, load_glossary
from publisher.i18n.segments import INSTITUTION, digest_segments
from publisher.i18n.translate import Resources, Settings, make_chain

SAMPLE_INSTITUTIONS = {
    "海通国际": "Haitong International",
    "国信证券": "Guosen Securities",
    "华源证券": "Huayuan Securities",
    "天风证券": "Tianfeng Securities",
    "民生证券": "Minsheng Securities",
    "中原证券": "Zhongyuan Securities",
    "粤开证券": "Yuekai Securities",
    "华福证券": "Huafu Securities",
    "肯特州立大学": "Kent State University",
}


def _chain(tmp_path, **settings):
    base = {"catalogs": [str(tmp_path / "none.po")], "translators": ["glossary"], **settings}
    s = Settings.from_profile(base)
    diagnostics = Diagnostics()
    return make_chain(s, Resources(s, diagnostics), None), diagnostics


def test_glossary_translates_every_institution_of_the_sample(sample_digest, tmp_path):
    institutions = [s for s in digest_segments(sample_digest) if s.context == INSTITUTION]
    assert {s.text for s in institutions} == set(SAMPLE_INSTITUTIONS)
    chain, _ = _chain(tmp_path)
    found = chain.translate(institutions)
    assert {s.text: found[s.id].text for s in institutions} == SAMPLE_INSTITUTIONS
    assert {found[s.id].state for s in institutions} == {"glossary"}


def test_bundled_glossary_covers_indices_headings_sectors_units_and_labels():
    data = tomllib.loads(bundled_text())
    assert {"institutions", "indices", "headings", "sectors", "units", "terms", "labels"} <= set(data)
    glossary = load_glossary()
    expected = {
        "沪深300": "CSI 300",
        "北证50": "BSE 50",
        "创业板指": "ChiNext Index",
        "科创50": "STAR 50",
        "恒生指数": "Hang Seng Index",
        "上证综指": "SSE Composite Index",
        "沪指": "SSE Composite Index",
        "深证成指": "SZSE Component Index",
        "中证500": "CSI 500",
        "中证1000": "CSI 1000",
        "报告核心观点": "Key takeaways",
        "投资评级": "Investment rating",
        "风险提示": "Risks",
        "中信证券": "CITIC Securities",
        "银行": "Banks",
    }
    assert {k: glossary.lookup(k).target for k in expected} == expected
    assert len(data["institutions"]) >= 100


def test_whole_segments_only_never_parts_or_near_matches(tmp_path):
    glossary = load_glossary()
    assert glossary.lookup(" 风险提示 ").target == "Risks"  # surrounding spaces do not matter
    for near in ("风险提示:", "风险提示及其他", "国信证券研究所", "沪深3OO"):
        assert glossary.lookup(near) is None, near


def test_term_hints_take_the_longest_exact_term():
    glossary = load_glossary()
    text = "沪深300指数和北证 50 指数上涨,综合质量因子"
    hints = [(text[a:b], t.target) for a, b, t in glossary.hints(text)]
    assert hints == [("沪深300指数", "CSI 300 Index"), ("北证 50 指数", "BSE 50 Index")]


def test_user_glossaries_toml_and_tsv_override_the_bundled_one(tmp_path):
    toml_file = tmp_path / "desk.toml"
    toml_file.write_text('"国信证券" = "Guosen Securities Co."\n[headings]\n"周观点" = "Weekly view"\n', "utf-8")
    tsv_file = tmp_path / "desk.tsv"
    tsv_file.write_text("# ours\n中原证券\tCentral China Securities\tinstitutions\n\n", "utf-8")
    glossary = load_glossary([toml_file, tsv_file])
    assert glossary.lookup("国信证券").target == "Guosen Securities Co."
    assert glossary.lookup("周观点").target == "Weekly view"
    assert glossary.lookup("中原证券").target == "Central China Securities"
    assert glossary.lookup("海通国际").target == "Haitong International"


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("bad.toml", '"a" = "b"\n"c" = \n', 2),
        ("bad.toml", '"国信证券" = 3\n', 1),
        ("bad.tsv", "国信证券\tGuosen\n只有一列\n", 2),
    ],
)
def test_broken_glossaries_are_reported_with_their_position(tmp_path, name, content, line):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(GlossaryError) as info:
        load_glossary([path])
    assert info.value.file == str(path) and info.value.line == line


def test_a_broken_user_glossary_is_an_error_not_a_crash(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[x\n", "utf-8")
    chain, diagnostics = _chain(tmp_path, glossaries=[str(bad)])
    assert chain.setup.glossary.lookup("海通国际") is not None  # the bundled glossary still works
    (error,) = diagnostics.errors
    assert error.file == str(bad) and error.line == 1
