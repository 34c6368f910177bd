"""Hypothesis strategies of digest text: the feed's tricky shapes (leads, headings, citations, separators).

``digest_file()`` draws a whole digest file; the round-trip tests (``tests/writers/test_roundtrip.py``),
the metrics tests and the metrics regression corpus (``metrics_corpus.py``) use it.
"""

from __future__ import annotations

from hypothesis import strategies as st

LEADS = [
    "报告核心观点",
    "报告的核心观点",
    "核心观点",
    "文章核心观点",
    "投资评级",
    "报告投资评级",
    "报告行业投资评级",
    "Investment Rating",
    "Core Insights",
    "风险提示",
    "Key Takeaways",
]
HEADINGS = [
    "各部分总结 点评",
    "市场回顾 指数涨跌情况",
    "周专题:2025 年以来北证 50 指数涨幅超 18.6% 二级市场",
    "LLama 3.1",
    "市场表现:北证 A 股整体 PE 回升到 39X",
    "DeepSeek MoE - 16B",
    "DeepSeek R1 - Zero",
    "当前的机器人或对应17 - 18年的新能源车",
    "行业利润预期&估值 PB - ROE视角看行业",
    "一级市场",
    "新股 IPO:本周 2 家公司问询,2 家公司终止",
    "Market Review",
    "Enersol关键支撑",
    "“红利 +”优选股票策略 组合最新持仓",
]
PHRASES = [
    "24 - 28财年",
    "1 - 2个季度",
    "17 - 18年",
    "GPT - 4",
    "社融 - M2",
    "沪指涨0.43%",
    "收报3346.72点",
    "-2.99%",
    "+1.2 pcts",
    "成交额合计17150亿元",
    "the index rose 0.43%",
    "A股",
    "[注]",
    "·",
    "2025-02-16",
]
INSTITUTIONS = ["海通国际", "国信证券", "Haitong International", "肯特州立大学"]

plain = (
    st.text(
        alphabet=st.sampled_from(list("市场指数上涨下跌回升调整报告公司行业估值ABCxyz0123456789%.,:;()、“” ")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
phrase = st.one_of(plain, st.sampled_from(PHRASES))
sentence = st.lists(phrase, min_size=1, max_size=4).map(" ".join)
refs = st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=3)


@st.composite
def cited(draw) -> str:
    text = draw(sentence)
    marks = "".join(f"[{n}]" for n in draw(refs))
    space = draw(st.sampled_from([" ", "", " "]))
    tail = draw(st.sampled_from(["", "", "。"]))
    return f"{text}{space}{marks}{tail}"


@st.composite
def section(draw, first: bool) -> str:
    heading = draw(st.sampled_from(LEADS) if first else st.one_of(st.sampled_from(HEADINGS), plain))
    if first and draw(st.booleans()):
        return f"{heading} {draw(cited())}"  # heading followed by a paragraph
    bullets = draw(st.lists(cited(), min_size=1, max_size=4))
    return heading + "".join(f" - {b}" for b in bullets)


@st.composite
def body(draw) -> str:
    parts = [draw(section(True)), *draw(st.lists(section(False), max_size=5))]
    return " ".join(parts)


@st.composite
def report(draw) -> list[str]:
    title = draw(st.one_of(sentence, st.sampled_from(["行业比较周报:DeepSeek主题行情", "Market Daily: Strategy"])))
    inst = draw(st.sampled_from(INSTITUTIONS))
    sep = draw(st.sampled_from(["· ", "·", " · "]))
    ts = draw(st.sampled_from(["2025-02-16 16:06", "2025-02-14 09:00", "2024-12-31 23:59", "2025/02/16 16:06"]))
    blank = draw(st.lists(st.just(""), max_size=1))
    return [*blank, title, f"{inst}{sep}{ts}", draw(body())]


@st.composite
def digest_file(draw) -> str:
    lines = draw(st.lists(st.sampled_from(["Workflow", "搜索文档", ""]), max_size=2))
    for r in draw(st.lists(report(), min_size=1, max_size=4)):
        lines.extend(r)
    text = "\n".join(lines)
    return text + draw(st.sampled_from(["", "\n", "\n\n"]))
