"""Shared text helpers."""

from hypothesis import given
from hypothesis import strategies as st

from publisher.textutil import display_width, first_sentence, xml_escape, xml_safe


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
