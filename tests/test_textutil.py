"""Shared text helpers."""

from hypothesis import given
from hypothesis import strategies as st

from publisher.textutil import clause_cut, display_width, first_sentence, xml_escape, xml_safe


def test_xml_safe_replaces_illegal_code_points():
    assert xml_safe("a\x00b\x1fc\ufffed\ud800e\tf\n") == ("a\ufffdb\ufffdc\ufffdd\ufffde\tf\n", 4)


@given(st.text())
def test_xml_safe_output_is_xml_legal(text):
    import xml.etree.ElementTree as ET

    clean, _ = xml_safe(text.replace("\r", ""))
    element = ET.fromstring(f"<a>{clean.replace('&', '&amp;').replace('<', '&lt;')}</a>")
    assert (element.text or "") == clean


@given(st.text())
def test_xml_escape_reads_back_as_the_same_text(text):
    """What an XML parser reads from the escaped text is the text: markup characters and CRs too."""
    import xml.etree.ElementTree as ET

    clean, _ = xml_safe(text, "")
    element = ET.fromstring(f"<a>{xml_escape(clean)}</a>")
    assert (element.text or "") == clean


def test_display_width_counts_cjk_double():
    assert display_width("沪指涨0.43%") == 3 * 2 + 5
    assert display_width("ＡＢ") == 4


def test_first_sentence():
    assert first_sentence("市场回暖。后市看好。") == "市场回暖。"
    assert first_sentence("Markets rose 0.43%. Then fell.") == "Markets rose 0.43%."
    assert first_sentence("沪指涨0.43%,收报3346.72点") == "沪指涨0.43%,收报3346.72点"


def test_not_a_device():
    from publisher.textutil import not_a_device

    assert [not_a_device(n) for n in ("nul", "CON", "com1.txt", "lpt9.tar.gz", "aux")] == [
        "nul_",
        "CON_",
        "com1_.txt",
        "lpt9_.tar.gz",
        "aux_",
    ]
    assert [not_a_device(n) for n in ("null", "con-1", "com10", "console.txt", "")] == [
        "null",
        "con-1",
        "com10",
        "console.txt",
        "",
    ]


def test_clause_cut():
    assert clause_cut("短句,不截断", 56) == "短句,不截断"
    assert clause_cut("第一句话很长很长,第二句话也很长很长,第三句", 20) == "第一句话很长很长"
    assert clause_cut("没有标点的一句非常非常长的话", 10) == "没有标点…"


def test_clause_cut_takes_linear_time():
    from support.linear_time import assert_linear

    # a huge takeaway that overflows only at its end: every clause is measured before the cut
    assert_linear(
        lambda text: clause_cut(text + "尾" * 10, display_width(text)),
        lambda n: "中文," * (n // 3),
        20_000,
        "clause_cut",
    )
