"""The digest reader on feeds it was not written for: the structure a careful reader sees.

The feeds in ``tests/fixtures/feeds`` are written as the feed looks (one body
line per report): English notes from global brokers, Chinese notes with
other heading words and numbered headings, a mixed feed with page clutter
and separator variants, and odd but plausible shapes.  Where a shape is truly
ambiguous the expectation says so: the reader keeps the text, losslessly,
and invents no structure for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from publisher.diagnostics import Diagnostics
from publisher.model import Report, Section
from publisher.readers.digest import read_text
from publisher.readers.source import decode
from publisher.writers.digest import digest_text

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


class S(NamedTuple):
    heading: str
    level: int
    role: str
    blocks: list[tuple[str, str, list[int]]]
    children: tuple[S, ...] | list[S] = ()


class R(NamedTuple):
    title: str
    institution: str
    time: str
    language: str
    sections: list[S]


def B(text: str, *refs: int) -> tuple[str, str, list[int]]:
    return ("bullet", text, list(refs))


def P(text: str, *refs: int) -> tuple[str, str, list[int]]:
    return ("paragraph", text, list(refs))


def _section(s: Section) -> S:
    return S(
        s.heading,
        s.level,
        s.role,
        [(b.kind, b.text, b.refs) for b in s.blocks],
        [_section(c) for c in s.children] or (),
    )


def _report(r: Report) -> R:
    return R(
        r.title,
        r.institution,
        r.published_at.strftime("%Y-%m-%d %H:%M"),
        r.language,
        [_section(s) for s in r.sections],
    )


EXPECTED: dict[str, list[R]] = {
    "global-brokers.en.txt": [
        R(
            "Apple Inc.: Services strength offsets soft iPhone demand; maintain Overweight",
            "J.P. Morgan",
            "2025-01-31 07:45",
            "en",
            [
                S(
                    "Key Takeaways",
                    1,
                    "summary",
                    [
                        B("Revenue of $124.3bn beat consensus by 1.5%, driven by Services growth of 14% YoY", 1),
                        B("iPhone revenue fell 1% YoY on weaker China demand", 2, 3),
                    ],
                ),
                S(
                    "Our View",
                    1,
                    "summary",
                    [P("We remain constructive given the margin tailwind from the Services mix shift", 4)],
                ),
                S("Valuation", 1, "rating", [B("Our Dec-25 price target of $260 is based on 30x FY26E EPS", 5)]),
                S(
                    "Risks",
                    1,
                    "risk",
                    [B("Regulatory pressure on App Store fees", 6), B("A slower-than-expected AI upgrade cycle", 7)],
                ),
            ],
        ),
        R(
            "HSBC Holdings (0005.HK): 4Q24 results - buyback surprises on the upside",
            "Goldman Sachs",
            "2025-02-19 18:20",
            "en",
            [
                S(
                    "Investment Thesis",
                    1,
                    "summary",
                    [P("HSBC's simplification should lift RoTE to the mid-teens over 2025-27E", 1, 2)],
                ),
                S(
                    "What's New",
                    1,
                    "body",
                    [
                        B("4Q24 PBT of $2.3bn missed consensus on notable items", 3),
                        B("Announced a further $2bn buyback, taking the 2024 total to $11bn", 3, 4),
                    ],
                ),
                S(
                    "Earnings Summary",
                    1,
                    "summary",
                    [B("Net interest income rose 4% QoQ", 5), B("Costs grew 3% YoY, in line with guidance", 6)],
                ),
                S("Catalysts", 1, "body", [B("1Q25 results on April 29", 7), B("Capital markets day in 2H25", 8)]),
                S("Key Risks", 1, "risk", [B("Lower-for-longer rates in Hong Kong", 9), B("China CRE exposure", 10)]),
            ],
        ),
        R(
            "Asia Financials Weekly: NIM trough in sight",
            "Morgan Stanley",
            "2025-02-21 09:05",
            "en",
            [
                S(
                    "Bottom Line",
                    1,
                    "summary",
                    [P("We expect margins to bottom in 2Q25 and prefer banks with strong deposit franchises", 1)],
                ),
                # a heading with spaces of its own
                S("Net Interest Margin Outlook", 1, "body", [B("We forecast a further 5-8bp decline in 2025", 2)]),
                # a parent part ("Sector Review") and its first child ("Banks")
                S(
                    "Sector Review",
                    1,
                    "body",
                    [],
                    [
                        S(
                            "Banks",
                            2,
                            "body",
                            [B("Loan growth slowed to 7.2% YoY in January", 3), B("NIM compressed 3bp MoM", 4)],
                        ),
                        S("Insurance", 2, "body", [B("New business value rose 18% YoY", 5)]),
                        S("Brokers", 2, "body", [B("Average daily turnover rose 35% WoW", 6)]),
                        # Ambiguous: nothing in the feed says whether "Top Picks" is one more part of the
                        # sector review or a part of its own; as in the sample, a heading without a parent
                        # part stays under the last parent.
                        S("Top Picks", 2, "body", [B("ICBC (1398.HK) and Ping An (2318.HK)", 7)]),
                    ],
                ),
            ],
        ),
        R(
            "US Rates Strategy: Curve steepening has further to run",
            "Citi",
            "2025-02-20 22:10",
            "en",
            [
                S(
                    "Summary",
                    1,
                    "summary",
                    [P("We expect the 2s10s curve to steepen by a further 25bp by mid-year", 1)],
                ),
                S(
                    "Rates Outlook",
                    1,
                    "body",
                    [
                        B("Fed cuts are priced for June and December", 2),
                        B("Term premium has risen 40bp since September", 3, 4),
                        # Ambiguous: "Positioning" reads as a heading to a person, but English gives no mark
                        # where a heading of unknown name ends ("Positioning Stay long …"): kept as one
                        # cited paragraph, no heading invented.
                        P("Positioning Stay long 5-year TIPS breakevens versus nominals", 5),
                    ],
                ),
                S("Risks", 1, "risk", [B("Sticky core services inflation", 6)]),
            ],
        ),
    ],
    "cn-brokers.zh.txt": [
        R(
            "贵州茅台(600519.SH)2024年报点评：业绩稳健增长，分红率提升",
            "中信建投",
            "2025-04-03 08:30",
            "zh",
            [
                S(
                    "事件",
                    1,
                    "body",
                    [
                        P(
                            "公司发布2024年年报，实现营业总收入1741.44亿元，同比增长15.66%；"
                            "归母净利润862.28亿元，同比增长15.38%。",
                            1,
                        )
                    ],
                ),
                S(
                    "点评",
                    1,
                    "body",
                    [
                        B("茅台酒收入1459.28亿元，同比增长15.28%，系列酒收入246.87亿元，同比增长19.65%", 2),
                        B("直销渠道占比提升至45.2%，i茅台贡献收入200.24亿元", 3),
                    ],
                ),
                S(
                    "盈利预测与投资建议",
                    1,
                    "rating",
                    [B("预计2025 - 2027年归母净利润分别为945.1、1027.6、1111.8亿元，维持“买入”评级", 4)],
                ),
                S("风险因素", 1, "risk", [B("宏观经济下行导致需求不及预期", 5), B("食品安全风险", 5)]),
            ],
        ),
        R(
            "食品饮料行业周报：春节动销平稳，关注低估值龙头",
            "国泰君安",
            "2025-02-16 20:05",
            "zh",
            [
                S(
                    "投资要点",
                    1,
                    "summary",
                    [
                        B("本周食品饮料板块上涨1.2%，跑赢沪深300指数0.8个百分点", 1),
                        B("白酒批价整体平稳，飞天茅台散瓶批价2250元", 2),
                    ],
                ),
                S(
                    "一、行情回顾",
                    1,
                    "body",
                    [],
                    [
                        S("（一）板块表现", 2, "body", [B("本周申万食品饮料指数上涨1.2%，子板块中啤酒涨幅居前", 3)]),
                        S("（二）个股表现", 2, "body", [B("涨幅前三为皇台酒业、金种子酒、舍得酒业", 4)]),
                    ],
                ),
                # "二、" numbers a part of the same rank as "一、": a sibling of it, not its child
                S("二、行业动态", 1, "body", [B("2月10日，某白酒企业宣布出厂价上调8%", 5)]),
                S("三、公司公告", 1, "body", [B("贵州茅台：2024年营收1741亿元", 6, 7)]),
                S("风险提示", 1, "risk", [B("需求复苏不及预期；食品安全问题", 8)]),
            ],
        ),
        R(
            "宏观周报：出口韧性仍在，内需有待提振",
            "华泰证券",
            "2025-02-15 10:20",
            "zh",
            [
                S(
                    "核心结论",
                    1,
                    "summary",
                    [B("1 - 2月出口同比增速或回落至3%左右，但韧性仍在", 1, 2), B("内需方面，地产销售仍在筑底", 3)],
                ),
                S("1. 宏观经济", 1, "body", [B("2月制造业PMI为50.2%，较上月回升1.1个百分点", 4)]),
                S("2. 市场表现", 1, "body", [B("上证指数本周上涨1.3%，收于3346.72点", 5)]),
                S(
                    "数据跟踪",
                    1,
                    "body",
                    [],
                    [
                        S("高频数据", 2, "body", [B("30大中城市商品房成交面积同比下降12%", 6)]),
                        S("价格数据", 2, "body", [B("猪肉平均批发价为20.5元/公斤", 7)]),
                    ],
                ),
            ],
        ),
        R(
            "中国平安(601318.SH)：负债端改善，资产端承压",
            "招商证券",
            "2025-02-14 17:45",
            "zh",
            [
                S(
                    "投资要点",
                    1,
                    "summary",
                    [P("公司2024年前三季度归母净利润同比增长36.1%，新业务价值同比增长34.9%。", 1)],
                ),
                S(
                    "寿险业务",
                    1,
                    "body",
                    [B("Q1 - Q3代理人渠道NBV同比增长25.3%", 2), B("银保渠道NBV同比增长125.5%，价值率提升", 3)],
                ),
                S("财险业务", 1, "body", [B("综合成本率98.2%，同比下降0.2个百分点", 4)]),
                S("投资收益", 1, "body", [B("A - H股溢价收窄，公司H股估值修复空间较大", 5)]),
                S("投资建议", 1, "rating", [P("维持“强烈推荐”评级，目标价62元", 6)]),
                S("风险提示", 1, "risk", [P("长端利率下行；权益市场波动", 7)]),
            ],
        ),
    ],
    "mixed-clutter.txt": [
        R(
            "Nvidia (NVDA US): Blackwell ramp on track; raise PT to $175",
            "Bernstein",
            "2025-02-27 06:30",
            "en",
            [
                S(
                    "Key Takeaways",
                    1,
                    "summary",
                    [
                        B("Data center revenue of $35.6bn rose 16% QoQ", 1, 2),
                        B("Gross margin guided to 70.5% for 1Q26", 3, 4),
                    ],
                ),
                S("Our View", 1, "summary", [P("Blackwell supply constraints ease from 2Q", 5)]),
                S("Investment Rating", 1, "rating", [P("Outperform; PT raised to $175 from $165", 6)]),
            ],
        ),
        R(
            "电子行业点评：DeepSeek带动端侧AI需求",
            "中金公司",
            "2025-02-26 21:15",
            "zh",
            [
                S("核心观点", 1, "summary", [P("端侧AI渗透率提升有望带动SoC、存储需求增长。", 1)]),
                S(
                    "行业动态",
                    1,
                    "body",
                    [
                        B("多家手机厂商宣布接入DeepSeek - R1模型", 2),
                        B("2024 - 2026年全球AI手机出货量CAGR有望达60%", 3, 4),
                    ],
                ),
                S("投资建议", 1, "rating", [B("关注SoC、存储、散热环节龙头", 5)]),
                S("风险提示", 1, "risk", [B("端侧AI应用落地不及预期", 6)]),
            ],
        ),
        R(
            "银行业周报：信贷开门红，息差压力仍存",
            "平安证券",
            "2025-02-25 16:40",
            "zh",
            [
                S("核心观点", 1, "summary", [B("1月新增人民币贷款5.13万亿元，同比多增2000亿元", 1)]),
                # a short heading, a space, then a paragraph: in Chinese text a space between two
                # Chinese words is the feed's mark of a boundary
                S("板块回顾", 1, "body", [P("本周银行指数下跌0.8%，跑输沪深300指数1.2个百分点", 2)]),
                S("行业及公司动态", 1, "body", [B("央行公布2024年四季度货币政策执行报告", 3)]),
                S("投资建议", 1, "rating", [B("关注高股息国有大行：工商银行(601398.SH)、建设银行(601939.SH)", 4)]),
            ],
        ),
        R(
            "Semiconductors: Memory upcycle extends into 2H25",
            "Jefferies",
            "2025-02-24 12:00",
            "en",
            [
                S("Key Points", 1, "summary", [B("DRAM contract prices rose 8-10% QoQ in 1Q25", 1, 2)]),
                S("Earnings Summary", 1, "summary", [P("SK Hynix beat on HBM shipments", 3)]),
                S("What’s New", 1, "body", [B("Samsung cut NAND output by 10%", 4)]),
                S("Investment Rating", 1, "rating", [P("Buy", 5)]),
            ],
        ),
    ],
    "odd-shapes.txt": [
        R(
            "港股策略：南向资金持续流入",
            "广发证券",
            "2025-02-24 19:00",
            "zh",
            [
                S(
                    "报告核心观点",
                    1,
                    "summary",
                    [
                        B("南向资金年初至今净流入超2000亿港元", 1),
                        # Ambiguous: a heading whose content is only citations, or a cited phrase?
                        # Kept as a cited paragraph; no empty section is invented.
                        P("资金面", 2, 3),
                    ],
                ),
                S("估值", 1, "body", [B("恒生指数动态PE升至10.2倍，仍低于近十年均值", 4)]),
            ],
        ),
        R(
            "白酒行业深度：2024 - 2026年行业进入存量竞争",
            "东吴证券",
            "2025-02-23 11:11",
            "zh",
            [
                S(
                    "投资要点",
                    1,
                    "summary",
                    [
                        B("预计2024 - 2026年行业营收CAGR为8%，较2016 - 2023年的15%明显放缓", 1),
                        B("推荐贵州茅台(600519.SH)、五粮液(000858.SZ)、山西汾酒(600809.SH)", 2, 3),
                    ],
                ),
                S("复盘", 1, "body", [B("白酒板块Q1 - Q3累计下跌24%", 4)]),
                S(
                    "估值",
                    1,
                    "body",
                    [B("A - H股溢价率处于历史高位", 5), B("当前板块PE(TTM)为20.3倍，处于近十年25%分位", 6)],
                ),
                S("风险提示", 1, "risk", [P("2025 - 2026年宴席需求恢复不及预期", 7)]),
            ],
        ),
        R(
            "China Property: Sales decline narrows; policy easing to continue",
            "UBS",
            "2025-02-22 08:00",
            "en",
            [
                S(
                    "Core Views",
                    1,
                    "summary",
                    [
                        B(
                            "Top-100 developers' contracted sales fell 8% YoY in January, narrowing from -25% in 2024",
                            1,
                        ),
                        B("We expect 2025-27E sales to decline at a 5% CAGR.", 2),
                    ],
                ),
                S(
                    "Valuation",
                    1,
                    "rating",
                    [B("The sector trades at 0.3x 2025E P/B, a 60% discount to its 10-year average", 3)],
                ),
                S("Risks", 1, "risk", [B("Further price cuts by SOE developers", 4)]),
            ],
        ),
        R(
            "计算机行业周报：AI应用加速落地",
            "开源证券",
            "2025-02-21 07:30",
            "zh",
            [
                S("核心观点", 1, "summary", [B("本周计算机指数上涨3.5%，AI应用板块领涨", 1)]),
                S("1、AI Agent", 1, "body", [B("多家厂商发布Agent产品", 2)]),
                S("2、信创", 1, "body", [B("党政信创招标提速", 3)]),
                S("3、数据要素", 1, "body", [B("公共数据授权运营试点扩围", 4, 5)]),
            ],
        ),
    ],
}


def _read(name: str):
    data = (FEEDS / name).read_bytes()
    diagnostics = Diagnostics()
    return data, read_text(decode(data, name), diagnostics), diagnostics


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_report_reads_as_a_careful_reader_sees_it(name):
    _, digest, _ = _read(name)
    got = [_report(r) for r in digest.reports]
    assert [r.title for r in got] == [r.title for r in EXPECTED[name]]
    for report, expected in zip(got, EXPECTED[name], strict=True):
        assert report == expected, report.title


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_feeds_round_trip_byte_for_byte(name):
    data, digest, _ = _read(name)
    assert digest_text(digest).encode("utf-8") == data


@pytest.mark.parametrize("name", ["global-brokers.en.txt", "cn-brokers.zh.txt", "odd-shapes.txt"])
def test_clean_feeds_read_without_warnings_or_errors(name):
    _, _, diagnostics = _read(name)
    assert [(d.severity, d.message) for d in diagnostics.items] == []


def test_page_clutter_is_kept_out_of_the_reports():
    _, digest, _ = _read("mixed-clutter.txt")
    assert digest.preamble == ["搜索文档", "Workflow"]
    # A last line with no institution line under it is either a footer or a title cut
    # short: the reader cannot tell, so it keeps it verbatim and out of every report.
    texts = [b.text for r in digest.reports for _, b in r.blocks()]
    assert not any("没有更多了" in t for t in texts)
    assert [r.meta_sep for r in digest.reports] == [" · ", "•", "·", " ・ "]


def _outline(body: str) -> list[tuple[int, str, str, list[tuple[str, str, list[int]]]]]:
    feed = f"Title\nBroker· 2025-01-01 10:00\n{body}\n"
    digest = read_text(decode(feed.encode(), "shape.txt"), Diagnostics())
    assert digest_text(digest) == feed
    return [
        (s.level, s.role, s.heading, [(b.kind, b.text, b.refs) for b in s.blocks]) for s in digest.reports[0].walk()
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a lead name that is the parent part of a heading keeps its role
        (
            "风险提示 政策风险 - 地产政策不及预期 [5] 需求风险 - 消费复苏偏慢 [6]",
            [
                (1, "risk", "风险提示", []),
                (2, "body", "政策风险", [B("地产政策不及预期", 5)]),
                (2, "body", "需求风险", [B("消费复苏偏慢", 6)]),
            ],
        ),
        # a title-case heading that starts with a lead name is a longer heading ...
        (
            "Risk Appetite Indicators - VIX fell to 15 [2]",
            [(1, "body", "Risk Appetite Indicators", [B("VIX fell to 15", 2)])],
        ),
        # ... while a sentence after a lead name is its paragraph, dash and all
        (
            "Our View We stay cautious on banks - we prefer insurers [4]",
            [(1, "summary", "Our View", [P("We stay cautious on banks - we prefer insurers", 4)])],
        ),
        # numbered parts: "1." under "一、", "二、" beside it; a lone number does not split
        (
            "一、市场回顾 1. 指数表现 - 沪指涨1% [1] 2. 行业表现 - 银行领涨 [2] 二、行业动态 - 政策出台 [3]",
            [
                (1, "body", "一、市场回顾", []),
                (2, "body", "1. 指数表现", [B("沪指涨1%", 1)]),
                (2, "body", "2. 行业表现", [B("银行领涨", 2)]),
                (1, "body", "二、行业动态", [B("政策出台", 3)]),
            ],
        ),
        ("（一） 板块表现 - 上涨 [1]", [(1, "body", "（一） 板块表现", [B("上涨", 1)])]),
        (
            "Market Review US Equities - S&P 500 rose 1% [1] Europe - Stoxx 600 fell [2]",
            [
                (1, "body", "Market Review", []),
                (2, "body", "US Equities", [B("S&P 500 rose 1%", 1)]),
                (2, "body", "Europe", [B("Stoxx 600 fell", 2)]),
            ],
        ),
        # "Label：text - bullet" is one heading, as in the sample ("周专题:…")
        ("事件：公司发布年报 - 营收增长 [1]", [(1, "body", "事件：公司发布年报", [B("营收增长", 1)])]),
        # a range after a short Chinese heading stays in its paragraph
        ("板块回顾 2024 - 2026年盈利增速 [2]", [(1, "body", "板块回顾", [P("2024 - 2026年盈利增速", 2)])]),
        ("一、投资要点 本周市场震荡 [1]", [(1, "summary", "一、投资要点", [P("本周市场震荡", 1)])]),
    ],
)
def test_shapes_of_headings(body, expected):
    assert _outline(body) == expected
