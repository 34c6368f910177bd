"""The section vocabulary of research reports: lead sections, heading numbers, language, titles.

What a heading's name says, whichever format it was read from or is written
to: ``核心观点`` and ``Key Takeaways`` are summaries, ``投资评级`` a rating,
``风险提示`` the risks (:data:`LEAD_SECTIONS`, :func:`lead_role`); ``一、``,
``（一）``, ``(1)`` and ``1.`` number parts (:data:`NUMBERING`,
:func:`numbering`).  The readers give sections their roles with it, and the
Markdown writer tells from it which roles a reader will find again; it also
holds the guess of a report's language, the title of a digest, and research
facts as readers see them (``尚品宅配(300616)``, ``买入(维持)``, ``18.2元``:
:func:`company_label`, :func:`rating_label`, :func:`target_label`,
:func:`glance`), which every writer and template shows alike.  It depends on
the model and :mod:`publisher.textutil` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .model import ROLE_BODY, ROLE_RATING, ROLE_RISK, ROLE_SUMMARY, Company, Digest, Rating, Report, TargetPrice
from .textutil import HAN

# --- lead sections ---------------------------------------------------------

#: Names of lead sections and the role each plays.  Matching is exact (case
#: folded for Latin names, a leading number such as ``一、`` or ``1.`` ignored),
#: so ``核心观点`` does not swallow ``核心观点总结``.  A lead name may be followed
#: by a paragraph instead of bullets, also after a colon (``事件：公司发布…``).
#: Names of the ``body`` role are sections every reader knows by name (the
#: event a note comments on, catalysts, industry news) but that are neither
#: its summary, its rating nor its risks.
LEAD_SECTIONS: dict[str, str] = {
    **dict.fromkeys(
        (
            "报告核心观点",
            "报告的核心观点",
            "核心观点",
            "文章核心观点",
            "文章的核心观点",
            "报告要点",
            "报告核心要点",
            "核心要点",
            "投资要点",
            "主要观点",
            "报告主要观点",
            "报告摘要",
            "摘要",
            "内容摘要",
            "核心结论",
            "主要结论",
            "研究结论",
            "报告结论",
            "核心内容",
            "要点",
            "投资逻辑",
            "核心逻辑",
            "投资摘要",
            "总结",
            "结论",
            "Core Insights",
            "Core Views",
            "Core View",
            "Key Takeaways",
            "Key Takeaway",
            "Key Points",
            "Key Insights",
            "Key Findings",
            "Key Conclusions",
            "Key Highlights",
            "Summary",
            "Executive Summary",
            "Investment Summary",
            "Earnings Summary",
            "Results Summary",
            "Investment Highlights",
            "Highlights",
            "Abstract",
            "Main Points",
            "Our View",
            "Our Views",
            "Our Take",
            "Investment Thesis",
            "Investment View",
            "Investment Case",
            "Bottom Line",
            "The Bottom Line",
            "Conclusion",
            "Conclusions",
        ),
        ROLE_SUMMARY,
    ),
    **dict.fromkeys(
        (
            "投资评级",
            "报告投资评级",
            "报告行业投资评级",
            "行业投资评级",
            "报告的投资评级",
            "公司投资评级",
            "公司评级",
            "行业评级",
            "投资建议",
            "评级",
            "盈利预测与投资建议",
            "盈利预测及投资建议",
            "盈利预测与投资评级",
            "盈利预测与评级",
            "盈利预测与估值",
            "盈利预测",
            "投资建议与盈利预测",
            "估值与评级",
            "Investment Rating",
            "Rating",
            "Our Rating",
            "Industry Rating",
            "Recommendation",
            "Investment Recommendation",
            "Valuation",
            "Valuation and Rating",
            "Valuation and Price Target",
            "Price Target",
            "Rating and Price Target",
        ),
        ROLE_RATING,
    ),
    **dict.fromkeys(
        (
            "风险提示",
            "风险因素",
            "主要风险",
            "风险",
            "风险分析",
            "投资风险",
            "Risks",
            "Risk",
            "Risk Warning",
            "Risk Warnings",
            "Risk Factors",
            "Key Risks",
            "Investment Risks",
            "Downside Risks",
            "Risks to Rating",
        ),
        ROLE_RISK,
    ),
    **dict.fromkeys(
        (
            "事件",
            "事件概述",
            "点评",
            "事件点评",
            "行业动态",
            "公司动态",
            "公司公告",
            "重要公告",
            "What's New",
            "What’s New",
            "Event",
            "Catalysts",
            "Key Catalysts",
        ),
        ROLE_BODY,
    ),
}
_LEAD_KEYS = {name.casefold(): role for name, role in LEAD_SECTIONS.items()}

# --- heading numbers -----------------------------------------------------------

#: A heading's number: ``一、``, ``（一）``, ``(1)``, ``1.``, ``1、``.  The group
#: names its kind; parts numbered in one kind are of one rank.
NUMBERING = re.compile(
    r"(?:(?P<cn>[一二三四五六七八九十]{1,3}、)"
    r"|(?P<pcn>[（(][一二三四五六七八九十]{1,3}[)）])"
    r"|(?P<pnum>[（(][0-9]{1,2}[)）])"
    r"|(?P<num>[0-9]{1,2}(?:[、．]|\.(?![0-9]))))[ \t\u3000]*"
)

#: The characters a heading number can start with (a cheap test before :data:`NUMBERING`).
NUMBER_START = frozenset("一二三四五六七八九十（(0123456789")


def numbering(heading: str) -> str | None:
    """The kind of number a heading starts with (``cn`` for ``一、`` …), or ``None``."""
    if not heading or heading[0] not in NUMBER_START:
        return None
    m = NUMBERING.match(heading)
    return m.lastgroup if m and m.end() < len(heading) else None


def lead_role(heading: str) -> str | None:
    """The role of a lead-section heading (``summary``, ``rating``, ``risk``, or ``body`` for known names)."""
    name = heading.strip().rstrip(":：").strip()
    role = _LEAD_KEYS.get(name.casefold())
    if role is None and name and name[0] in NUMBER_START:
        m = NUMBERING.match(name)
        if m and m.end() < len(name):
            role = _LEAD_KEYS.get(name[m.end() :].casefold())
    return role


# --- language and titles -----------------------------------------------------

_LATIN = re.compile(r"[A-Za-z]")


def guess_language(text: str) -> str:
    """``zh`` when Chinese characters make up a fair share of the letters, else ``en``."""
    if text.isascii():
        return "en"
    cjk = len(HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 4 >= latin else "en"


def _digest_days(digest: Digest) -> str:
    rng = digest.date_range
    assert rng is not None
    first, last = rng[0].date(), rng[1].date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def digest_title(digest: Digest) -> str:
    """A title for a digest from the dates of its reports (the model's, in English)."""
    return f"Research digest {_digest_days(digest)}"


def localized_title(digest: Digest, translate: Callable[..., str]) -> str:
    """The digest's title as an output shows it: the title made from its dates in the reader's
    language (``translate`` is the audience's messages: ``研究简报 2025-02-14 – 2025-02-16``), a
    title the input gave as it is."""
    if not digest.reports:
        return digest.title or digest.name
    if digest.title and digest.title != digest_title(digest):
        return digest.title
    return translate("Research digest {days}", days=_digest_days(digest))


# --- research facts as a reader sees them ------------------------------------------------------

#: What a rating statement did, by language.
ACTION_LABELS = {
    "zh": {"first": "首次", "maintain": "维持", "upgrade": "上调", "downgrade": "下调"},
    "en": {"first": "initiated", "maintain": "maintained", "upgrade": "upgraded", "downgrade": "downgraded"},
}
#: Currencies as Chinese readers write them after a price.
CURRENCY_SUFFIXES = {
    "CNY": "元",
    "HKD": "港元",
    "USD": "美元",
    "JPY": "日元",
    "EUR": "欧元",
    "GBP": "英镑",
    "KRW": "韩元",
}


def company_label(company: Company | None) -> str:
    """``尚品宅配(300616)``, ``Tencent (0700.HK)`` or the name alone."""
    if company is None:
        return ""
    if not company.ticker:
        return company.name
    space = " " if company.name[-1:].isascii() else ""
    return f"{company.name}{space}({company.ticker})"


def rating_label(rating: Rating | None, language: str = "zh") -> str:
    """``买入(维持)``, ``Outperform (upgraded)`` or the grade alone (in English, a Chinese grade
    is given by its place on the scale: ``买入`` → ``Buy``)."""
    if rating is None:
        return ""
    chinese = language.startswith("zh")
    grade = rating.grade if chinese or rating.grade.isascii() else rating.scale.capitalize()
    action = ACTION_LABELS["zh" if chinese else "en"].get(rating.action, "")
    if not action:
        return grade
    return f"{grade}({action})" if chinese else f"{grade} ({action})"


def target_label(target: TargetPrice | None, language: str = "zh") -> str:
    """``18.2元``, ``9.96-10.73元``, ``HKD 680``: a target price with its currency."""
    if target is None:
        return ""
    value = target.value if target.value is not None else f"{target.low}-{target.high}"
    if language.startswith("zh") and target.currency in CURRENCY_SUFFIXES:
        return value + CURRENCY_SUFFIXES[target.currency]
    return f"{target.currency} {value}".strip()


def glance(report: Report, language: str = "zh") -> tuple[str, str, str]:
    """A report's company, rating and target price as a reader scans them in a table.

    The company the report is about with its ticker, its rating and target; a report on an
    industry shows ``行业`` (``Industry``) and the industry's rating.  Empty texts when unknown.
    """
    facts = report.facts
    if not facts:
        return "", "", ""
    company = facts.company
    if company is not None:
        rating, target = facts.for_company(company.name)
        if rating is not None or target is not None or company.ticker:
            return company_label(company), rating_label(rating, language), target_label(target, language)
    industry = facts.industry_rating
    if industry is not None:
        return ("行业" if language.startswith("zh") else "Industry"), rating_label(industry, language), ""
    return company_label(company), "", ""
