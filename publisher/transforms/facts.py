"""Research facts: each report's companies, rating, target price, valuation and forecasts.

Research facts are what a desk asks of a report first: which company (and its ticker), what
rating and what the report did to it, what target price, on what valuation, and what the broker
forecasts by year.  They are read from any section, not only from one headed as a rating:

- **companies** from ``尚品宅配(300616)``, ``0700.HK``, ``Apple (AAPL.O)``, ``(NASDAQ: NVDA)``,
  a title that starts with a company's name (``泸州老窖:25年定调…``) and the lists of picks
  of an industry note (``重点推荐恒瑞医药、迈瑞医疗``); the exchange from the code's suffix or,
  for a six-digit A-share code, its first digits;
- **ratings** from ``维持“买入”评级``, ``给予增持评级``, ``投资评级:买入(维持)``, ``上调至“买入”``,
  ``maintain Outperform``, ``assigns an "Outperform" rating``: the grade as written, its place on
  :data:`publisher.model.RATING_SCALE` and the action (first, maintain, upgrade, downgrade);
- **target prices** from ``目标价18.2元``, ``目标价由15元上调至18.2元``, ``target price of HK$45``,
  with the currency (written, or the exchange's) and the upside when the text states it or the
  current price;
- **valuations** from ``给予2025年13-14倍PE``, ``DCF``, ``based on 25x FY26E P/E``;
- **forecasts** from the report's figures (the ``metrics`` transform's forecast rows and year
  lists): a figure of a known indicator (revenue, net profit, EPS, PE, PB …) tied to a year.

A statement made twice the same way is one fact with two positions; two different statements
are two facts (``Facts.conflicts``), never merged.  The word tables live in
:mod:`publisher.transforms.fact_rules`.

A build finds a report's companies, ratings, targets and valuations when it reads the report
(:func:`extract`, called by ``publisher.build.find_facts``) and remembers them with its body, so
every output shows them; the transform (:func:`facts`) adds the forecasts, which need the
figures of the ``metrics`` transform: run it after ``metrics``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ..model import (
    ROLE_RATING,
    Block,
    Citation,
    Company,
    Digest,
    Facts,
    Forecast,
    Metric,
    Pos,
    Rating,
    Report,
    TargetPrice,
    Valuation,
)
from ..textutil import HAN_CLASS, is_han
from . import fact_rules as R
from . import metric_entities
from .metrics import citation_marks, text_pos

if TYPE_CHECKING:
    from ..writers.base import RenderContext


def _alternation(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


_NUMBER = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
_RANGE_JOIN = r"\s*(?:-|~|～|至|到|—|–)\s*"
_OPEN_QUOTE = "“\"'‘「『《"
_CLOSE_QUOTE = "”\"'’」』》"
_CLAUSE_MARKS = "，,。；;！？!?\n"
_SENTENCE_MARKS = "。；;！？!?\n"

# --- ratings ---------------------------------------------------------------------------------------

_CN_GRADE = re.compile(
    rf"(?P<q1>[{_OPEN_QUOTE}]?)(?P<grade>{_alternation(R.CN_GRADES)})(?:[-－](?:A|B))?(?P<q2>[{_CLOSE_QUOTE}]?)"
    rf"(?P<after>(?:的)?(?:投资)?评级)?"
    rf"(?:\s*[(（](?P<paren>{_alternation(R.AFTER_ACTIONS)})[)）])?"
)
_CN_ACTION_RE = re.compile(_alternation(R.CN_ACTIONS))
_CN_GIVING_RE = re.compile(_alternation(R.CN_GIVING))
#: What may stand between an action and its grade: ``维持公司“买入”``, ``维持对公司的``, ``维持其``.
_CN_BETWEEN = re.compile(r"^(?:对)?(?:公司|行业|板块|其|该股|股票|个股)?(?:的)?(?:投资)?(?:评级)?(?:为|至|:|：)?\s*$")
_EN_GRADE_WORDS = _alternation(R.EN_GRADES)
_EN_VERBS = _alternation(R.EN_ACTIONS)
_EN_RATING = re.compile(
    rf"(?:(?P<verb>\b(?:{_EN_VERBS}))\s+(?:(?:the|our|its|an|a|their)\s+)?"
    rf"(?:(?:[\w.&'():-]+\s+){{0,8}}?(?:to|at|with|as)\s+(?:an?\s+)?)?"
    rf"|(?P<rating_word>\brating(?:\s+(?:for|on)\s+(?:[\w.&'-]+\s+){{1,3}}?(?=is\b))?\s*(?:of|at|to|:|is)?\s*(?:an?\s+)?))"
    rf"(?P<q1>[\"“']?)(?P<grade>\b(?:{_EN_GRADE_WORDS})\b)(?P<q2>[\"”']?)(?P<after>[- ]rat(?:ing|ed)\b)?",
    re.IGNORECASE,
)
_EN_GRADE_RATING = re.compile(
    rf"(?P<q1>[\"“']?)(?P<grade>\b(?:{_EN_GRADE_WORDS})\b)(?P<q2>[\"”']?)[- ](?P<after>rating|rated)\b", re.IGNORECASE
)
_EN_FROM_GRADE = re.compile(rf"\s+from\s+(?:an?\s+)?[\"“']?(?P<old>\b(?:{_EN_GRADE_WORDS})\b)", re.IGNORECASE)
#: What stands before the grade a company was moved from: ``from a "market perform" rating to …``.
_OLD_GRADE_BEFORE = re.compile(r"\bfrom\s+(?:an?\s+)?[\"“']?$", re.IGNORECASE)
_EN_PAREN_ACTION = re.compile(rf"\s*\((?P<paren>{_alternation(R.AFTER_ACTIONS)})\)", re.IGNORECASE)


def _old_grade(text: str, start: int) -> bool:
    """Whether the grade at ``start`` is the one a company was moved from (``from a "market perform" …``)."""
    return _OLD_GRADE_BEFORE.search(text, max(0, start - 12), start) is not None


def _clause_before(text: str, start: int, width: int = 24, marks: str = _CLAUSE_MARKS) -> str:
    head = text[max(0, start - width) : start]
    cut = max(head.rfind(m) for m in marks)
    return head[cut + 1 :]


_SECTION_GRADE = re.compile(
    rf"^(?:报告|公司|行业|投资|评级|[^:：;；,，]{{1,8}}[:：])*\s*(?P<q1>[{_OPEN_QUOTE}]?)(?P<grade>{_alternation(R.CN_GRADES)})"
)


_PREVIOUS = re.compile(r"(?:上次|前次|此前|原|之前)(?:投资)?评级")


def _ends_grade(text: str, end: int) -> bool:
    """Whether a grade at the head of a bullet ends there (``买入``, ``买入(维持)``, ``看好快递行业``),
    not ``推荐国内…``."""
    rest = text[end : end + 2].lstrip(_CLOSE_QUOTE)
    if not rest or not is_han(rest[0]) or rest.startswith(("评级", "维持", "首次", "上调", "下调")):
        return True
    return _GRADED_INDUSTRY.match(text, end) is not None  # 看好快递行业: the grade of the industry named


#: An industry named right after a grade, and nothing else in its clause (``看好快递行业 [1]``).
_GRADED_INDUSTRY = re.compile(r"[\u4e00-\u9fff]{1,10}(?:行业|板块)\s*(?:$|[,，;；。(（\[])")


def _cn_ratings(text: str, rating_section: bool = False) -> Iterator[tuple[int, str, str, str]]:
    """``(offset, grade, scale, action)`` of each Chinese rating statement in ``text``.

    In a section about the rating (``投资评级 - 买入(维持)``) a grade at the head of a bullet counts
    without a word of rating around it.
    """
    lead = _SECTION_GRADE.match(text) if rating_section else None
    for m in _CN_GRADE.finditer(text):
        grade = m.group("grade")
        quoted = bool(m.group("q1") and m.group("q2"))
        after = m.group("after") or ""
        paren = m.group("paren") or ""
        clause = _clause_before(text, m.start())
        rating_label = re.search(r"评级\s*[:：为是]?\s*$", clause) is not None
        at_lead = lead is not None and lead.start("grade") == m.start("grade") and _ends_grade(text, m.end("grade"))
        rest = text[m.end("grade") : m.end("grade") + 4].lstrip(_CLOSE_QUOTE)
        if not (after or at_lead) and rest.startswith(R.CN_NOT_AFTER_GRADE):
            continue
        if (
            m.start() > 0
            and is_han(text[m.start() - 1])
            and not (quoted or rating_label or at_lead)
            # 维持保利物业跑赢行业评级, 给予柳工买入评级: the company, then its grade
            and not (after and (_CN_ACTION_RE.search(clause) or _CN_GIVING_RE.search(clause)))
            and not _CN_ACTION_RE.search(text[max(0, m.start() - 4) : m.start()])
            and not text[max(0, m.start() - 2) : m.start()].endswith(("评级", "给予", "予以"))
        ):
            continue  # 继续买入, 持续推荐: a grade inside a phrase, not after an action or a rating word
        if clause.rstrip().endswith(("由", "从")) or _PREVIOUS.search(clause):
            continue  # 由“增持”上调至“买入”, 上次评级:增持: the rating it had, not the one it gives
        sentence = _clause_before(text, m.start(), 40, _SENTENCE_MARKS)
        action_match = None
        for am in _CN_ACTION_RE.finditer(clause):
            action_match = am
        giving = _CN_GIVING_RE.search(clause) is not None
        next_to_action = action_match is not None and _CN_BETWEEN.match(clause[action_match.end() :]) is not None
        next_to_giving = any(_CN_BETWEEN.match(clause[g.end() :]) for g in _CN_GIVING_RE.finditer(clause))
        if not (
            after
            or paren
            or rating_label
            or at_lead
            or next_to_action
            or next_to_giving
            or (quoted and (giving or action_match))
        ):
            continue
        action = R.AFTER_ACTIONS.get(paren, "") if paren else ""
        if not action and action_match is not None:
            action = R.CN_ACTIONS[action_match.group()]
        if not action:
            for am in _CN_ACTION_RE.finditer(sentence):
                action = R.CN_ACTIONS[am.group()]
        if not action:  # 评级为"买入",维持评级 / 投资评级为买入维持 / 并予以"维持"
            tail = text[m.end() : m.end() + 24]
            tail = tail[: min((tail.find(c) for c in _SENTENCE_MARKS if c in tail), default=len(tail))]
            after_action = _CN_ACTION_RE.search(tail)
            if after_action and not _CN_GRADE.search(
                tail[: after_action.start()].strip(_OPEN_QUOTE + _CLOSE_QUOTE + "，, ")
            ):
                action = R.CN_ACTIONS[after_action.group()]
        yield m.start("grade"), grade, R.CN_GRADES[grade], action


_EN_ACTION_WORDS = re.compile(rf"\b(?:{_alternation(v for v, a in R.EN_ACTIONS.items() if a)})\b", re.IGNORECASE)


def _en_action_before(text: str, start: int) -> str:
    """The action an English sentence states before a grade (``initiate coverage of X with …``)."""
    action = ""
    before = text[max(0, start - 80) : start]
    before = before[max(before.rfind(". "), before.rfind(";"), before.rfind("\n")) + 1 :]
    for m in _EN_ACTION_WORDS.finditer(before):
        action = R.EN_ACTIONS[m.group().lower()]
    return action


_EN_TITLE_RATING = re.compile(
    rf"\[(?P<grade>(?:{_EN_GRADE_WORDS}))\b|^(?P<lead>(?:{_EN_GRADE_WORDS}))\s+(?P<name>[A-Z][\w&.'-]*(?:\s[A-Z][\w&.'-]*){{0,3}})\s*[;:,]",
    re.IGNORECASE,
)


def _en_ratings(text: str, title: bool = False) -> Iterator[tuple[int, str, str, str]]:
    """``(offset, grade, scale, action)`` of each English rating statement in ``text``.

    A title may carry the grade in brackets (``VCB [OUTPERFORM +17.3%]``) or lead with it
    (``Buy ONGC; target of Rs 212``).
    """
    seen: set[int] = set()
    if title:
        m = _EN_TITLE_RATING.search(text)
        if m and (m.group("grade") or m.group("lead"))[0].isupper():
            grade = m.group("grade") or m.group("lead")
            seen.add(m.start("grade") if m.group("grade") else 0)
            yield (m.start("grade") if m.group("grade") else 0), grade, R.EN_GRADES[grade.lower()], ""
    for m in _EN_RATING.finditer(text):
        grade = m.group("grade")
        if _old_grade(text, m.start("grade")):
            continue  # upgraded from a "market perform" rating to an "outperform" rating: the old grade
        quoted = bool(m.group("q1"))
        if not (grade[0].isupper() or quoted or m.group("after") or " " in grade):  # at sector perform
            continue
        verb = (m.group("verb") or "").lower()
        action = R.EN_ACTIONS.get(verb, "")
        paren = _EN_PAREN_ACTION.match(text, m.end())
        if paren:
            action = R.AFTER_ACTIONS.get(paren.group("paren").lower(), action)
        old = _EN_FROM_GRADE.match(text, m.end())
        if old:  # to Buy from Hold: the direction is in the two grades
            ranks = [R.SCALE_ORDER.index(R.EN_GRADES[g.lower()]) for g in (grade, old.group("old"))]
            action = "upgrade" if ranks[0] < ranks[1] else "downgrade" if ranks[0] > ranks[1] else "maintain"
        if not action:
            action = _en_action_before(text, m.start())
        seen.add(m.start("grade"))
        yield m.start("grade"), grade, R.EN_GRADES[grade.lower()], action
    for m in _EN_GRADE_RATING.finditer(text):
        if m.start("grade") in seen or not (m.group("grade")[0].isupper() or m.group("q1")):
            continue
        if _old_grade(text, m.start("grade")):
            continue
        grade = m.group("grade")
        action = _en_action_before(text, m.start())
        yield m.start("grade"), grade, R.EN_GRADES[grade.lower()], action


# --- target prices, prices and upside -----------------------------------------------------------------

_CN_CURRENCY = _alternation(R.CN_CURRENCIES)
_PREFIX_CURRENCY = _alternation(R.PREFIX_CURRENCIES)
_CN_TARGET = re.compile(
    rf"(?:{_alternation(R.CN_TARGET_WORDS)})(?!值|市值)(?P<gap>(?:[^0-9。；;，,()（）]|[(（][^)）]{{0,16}}[)）]){{0,16}}?)(?P<pre>{_PREFIX_CURRENCY})?\s*"
    rf"(?P<value>{_NUMBER})(?:{_RANGE_JOIN}(?:{_PREFIX_CURRENCY})?(?P<high>{_NUMBER}))?\s*(?P<cur>{_CN_CURRENCY})?"
)
_CN_TARGET_AFTER = re.compile(
    rf"(?P<pre>{_PREFIX_CURRENCY})?\s*(?P<value>{_NUMBER})(?:{_RANGE_JOIN}(?P<high>{_NUMBER}))?\s*(?P<cur>{_CN_CURRENCY})"
    rf"(?:/股)?(?:的)?(?:{_alternation(R.CN_TARGET_WORDS)})"
)
_EN_TARGET_WORDS = (
    r"\b(?:target price|price target|price objective|TP|PT|target of|target to|[0-9]{1,2}-month target"
    r"|(?:our|its|their) target(?!\s+(?:P/?E|PE|multiple|EV|valuation)))\b"  # We raise our target by $8 to $93
    r"(?:\s*\((?:TP|PT)\))?"
)
#: Between a target's words and its value: ``for VCB by 3.2% to``, ``by USD10 to``.
_EN_GAP = (
    rf"(?P<gap>(?:[^0-9;.]|\bby\s*[0-9]+(?:\.[0-9]+)?%\s*"
    rf"|\bby\s*(?:{_PREFIX_CURRENCY})\s*[0-9]+(?:\.[0-9]+)?\s*){{0,48}}?)"
)
_EN_TARGET = re.compile(
    rf"{_EN_TARGET_WORDS}{_EN_GAP}"
    rf"(?P<pre>{_PREFIX_CURRENCY})\s*(?P<value>{_NUMBER})(?:{_RANGE_JOIN}(?:{_PREFIX_CURRENCY})?(?P<high>{_NUMBER}))?",
    re.IGNORECASE,
)
#: ``from 340,000 KRW to 350,000 KRW``: the currency after the number.
_EN_TARGET_SUFFIX = re.compile(
    rf"{_EN_TARGET_WORDS}{_EN_GAP}(?P<pre>)(?P<value>{_NUMBER})(?:{_RANGE_JOIN}(?P<high>{_NUMBER}))?"
    # reduced from 6.3 to 4.6 euros: the currency after the new value
    rf"(?:\s+to\s+(?P<to>{_NUMBER}))?\s*(?P<cur>KRW|USD|HKD|VND|JPY|EUR|INR|RMB|CNY|TWD|euros?|yen|yuan|rupees)\b",
    re.IGNORECASE,
)
_EN_TARGET_AFTER = re.compile(
    rf"(?P<pre>{_PREFIX_CURRENCY})\s*(?P<value>{_NUMBER})\s+(?:\w+\s+)?(?:target price|price target|TP|PT)\b",
    re.IGNORECASE,
)
#: ``由15元上调至18.2元``, ``from HK$40 to HK$45``: the value after the change is the target.
_NEW_VALUE = re.compile(
    rf"\s*(?:{_CN_CURRENCY})?(?:/股)?\s*(?:，|,)?\s*(?:上调|下调|提高|提升|调整|上修|下修|raised|lowered|cut|increased|reduced)?\s*"
    rf"(?:至|到|为|to)\s*(?P<pre>{_PREFIX_CURRENCY})?\s*(?P<value>{_NUMBER})\s*(?P<cur>{_CN_CURRENCY})?",
    re.IGNORECASE,
)
_SECOND_TARGET = re.compile(
    rf"(?:/股)?\s*/\s*(?:[^0-9/，,。；;]{{0,12}}?)(?P<pre>{_PREFIX_CURRENCY})?\s*(?P<value>{_NUMBER})\s*(?P<cur>{_CN_CURRENCY})"
)
_UPSIDE = re.compile(
    rf"(?:(?:上涨|上行|潜在上涨|潜在)空间(?:为|约|达|超过|超|有)?\s*(?P<a>{_NUMBER})\s*%"
    rf"|(?P<b>{_NUMBER})\s*%\s*(?:的)?(?:上涨|上行)空间"
    rf"|upside (?:of|potential of)\s*(?P<c>{_NUMBER})\s*%"
    rf"|(?P<d>{_NUMBER})\s*%\s*(?:upside|potential upside))",
    re.IGNORECASE,
)
_PRICE = re.compile(
    rf"(?:{_alternation(R.CN_PRICE_WORDS + R.EN_PRICE_WORDS)})[^0-9。；;]{{0,8}}?(?P<pre>{_PREFIX_CURRENCY})?\s*"
    rf"(?P<value>{_NUMBER})\s*(?P<cur>{_CN_CURRENCY})?",
    re.IGNORECASE,
)


def _decimal(text: str) -> str:
    return text.replace(",", "")


def _currency(pre: str | None, cur: str | None, default: str, yen: str = "CNY") -> str:
    """The currency of a price: written before it, after it, or the report's default.

    ``¥`` is yuan, except in an English note on a Japanese company (``yen``).
    """
    if pre in ("¥", "￥"):
        return yen
    if pre:
        return R.PREFIX_CURRENCIES.get(pre, "")
    if cur:
        return R.CN_CURRENCIES.get(cur) or R.CN_CURRENCIES.get(cur.lower(), "")
    return default


#: Words that make an English target the market's, not the report's.
_EN_CONSENSUS = re.compile(r"\b(?:consensus|average|mean|median|Street)\b", re.IGNORECASE)


def _targets(text: str, default_currency: str, yen: str = "CNY") -> Iterator[tuple[int, TargetPrice]]:
    for pattern in (_CN_TARGET, _EN_TARGET, _EN_TARGET_SUFFIX, _CN_TARGET_AFTER, _EN_TARGET_AFTER):
        for m in pattern.finditer(text):
            gap = m.groupdict().get("gap") or ""
            if pattern is _CN_TARGET and re.search(r"空间|涨幅|市值|PE|倍|平均|均值|一致|共识", gap):
                continue  # 目标价平均值为26.82港元: the consensus, not this report's
            if pattern is not _CN_TARGET and _EN_CONSENSUS.search(text[max(0, m.start() - 40) : m.start()] + gap):
                continue  # The consensus 12-month target price of $55.88: not this report's
            if text.startswith("年", m.end("value")) and not (m.group("pre") or m.groupdict().get("cur")):
                continue  # 目标价基于公司26年14倍目标PE, 新目标价对应2026年: a year
            if pattern is _CN_TARGET and text[m.end("value") : m.end("value") + 3].lstrip()[:1] in ("亿", "万"):
                continue  # 合理价值为4048亿元: what the company is worth, not a price per share
            value, high = _decimal(m.group("value")), m.groupdict().get("high")  # (no range before TP)
            pre, cur = m.group("pre"), m.groupdict().get("cur")
            if m.groupdict().get("to"):
                value, high = _decimal(m.group("to")), None
            if pattern in (_CN_TARGET, _EN_TARGET, _EN_TARGET_SUFFIX) and re.search(
                r"由|从|from|\bby\b", gap, re.IGNORECASE
            ):
                new = _NEW_VALUE.match(text, m.end())
                if new:
                    value, high = _decimal(new.group("value")), None
                    pre, cur = new.group("pre") or pre, new.group("cur") or cur
                elif not m.groupdict().get("to") and re.search(r"(?:由|从|\bfrom)\s*$", gap, re.IGNORECASE):
                    continue  # a $12 price target, trimmed from $20: the old target, not the new one
            if pattern is _CN_TARGET and not (pre or cur) and not re.match(r"\s*(?:/股|每股)", text[m.end() :]):
                # 目标价18.2 with no currency: still a price, but not 目标价上调30%
                if text[m.end() : m.end() + 1] in ("%", "％", "倍", "x"):
                    continue
            fact = TargetPrice(None if high else value, _currency(pre, cur, default_currency, yen))
            if high:
                fact.low, fact.high = value, _decimal(high)
            fact.text = m.group().strip()
            yield m.start(), fact
            also = _SECOND_TARGET.match(text, m.end())
            if also and pattern in (_CN_TARGET, _EN_TARGET):  # 185 港元/119 美元: one target in two listings
                second = TargetPrice(
                    _decimal(also.group("value")), _currency(also.group("pre"), also.group("cur"), "", yen)
                )
                second.text = also.group().strip()
                yield m.start(), second


def _upside(text: str) -> str | None:
    m = _UPSIDE.search(text)
    if not m:
        return None
    number = next(g for g in m.group("a", "b", "c", "d") if g)
    return str(Decimal(_decimal(number)) / 100)


def _price(text: str) -> str | None:
    m = _PRICE.search(text)
    return _decimal(m.group("value")) if m else None


def _computed_upside(target: TargetPrice) -> str | None:
    if target.value is None or target.price is None:
        return None
    try:
        price = Decimal(target.price)
        if price <= 0:
            return None
        return str((Decimal(target.value) / price - 1).quantize(Decimal("0.0001")))
    except InvalidOperation:
        return None


# --- valuations ---------------------------------------------------------------------------------------

_MULTIPLE = _alternation(R.MULTIPLES)
_YEAR_WORDS = r"(?:(?:20)?[0-9]{2}(?:[-~至][0-9]{2,4})?(?:年|E|FY|财年)?E?\s*)"
_CN_VALUATION = re.compile(
    rf"(?:{_alternation(R.VALUATION_CUES)})(?:公司|其|该股)?\s*(?P<basis>{_YEAR_WORDS}?"
    rf"(?:(?:{_MULTIPLE})\s*{_NUMBER}(?:{_RANGE_JOIN}{_NUMBER})?\s*(?:倍|x|X)"
    rf"|{_NUMBER}(?:{_RANGE_JOIN}{_NUMBER})?\s*(?:倍|x|X)\s*(?:{_MULTIPLE})?(?:估值)?))"
)
_EN_VALUATION = re.compile(
    rf"(?:based on|on|at|using|applying|pegged to|implies|implying|derived from)\s+(?:an?\s+|our\s+)?"
    rf"(?P<basis>(?:(?:FY)?[0-9]{{2,4}}E?\s+)?{_NUMBER}(?:{_RANGE_JOIN}{_NUMBER})?\s*x\s+(?:(?:FY)?[0-9]{{2,4}}E?\s+)?(?:{_MULTIPLE}))",
    re.IGNORECASE,
)
_EN_MULTIPLE_OF = re.compile(
    rf"(?P<basis>(?:{_MULTIPLE})\s+(?:multiple\s+)?of\s+{_NUMBER}\s*x"
    rf"|{_NUMBER}\s*x\s+(?:(?:FY|CY)\s?[0-9]{{2,4}}E?\s+(?:\([A-Za-z]+\)\s+)?)?(?:{_MULTIPLE}))",
)
_CN_TARGET_MULTIPLE = re.compile(
    rf"(?P<basis>目标(?:{_MULTIPLE})(?:为|取)?\s*{_NUMBER}(?:{_RANGE_JOIN}{_NUMBER})?\s*(?:倍|x|X)"
    rf"|(?:{_YEAR_WORDS})?{_NUMBER}(?:{_RANGE_JOIN}{_NUMBER})?\s*(?:倍|x|X)\s*(?:{_YEAR_WORDS}(?:预测|预期)?)?(?:{_MULTIPLE})"
    rf"|(?<=对应)(?:{_YEAR_WORDS})?(?:{_MULTIPLE})\s*{_NUMBER}{_RANGE_JOIN}{_NUMBER}\s*(?:倍|x|X))"
)
_EN_EARNINGS_MULTIPLE = re.compile(
    rf"(?P<basis>{_NUMBER}\s*x\s+(?:our\s+)?(?:[a-z]+\s+){{0,3}}(?:(?:FY|CY)?\s?[0-9]{{2,4}}E?\s+(?:\([A-Za-z]+\.?\)\s+)?)?"
    rf"(?:EPS|earnings|EBITDA|book value|sales)(?:\s+estimate)?)",
    re.IGNORECASE,
)
_METHOD = re.compile(
    rf"(?P<basis>{_alternation(R.VALUATION_METHODS)})(?:估值法|估值|法|模型| valuation| model)?", re.IGNORECASE
)
_METHOD_CUE = re.compile(r"采用|基于|参考|根据|运用|使用|按照|通过")
_VALUATION_CONTEXT = re.compile(r"估值|目标价|valuation|target|TP\b|PT\b|fair value", re.IGNORECASE)


def _valuations(text: str) -> Iterator[tuple[int, str]]:
    """Each valuation basis of ``text`` once: of spans that overlap, the first and longest."""
    reach = -1
    for start, end, basis in sorted(_valuation_spans(text), key=lambda span: (span[0], -span[1])):
        if start >= reach:
            reach = end
            yield start, basis


def _valuation_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for pattern in (_CN_VALUATION, _EN_VALUATION, _EN_MULTIPLE_OF, _CN_TARGET_MULTIPLE, _EN_EARNINGS_MULTIPLE):
        for m in pattern.finditer(text):
            if pattern in (_EN_MULTIPLE_OF, _CN_TARGET_MULTIPLE, _EN_EARNINGS_MULTIPLE) and not (
                m.group("basis").startswith("目标")
                or _VALUATION_CONTEXT.search(text[max(0, m.start() - 80) : m.end() + 20])
            ):
                continue
            basis = m.group("basis").strip()
            if pattern is _CN_VALUATION and not re.search(rf"{_MULTIPLE}|估值", basis):
                # 给予30倍: a multiple needs its kind, or the sentence says it values the company
                sentence = text[max(0, m.start() - 30) : m.end() + 10]
                if not _VALUATION_CONTEXT.search(sentence):
                    continue
            yield m.start("basis"), m.end("basis"), basis
    for m in _METHOD.finditer(text):
        around = text[max(0, m.start() - 40) : m.start()] + " " + text[m.end() : m.end() + 40]
        if not _VALUATION_CONTEXT.search(around):
            continue
        method = m.group("basis")
        if is_han(method[0]) and not (
            text.startswith(("法", "模型"), m.end("basis") + 2 * ("估值" not in method))
            or _METHOD_CUE.search(text[max(0, m.start() - 6) : m.start()])
        ):
            continue  # 绝对估值水平较A股高: a level, not the method of a valuation
        yield m.start("basis"), m.end("basis"), method


# --- companies ----------------------------------------------------------------------------------------

_CODE = re.compile(
    rf"[(（]\s*(?:(?P<xprefix>{_alternation(R.EXCHANGE_PREFIXES)})\s*[:：]\s*)?"
    r"(?P<code>[0-9]{6}(?:\.(?:SH|SZ|BJ|SS|sh|sz|bj))?"
    r"|[0-9]{4}(?::JP|\.T|\s(?:JP|JT))"  # Tokyo: 9983:JP, 7203.T, 6758 JT
    r"|[0-9]{4,5}(?:\.(?:HK|hk)|\s?HK)?"
    r"|[A-Z]{1,5}(?:\.(?:O|OQ|N|US|A)|\s(?:US|UW|UN))"
    r"|(?<=[:：]\s)[A-Z]{1,5}|(?<=[:：])[A-Z]{1,5}"
    r"|[A-Z]{1,5}(?=\s+[+\-−]\d+(?:\.\d+)?%))"  # Terex (TEX -5.2%): a ticker and the day's move
    r"(?:\s+[+\-−]\d+(?:\.\d+)?%)?(?:\s*[,，;；/、][^)）]{0,20})?\s*[)）]"
)
#: The legal forms an English company name may end with (``Inc``, ``Co Ltd``, ``A/S``).
_LEGAL_FORMS = r"(?:Inc|Ltd|Corp|Corporation|Co|Company|PLC|plc|Group|Holdings|Limited|AG|SA|NV|SE|LLC|A/S|ASA)"
_LATIN_NAME_END = re.compile(
    r"((?:[A-Z][A-Za-z0-9&.'-]*|&|and|of|de)(?:\s+(?:[A-Z][A-Za-z0-9&.'-]*|&|and|of|de)){0,5}"
    rf"(?:,?\s*{_LEGAL_FORMS}\.?)?)\s*$"  # Cree, Inc. (NASDAQ:CREE); Novo Nordisk A/S (NYSE:NVO)
)
_SHARE_CLASS = re.compile(r"\s*[-－]\s*(?:SW|W|S|U|B)$")
#: What follows a company's name in its full legal name: ``, Inc.``, `` Co Ltd``, `` Holdings``.
_LEGAL_FORM = re.compile(rf",?\s+(?:{_LEGAL_FORMS}\.?\s*){{1,2}}")
_LEADING_CONNECTORS = re.compile(r"^(?:(?:of|and|de|&)\s+)+")
_EN_TITLE_HEAD_NAME = re.compile(r"^(?P<name>[A-Z][\w&.'-]*(?:\s[A-Z][\w&.'-]*){0,3})\s*\[")
_TITLE_HEAD_YEAR = re.compile(
    rf"^\s*(?P<name>{HAN_CLASS}{{2,6}}?)(?=(?:20)?[0-9]{{2}}(?:年|[AEH]|Q[1-4])|[1-4]Q|Q[1-4])"
)
_TITLE_HEAD = re.compile(r"^\s*(?P<name>[^:：()（）【】\[\]]{2,24}?)\s*(?P<code>[(（][^)）]{1,24}[)）])?\s*[:：]")
#: ``中微公司(688012.SH)——核心装备技术领先``: a company and its code, then a dash instead of ``:``.
_TITLE_HEAD_DASH = re.compile(
    r"^\s*(?P<name>[^:：()（）【】\[\]]{2,24}?)\s*(?P<code>[(（][0-9A-Za-z.]{2,12}[)）])\s*(?:——|—|－|--)"
)
#: ``浦银国际:维持李宁(02331)“买入”评级``: the head is who rates a company the title names with its code.
_RETOLD_HEAD = re.compile(
    rf"^[^:：()（）]{{2,24}}[:：]\s*(?:维持|给予|首次覆盖|上调|下调|重申|升|降){HAN_CLASS}{{2,8}}?(?:[-－][A-Z]{{1,2}})?"
    r"\s*[(（]\s*[0-9]{4,6}"
)
#: The company a verb of rating or target names (``维持对腾讯控股的``, ``上调快手-W``).
_VERB_OBJECT = rf"(?:对)?(?P<name>{HAN_CLASS}{{2,8}}?(?:[-－](?:SW|W|S|U))?)(?:的)?"
_RATED_NAME = re.compile(
    rf"(?:维持|给予|首次覆盖|上调|下调|重申){_VERB_OBJECT}"
    rf"[{_OPEN_QUOTE}]?(?:{_alternation(R.CN_GRADES)})[{_CLOSE_QUOTE}]?(?:的)?(?:投资)?评级"
)
#: 上调信达生物目标价至128港元, 维持对腾讯控股的目标价: the company whose target is set.
_TARGETED_NAME = re.compile(rf"(?:维持|给予|上调|下调|调高|调低|重申|上修|下修){_VERB_OBJECT}目标(?:股)?价")
_NOT_RATED_NAME = (
    "公司",
    "行业",
    "板块",
    "评级",
    "其",
    "该股",
    "个股",
    "标的",
    "目标",
    "给予",
    "予以",
    "维持",
    "首次",
    "覆盖",
    "调",
    *R.NOT_NAME_WORDS,  # 上调港股目标价: the company's listing, not a company
)
_LETTER_CODE_TITLE = re.compile(r"(?P<name>[A-Z][A-Za-z0-9&.' -]{1,40}?)\s*[(（](?P<code>[A-Z]{1,5})[)）]")
#: Names listed after a cue (``恒瑞医药、药明康德等``), and what ends the list.
_PICK_SEPARATOR = r"\s*(?:以及|[、/和及与])\s*"
_PICK_LIST = (
    rf"(?P<list>(?:{HAN_CLASS}|[A-Za-z]){{2,8}}(?:{_PICK_SEPARATOR}(?:{HAN_CLASS}|[A-Za-z]){{2,10}}){{1,15}})"
    rf"(?P<end>\s*(?:等|。|；|;|,|，|$))?"
)
_PICKS = re.compile(
    rf"(?:{_alternation(R.CN_PICK_CUES)}|(?<![持续重点])(?:推荐|关注)(?!度|组合|的|点|方向|主线|标的|个股))\s*[:：]?\s*(?:包括|主要有|有|为|如)?\s*[:：]?\s*"
    + _PICK_LIST
)
#: ``建议关注呼吸道检测产品矩阵完善的IVD企业,如圣湘生物、英诺特、万孚生物等``: the kind of company to
#: look at, then the picks after ``如``.
_PICKS_SUCH_AS = re.compile(
    rf"(?:{_alternation(R.CN_PICK_CUES)}|推荐|关注)[^。；;]{{0,40}}?(?:企业|公司|标的|个股|龙头)\s*[,，:：]?\s*(?:如|例如|包括)\s*"
    + _PICK_LIST
)
#: ``【比亚迪】、【广汽集团】``: names in brackets, listed.
_BRACKETED = re.compile(rf"【(?P<name>{HAN_CLASS}{{2,8}})】(?:\s*[、,，/]\s*【{HAN_CLASS}{{2,8}}】)+")
_BRACKET_NAME = re.compile(rf"【({HAN_CLASS}{{2,8}})】")
_PICK_HINT = re.compile(_alternation((*R.CN_PICK_CUES, "推荐", "关注", "【")))
_PICK_END = re.compile(r"等(?:公司|个股|标的|企业)?$")
_PICK_SPLIT = re.compile(_PICK_SEPARATOR)
#: ``推荐吉利汽车、小鹏汽车,建议关注江淮汽车``: a single pick, ending its sentence or clause.
_ONE_PICK = re.compile(
    rf"(?:{_alternation(R.CN_PICK_CUES)})\s*[:：]?\s*(?P<name>{HAN_CLASS}{{2,6}})(?=\s*(?:\[|[。；;,，]|$))"
)
#: ``具体推荐:智能驾驶-伯特利、科博达;智能座舱-继峰股份``: picks grouped under labels, one group per ``;``.
_GROUPED_PICKS = re.compile(r"(?:推荐|关注|标的)\s*[:：]\s*(?P<groups>[^。]{4,400})")
_GROUP_LABEL = re.compile(rf"^\s*(?:{HAN_CLASS}|[A-Za-z])[\w]{{0,10}}?\s*[-—–:：]\s*")
_PICK_NAME = re.compile(rf"(?:{HAN_CLASS}|[A-Za-z]){{2,8}}")


def _grouped_picks(text: str) -> Iterator[tuple[int, str]]:
    """The names of a pick list grouped under labels (at least two groups, each ``label-name、name``)."""
    if "推荐" not in text and "关注" not in text and "标的" not in text:
        return
    for m in _GROUPED_PICKS.finditer(text):
        groups = re.split(r"[;；]", m.group("groups"))
        labelled = [g for g in groups if _GROUP_LABEL.match(g)]
        if len(labelled) < 2:
            continue
        at = m.start("groups")
        for group in groups:
            label = _GROUP_LABEL.match(group)
            if label is None:
                break  # the groups end where one has no label (建议关注乘用车…)
            names = _PICK_SPLIT.split(group[label.end() :].strip())
            if not all(_PICK_NAME.fullmatch(n) and n not in R.NOT_PICKS for n in names) or any(
                n.endswith(_NOT_NAME_END) for n in names
            ):
                break
            for name in names:
                yield at + group.find(name), name
            at += len(group) + 1


#: A list that ends ``等行业`` names industries, not companies.
_SECTOR_LIST_END = re.compile(r"^\s*等?(?:行业|板块|领域|方向|赛道|主题|环节|产业|细分|子行业|方面)")
_NAME_CUES = re.compile(
    rf"^.*(?:{_alternation(R.CN_PICK_CUES)}|如|包括|例如|比如|其中|公司|个股|标的|龙头|以|和|及|与|、|报告对|对"
    rf"|维持|首次覆盖|覆盖|给予|上调|下调|予以|重申)"
)
_NOT_NAME_END = (
    "领域",
    "环节",
    "产业链",
    "需求",
    "方向",
    "板块",
    "行业",
    "公司",
    "企业",
    "厂商",
    "龙头",
    "标的",
    "个股",
    "机会",
    "变化",
)


def _same_code(a: str, b: str) -> bool:
    """``09992`` and ``09992.HK``, ``0700.HK`` and ``700 HK``: one listing."""

    def plain(code: str) -> str:
        code = re.split(r"[.\s]", code.strip())[0]
        return code.lstrip("0") if code.isdigit() and len(code) <= 5 else code.upper()

    return bool(a and b) and plain(a) == plain(b)


def _exchange(code: str, prefix: str | None) -> str:
    if prefix:
        return R.EXCHANGE_PREFIXES.get(prefix, "")
    if "." in code:
        return R.TICKER_SUFFIXES.get(code.rsplit(".", 1)[1].upper(), "")
    if code.endswith(":JP"):
        return "JP"
    if " " in code:
        return {"HK": "HK", "US": "US", "UW": "US", "UN": "US", "JP": "JP", "JT": "JP"}.get(code.rsplit(" ", 1)[1], "")
    if code.isdigit():
        if len(code) == 6:
            return next((ex for prefix_, ex in R.A_SHARE_PREFIXES if code.startswith(prefix_)), "")
        return "HK"
    return ""


def _plain_code(code: str) -> bool:
    """A bare 4-digit number in parentheses is a year far more often than a Hong Kong code."""
    return not (code.isdigit() and len(code) == 4 and code[:2] in ("19", "20"))


def _name_before(text: str, end: int) -> str:
    head = _SHARE_CLASS.sub("", text[max(0, end - 40) : end].rstrip())  # 中通快递-W(02057)
    if head and is_han(head[-1]):
        k = len(head)
        while k > 0 and (is_han(head[k - 1]) or head[k - 1] in "-·"):
            k -= 1
        run = head[k:]
        cut = _NAME_CUES.sub("", run) if _NAME_CUES.match(run) else run
        if not cut and len(run) >= 4 and run.endswith("公司") and not _NAME_CUES.match(run[:-2]):
            cut = run  # 中微公司(688012.SH): a name that ends in 公司, not "the company"
        run = run if cut in R.NAME_TAILS else cut  # 呈和科技: a name with a cue word inside it
        if 2 <= len(run) <= 8:
            return run
        return run[-4:] if len(run) > 8 else ""
    m = _LATIN_NAME_END.search(head)
    if m is None:
        return ""
    name = _TITLE_VERBS_BEFORE.sub("", m.group(1))  # Cowen Upgrades Novo Nordisk A/S (NYSE:NVO)
    return _LEADING_CONNECTORS.sub("", name).strip()


#: A broker and its verb before the company a title names: ``Cowen Upgrades ``, ``Jefferies Initiates Coverage On ``.
_TITLE_VERBS_BEFORE = re.compile(
    r"^.*\b(?:Upgrades|Downgrades|Upgraded|Downgraded|Initiates(?:\s+Coverage\s+(?:On|Of))?|Reiterates|Maintains"
    r"|Backs|Raises|Cuts|Lifts|Trims|Boosts|Lowers|Reduces|Increases)\s+"
)


_HEAD_SEPARATORS = re.compile(r"[丨｜|]")
_EN_TITLE_NAME = re.compile(
    r"\b(?:[Oo]n|[Ff]or)\s+[Ss]hares\s+[Oo]f\s+(?P<name>(?!To\b|From\b)[A-Z][\w&.'-]*(?:\s(?:(?!To\b|From\b)[A-Z][\w&.'-]*|&|and|of)){0,5})"
)


_EN_NAME = (
    r"(?!(?:To|From|At|As|With|On|For|Price|Target|Rating|PT|TP|Shares|Stock|And|The|Its|Coverage|Opinion"
    r"|Buy|Sell|Hold|Neutral|Outperform|Underperform|Overweight|Underweight)\b)[A-Z][\w&.'-]*"
)
#: Morgan Stanley Upgrades Fast Retailing Co Ltd to Overweight; Jefferies Initiates Coverage On Nvidia With Buy
_EN_TITLE_VERB_NAME = re.compile(
    r"\b(?:[Uu]pgrades|[Dd]owngrades|[Ii]nitiates(?:\s[Cc]overage\s(?:[Oo]n|[Oo]f))?|[Rr]eiterates|[Bb]acks"
    r"|(?:[Rr]aises|[Cc]uts|[Ll]ifts|[Tt]rims|[Bb]oosts)\s(?:[Pp]rice\s[Tt]arget|PT|TP)\s(?:[Oo]n|[Ff]or))"
    rf"\s(?P<name>{_EN_NAME}(?:\s(?:{_EN_NAME}|&|of|and)){{0,5}}?)"
    r"(?='s\b|\s(?:[Tt]o|[Aa]t|[Aa]s|[Ww]ith|[Ff]rom|[Oo]n)\b|\s*[,;:(]|$)"
)
#: Jefferies Reiterates Buy Rating on Elis Following 2025 Revenue Figures; Price Target for Acme Raised
_EN_TITLE_RATED_NAME = re.compile(
    r"\b(?:[Rr]ating|[Pp]rice\s[Tt]arget|PT|TP)\s(?:[Oo]n|[Ff]or)\s"
    rf"(?P<name>{_EN_NAME}(?:\s(?:{_EN_NAME}|&|of|and)){{0,5}}?)"
    r"(?='s\b|\s(?:[Ff]ollowing|[Aa]fter|[Aa]head|[Aa]mid|[Dd]espite|[Oo]n|[Aa]s|[Ii]n|[Tt]o|[Aa]t)\b|\s*[,;:(]|$)"
)
#: Jabil Price Target Raised by RBC; Acme PT Cut to $20 at Jefferies: the company, then its target's change
_EN_TITLE_TARGET_MOVED = re.compile(
    rf"^(?P<name>{_EN_NAME}(?:\s(?:{_EN_NAME}|&|of|and)){{0,4}}?)\s(?:Price\s[Tt]arget|PT|Target)\s"
    r"(?:Raised|Lowered|Cut|Increased|Boosted|Trimmed|Lifted|Reduced|Hiked)\b"
)
#: IDFC First Bank shares can rally 23%; Hua Hong Semiconductor Ltd_ Strong revenue guidance
_EN_TITLE_NAMED = re.compile(
    rf"^(?P<name>{_EN_NAME}(?:\s(?:{_EN_NAME}|&|of|and)){{0,5}}?)"
    r"(?=\s(?:[Ss]hares|[Ss]tock)\b)"
    rf"|^(?P<firm>{_EN_NAME}(?:\s(?:{_EN_NAME}|&|of|and)){{0,5}}?\s"
    rf"{_LEGAL_FORMS}\.?)(?=\s?[_:;,(]|$)"
)


#: ``HPCL - Strong Q4, Weaker Q1 Ahead: ICICI Securities``: the company, a headline, and the broker who wrote it.
_EN_TITLE_DASHED = re.compile(r"^(?P<name>[A-Z][\w&.'-]*(?:\s[A-Z][\w&.'-]*){0,3})\s[-–—]\s.+:\s*(?P<source>[^:]+)$")


def _is_broker(name: str, institution: str) -> bool:
    """Whether an English name in a title is the broker (``Morgan Stanley Upgrades …``), not a company."""
    low = name.lower()
    if institution and (low in institution.lower() or institution.lower() in low):
        return True
    return name in R.BROKERS


def _title_head(title: str, institution: str = "") -> tuple[str, str]:
    """The company a title starts with (``泸州老窖:25年定调…``, ``网易-S:…``, ``中国财险2024年三季报…``)
    and the letter ticker written with it (``美光科技(MU):…``), or ``("", "")``."""
    for pattern in (_TITLE_HEAD, _TITLE_HEAD_YEAR, _TITLE_HEAD_DASH):
        m = pattern.match(title)
        name = _head_name(m.group("name"), institution) if m else ""
        code = (m.groupdict().get("code") or "").strip("()（） ") if m else ""
        if name and not code and (name.endswith(R.BROKER_ENDINGS) or _RETOLD_HEAD.match(title)):
            continue  # 东方证券:维持快手-W"买入"评级, 浦银国际:维持李宁(02331)…: a broker's view, retold
        if name:
            return name, code if re.fullmatch(r"[A-Z]{1,5}", code) else ""
    return "", ""


def _head_name(text: str, institution: str) -> str:
    name = _HEAD_SEPARATORS.split(text)[0].strip()
    for suffix in R.SHARE_CLASS_SUFFIXES:
        if name.upper().endswith(suffix):
            name = name[: -len(suffix)].strip()
            break
    name = re.sub(r"\s*[-－]\s*[A-Z]{1,2}$", "", name)
    if any(c.isdigit() for c in name) or any(w in name for w in R.REPORT_KIND_WORDS):
        return ""
    if name in R.NOT_COMPANY_TITLE_WORDS or name.removesuffix("行业") in R.NOT_COMPANY_TITLE_WORDS or name in R.BROKERS:
        return ""
    if institution and (name in institution or institution in name):
        return ""
    if name.endswith(R.GROUP_ENDINGS):
        return ""
    if all(is_han(c) or c in "-·" for c in name):
        return name if 2 <= len(name) <= 8 else ""
    if re.fullmatch(r"[A-Z][A-Za-z0-9&.'-]*(?:\s[A-Z][A-Za-z0-9&.'-]*){0,4}", name):
        return name
    return ""


class _Collector:
    """Facts of one report as they are found: equal statements merge, different ones do not."""

    def __init__(self) -> None:
        self.facts = Facts()
        self._keys: dict[tuple, object] = {}
        self.head = ""  # the company a title starts with, until the report shows it is one

    def add(self, kind: str, key: tuple, fact: object, pos: Pos, refs: Iterable[int]) -> None:
        found = self._keys.get((kind, *key))
        if found is None:
            self._keys[(kind, *key)] = fact
            getattr(self.facts, kind).append(fact)
            found = fact
        if pos not in found.pos:  # type: ignore[attr-defined]
            found.pos.append(pos)  # type: ignore[attr-defined]
        for ref in refs:
            if ref not in found.refs:  # type: ignore[attr-defined]
                found.refs.append(ref)  # type: ignore[attr-defined]


def _texts_in_sections(report: Report) -> Iterator[tuple[str, Block | None, int, int, Sequence[Citation], bool, str]]:
    """Every text of a report: ``(text, block, line, column, citations)``, title and headings in their place,
    each with whether it stands in a section about the rating, and that section's heading."""
    yield report.title, None, report.pos.line, report.pos.column, (), False, ""
    for section in report.walk():
        rating = section.role == ROLE_RATING or _RATING_HEADING.search(section.heading) is not None
        yield section.heading, None, section.pos.line, section.pos.column, (), False, ""
        for block in section.blocks:
            yield (
                block.text,
                block,
                block.line,
                block.column,
                block.citations,
                rating,
                section.heading if rating else "",
            )


_RATING_HEADING = re.compile(r"评级|[Rr]ating")
_INDUSTRY = re.compile(_alternation(R.INDUSTRY_WORDS), re.IGNORECASE)


def _refs(citations: Sequence[Citation]) -> list[int]:
    return [c.ref for c in citations]


def _position(block: Block | None, line: int, column: int, offset: int) -> Pos:
    return text_pos(line, column, offset, citation_marks(block) if block is not None else None)


def _companies(
    report: Report,
    collector: _Collector,
    texts: Callable[[], Iterable[tuple[str, Block | None, int, int, Sequence[Citation]]]],
) -> None:
    def add(name: str, code: str, exchange: str, pos: Pos, cites: Sequence[Citation], pick: bool = False) -> None:
        name = name.strip()
        if not name:
            return
        for company in collector.facts.companies:
            # 以岭药业(002603.SZ) read as 岭药业 after the cue word 以: the company already named
            suffix = (
                len(name) >= 3
                and company.name.endswith(name)
                and (not company.ticker or _same_code(company.ticker, code))
            )
            # Cree in the title, then Cree, Inc. (NASDAQ:CREE): one company, named as first written
            rest = name.removeprefix(company.name)
            fuller = bool(code) and not company.ticker and rest != name and _LEGAL_FORM.fullmatch(rest) is not None
            if company.name == name or suffix or fuller or (code and _same_code(company.ticker, code)):
                if code and not company.ticker:
                    company.ticker, company.exchange = code, exchange
                if pos not in company.pos and code:
                    company.pos.append(pos)
                return
        collector.facts.companies.append(Company(name, code, exchange, [pos], _refs(cites), pick))

    title_pos = Pos(report.pos.line, report.pos.column)
    head, head_code = _title_head(report.title, report.institution)
    if head:
        add(head, head_code, "", title_pos, [])
        collector.head = head
    for text, block, line, column, cites in texts():
        if "评级" in text or "目标" in text:
            # 维持快手-W"买入"评级, 对超微半导体给予买入评级: the company rated; 上调信达生物目标价: its target
            for m in itertools.chain(_RATED_NAME.finditer(text), _TARGETED_NAME.finditer(text)):
                name = _SHARE_CLASS.sub("", m.group("name"))
                if len(name) >= 2 and name not in R.NOT_PICKS and not any(w in name for w in _NOT_RATED_NAME):
                    add(name, "", "", _position(block, line, column, m.start("name")), cites)
    for text, block, line, column, cites in texts():
        if "(" in text or "（" in text:
            for m in _CODE.finditer(text):
                code = m.group("code").strip()
                if not _plain_code(code) or (
                    len(code) >= 6 and code[:6].isdigit() and code.startswith(R.FUND_CODE_PREFIXES)
                ):
                    continue
                name = _name_before(text, m.start())
                if name[:1] in "升降" and len(name) > 3 and text.startswith(("目标价", "评级"), m.end()):
                    name = name[1:]  # 升中国人寿(02628)目标价: the verb on its target, then the company
                if not name or name.endswith(R.NOT_NAME_WORDS) or "目标价" in name:
                    # 目标价在港股(9988.HK): the code of the report's own company
                    first = collector.facts.company
                    if first is not None and (
                        name or text[max(0, m.start() - 12) : m.start()].endswith(R.NOT_NAME_WORDS)
                    ):
                        add(
                            first.name,
                            code,
                            _exchange(code, m.group("xprefix")),
                            _position(block, line, column, m.start()),
                            cites,
                        )
                    continue
                if name in R.NOT_PICKS or "ETF" in name or name.endswith(("基金", "指数")):
                    continue
                add(name, code, _exchange(code, m.group("xprefix")), _position(block, line, column, m.start()), cites)
        if block is None and text is report.title:
            for m in _LETTER_CODE_TITLE.finditer(text):
                add(m.group("name"), m.group("code"), "US", _position(None, line, column, m.start()), [])
            for pattern in (
                _EN_TITLE_NAME,
                _EN_TITLE_RATING,
                _EN_TITLE_HEAD_NAME,
                _EN_TITLE_VERB_NAME,
                _EN_TITLE_RATED_NAME,
                _EN_TITLE_NAMED,
                _EN_TITLE_TARGET_MOVED,
            ):
                named = pattern.search(text)
                name = (named.groupdict().get("name") or named.groupdict().get("firm") or "") if named else ""
                name = _TITLE_VERBS_BEFORE.sub("", name)  # Cowen Upgrades Novo Nordisk A/S: not the broker's verb
                if name and not _is_broker(name, report.institution):
                    add(name, "", "", title_pos, [])
            dashed = _EN_TITLE_DASHED.match(text)
            if dashed and dashed.group("source").strip().lower() == report.institution.strip().lower():
                add(dashed.group("name"), "", "", title_pos, [])  # HPCL - Strong Q4, …: ICICI Securities
    for name in metric_entities.companies(report):
        # the headings of a note on several companies (Coherent, 特斯拉), not its topics (选股策略, 各策略)
        if not any(w.lower() in name.lower() for w in R.REPORT_KIND_WORDS) and name not in R.NOT_COMPANY_TITLE_WORDS:
            add(name, "", "", title_pos, [])
    for text, block, line, column, cites in texts():
        if (block is None and text is not report.title) or _PICK_HINT.search(text) is None:
            continue  # the picks of a block, or of the title (…,重点推荐益丰药房、大参林等)
        for m in itertools.chain(_PICKS.finditer(text), _PICKS_SUCH_AS.finditer(text)):
            names = _PICK_SPLIT.split(m.group("list"))
            ends = next((k for k, n in enumerate(names) if "等" in n), None)
            tail = names[ends].split("等", 1)[1] if ends is not None else text[m.end("list") : m.end("list") + 4]
            if _SECTOR_LIST_END.match(tail) or _SECTOR_LIST_END.match(text[m.end("list") : m.end("list") + 4]):
                continue  # 关注软件开发、医疗服务等行业: industries
            if ends is not None:  # 贝达药业、赛诺医疗等公司: the list ends at 等
                names = [*names[:ends], names[ends].split("等")[0]]
            names = [_PICK_END.sub("", n) for n in names]
            if m.group("end") is None and ends is None and len(names) >= 3:
                # 赣锋锂业、中矿资源、天齐锂业缅甸稀土矿…: the last name runs into the next clause
                names[-1] = names[-1][: max(len(n) for n in names[:-1])]
            if len(names) < 2 or any(
                n in R.NOT_PICKS or n.endswith(_NOT_NAME_END) or len(n) > 7 or "的" in n for n in names
            ):
                continue  # 关注报表风险出清、股息率较高的泸州老窖: what to look for, not whom
            if m.group("end") is None and ends is None and len(names) < 3:
                continue
            for name in names:
                add(name, "", "", _position(block, line, column, m.start("list")), cites, pick=True)
        for m in _BRACKETED.finditer(text):
            for name in _BRACKET_NAME.findall(m.group()):
                add(name, "", "", _position(block, line, column, m.start()), cites, pick=True)
        for at, name in _grouped_picks(text):
            add(name, "", "", _position(block, line, column, at), cites, pick=True)
        for m in _ONE_PICK.finditer(text):  # 建议关注江淮汽车: one name, a company's by its ending
            if m.group("name").endswith(tuple(R.NAME_TAILS)) and m.group("name") not in R.NOT_PICKS:
                add(m.group("name"), "", "", _position(block, line, column, m.start("name")), cites, pick=True)


# --- forecasts ------------------------------------------------------------------------------------------


def _indicator(subject: str, base_unit: str | None = None) -> str:
    """The indicator a figure's subject names (``归母净利润分别调整`` → ``net_profit``), or ``""``.

    The subject's last indicator word counts; with ``base_unit``, the figure's unit must fit the
    indicator (a revenue in money, a PE a multiple, a margin a ratio): ``营业收入 18.45%`` is a growth.
    """
    subject = subject.strip()
    if subject.endswith(("增速", "增长率", "增长", "增幅", "growth", "占比", "比重")):
        return ""
    lower = subject.lower()
    best, rank = "", (-1, 0)
    for words, indicator in R.FORECAST_INDICATORS:
        for word in words:
            at = lower.rfind(word.lower())
            # the word that ends last wins, and of two that end together the longer (EV/EBITDA, not EBITDA)
            if at >= 0 and (at + len(word), len(word)) > rank:
                best, rank = indicator, (at + len(word), len(word))
    if not best or (base_unit is not None and not _fits(best, base_unit)):
        return ""
    return best


def _fits(indicator: str, base_unit: str) -> bool:
    """A figure without a known unit fits any indicator; one with a unit must fit its kind."""
    kind = R.INDICATOR_UNITS.get(indicator, "")
    if not kind or not base_unit:
        return True
    if kind == "money":
        return base_unit not in ("ratio", "multiple")
    return base_unit == kind


def _forecasts(report: Report, collector: _Collector, company: str) -> None:
    for _section, _block, metric in report.metrics():
        if metric.year is None or metric.value is None or metric.change is not None:
            continue
        indicator = _indicator(metric.subject, metric.base_unit)
        if not indicator:
            continue
        fact = Forecast(
            indicator,
            metric.subject,
            metric.year,
            metric.value,
            metric.unit,
            metric.estimate,
            metric.normalized,
            metric.base_unit,
            company,
        )
        collector.add(
            "forecasts",
            (indicator, metric.subject, metric.year, metric.value, metric.unit),
            fact,
            metric.pos,
            metric.refs,
        )


# --- the transform --------------------------------------------------------------------------------------


#: Cheap checks before the costly patterns: most texts name no target, valuation or English grade.
_LATIN = re.compile(r"[A-Za-z]")
#: A Chinese rating is stated with one of these near it (see ``_cn_ratings``).
_CN_RATING_HINT = re.compile("评级|维持|首次|上调|下调|给予|重申|予以|首予|调高|调低|提升至|上修")
#: Lower-case parts of English grades and of target words.
_EN_GRADE_HINT = re.compile("buy|perform|weight|neutral|hold|sell|accumulate|add|reduce|in-line|equal")
_EN_TARGET_HINT = re.compile("target|tp|pt|objective|fair value")
_EN_VALUATION_HINT = re.compile(r"[0-9] ?[xX]\b|DCF|SOTP|DDM|PEG|P/E|P/B|EV/|[Ss]um.of.the.parts|[Dd]iscounted")


def _company_near(collector: _Collector, text: str, offset: int) -> str:
    """The company a rating or target in ``text`` at ``offset`` is given to, when the report names several."""
    companies = collector.facts.companies
    if len(companies) < 2:
        return ""
    sentence = _clause_before(text, offset, 60, _SENTENCE_MARKS)
    best, where = "", -1
    for company in companies:
        at = sentence.rfind(company.name)
        if at > where:
            best, where = company.name, at
    return best


#: An English note on a Japanese company: a Tokyo ticker (``9983:JP``, ``7203.T``, ``6758 JT``) or Japan named.
_JAPANESE = re.compile(r"[0-9]{4}(?::JP|\.T\b| JP\b| JT\b)|\bJapan(?:ese)?\b|\bTokyo\b|\bTOPIX\b")
_YUAN = re.compile(r"\bRMB\b|\bRmb\b|\bCNY\b|\b[Yy]uan\b|\b[Rr]enminbi\b")


def _japanese(report: Report) -> bool:
    """Whether ``¥`` in this English report is yen: it names Japan and never the yuan."""

    def texts() -> Iterator[str]:
        yield report.title
        for _, block in report.blocks():
            yield block.text

    if not any("¥" in t or "￥" in t for t in texts()):
        return False
    return any(_JAPANESE.search(t) for t in texts()) and not any(_YUAN.search(t) for t in texts())


#: The sentence after which a retold note lists other brokers' calls on the same company.
_OTHER_BROKERS = re.compile(
    r"\b(?:Several|A number of|Other|Many)\s+(?:other\s+)?(?:equities\s+)?(?:research\s+)?"
    r"(?:brokerages|analysts|research firms|investment firms|firms|equities analysts|equity analysts)\s+"
    r"(?:have\s+)?(?:also\s+)?(?:recently\s+)?(?:issued|weighed|commented|released|rated|set|given|updated)\b"
    r"|^\W*Separately,"  # Separately, Zacks Investment Research raised shares of …
    r"|\banalysts?\s+ha(?:s|ve)\s+rated\s+the\s+stock\b"  # One research analyst has rated the stock with a sell rating
)


def extract(report: Report) -> Facts:
    """The research facts of one report (its figures must be attached for forecasts)."""
    collector = _Collector()
    # the texts are walked again each time (two lists of them were the peak of a report of a million blocks)
    _companies(report, collector, lambda: (t[:5] for t in _texts_in_sections(report)))
    first = collector.facts.company
    default_currency = R.EXCHANGE_CURRENCIES.get(first.exchange, "") if first else ""
    if not default_currency and report.language == "zh":
        default_currency = "CNY"
    yen = "JPY" if report.language != "zh" and _japanese(report) else "CNY"
    others = False  # past "Several other brokerages have also issued reports on NVO": their calls, not this one's
    for text, block, line, column, cites, rating_section, heading in _texts_in_sections(report):
        if not text:
            continue
        title = text is report.title and block is None
        ascii_only = text.isascii()
        latin = ascii_only or _LATIN.search(text) is not None
        others = others or (latin and not title and _OTHER_BROKERS.search(text) is not None)
        if others:
            continue
        lower = text.lower() if latin else ""
        cn_hinted = not ascii_only and (rating_section or _CN_RATING_HINT.search(text) is not None)
        found = list(_cn_ratings(text, rating_section)) if cn_hinted else []
        if latin and _EN_GRADE_HINT.search(lower) is not None:
            found += _en_ratings(text, title)
        for offset, grade, scale, action in found:
            company = _company_near(collector, text, offset)
            pos = _position(block, line, column, offset)
            industry = not company and _INDUSTRY.search(_clause_before(text, offset, 30) + heading) is not None
            rating = Rating(grade, scale, action, company, industry=industry)
            collector.add("ratings", (scale, action, company, industry), rating, pos, _refs(cites))
        hinted = "目标" in text or "合理" in text or (latin and _EN_TARGET_HINT.search(lower) is not None)
        targets = _targets(text, default_currency, yen) if hinted else ()
        for offset, target in targets:
            target.company = _company_near(collector, text, offset)
            # the current price and the upside stand in the same sentence as the target, or near it
            near = text[max(0, offset - 80) : offset + 120]
            target.price = _price(near)
            target.upside = _upside(text[offset : offset + 120]) or _computed_upside(target)
            key = (target.value, target.low, target.high, target.currency, target.company)
            collector.add("target_prices", key, target, _position(block, line, column, offset), _refs(cites))
        hinted = "倍" in text or "估值" in text or (latin and _EN_VALUATION_HINT.search(text) is not None)
        for offset, basis in _valuations(text) if hinted else ():
            company = _company_near(collector, text, offset)
            collector.add(
                "valuations",
                (basis, company),
                Valuation(basis, company),
                _position(block, line, column, offset),
                _refs(cites),
            )
    # an action without its grade in one place (首次覆盖 … 给予"买入") is already joined per sentence;
    # a report that states the same grade once with and once without its action keeps the action
    _confirm_head(report, collector)
    ratings = collector.facts.ratings
    for rating in list(ratings):
        if rating.action:
            continue
        other = next((r for r in ratings if r.action and _same_rating(r, rating)), None)
        if other is not None:
            other.pos.extend(p for p in rating.pos if p not in other.pos)
            other.refs.extend(r for r in rating.refs if r not in other.refs)
            ratings.remove(rating)
    main = collector.facts.company
    _forecasts(report, collector, main.name if main and len(collector.facts.companies) == 1 else "")
    return collector.facts


def _confirm_head(report: Report, collector: _Collector) -> None:
    """Keep the company a title starts with when the report shows it is one.

    It is when it has a ticker, the report names it again (泸州老窖:… 泸州老窖的评级…), speaks of
    "公司" or rates a company or gives a target price; else the head was a topic (煤炭出清路径探讨:…).
    """
    head, facts = collector.head, collector.facts
    if not head or any(c.ticker for c in facts.companies if c.name == head):
        return
    again = any(head in b.text for _, b in report.blocks()) or any(head in s.heading for s in report.walk())
    rated = any(not r.industry for r in facts.ratings) or bool(facts.target_prices)
    if not (again or rated or sum(b.text.count("公司") for _, b in report.blocks()) >= 2):
        facts.companies = [c for c in facts.companies if c.name != head]


def _same_rating(a: Rating, b: Rating) -> bool:
    return a is not b and (a.scale, a.company, a.industry) == (b.scale, b.company, b.industry)


def facts(digest: Digest, ctx: RenderContext | None = None) -> Digest:
    """The ``facts`` transform: each report's research facts, with its forecasts (``Report.facts``).

    A build finds the companies, ratings, targets and valuations when it reads a report
    (``publisher.build.find_facts``); this transform adds the forecasts, which come from the
    figures: run it after ``metrics``.  A report without facts yet gets them all.
    """
    for report in digest.reports:
        try:
            found = report.facts
            if found is None:
                report.facts = extract(report)
                continue
            collector = _Collector()
            main = found.company
            _forecasts(report, collector, main.name if main and len(found.companies) == 1 else "")
            report.facts = Facts(
                list(found.companies),
                list(found.ratings),
                list(found.target_prices),
                list(found.valuations),
                collector.facts.forecasts,
            )
        except Exception as exc:  # one report the rules trip over must not stop the others
            if ctx is None:
                raise
            ctx.diagnostics.warning(
                f"facts: skipped report {report.title[:40]!r}: {type(exc).__name__}: {exc}",
                digest.source,
                report.pos.line,
                report.pos.column,
            )
    return digest


facts.per_report = True  # type: ignore[attr-defined]  # each report alone (publisher.views)


def metric_forecast(metric: Metric) -> str:
    """The forecast indicator a figure gives (``revenue``, ``eps`` …), or ``""``."""
    return _indicator(metric.subject, metric.base_unit) if metric.year is not None else ""
