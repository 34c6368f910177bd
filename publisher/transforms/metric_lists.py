"""The list grammar of the ``metrics`` transform: names and values that pair, years, signed changes.

Broker text writes most of its numbers in lists rather than one by one:

* ``营收/归母净利润/扣非归母净利润27.3/-1.1/-1.3亿元``: n names, then n values
  sharing one unit (and one basis, ``同比+3.3/+0.8/+0.4pcts``, and one period);
* ``销售/管理/财务费用率``: names sharing a tail (``销售费用率``, ``管理费用率``, …);
* ``营业总收入(百万) 4900/3993/4148/4360``: a forecast row under a header unit, its
  values in the order of a year list written before it (``2023A/2024E/2025E/2026E``,
  ``24-26年``, ``2025-2027年``).

:mod:`publisher.transforms.metrics` finds the runs of values (they are numbers, so
its scanner does); this module holds the rest as small pure functions: splitting the
names, the years a text names, the year and estimate flag of a period, and the signed
change of a figure.  Everything here is linear in its input.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..textutil import HAN_CLASS
from . import metric_rules as R
from .metric_rules import BASES, CHANGE_UNITS, SIGNED_CHANGE_WORDS

#: Between two values of a list: a separator, then perhaps a sign (``27.3/-1.1``, ``12%、8%``).
LIST_GAP = re.compile(r"[ \u00a0\u3000]?[/、][ \u00a0\u3000]?(?:[+\-−－][ ]?)?")

#: Names of a list: split where values are split.
_NAME_SPLIT = re.compile(r"\s*[/、]\s*")


_HAN_RUN = re.compile(HAN_CLASS + "+")
_CLAUSE_CUT = re.compile(r"[,，;；:：。\s]")

#: A unit written as a header before a row of values: ``营业总收入(百万) 4900/3993``, ``EPS(元)``.
HEADER_UNIT = re.compile(r"[(（](?P<unit>[^()（）0-9]{1,6})[)）][ \u00a0\u3000]{0,2}$")

# --- years ----------------------------------------------------------------------------------------

_Y = r"(?:FY)?(?P<{0}>(?:19|20)[0-9]{{2}}|[0-9]{{2}})(?![0-9])(?P<{1}>[AEF](?![A-Za-z]))?"
_YEAR_RANGE = re.compile(
    r"(?<![0-9.])"
    + _Y.format("y1", "f1")
    + r"(?:年)?[ ]?(?:-|~|～|—|–|至|到)[ ]?"  # 2025-2027年, 2025年至2027年
    + _Y.format("y2", "f2")
    + r"(?P<tail>[ ]?年|财年|E(?![a-z]))?"  # 2025-26 年
)
_YEAR_TOKEN = re.compile(r"(?<![0-9.])(?:FY)?((?:19|20)[0-9]{2}|[0-9]{2})(?![0-9])([AEF])?")
_ONE_YEAR = r"(?:FY)?(?:(?:19|20)[0-9]{2}|[0-9]{2})(?![0-9])[AEF]?"
_YEAR_LIST = re.compile(r"(?<![0-9.])" + _ONE_YEAR + r"(?:[ ]?[/、][ ]?" + _ONE_YEAR + r")+(?P<tail>年|财年)?")
#: A subject that starts with the years of a forecast table (``2023A/2024E/2025E/2026E 营业总收入``).
_YEARS_AT_START = (
    re.compile(_YEAR_LIST.pattern.replace("(?<![0-9.])", "^", 1) + r"[ \u00a0\u3000]*"),
    re.compile(_YEAR_RANGE.pattern.replace("(?<![0-9.])", "^", 1) + r"[ \u00a0\u3000]*"),
)


def years_at_start(subject: str) -> int:
    """How many characters of ``subject`` are the years of a row (``2023A/2024E/2025E``, ``25-26年``)."""
    if not subject[:1].isdigit() and not subject.startswith("FY"):
        return 0
    for pattern in _YEARS_AT_START:
        m = pattern.match(subject)
        if m:
            return m.end()
    return 0


_SINGLE_YEAR = re.compile(
    r"(?<![0-9.])(?:FY ?(?P<fy>[0-9]{2}|(?:19|20)[0-9]{2})(?P<flag3>[AEF](?![A-Za-z]))?(?![0-9])"
    r"|(?P<full>(?:19|20)[0-9]{2})(?P<flag>[AE])?(?![0-9])"
    r"|(?P<short>[0-9]{2})(?:(?P<flag2>[AE])(?![A-Za-z])|(?=年|Q[1-4]|H[12]))"
    r"|(?<![0-9])[1-4]Q(?P<q>[0-9]{2})(?![0-9])|(?<![0-9])[12]H(?P<h>[0-9]{2})(?![0-9]))"
)
_FORECAST_WORDS = re.compile(r"预计|预测|一致预期|有望|forecast|expect|estimate|project", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class YearList:
    """Years a text names for a row of values: where, and each year with its flag (``A``/``E``/``""``)."""

    start: int
    end: int
    years: tuple[tuple[int, str], ...]
    range_flag: str = ""  # 2022-2026E: the letter written once for the whole range


def _full_year(text: str) -> int:
    year = int(text)
    return year if year >= 100 else 2000 + year


def _flag(letter: str | None) -> str:
    return {"A": "A", "E": "E", "F": "E"}.get(letter or "", "")


def following_years(written: list[str]) -> bool:
    """``2025/26/27``: a year written in full, then the years right after it (so years, not values)."""
    years = [_full_year(y) for y in written]
    return len(written[0]) == 4 and all(b == a + 1 for a, b in itertools.pairwise(years))


def year_lists(text: str) -> list[YearList]:
    """Every list or range of years in ``text`` (``2023A/2024E/2025E``, ``24-26年``, ``2025-2027年``)."""
    if "年" not in text and "/" not in text and "-" not in text and "、" not in text and "~" not in text:
        return []
    found: list[YearList] = []
    for m in _YEAR_RANGE.finditer(text):
        y1, y2 = m.group("y1"), m.group("y2")
        f1, f2 = m.group("f1"), m.group("f2")
        if not (m.group("tail") or f1 or f2 or (len(y1) == 4 and len(y2) == 4)):
            continue  # 10-15: not years unless written as years
        if len(y1) == 2 and text[max(0, m.start() - 3) : m.start()].endswith(R.YEAR_RANGE_DURATION_CUES):
            continue  # 未来10-15年: a duration
        first, last = _full_year(y1), _full_year(y2)
        if len(y2) == 2 and len(y1) == 4:
            last = first // 100 * 100 + int(y2)
        if not 0 < last - first <= 10:
            continue
        flag = _flag(f2 or ("E" if m.group("tail") == "E" else ""))
        years = tuple((y, _flag(f1) if y == first and f1 else "") for y in range(first, last + 1))
        found.append(YearList(m.start(), m.end(), years, flag))
    for m in _YEAR_LIST.finditer(text):
        tokens = _YEAR_TOKEN.findall(m.group())
        marked = any(flag for _, flag in tokens) or m.group("tail")
        years = tuple((_full_year(y), _flag(flag)) for y, flag in tokens)
        if not marked and not following_years([y for y, _ in tokens]) and not all(len(y) == 4 for y, _ in tokens):
            continue  # 2025/26/27: a year and the years after it, not values
        values = [y for y, _ in years]
        if values != sorted(values) or len(set(values)) != len(values) or values[-1] - values[0] > 10:
            continue
        found.append(YearList(m.start(), m.end(), years))
    found.sort(key=lambda y: y.start)
    return found


def single_year(period: str) -> tuple[int, str] | None:
    """The one year a period names (``2024年``, ``2025E``, ``FY25``, ``25年Q1``), with its flag."""
    if not period or not any(ch.isdigit() for ch in period):
        return None
    years = set()
    flag = ""
    for m in _SINGLE_YEAR.finditer(period):
        if m.group("fy"):
            years.add(_full_year(m.group("fy")))
            flag = flag or _flag(m.group("flag3"))
        elif m.group("full"):
            years.add(int(m.group("full")))
            flag = flag or _flag(m.group("flag"))
        elif m.group("short"):
            years.add(_full_year(m.group("short")))
            flag = flag or _flag(m.group("flag2"))
        elif m.group("q") or m.group("h"):
            years.add(_full_year(m.group("q") or m.group("h")))
    if len(years) != 1:
        return None
    return years.pop(), flag


_WHOLE_YEAR = re.compile(r"(?:FY)?(?:(?:19|20)[0-9]{2}|[0-9]{2})[AEF]?(?:财?年)?(?:全年|度)?")


def estimate_flag(year: int, flag: str, range_flag: str, whole_year: bool, report_year: int | None) -> str:
    """``A``/``E`` for a figure's year: as written on the year, else for a year the report was published in
    or after (a year not over yet is an estimate) as written on its range, or ``E``; else nothing."""
    if flag:
        return flag
    if report_year is None or year < report_year or not whole_year:
        return ""
    return range_flag or "E"


def is_whole_year(period: str) -> bool:
    """Is ``period`` a whole year (``2025年``, ``2025E``, ``FY25``), not a part of one (``25Q1``)?"""
    return _WHOLE_YEAR.fullmatch(period.strip()) is not None


def says_forecast(text: str) -> bool:
    """Does ``text`` (the sentence before a figure) say the figure is an estimate?"""
    return _FORECAST_WORDS.search(text) is not None


# --- names ------------------------------------------------------------------------------------------


def split_names(subject: str) -> list[str]:
    """The names of a list (``销售/管理/财务费用率`` → ``销售费用率``, ``管理费用率``, ``财务费用率``).

    A subject without a separator is one name.
    """
    if "/" not in subject and "、" not in subject:
        return [subject] if subject else []
    return share_tail([n for n in _NAME_SPLIT.split(subject) if n])


def share_tail(names: list[str]) -> list[str]:
    """Names completed with the tail the last one has (``销售``, ``管理``, ``财务费用率``).

    None of the names before the last may be a measure on its own.  They share the last name's tail
    when they all end in the same character and the last one goes on after it (``大行、股份行、
    农商行净息差``), or when the last name ends in a known measure (``销售/管理/财务费用率``,
    ``橱柜、衣柜及配套品、木门毛利率``) that is not qualified there (``存货/归母净利润``).
    """
    if len(names) < 2:
        return names
    head, last = names[:-1], names[-1]
    if any(n[-1] in R.LIST_MEASURE_ENDINGS for n in head):
        return names
    ends = {n[-1] for n in head}
    if len(ends) == 1:  # 大行、股份行、城商行和农商行净息差: the names end alike, the tail follows that ending
        k = last.find(next(iter(ends)), 1)
        if 0 < k < len(last) - 2 and _HAN_RUN.fullmatch(last[k + 1 :]):
            return [n + last[k + 1 :] for n in head] + [last]
    tail = next((t for t in R.SHARED_TAILS if last.endswith(t)), "")  # the longest measure the last name ends with
    if tail and len(last) > len(tail) + 1 and last[: -len(tail)] not in R.MEASURE_MODIFIERS:
        return [n + tail for n in head] + [last]  # 橱柜、衣柜及配套品、卫浴、木门毛利率
    return names


#: The modifiers a measure may carry (``归母``), longest first.
_MODIFIERS = tuple(sorted(R.MEASURE_MODIFIERS, key=lambda m: (-len(m), m)))


def measure_owner(subject: str) -> tuple[str, str]:
    """``鸿远电子归母净利润`` → (``鸿远电子``, ``归母净利润``): a name written before a known measure
    (with its modifiers), else ``("", subject)`` (the measure alone has no owner; ``公司``, ``其中``
    and other words that are not names are not owners)."""
    tail = next((t for t in R.SHARED_TAILS if subject.endswith(t)), "")
    if not tail:
        return "", subject
    head = subject[: -len(tail)]
    modifier = next((m for m in _MODIFIERS if head.endswith(m)), "")
    if modifier:
        head, tail = head[: -len(modifier)], modifier + tail
    if len(head) < 2 or (not _HAN_RUN.fullmatch(head) and not head[:1].isupper()):
        return "", subject
    if head in R.GENERIC_COMPANY or head in R.NOT_OWNERS or head[-1] in R.LIST_MEASURE_ENDINGS:
        return "", subject
    return head, tail


def compound_names(subject: str, count: int) -> list[str] | None:
    """``销售管理研发财务费用率`` with four values → ``销售费用率``, ``管理费用率``, ``研发费用率``,
    ``财务费用率``: names of two characters each, written together before the measure they share."""
    for tail in R.COMPOUND_TAILS:
        if subject.endswith(tail):
            head = subject[: -len(tail)]
            if len(head) == 2 * count and count >= 2 and _HAN_RUN.fullmatch(head):
                return [head[2 * i : 2 * i + 2] + tail for i in range(count)]
    return None


def names_before(prefix: str, count: int, clean: Callable[[str], str], verb: re.Pattern[str]) -> list[str] | None:
    """``经销商/特通直营/商超/新零售/电商实现营收``: ``count`` names before a verb, completed with its measure."""
    parts = _NAME_SPLIT.split(prefix)
    if len(parts) < count:
        return None
    parts = parts[-count:]
    parts[0] = _CLAUSE_CUT.split(parts[0])[-1]
    last = parts[-1]
    m = verb.search(last)
    measure = ""
    if m is not None:
        measure = clean(last[m.end() :])
        parts[-1] = last[: m.start()]
    names = [clean(p) for p in parts]
    if not all(names) or any(len(n) > 12 for n in names):
        return None
    if measure and not names[-1].endswith(measure):
        names = [n + measure for n in names]
    return share_tail(names)


# --- change ----------------------------------------------------------------------------------------


#: Whether a prefix may hold a growth word at all (a cheap look before _GROWTH_BEFORE's).
GROWTH_HINT = re.compile(r"增|growth|upside", re.IGNORECASE)
_GROWTH_BEFORE = re.compile(
    r"(?:growth|upside)(?: of)?\s*$|(?:增速|增长率)(?:为|达|是)?\s*(?:[(（][^()（）]{0,6}[)）])?\s*$", re.IGNORECASE
)


def signed_change(
    value: str | None, direction: str, relation: str, unit: str, sign_written: bool, prefix: str
) -> str | None:
    """The signed change of a figure that is one, in its own unit; ``None`` for a level.

    ``direction`` and ``relation`` are those that make the figure a change (the caller leaves out
    words that belong to the next figure).  A direction word gives the sign (``跌幅2.47%`` → ``-2.47``,
    ``增长3%`` → ``3``); a figure that moves *to* or *from* a level is that level, not a change
    (``升至15%``).  Without a direction, a signed figure is a change with the sign as written when it
    is measured against a basis (``同比+3.3pcts``, ``YoY -22.2%``), in a unit of change (``+25bp``)
    or after ``涨跌幅`` or ``增速``.  A figure that says no direction at all (``同比变动4亿元``) is not
    given one.
    """
    if value is None or relation in ("to", "from"):
        return None
    magnitude = value.lstrip("+-")
    negative = value.startswith("-")
    if direction == "down":
        return "-" + magnitude
    if direction == "up":
        return value.lstrip("+")
    if direction == "flat":
        return None
    if not sign_written:
        # growth of 38%, 增速为12%: a rate of growth is a change, up unless its sign says otherwise
        return magnitude if _GROWTH_BEFORE.search(prefix[-24:]) else None
    if relation in BASES or unit in CHANGE_UNITS or any(word in prefix for word in SIGNED_CHANGE_WORDS):
        return ("-" + magnitude) if negative else magnitude
    return None


def pair(names: Sequence[str], count: int) -> list[str] | None:
    """One name per value: the names themselves when the counts agree, one name for every value."""
    if len(names) == count:
        return list(names)
    if len(names) == 1:
        return [names[0]] * count
    return None
