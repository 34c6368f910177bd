"""The digest reader on the shipped sample: every report pinned as a careful reader sees it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from publisher.model import Report, Section


class S(NamedTuple):
    heading: str
    role: str
    kind: str
    refs: list[list[int]]
    children: tuple[S, ...] | list[S] = ()


class R(NamedTuple):
    title: str
    institution: str
    time: str
    sections: list[S]


EXPECTED = [
    R(
        "股息增长潜力可期;非常规业务推进信心十足",
        "海通国际",
        "2025-02-16 16:06",
        [
            S("报告核心观点", "summary", "bullet", [[1]]),
            S(
                "各部分总结",
                "body",
                "bullet",
                [],
                [
                    S("点评", "body", "bullet", [[2], [2]]),
                    S("新增钻机情况", "body", "bullet", [[3]]),
                    S("Enersol关键支撑", "body", "bullet", [[3]]),
                    S("区域扩张最新进展", "body", "bullet", [[3]]),
                ],
            ),
        ],
    ),
    R(
        "“新质生产力”系列专题(九):并购重组赋能新质生产力",
        "国信证券",
        "2025-02-16 15:12",
        [
            S("核心观点", "summary", "bullet", [[1, 12]]),
            S("供给侧逻辑下并购重组是快速实现产业突围的重要路径", "body", "bullet", [[13], [14, 15], [17, 18]]),
            S("产业链视角下的“树状”并购重组助力企业快速领跑产业浪潮", "body", "bullet", [[20], [21], [22, 23]]),
            S("国家和地方层面推动并购重组政策分析", "body", "bullet", [[24], [29, 30], [30, 33], [36, 38]]),
            S("各地政府工作报告对相关涉及产业领域的梳理分析", "body", "bullet", [[39]]),
            S("京津冀、长三角、大湾区产业集群的分布特征", "body", "bullet", [[44], [47, 48]]),
            S("深圳“20 + 8”产业基金有望加大并购重组投入力度", "body", "bullet", [[50], [53, 54], [55]]),
            S("深圳新质生产力优势赛道", "body", "bullet", [[56]]),
        ],
    ),
    R(
        "北交所周观察第十三期:北证50涨幅超18%领跑全市场,关注北证50指数成份股预期变动",
        "华源证券",
        "2025-02-16 15:12",
        [
            S("报告核心观点", "summary", "bullet", [[3, 9]]),
            S(
                "周专题:2025 年以来北证 50 指数涨幅超 18.6%",
                "body",
                "bullet",
                [],
                [
                    S("二级市场", "body", "bullet", [[9], [14], [16], [18], [21]]),
                    S("一级市场", "body", "bullet", [[24], [26]]),
                ],
            ),
            S("周观点:北证 50 指数将迎来本年内第 1 轮调整", "body", "bullet", [[29], [31], [34], [35]]),
            S("市场表现:北证 A 股整体 PE 回升到 39X", "body", "bullet", [[38], [39], [41]]),
            S("新股上市:本周无新股上市", "body", "bullet", [[46], [48]]),
            S("新股 IPO:本周 2 家公司问询,2 家公司终止", "body", "bullet", [[53]]),
        ],
    ),
    R(
        "普林格与盈利周期跟踪:社融脉冲继续回升,等“后手牌”",
        "天风证券",
        "2025-02-16 14:09",
        [
            S("报告核心观点", "summary", "bullet", [[2], [3, 18]]),
            S("同步指标", "body", "bullet", [[4, 5]]),
            S(
                "先行指标",
                "body",
                "bullet",
                [],
                [
                    S("M1、M2及社融存量情况", "body", "bullet", [[7], [7]]),
                    S("社融脉冲及融资规模增量结构", "body", "bullet", [[9], [9]]),
                    S("企业贷与居民贷情况", "body", "bullet", [[12], [12]]),
                    S("资金价格情况", "body", "bullet", [[15], [15]]),
                    S("驱动研判", "body", "bullet", [[18], [18], [18]]),
                ],
            ),
        ],
    ),
    R(
        "市场温度计系列之十九:市场情绪已有所降温",
        "民生证券",
        "2025-02-16 13:16",
        [
            S("报告核心观点", "summary", "bullet", [[1, 2]]),
            S("投资者情绪", "body", "bullet", [[1, 5]]),
            S("行业投资情绪", "body", "bullet", [[1, 8]]),
            S("市场参与者数量", "body", "bullet", [[2, 10]]),
            S("个人投资者关注度", "body", "bullet", [[2, 12]]),
            S("多资产联动性", "body", "bullet", [[2, 14]]),
        ],
    ),
    R(
        "行业比较周报:DeepSeek主题行情,机器人板块的“定位”",
        "天风证券",
        "2025-02-16 13:15",
        [
            S("报告核心观点", "summary", "bullet", [[1]]),
            S(
                "本轮DeepSeek行情中的机器人板块",
                "body",
                "bullet",
                [],
                [
                    S("人形机器人本质是制造业,降本是关键", "body", "bullet", [[1, 7], [7], [7]]),
                    S("当前的机器人或对应17 - 18年的新能源车", "body", "bullet", [[2, 12], [2, 12], [2, 12]]),
                    S("机器人板块估值的正反面", "body", "bullet", [[3, 15], [15], [15]]),
                    S("机器人行情演绎特征", "body", "bullet", [[3, 18]]),
                    S("行业比较之资金面", "body", "bullet", [[22]]),
                ],
            ),
            S(
                "行业利润预期&估值",
                "body",
                "bullet",
                [],
                [
                    S("PB - ROE视角看行业", "body", "bullet", [[25, 26]]),
                    S("申万一级行业预期利润&估值", "body", "bullet", [[28]]),
                    S("风格日历效应跟踪", "body", "bullet", [[32, 33]]),
                ],
            ),
        ],
    ),
    R(
        "市场分析:软件医疗行业领涨 A股小幅上扬",
        "中原证券",
        "2025-02-16 12:18",
        [
            S("报告核心观点", "summary", "bullet", [[3, 4, 15]]),
            S("A股市场走势综述", "body", "bullet", [[3, 8, 9], [8], [9], [10]]),
            S("后市研判及投资建议", "body", "bullet", [[4, 15], [4, 15], [4, 15], [4, 15]]),
        ],
    ),
    R(
        "粤开市场日报:投资策略研究",
        "粤开证券",
        "2025-02-14 19:10",
        [
            S("报告核心观点", "summary", "paragraph", [[1, 2]]),
            S(
                "市场回顾",
                "body",
                "bullet",
                [],
                [
                    S("指数涨跌情况", "body", "bullet", [[1], [1], [1]]),
                    S("行业涨跌情况", "body", "bullet", [[1]]),
                    S("板块涨跌情况", "body", "bullet", [[2]]),
                ],
            ),
        ],
    ),
    R(
        "策略化选股月报(2025/2):1月价值、红利策略相对较优,2月建议持续关注价值风格",
        "华福证券",
        "2025-02-14 18:36",
        [
            S("报告核心观点", "summary", "paragraph", [[1]]),
            S(
                "市场回顾",
                "body",
                "bullet",
                [],
                [
                    S("主要市场特征", "body", "bullet", [[12], [13]]),
                    S("选股策略业绩汇总", "body", "bullet", [[14], [16]]),
                ],
            ),
            S(
                "多策略选股组合",
                "body",
                "bullet",
                [],
                [
                    S("组合最新持仓", "body", "bullet", [[18], [18], [22]]),
                    S("策略月度跟踪", "body", "bullet", [[29], [31]]),
                    S("策略历史业绩", "body", "bullet", [[34]]),
                ],
            ),
            S(
                "价值选股策略",
                "body",
                "bullet",
                [],
                [
                    S("组合最新持仓", "body", "bullet", [[38], [38]]),
                    S("策略月度跟踪及持仓分析", "body", "bullet", [[44], [49]]),
                    S("策略历史业绩", "body", "bullet", [[51]]),
                ],
            ),
            S(
                "高质量选股策略",
                "body",
                "bullet",
                [],
                [
                    S("策略最新持仓", "body", "bullet", [[58], [58]]),
                    S("策略月度跟踪", "body", "bullet", [[63], [66]]),
                    S("策略历史业绩", "body", "bullet", [[68]]),
                ],
            ),
            S(
                "出清选股策略",
                "body",
                "bullet",
                [],
                [
                    S("策略构建及最新持仓", "body", "bullet", [[74], [79]]),
                    S("策略月度跟踪", "body", "bullet", [[83], [87]]),
                    S("策略历史业绩", "body", "bullet", [[89]]),
                ],
            ),
            S(
                "“红利 +”优选股票策略",
                "body",
                "bullet",
                [],
                [
                    S("组合最新持仓", "body", "bullet", [[94], [94]]),
                    S("策略月度跟踪", "body", "bullet", [[101], [103]]),
                    S("策略历史跟踪", "body", "bullet", [[106]]),
                ],
            ),
        ],
    ),
    R(
        "DeepSeek模型综述",
        "肯特州立大学",
        "2025-02-14 17:52",
        [
            S("报告的核心观点", "summary", "bullet", [[1, 4, 34]]),
            S(
                "相关工作",
                "body",
                "bullet",
                [],
                [
                    S("OpenAI GPT", "body", "bullet", [[7]]),
                    S("克劳德3.5", "body", "bullet", [[8]]),
                    S("LLama 3.1", "body", "bullet", [[9]]),
                    S("Qwen 2.5", "body", "bullet", [[10]]),
                    S("双子座2.0", "body", "bullet", [[11]]),
                ],
            ),
            S(
                "Deepseek及其变体",
                "body",
                "bullet",
                [],
                [
                    S("架构基础", "body", "bullet", [[12, 13]]),
                    S("DeepSeek 7B", "body", "bullet", [[14]]),
                    S("DeepSeek MoE - 16B", "body", "bullet", [[15]]),
                    S("DeepSeek V2", "body", "bullet", [[17]]),
                    S("DeepSeek V3", "body", "bullet", [[18]]),
                    S("DeepSeek R1 - Zero", "body", "bullet", [[21, 23]]),
                    S("DeepSeek R1", "body", "bullet", [[24, 25]]),
                    S("讨论", "body", "bullet", [[32, 33]]),
                    S("结论与未来工作", "body", "bullet", [[34, 35]]),
                ],
            ),
        ],
    ),
]


def _tree(section: Section) -> S:
    kinds = {b.kind for b in section.blocks}
    kind = kinds.pop() if len(kinds) == 1 else ("bullet" if not kinds else "mixed")
    tree = S(section.heading, section.role, kind, [b.refs for b in section.blocks])
    return tree._replace(children=[_tree(c) for c in section.children]) if section.children else tree


def _levels(sections: list[Section], depth: int = 1) -> list[tuple[str, int, int]]:
    out = []
    for s in sections:
        out.append((s.heading, s.level, depth))
        out.extend(_levels(s.children, depth + 1))
    return out


def test_sample_has_ten_reports(sample_digest):
    assert len(sample_digest.reports) == 10
    assert sample_digest.preamble == ["Workflow"]
    assert not sample_digest.skipped


def test_every_report_matches_the_file(sample_digest):
    for report, expected in zip(sample_digest.reports, EXPECTED, strict=True):
        assert report.title == expected.title
        assert report.institution == expected.institution
        assert report.published_at == datetime.strptime(expected.time, "%Y-%m-%d %H:%M")
        assert [_tree(s) for s in report.sections] == expected.sections, report.title


def test_levels_follow_nesting(sample_digest):
    for report in sample_digest.reports:
        for heading, level, depth in _levels(report.sections):
            assert level == depth, (report.title, heading)


def test_reader_is_clean_on_the_sample(sample_path):
    from publisher.diagnostics import Diagnostics
    from publisher.readers.digest import read

    diags = Diagnostics()
    read(str(sample_path), diagnostics=diags)
    assert list(diags) == []


def _bullets(report: Report) -> list[str]:
    return [b.text for _, b in report.blocks()]


def test_in_text_dashes_stay_in_text(sample_digest):
    texts = [t for r in sample_digest.reports for t in _bullets(r)]
    joined = "\n".join(texts)
    for fragment in (
        "(24 - 28财年)",
        "1 - 2个季度",
        "17 - 18年",
        "GPT - 4",
        "社融 - M2的剪刀差",
        "2 月 10 日 - 2 月 14 日",
    ):
        assert fragment in joined, fragment


def test_first_bullet_text_and_positions(sample_digest):
    first = sample_digest.reports[0]
    block = first.sections[0].blocks[0]
    assert block.text.startswith("阿布扎比国家石油钻井公司管理层积极展望业务")
    assert block.text.endswith("持续被看好")
    assert block.refs == [1]
    assert block.citations[0].sep == " "
    assert (first.pos.line, first.pos.column) == (2, 1)
    assert first.sections[0].pos.line == 4 and first.sections[0].pos.column == 1
    assert block.pos.line == 4 and block.pos.column == len("报告核心观点 - ") + 1
    child = first.sections[1].children[0]
    assert child.heading == "点评"
    body_line = open(sample_digest.source, encoding="utf-8").read().split("\n")[3]
    assert body_line[child.pos.column - 1 :].startswith("点评 - 提高股息")


def test_heading_followed_by_paragraph(sample_digest):
    yuekai = next(r for r in sample_digest.reports if r.institution == "粤开证券")
    lead = yuekai.sections[0]
    assert lead.heading == "报告核心观点" and lead.role == "summary"
    assert lead.blocks[0].kind == "paragraph"
    assert lead.blocks[0].text == "2025年2月14日A股主要指数多数收涨,行业涨跌各半,部分概念板块涨幅居前"
    assert lead.blocks[0].refs == [1, 2]


def test_key_takeaway_and_section_path(sample_digest):
    report = sample_digest.reports[2]
    assert report.key_takeaway().text.startswith("2025 年以来北证 50 指数涨幅超 18.6%")
    child = report.sections[1].children[1]
    assert report.section_path(child) == ["周专题:2025 年以来北证 50 指数涨幅超 18.6%", "一级市场"]


def test_languages(sample_digest):
    assert {r.language for r in sample_digest.reports} == {"zh"}
