"""Input text always displays literally in Markdown: a property test against real parsers.

For arbitrary text (CJK, punctuation, markup look-alikes) the escaped Markdown is
parsed by markdown-it-py (CommonMark, with GFM tables and strikethrough and the
common wiki extensions: footnotes, definition lists, math, task lists, attribute
lists, admonitions, colon fences) and by Python-Markdown as MkDocs configures it;
the text that comes out equals the input, in a paragraph, a list item, a heading,
a block quote, a table cell and a link text, and no other structure appears.
"""

from __future__ import annotations

from html.parser import HTMLParser

import markdown as pymarkdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from publisher.writers.markdown_escape import escape, sanitize, yaml_quote

MD = (
    MarkdownIt("commonmark")
    .enable(["table", "strikethrough"])
    .use(footnote_plugin)
    .use(deflist_plugin)
    .use(dollarmath_plugin)
    .use(tasklists_plugin)
    .use(attrs_plugin)
    .use(admon_plugin)
    .use(colon_fence_plugin)
)

LOOKALIKES = [
    "**", "__", "*", "_", "`", "``", "[1]", "[1][2]", "](x)", "[^1]", "![a](b)", "<script>", "</p>", "<!--",
    "&copy;", "&#169;", "&amp;", "<http://x.y>", "http://x.y", "---", "***", "===", "1. ", "1) ", "- ", "+ ", "* ",
    "> ", "# ", "###", "```", "~~~", "~~", "~", ":::", "!!! note", "$$", "$x$", "{#id}", "{.c}", ":smile:", ":+1:",
    "|", "\\", "\\\\", "    ", "\t", "\n", "\r\n", "\u3000", "\xa0", "\ufeff", "“专精特新”", "**“专精特新”**", "。",
    "，", "：", "（", "）", "《", "》", "·", "- [ ] ", "[x]", "<sup>[1]</sup>", "\\[", "&", "<", ">", "?", "!",
    "(", ":",
]  # fmt: skip
TEXT = st.lists(
    st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), st.sampled_from(LOOKALIKES)),
    max_size=12,
).map("".join)


def shown(src: str) -> tuple[list[str], list[str]]:
    """The block structure markdown-it-py sees, and the text of each inline run."""
    tokens = MD.parse(src)
    structure = [t.type for t in tokens if t.type != "inline"]
    texts = []
    for t in tokens:
        if t.type != "inline":
            continue
        parts = []
        links = 0
        for child in t.children or []:
            if child.type in ("text", "text_special"):
                parts.append(child.content)
            elif child.type == "link_open" and child.attrs.get("href") == "target.md":
                links += 1  # the link the test itself made
            elif child.type == "link_close" and links:
                links -= 1
            else:
                raise AssertionError(f"{child.type} appeared in {src!r}")
        texts.append("".join(parts))
    return structure, texts


PARAGRAPH = ["paragraph_open", "paragraph_close"]
ITEM = ["bullet_list_open", "list_item_open", *PARAGRAPH, "list_item_close", "bullet_list_close"]
QUOTE = ["blockquote_open", *PARAGRAPH, "blockquote_close"]
HEADING = ["heading_open", "heading_close"]
TABLE = (
    "table_open thead_open tr_open th_open th_close tr_close thead_close "
    "tbody_open tr_open td_open td_close tr_close tbody_close table_close"
).split()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_text_displays_literally_in_commonmark(text):
    md = escape(text)
    want = sanitize(text)[0]
    if not want:
        assert md == ""
        return
    assert shown(md) == (PARAGRAPH, [want])
    assert shown("- " + md) == (ITEM, [want])
    assert shown("## " + md) == (HEADING, [want])
    assert shown("> " + md) == (QUOTE, [want])
    assert shown("| head |\n|---|\n| " + md + " |") == (TABLE, ["head", want])
    assert shown(f"see [{md}](target.md) and {md}") == (PARAGRAPH, [f"see {want} and {want}"])
    # template text around the value, and the value twice on a line
    assert shown(f"a {md} · {md}") == (PARAGRAPH, [f"a {want} · {want}"])


class _Text(HTMLParser):
    """Element names and the text inside the innermost block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("p", "li", "h2", "td", "a"):
            self.text.append(data)


def python_markdown(src: str) -> tuple[list[str], str]:
    # the extensions MkDocs enables by default
    html = pymarkdown.Markdown(extensions=["toc", "tables", "fenced_code"]).convert(src)
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.tags, "".join(parser.text)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_text_displays_literally_in_python_markdown(text):
    md = escape(text)
    want = sanitize(text)[0]
    if not want:
        return
    assert python_markdown(md) == (["p"], want)
    assert python_markdown("- " + md) == (["ul", "li"], want)
    assert python_markdown("## " + md) == (["h2"], want)
    assert python_markdown("| head |\n|---|\n| " + md + " |") == (
        ["table", "thead", "tr", "th", "tbody", "tr", "td"],
        want,
    )


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("[1][2]", "\\[1\\]\\[2\\]"),
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ("&copy;", "&amp;copy;"),
        ("**“专精特新”**", "\\*\\*“专精特新”\\*\\*"),
        ("1. 第一", "1\\. 第一"),
        ("- 不是列表", "\\- 不是列表"),
        ("  缩进", "&#32;&#32;缩进"),
        ("10~20% | 30$", "10&#126;20% &#124; 30&#36;"),
        ("普通文本，没有标记。", "普通文本，没有标记。"),
    ],
)
def test_examples(text, markdown):
    assert escape(text) == markdown


def test_emphasis_next_to_chinese_punctuation_is_never_emitted():
    # CommonMark does not take **“…”** as emphasis after a letter; the writer never relies on it
    _, texts = shown("前缀**“专精特新”**后缀")
    assert texts == ["前缀**“专精特新”**后缀"]  # the trap: asterisks shown
    assert shown(escape("前缀**“专精特新”**后缀"))[1] == ["前缀**“专精特新”**后缀"]


def test_control_characters_become_replacement_characters():
    assert sanitize("a\x00b\x1bc\ud800")[0] == "a\ufffdb\ufffdc\ufffd"
    assert shown(escape("a\x00b"))[1] == ["a\ufffdb"]


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_yaml_strings_read_back_exactly(text):
    import yaml

    assert yaml.safe_load(f"key: {yaml_quote(text)}\n") == {"key": text}
