"""The ``metrics`` transform: every figure of titles, headings and blocks as a typed metric.

``沪指涨0.43%,收报3346.72点`` gives two :class:`~publisher.model.Metric`
objects: ``0.43`` ``%`` (``ratio`` 0.0043, direction ``up``) and ``3346.72``
``点``, both with the subject ``沪指``.  Metrics are attached to the node they
were found in (``Report.title_metrics``, ``Section.heading_metrics``,
``Block.metrics``) with their position in the input file.

How it works, in four passes over each text:

1. *Tokens*: numbers (``[0-9]``, thousands separators, decimals) and the
   spans of periods (dates, months, years, quarters, ``本周``, ``截至…``).
2. *Figures*: each number outside a period gets its sign, a currency
   written before it, its scale and unit (``亿元``, ``pcts``, ``US$ billion``),
   or joins the next number into a range (``1 - 2个季度``).  Numbers that
   are not measurements are dropped: years, dates, ordinals (``第1次``),
   names (``北证 50``, ``M1``, ``GPT - 4``, ``10年期``), stock codes, bare
   numbers without a word that introduces a value.
3. *Context*: the subject is the clause text before the figure without
   periods, verbs of change, relation and bound words (tables in
   :mod:`publisher.transforms.metric_rules`); a clause without its own
   subject takes the previous figure's (``收报3346.72点`` → ``沪指``).  The
   same words give the direction, relation, bound and period.
4. *Lists, tables and companies*: values joined by ``/`` or ``、`` pair with
   the names before them, take the unit, basis and period they share and the
   years the text names (:mod:`~publisher.transforms.metric_lists`); number
   cells of a pipe table take their column and row
   (:mod:`~publisher.transforms.metric_tables`); in a report about several
   companies, subjects get their company
   (:mod:`~publisher.transforms.metric_entities`).  The signed ``change``,
   ``basis``, ``year`` and ``estimate`` follow from the same context.

Everything is linear in the text length: numbers are found by one scan,
every other match is anchored at a known position or runs over a bounded
window, so a 1 MB line costs what its size says.

Speed (``bench/metrics_throughput.py`` compares with the code before this
work, kept in ``bench/metrics_reference/``): a text without an ASCII digit
is skipped at once; patterns are tried only where they can start (the regex
engine skips ahead quickly only to a pattern's first character, not past a
look-behind); word tables are prefix trees and are indexed by first or last
character; sentence, clause and period boundaries are found once per text;
the rules that are pure functions of a few dozen characters of context
(subject cleaning, relation words, the noun after a count) keep bounded
caches, which help wherever wording repeats but hold no whole text; the
garbage collector is paused while metrics are attached.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..memory import collector_paused
from ..model import Block, Digest, Metric, MetricSpool, PackedMetrics, Pos, Report
from ..textutil import HAN_CLASS, is_han
from . import metric_entities, metric_tables
from . import metric_lists as L
from . import metric_rules as R

if TYPE_CHECKING:
    from ..writers.base import RenderContext

# --- patterns ----------------------------------------------------------------------------------


def _longest_first(words: Iterable[str]) -> str:
    """An alternation of ``words``, longest first: at a position, the longest word that matches."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _alternation(words: Iterable[str]) -> str:
    """The same as :func:`_longest_first` (case-sensitive), written as a prefix tree.

    The regex engine tries the branches of an alternation one by one, so a position that starts
    no word cost one test per word (the unit table has a hundred); in a tree it costs one test
    per first character, and the words that match are still tried longest first.
    """
    tree: dict[str, dict] = {}
    for word in set(words):
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def branch(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if "" not in node:
            return body
        return f"{body}?" if len(alternatives) > 1 or len(body) == 1 else f"(?:{body})?"

    return branch(tree)


# Where an English word can be: a Latin letter, or a letter that matches one when case is ignored
# (``ſ`` is ``s``, ``K`` is ``k``, ``İ``/``ı`` are ``i``).  Patterns of English words start with a
# look-behind, which makes the regex engine try them at every character: texts without a Latin
# letter skip them.
_LATIN = re.compile(r"[A-Za-z\u0130\u0131\u017f\u212a]")


def _en_words(words: Iterable[str]) -> re.Pattern[str]:
    """English words on letter boundaries (``\\b`` would treat CJK as letters)."""
    return re.compile(rf"(?<![A-Za-z])(?:{_longest_first(words)})(?![A-Za-z])", re.IGNORECASE)


# A number: digits, thousands groups, decimals.  It can never fail once started, and the
# look-behind keeps it from restarting inside a run of digits: one linear scan.  It starts with
# its first digit (the look-behind comes after it), so the regex engine skips to the next digit
# at once instead of trying the pattern at every character.
_NUMBER = re.compile(r"[0-9](?<![0-9][0-9])(?:[0-9]{0,2}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]+)?")

_SP = r"[ \u00a0\u3000]{0,2}"
_D = r"(?<![0-9])"
_CN_DATE = (
    rf"{_D}[0-9]{{4}}{_SP}年(?:{_SP}[0-9]{{1,2}}{_SP}月(?:{_SP}[0-9]{{1,2}}{_SP}[日号])?)?"
    rf"|{_D}(?<!个)(?<!个 )[0-9]{{1,2}}{_SP}月(?:份)?(?:{_SP}[0-9]{{1,2}}{_SP}[日号])?"
    rf"|{_D}[0-9]{{4}}{_SP}/{_SP}[0-9]{{4}}{_SP}财年"
    rf"|{_D}[0-9]{{4}}{_SP}财年"
    rf"|{_D}(?:19|20)[0-9]{{2}}(?:[-/](?:0?[1-9]|1[0-2])(?:[-/](?:[0-2]?[0-9]|3[01]))?"
    rf"|\.(?:0?[1-9]|1[0-2])\.(?:[0-2]?[0-9]|3[01]))(?![0-9])"
    rf"|{_D}[0-9]{{2}}{_SP}年(?={_SP}[0-9]{{1,2}}{_SP}月|前[三3]季度|[上下]半年|全年|[一二三四1-4]季度|Q[1-4])"
)
_MONTH_RANGE_START = re.compile(
    r"(?<![0-9])(?:1[0-2]|[1-9])[ \u00a0\u3000]{0,2}(?:-|~|～|—|–|至|到)[ \u00a0\u3000]{0,2}$"
)
_QUARTER_RANGE_START = re.compile(r"(?<![0-9])[1-3]-")
#: A measure's letters glued to its value (``EPS3.02元``), not a name's (``M1``, ``DR007``).
_MEASURE_LETTERS = re.compile(r"(?<![A-Za-z])(?:EPS|BPS|DPS|ROE|ROA|ROIC)$")
_FOLLOWING_YEARS = re.compile(
    r"(?<![0-9.])(?:19|20)[0-9]{2}(?:(?:/[0-9]{2}(?![0-9.%])){1,4}|(?P<range>[ ]?[-~至到][ ]?[0-9]{2}[ ]?年))"
)
_CN_SUFFIX = (
    r"(?:末|底|初|中(?!国)|以来|至今|前[三3]季度|上半年|下半年|全年|[一二三四1-4]季度末?|Q[1-4]|年底|年末|[1-9]月末?)?"
)
_EN_MONTH = _alternation(R.EN_MONTHS)
_EN_DATE = (
    rf"(?<![A-Za-z])(?:{_EN_MONTH})\.?(?: [0-9]{{1,2}}(?![0-9]))?(?:,? [12][0-9]{{3}}(?![0-9]))?(?![A-Za-z])"
    rf"|{_D}[0-9]{{1,2}} (?:{_EN_MONTH})(?: [12][0-9]{{3}})?(?![A-Za-z])"
    rf"|(?<![A-Za-z0-9])FY ?(?:[12][0-9]{{3}}|[0-9]{{2}}) ?(?:Q[1-4]|H[12])(?![0-9A-Za-z])"
    rf"|(?<![A-Za-z0-9])(?:Q[1-4]|H[12]|[1-4]Q|[12]H|FY) ?(?:[12][0-9]{{3}}|[0-9]{{2}})?(?![0-9A-Za-z])"
    rf"|(?<![A-Za-z0-9])(?:[1-9]|1[0-2])M(?:[12][0-9]{{3}}|[0-9]{{2}})(?![0-9A-Za-z])"
    rf"|{_D}(?:[12][0-9]{{3}}|[0-9]{{2}}) ?(?:Q[1-4]|H[12])(?![0-9A-Za-z])"
    rf"|{_D}[12][0-9]{{3}}[AEF](?![A-Za-z])"
    rf"|(?<![A-Za-z0-9])FY ?(?:[12][0-9]{{3}}|[0-9]{{2}})[AEF](?![A-Za-z])"
)
# Periods, as several patterns that each start with a literal or a digit, so that the regex
# engine skips most positions at once (one big alternation tried at every character was the
# transform's largest cost).  A pattern that starts with a look-behind is still tried at every
# character by the engine, so those are only tried where a match can start (see
# ``_Scanner._periods``), found by a pattern the engine scans quickly (one that starts with a
# character class): ``_CN_DATE_PERIOD`` at a run of digits followed by 年, 月, 财 or ``/``, or
# at a year followed by ``-``, ``/`` or ``.``; ``_EN_DATE_PERIOD`` at a run of digits followed by
# a capital, at a capital that starts a month, ``Q1``, ``H1`` or ``FY``; ``_YEAR_ALONE`` at a
# year; ``_EN_PERIOD_WORDS`` where the same words without the look-behind match.
_CN_DATE_PERIOD = re.compile(rf"(?:{_CN_DATE}){_CN_SUFFIX}")
_CN_DATE_START = re.compile(r"[0-9](?<![0-9][0-9])[0-9]*+[ \u00a0\u3000]{0,2}[年月/财]")
_EN_DATE_PERIOD = re.compile(_EN_DATE)
_EN_DATE_PREFIXED = re.compile(rf"(?:(?:as of|as at|since|during|through|in|by|for|on|from) )(?:{_EN_DATE})")
_EN_DATE_LETTERS = re.compile(r"[JFMASONDQH](?=[a-z0-9Y])")
_EN_DATE_DIGITS = re.compile(r"[0-9](?<![0-9][0-9])[0-9]*+(?= ?[A-Z])")
_EN_PERIOD_WORDS = re.compile(rf"(?<![A-Za-z])(?:{_alternation(R.EN_PERIOD_WORDS)})(?![A-Za-z])")
_EN_PERIOD_WORDS_ANYWHERE = re.compile(rf"(?:{_alternation(R.EN_PERIOD_WORDS)})(?![A-Za-z])")
_CUTOFF_PERIOD = re.compile(rf"(?:截至|截止到|截止){_SP}(?:{_CN_DATE}){_CN_SUFFIX}")
_CN_PERIOD_WORDS = re.compile(_alternation(R.CN_PERIOD_WORDS))
# 3季度末, 近10年, 2029-30财年: quarters in Arabic digits, a look-back of years, a fiscal year range
# (each pattern starts with a literal or a character class and runs only where its word is in the text)
_MORE_PERIODS = (
    ("季度", re.compile(r"[1-4]季度末?")),
    ("近", re.compile(r"近[0-9]{1,2}(?:个)?(?:年|月|周|个交易日)")),
    ("过去", re.compile(r"过去[0-9]{1,2}(?:个)?(?:年|月|周|个交易日)")),
    ("年", re.compile(r"[0-9]{4}[-/][0-9]{2}财?年")),
    ("日", re.compile(r"[0-9]{1,2}[ ]?(?:-|~|至)[ ]?[0-9]{1,2}日")),
    ("前", re.compile(r"前[0-9]{1,2}(?:周|个月|个交易日)")),
    ("第", re.compile(r"第[0-9]{1,2}(?:周|个月|个交易日)")),
)
# 2025-27E, 24-26E, 2023A/2024E: years of estimates (the first year may lack its letter)
_YEAR_SPAN = re.compile(
    r"[0-9]{2}(?:[0-9]{2})?[AEF]?(?:[-/~][0-9]{2}(?:[0-9]{2})?[AEF]?)*[-/~][0-9]{2}(?:[0-9]{2})?[AEF](?![A-Za-z])"
)
_YEAR_SPAN_HINT = re.compile(r"[0-9][AEF](?![A-Za-z])")
# 24年利润, 25-26年PE, 25年Q1: a year written with two digits (2015-2035), not a duration (近10年, 运营25年)
# (the pattern starts with a character class, so the engine skips ahead quickly; what may stand before
# the year is checked by R.SHORT_YEAR_NOT_AFTER)
_SHORT_YEAR = re.compile(
    r"[1-3][0-9](?:[ ]?(?:-|~|～|至|到|/)[ ]?[1-3][0-9])?[ ]?年"
    r"(?!期|内|以|来|左右|间|后|前|多|半|度|限|份|化|龄|线)" + _CN_SUFFIX
)
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_YEAR_START = re.compile(r"(?:1(?<![0-9]1)9|2(?<![0-9]2)0)[0-9]{2}")  # 19xx or 20xx, not inside a number
_DURING = re.compile(HAN_CLASS + "{1,4}$")  # 春节期间: up to four characters before 期间
_YEAR_ALONE = re.compile(
    r"(?<![0-9A-Za-z$.])(?:(?:in|by|since|through|during|from|for|at) )?(?:(?:end|mid|early|late)[- ])?"
    r"(?:19|20)[0-9]{2}(?![0-9%万亿多余]|\.[0-9])"
    # a value list's first item (``2025/2254/2412亿元``): the next item is no year
    r"(?![ ]?/[ ]?(?!(?:19|20)[0-9]{2}(?![0-9])|[0-9]{2}(?![0-9.]))[0-9])"
)
_YEAR_PREFIXES = ("in ", "by ", "since ", "through ", "during ", "from ")
_YEAR_PARTS = ("end-", "mid-", "end ", "mid ", "early ", "late ")  # end-2025, by mid-2026, in early 2025
_ASCII_DIGIT = re.compile(r"[0-9]")
_DIGITS = "0123456789"
_DIGITS_DOT = frozenset("0123456789.")
_PERIOD_JOIN = re.compile(rf"{_SP}(?:到|至|-|~|～|—|–|to){_SP}")

# Sentence and clause ends: these marks, and a full stop followed by white space or the end of
# the text and not written after a digit (``_ends`` checks the full stops).
_SENTENCE_MARKS = frozenset("。！？!?;；\n.")
_CLAUSE_MARK = re.compile(r"[,，;；:：()（）【】\[\]。！？!?\n.]")  # sentence marks included
_LIST_SEP = "、"
_LIST_HINT = re.compile(r"[0-9][^0-9,，;；。]{0,12}?[/、] ?[+\-−－]? ?[0-9]")
_SPACE_BETWEEN_PHRASES = re.compile(HAN_CLASS[:-1] + "%％)）] (?=" + HAN_CLASS + ")")  # one class: scanned fast
_SPACE_BEFORE_DIGIT = re.compile(f"{HAN_CLASS} (?=[0-9])")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])")
_EIGHT_DIGIT_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
_PAREN_CLOSE = re.compile(r"([^()（）,，;；。]{0,20})[)）]")
_OPEN_PARENS = "(（"

_CN_SCALE = _alternation(R.CN_SCALES)
_CN_UNIT = _alternation(R.CN_UNITS)
_CN_PER = _alternation(R.PER_UNITS) + "|" + HAN_CLASS
_CN_UNIT_RE = re.compile(
    rf"(?P<infix>{_alternation(R.CN_INFIX_MORE)})?"
    rf"(?P<scale>{_CN_SCALE})?"
    rf"(?P<unit>{_CN_UNIT})?"
    rf"(?:/(?P<per>{_CN_PER}))?"
)
_LATIN_UNITS = {u for u in R.CN_UNITS if u.isascii() and u[-1:].isalpha()}
_EN_SCALE_RE = re.compile(rf"(?P<scale>{_longest_first(R.EN_SCALES)})(?![A-Za-z])", re.IGNORECASE)
_EN_UNIT_RE = re.compile(rf"(?P<unit>{_alternation(R.EN_UNITS)})(?![A-Za-z])")
_EN_NOUN_RE = re.compile(r"(?P<noun>[a-z]{2,}s)(?![A-Za-z])")
_EN_PER_RE = re.compile(rf" ?(?:per|/) ?(?P<per>{_alternation(R.EN_PER)})(?![A-Za-z])")
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z])")
_ORDINAL_FIRST = frozenset("snrt")
_PLUS_AFTER = re.compile(r" ?\+ ?[0-9]")
_PLUS_BEFORE = re.compile(r"[0-9] ?\+ ?$")
_NON_LATIN = re.compile(r"[^A-Za-z]")
_NON_LATINS = re.compile(r"[^A-Za-z]+")
_INDEX_NAMES = tuple(R.INDEX_NAMES)
_NAME_FOLLOWERS = tuple(R.NAME_FOLLOWERS)
_CODE_SUFFIXES = tuple(R.CODE_SUFFIXES)
_TENOR_NOUNS = tuple(R.TENOR_NOUNS)
_BARE_CUES_CN = tuple(R.BARE_CUES_CN)
_DURATION_CUES = tuple(R.DURATION_CUES)
_BOUND_AFTER = (*R.BOUND_AFTER.items(), *R.EN_BOUND_AFTER.items())
_BOUND_AFTER_WORDS = tuple(word for word, _ in _BOUND_AFTER)
_CN_SCOPES = tuple(R.CN_SCOPES)
_LIST_JOINT = re.compile(r" ?(?:和|、|或|与|及|/|and|or) ?")
_SIGNED_RANGE_SEP = re.compile(rf"{_SP}(?:至|到|~|～){_SP}[+\-−]")
_RANGE_SEP = re.compile(rf"{_SP}(?:-|~|～|—|–|至|到){_SP}")
#: Words that make a clause a forecast, whose ``A%至B%`` is a range (``预计…同比增长13.6%至25.8%``).
_GUIDANCE = re.compile(r"预计|预告|预期|指引|区间")

_DIRECTION_CN = re.compile(_alternation(R.DIRECTION_WORDS))
_DIRECTION_EN = _en_words(R.EN_DIRECTION_WORDS)
_RELATION_CN = re.compile(_alternation(R.RELATION_WORDS))
_RELATION_EN = _en_words(R.EN_RELATION_WORDS)
_BOUND_CN = re.compile(_alternation(R.BOUND_BEFORE))
_BOUND_EN = _en_words(R.EN_BOUND_BEFORE)
#: ``每年``, ``per year``; an English one ends a word (``a year-on-year increase`` has none).
_FREQUENCY = re.compile(
    rf"{_alternation(w for w in R.FREQUENCY_WORDS if not w.isascii())}"
    rf"|(?:{_alternation(w for w in R.FREQUENCY_WORDS if w.isascii())})(?![-A-Za-z])"
)
_ADVERBS = re.compile(
    _alternation(
        [
            "通常",
            "往往",
            "一般",
            "一度",
            "边际",
            "小幅",
            "大幅",
            "明显",
            "显著",
            "略有",
            "当前",
            "目前",
            "当下",
            "现阶段",
        ]
    )
)
# 较三季度下降1bp, 较节前上涨50元: what follows 较/相比 is the base of the comparison, not the subject
_COMPARISON = re.compile(
    r"(?:相比于?|相较于?|较)(?![为大小高低好差多少强弱快慢早晚])|(?<![环同占对无])比(?=上|去年|前一|年初)"
    r"|环比(?=[0-9]|[一二三四]季度|上)"
    r"|跑赢|跑输|跑平"
)
# 受汇兑收益影响财务费用: the cause before the subject
_CAUSE = re.compile(r"受[^,，;；。]{1,12}?影响")
# 营业收入同比增速 → 营业收入增速: the basis is a column of its own
_BASIS_IN_MEASURE = re.compile(r"(?<=.)(?:同比|环比)(?=增速|增长率|增幅)")
# 营业收入: - 2024年预计78.42亿元: a bullet that is a label, or starts with one before its first child
_LABEL_HEAD = re.compile(r"^\s*([^0-9:：,，;；。]{1,16})[:：]\s*(?:-|$)")
_ITEM_NUMBER = re.compile(r"^[0-9]{1,2}[.、)）]\s*")
_EN_TO_VERB = re.compile(rf"(?<![A-Za-z])to (?:{_alternation(R.EN_TO_VERBS)})(?![A-Za-z])")
_EN_AUX = re.compile(rf"(?<![A-Za-z])(?:{_alternation(R.EN_AUXILIARIES)}) [a-z]+(?![A-Za-z])")
_EN_OF = re.compile(r" ?of ([^,;:.()]{1,60})")
_INNER_CN = re.compile(_alternation(R.CN_INNER_VERBS))
_INNER_EN = _en_words(R.EN_INNER_VERBS)
_NOUN_STOP = re.compile(_alternation(R.CN_NOUN_STOPS))
_CLAUSE_STOP = re.compile(
    _alternation([*R.CN_NOUN_STOPS, *R.DIRECTION_WORDS, *R.RELATION_WORDS, *R.CN_INNER_VERBS, *R.BOUND_BEFORE])
)
_SHARED = re.compile(rf"(?:{_alternation(R.SHARED_MODIFIERS)})?(?:{_alternation(R.SHARED_MEASURES)})$")
#: Two English names joined by ``and`` (each of up to four words), then what is said of both.
_EN_PAIR = re.compile(
    r"^(?P<a>[A-Za-z][\w\-/']*(?: [A-Za-z][\w\-/']*){0,3}?) and (?P<b>[A-Za-z][\w\-/']*(?: [A-Za-z][\w\-/']*){0,3}?)"
    r"(?: (?:ratios?|rates?|margins?|projected|expected|estimated|forecast|seen|are|were|to|rose|fell|grew|both)\b.*)?$"
)
# English: a comparison base after a figure runs to the next conjunction (from our prior estimate and ...)
_EN_BASE = re.compile(
    r"\s*(?:from|versus|vs\.?|than|compared (?:with|to)|against)(?![A-Za-z])"
    r"[^,;:]*?(?<![A-Za-z])(?:and|while)(?![A-Za-z])"
)
# ... an article, a possessive or "implying" right before a figure: it qualifies the noun after it
_EN_DETERMINER = re.compile(
    r"(?:(?<![A-Za-z])(?:a|an|the|its|their|our|his|her|implying|implies|imply)|[A-Za-z]'s)"
    r"(?: (?:roughly|about|around|approximately|nearly|almost|some|estimated|implied|further|additional))? $"
)
_EN_NOUN_STOPS = (
    "of to from in on at by for with versus vs and or than as while since over under after before which that this "
    "last next is are was were will would could has have had per"
)
_EN_NOUN_AFTER = re.compile(
    r" ?([A-Za-z][A-Za-z0-9/&'’-]*+"
    rf"(?: (?!(?:{'|'.join(_EN_NOUN_STOPS.split())})(?![A-Za-z]))[A-Za-z][A-Za-z0-9/&'’-]*+){{0,2}})(?![A-Za-z0-9])"
)
# English conjunctions that start a clause: the subject is what follows the last one
_EN_CONJ = re.compile(r"(?<![A-Za-z])(?<!such )(?<!well )(?:as|while|whereas|because|although|though|when|after) ")
_LIST_SPLIT = re.compile(r"与|和|、|及|以及")
_SPACES = re.compile(r"\s{2,}")

_PUNCT = " \u00a0\u3000\t,，;；:：、.。“”\"'‘’()（）-—–~+*/|×="
_PUNCT_END = _PUNCT.replace(")", "").replace("）", "")
_MAX_SUBJECT = 40  # characters of context looked at before a figure
_MAX_SUBJECT_EN = 80  # the same where the window would end inside English words
_MAX_SENTENCE = 400
_SUFFIX_WINDOW = 24


def _suffix_sets(words: Iterable[str], at: int = -1) -> dict[str, list[tuple[int, frozenset[str]]]]:
    """Words by their last (``at=-1``) or first (``at=0``) character, then by length, longest first."""
    by_char: dict[str, dict[int, set[str]]] = {}
    for w in words:
        by_char.setdefault(w[at], {}).setdefault(len(w), set()).add(w)
    return {
        ch: [(n, frozenset(ws)) for n, ws in sorted(by_len.items(), reverse=True)] for ch, by_len in by_char.items()
    }


_CURRENCIES = sorted(R.PREFIX_CURRENCIES, key=len, reverse=True)
_CURRENCY_TOKENS = tuple(c + sep for c in _CURRENCIES for sep in ("", " "))
_TRAIL_EXCEPT = {n: tuple(x for x in R.CN_TRAILING_EXCEPT if len(x) > n) for n in range(1, 12)}
_CN_TRAIL = _suffix_sets([*R.CN_TRAILING, *R.DIRECTION_WORDS, *R.RELATION_WORDS, *R.BOUND_BEFORE])
_CN_LEAD = _suffix_sets(R.CN_LEADING, at=0)
_LEAD_EXCEPT = {n: tuple(x for x in R.CN_LEADING_EXCEPT if len(x) > n) for n in range(1, 12)}
_LEAD_KEPT = tuple(R.CN_LEADING_EXCEPT)
_EN_TRAIL = frozenset(
    w.lower() for w in (*R.EN_TRAILING, *R.EN_DIRECTION_WORDS, *R.EN_BOUND_BEFORE, *R.EN_RELATION_WORDS) if " " not in w
)
_EN_TRAIL_PHRASES = _suffix_sets(
    w.lower() for w in (*R.EN_BOUND_BEFORE, *R.EN_RELATION_WORDS, "a target of", "in excess of") if " " in w
)
_EN_LEAD = frozenset(R.EN_LEADING)

# --- figures -----------------------------------------------------------------------------------


_ONE = Decimal(1)


@dataclass(slots=True)
class _Unit:
    written: str = ""
    base: str = ""
    factor: Decimal = Decimal(1)
    end: int = 0
    letter_scale: bool = False  # only a one-letter scale (``7B``): weak evidence of a figure
    count: bool = False
    infix_more: bool = False
    per_only: bool = False

    @property
    def real(self) -> bool:
        return bool(self.written) and not self.letter_scale and not self.per_only


@dataclass(slots=True)
class _Figure:
    start: int
    end: int
    value: str | None
    low: str | None
    high: str | None
    unit: _Unit
    shares_unit: bool = False  # 8192和32768个令牌: the unit (and subject) of the next figure
    subject: str = ""
    direction: str = ""
    relation: str = ""
    bound: str = ""
    period: str = ""
    sentence: str = ""
    index: int = -1  # of its number in the scanner's numbers
    cell: metric_tables.Cell | None = None  # the table cell it was written in
    item: int = 0  # place in a list of values (27.3/-1.1/-1.3亿元), from 1; 0 outside a list
    items: int = 0  # how many values the list has
    change: str | None = None
    basis: str = ""
    year: int | None = None
    estimate: str = ""


@dataclass(slots=True)
class _Run:
    """A list of values (``27.3/-1.1/-1.3亿元``, ``4900/3993/4148``): what its values share."""

    size: int
    unit: _Unit | None  # the unit of values written without one: the last value's, or a header's
    bare: bool = False  # a forecast row without a unit (市盈率 49/-29/52/26): its values are figures


_LATIN_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _in_word(ch: str) -> bool:
    """A character of an English word or compound (``12-month``, ``BoJ's``)."""
    return _is_latin(ch) or ch in "0123456789-'’"


def _decimal_text(raw: str, sign: str = "") -> str:
    digits = raw.replace(",", "")
    return f"{sign}{digits}" if sign else digits


def _format_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "+0", "") else text


def _normalize(value: str, unit: _Unit) -> str | None:
    try:
        number = Decimal(value) * unit.factor
    except InvalidOperation:
        return None
    if unit.base == "fiscal year" and abs(number) < 100:
        number += 2000
    return _format_decimal(number)


def _ends(pattern: re.Pattern[str], text: str) -> list[int]:
    """Positions of the sentence or clause marks of ``pattern`` (a full stop only before white space or the end)."""
    out = []
    n = len(text)
    for m in pattern.finditer(text):
        p = m.start()
        if text[p] == "." and ((p + 1 < n and not text[p + 1].isspace()) or (p and text[p - 1] in _DIGITS)):
            continue
        out.append(p)
    return out


def _matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> list[tuple[int, int]]:
    """The spans ``pattern.finditer(text)`` gives, when a match can only start at one of ``starts`` (sorted)."""
    spans = []
    last = 0
    match = pattern.match
    for p in starts:
        if p >= last:
            m = match(text, p)
            if m is not None:
                last = m.end()
                spans.append((p, last))
    return spans


def _matches_where(pattern: re.Pattern[str], anywhere: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The spans ``pattern.finditer(text)`` gives, tried only where ``anywhere`` (a superset) matches."""
    spans: list[tuple[int, int]] = []
    pos = 0
    search, match = anywhere.search, pattern.match
    while True:
        candidate = search(text, pos)
        if candidate is None:
            return spans
        p = candidate.start()
        m = match(text, p)
        if m is None:
            pos = p + 1
        else:
            pos = m.end()
            spans.append((p, pos))


class _Scanner:
    """Tokens and spans of one text, then its figures."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers = [m.span() for m in _NUMBER.finditer(text)]
        self.periods = self._periods()
        self.period_starts = [s for s, _ in self.periods]
        # a list needs a separator between two numbers (most 、 separate words): looked for once
        self.runs = self._value_lists() if _LIST_HINT.search(text) is not None else {}
        self.years_named = "年" in text or "FY" in text or "Q" in text or "H" in text
        self.cells = metric_tables.cells(text) if "|" in text else {}

    # periods ------------------------------------------------------------------------------

    def _periods(self) -> list[tuple[int, int]]:
        text = self.text
        spans = [
            m.span()
            for m in _CN_PERIOD_WORDS.finditer(text)
            if not (m.group() == "同期" and m.start() and text[m.start() - 1] in "年较比")  # 较上年同期: a comparison
        ]
        if "截" in text:
            spans += [m.span() for m in _CUTOFF_PERIOD.finditer(text)]
        if "年" in text:
            for short in _SHORT_YEAR.finditer(text):
                at = short.start()
                if at > 0 and text[at - 1] in _DIGITS_DOT:
                    continue
                if not ("15" <= text[at : at + 2] <= "35") or text.endswith(R.SHORT_YEAR_NOT_AFTER, 0, at):
                    continue
                spans.append(short.span())
        if ("E" in text or "A" in text) and _YEAR_SPAN_HINT.search(text):
            spans += [m.span() for m in _YEAR_SPAN.finditer(text) if not text[m.start() - 1 : m.start()].isdigit()]
        if "/" in text or "年" in text:
            # 2025/26/27EPS, 2025-26 年: a year and the short years that follow it
            for run in _FOLLOWING_YEARS.finditer(text):
                listed = re.findall(r"[0-9]+", run.group())
                if L.following_years(listed) or (
                    run.group("range") and 0 < int(listed[-1]) - int(listed[0]) % 100 <= 10
                ):
                    spans.append(run.span())
        for word, pattern in _MORE_PERIODS:
            if word in text:
                spans += [m.span() for m in pattern.finditer(text) if not text[m.start() - 1 : m.start()].isdigit()]
        # a signed number is not a year (同比+1900pcts), a range's second year is (2024-2025)
        years = [p for p in (y.start() for y in _YEAR_START.finditer(text)) if not self._signed(p)]
        if "年" in text or "月" in text or "/" in text or "财" in text:
            starts = [m.start() for m in _CN_DATE_START.finditer(text)]
        else:
            starts = []
        starts += [p for p in years if text[p + 4 : p + 5] in ("-", "/", ".")]
        if starts:
            found = _matches_at(_CN_DATE_PERIOD, text, sorted(set(starts)))
            for k, (s, e) in enumerate(found):  # 1-2月, 3至5月: a range of months is one period
                if text[s:e].endswith("月") and "年" not in text[s:e]:
                    m = _MONTH_RANGE_START.search(text, max(0, s - 8), s)
                    if m:
                        found[k] = (m.start(), e)
            spans += found
        latin = _ASCII_LETTER.search(text) is not None  # English dates and words need one
        if latin:
            starts = [m.start() for m in _EN_DATE_LETTERS.finditer(text)]
            starts += [m.start() for m in _EN_DATE_DIGITS.finditer(text)]
            if starts:  # an English date, alone or after "as of", "since", ...
                found = _matches_at(_EN_DATE_PERIOD, text, sorted(starts))
                for k, (s, e) in enumerate(found):  # 1-3Q2025: the first three quarters, one period
                    if s >= 2 and text[s + 1 : s + 2] == "Q" and _QUARTER_RANGE_START.match(text, s - 2, s):
                        found[k] = (s - 2, e)
                spans += found
                spans += [m.span() for m in _EN_DATE_PREFIXED.finditer(text)]
            spans += _matches_where(_EN_PERIOD_WORDS, _EN_PERIOD_WORDS_ANYWHERE, text)
        if years:
            starts = []
            for p in years:
                if latin:
                    starts.extend(p - len(w) for w in _YEAR_PREFIXES if p >= len(w) and text.startswith(w, p - len(w)))
                    for w in _YEAR_PARTS:
                        q = p - len(w)
                        if q >= 0 and text.startswith(w, q):
                            starts.append(q)
                            starts.extend(
                                q - len(v) for v in _YEAR_PREFIXES if q >= len(v) and text.startswith(v, q - len(v))
                            )
                            starts.extend(q - 4 for v in ("for ", "at ") if q >= 4 and text.startswith(v, q - 4))
                starts.append(p)
            spans += _matches_at(_YEAR_ALONE, text, sorted(set(starts)))
        at = text.find("期间")
        while at > 0:
            m = _DURING.search(text, max(0, at - 4), at)
            if m and at - m.start() >= 2:
                spans.append((m.start(), at + 2))
            at = text.find("期间", at + 2)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if text[e : e + 1] in ("末", "底"):
                e += 1  # 2024H1末, 3季度末
            # trim leading spaces the optional prefixes may have taken
            while s < e and text[s] in " \u00a0\u3000":
                s += 1
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
                continue
            if merged:
                gap = _PERIOD_JOIN.fullmatch(text, merged[-1][1], s)
                if gap:  # 2024 年 1 月 1 日到 2025 年 2 月 14 日: one period
                    merged[-1] = (merged[-1][0], e)
                    continue
            merged.append((s, e))
        return [(s, e) for s, e in merged if text[s:e].strip()]

    def _signed(self, p: int) -> bool:
        """Is the number at ``p`` written with a sign (``同比+1900pcts``), not as the end of a range (``2024-2025``,
        ``end-2025``)?"""
        before = self.text[p - 1 : p]
        if before == "+":
            return True
        return before == "-" and (p < 2 or _ASCII_ALNUM.match(self.text, p - 2) is None)

    def period_at(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.period_starts, pos) - 1
        if i >= 0 and self.periods[i][0] <= pos < self.periods[i][1]:
            return self.periods[i]
        return None

    # lists of values ------------------------------------------------------------------------

    def _value_lists(self) -> dict[int, tuple[_Run, int]]:
        """Runs of numbers joined by ``/`` or ``、``: number index → (run, place in it from 1)."""
        text, numbers = self.text, self.numbers
        found: dict[int, tuple[_Run, int]] = {}
        n = len(numbers)
        i = 0
        while i < n - 1:
            j = i
            while j + 1 < n:
                e, s2 = numbers[j][1], numbers[j + 1][0]
                if s2 - e > 16 or ("/" not in text[e:s2] and _LIST_SEP not in text[e:s2]):
                    break
                p = e
                if text[e] not in " \u00a0\u3000/、":  # a unit written after each value: 22.1%/6.4%
                    unit = self._unit(e)
                    if not unit.written or unit.letter_scale:
                        break
                    p = unit.end
                gap = L.LIST_GAP.match(text, p)
                if gap is None or gap.end() != s2:
                    break
                j += 1
            if j > i:
                run = self._run(i, j)
                if run is not None:
                    for k in range(i, j + 1):
                        found[k] = (run, k - i + 1)
            i = j + 1
        return found

    def _run(self, i: int, j: int) -> _Run | None:
        text = self.text
        spans = self.numbers[i : j + 1]
        if any(self.period_at(s) is not None for s, _ in spans):
            return None  # 2026/2027财年
        raws = [text[s:e] for s, e in spans]
        last = self._unit(spans[-1][1])
        if last.written in ("年", "财年", "月", "日") or all(
            len(r) == 4 and r.isdigit() and r.startswith(("19", "20")) for r in raws
        ):
            return None  # a list of years or dates
        size = len(spans)
        if last.written and not last.letter_scale and not last.per_only:
            return _Run(size, last)
        first = self._sign(spans[0][0])[1]
        header = L.HEADER_UNIT.search(text, max(0, first - 12), first)
        if header is not None:
            unit = self._unit(header.start("unit"))
            if unit.written and unit.end == header.end("unit"):
                return _Run(size, unit)
        joints = {text[e:s2].strip(" \u00a0\u3000+-−－") for (_, e), (s2, _) in itertools.pairwise(spans)}
        signed = any(self._sign(s)[0] for s, _ in spans)
        if (joints == {"/"} and (size >= 3 or signed or any("." in r for r in raws))) or (
            self._bare_cue(first) and all("." in r for r in raws)
        ):
            before = text[max(0, first - 3) : first].rstrip(" \u00a0\u3000")
            if before and (is_han(before[-1]) or _is_latin(before[-1]) or before[-1] in ")）"):
                return _Run(size, None, bare=True)  # 市盈率 49/-29/52/26
        return None

    # figures ------------------------------------------------------------------------------

    def figures(self) -> list[_Figure]:
        found: list[_Figure] = []
        skip_to = -1
        periods = self.periods  # sorted and disjoint: walked along with the numbers
        j, n_periods = 0, len(periods)
        for index, (s, e) in enumerate(self.numbers):
            if s < skip_to:
                continue
            while j < n_periods and periods[j][1] <= s:
                j += 1
            if j < n_periods and periods[j][0] <= s:
                continue  # inside a period: a date, not a figure
            figure = self._figure(index, s, e)
            if figure is not None:
                found.append(figure)
                skip_to = figure.end
        if self.runs:
            self._number_runs(found)
        return found

    def _number_runs(self, found: list[_Figure]) -> None:
        """Give the figures of each list their place in it (a list whose values all stayed figures)."""
        runs = self.runs
        k = 0
        while k < len(found):
            entry = runs.get(found[k].index)
            if entry is None or entry[1] != 1:
                k += 1
                continue
            run = entry[0]
            members = found[k : k + run.size]
            if len(members) == run.size and all(
                (e := runs.get(m.index)) is not None and e[0] is run and e[1] == p for p, m in enumerate(members, 1)
            ):
                for p, m in enumerate(members, 1):
                    m.item, m.items = p, run.size
                k += run.size
            else:
                k += 1

    def _unit(self, pos: int) -> _Unit:
        """The scale and unit written at ``pos`` (right after a number)."""
        text = self.text
        n = len(text)
        p = pos
        spaces = 0
        while p < n and text[p] in " \u00a0\u3000" and spaces < 2:
            p += 1
            spaces += 1
        unit = _Unit("", "", _ONE, pos)
        # one-letter scale glued to the digits: 128K, 405B (not 5G, 3D, 2024E)
        if spaces == 0 and p < n and text[p] in R.LETTER_SCALES and not (p + 1 < n and _is_latin(text[p + 1])):
            unit.written, unit.factor, unit.letter_scale, unit.end = text[p], R.LETTER_SCALES[text[p]], True, p + 1
            p += 1
        m = _CN_UNIT_RE.match(text, p)
        assert m is not None  # every part of the pattern is optional
        infix, scale, word, per = m.groups()
        if scale or word:
            if word in _LATIN_UNITS and m.end("unit") < n and _is_latin(text[m.end("unit")]):
                word = None  # "pcts" yes, "bpx" no
            if word or scale:
                end = m.end("unit") if word else m.end("scale")
                spelled = unit.written + (scale or "") + (word or "")
                factor = unit.factor * R.CN_SCALES.get(scale or "", _ONE)
                base = ""
                if word:
                    base, unit_factor = R.CN_UNITS[word]
                    factor *= unit_factor
                    if per and base not in ("ratio", "count") and (per in R.PER_UNITS or base != "Wh"):
                        # 5.3度/降低4.0度: a list of energies, not kilowatt-hours per 降
                        spelled += "/" + per
                        base += "/" + R.PER_UNITS.get(per, per)
                        end = m.end("per")
                unit.written, unit.factor, unit.base, unit.end = spelled, factor, base, end
                unit.letter_scale = unit.letter_scale and not word and not scale
                unit.count = base == "count"
                unit.infix_more = bool(infix)
                return unit
        if unit.letter_scale:
            return unit
        # English: [scale] [unit | plural noun] [per X]
        q = pos + (1 if pos < n and text[pos] == " " else 0)
        if text[q : q + 1] not in _LATIN_LETTERS and text[pos : pos + 1] not in (" ", "/"):
            return unit  # every English scale, unit or noun starts with a Latin letter, "per" with " " or "/"
        written: list[str] = []
        factor = Decimal(1)
        base = ""
        m = _EN_SCALE_RE.match(text, q)
        if m:
            written.append(m.group("scale"))
            factor *= R.EN_SCALES[m.group("scale").lower()]
            unit.end = m.end()
            q = m.end() + (1 if m.end() < n and text[m.end()] == " " else 0)
        m = _EN_UNIT_RE.match(text, q)
        if m:
            written.append(m.group("unit"))
            base, unit_factor = R.EN_UNITS[m.group("unit")]
            factor *= unit_factor
            unit.end = m.end()
        else:
            m = _EN_NOUN_RE.match(text, q)
            if m and m.group("noun") not in R.EN_NOT_COUNTS and (written or q > pos):
                written.append(m.group("noun"))
                base = "count"
                unit.count = True
                unit.end = m.end()
        m = _EN_PER_RE.match(text, unit.end if written else pos)
        if m and base not in ("ratio", "count"):
            # "per share" alone only counts after a currency (US$0.206 per share)
            unit.per_only = not written
            written.append(("/" if "/" in m.group() else "per ") + m.group("per"))
            base = (base or "") + "/" + m.group("per")
            unit.end = m.end()
        if written:
            unit.written, unit.factor, unit.base = " ".join(written).replace(" /", "/"), factor, base
        return unit

    def _sign(self, s: int) -> tuple[str, int]:
        """A sign written before the number at ``s`` (``+1.2``, ``报 - 28.36%``)."""
        text = self.text
        p = s - 1
        if p >= 0 and text[p] == " ":
            p -= 1
        if p < 0 or text[p] not in "+-−－﹣":
            return "", s
        q = p - 1
        while q >= 0 and q >= p - 2 and text[q] == " ":
            q -= 1
        if q >= 0 and (text[q].isalnum() or text[q] in "%％)）]") and not is_han(text[q]):
            if not (_is_latin(text[q]) and q == p - 2 and p + 1 == s):
                return "", s  # 1 - 2, 3%-5%, GPT - 4: not a sign (YoY -22.2%: a sign)
        if q >= 0 and is_han(text[q]) and text[q] in R.CN_UNITS and q > 0 and text[q - 1].isdigit():
            return "", s  # 3台-5台: a range, not a sign
        return ("-" if text[p] != "+" else "+"), p

    def _currency(self, s: int) -> tuple[str, str, int]:
        """A currency written before ``s``: (as written, base unit, new start)."""
        text = self.text
        window = text[max(0, s - 5) : s]
        if not window.endswith(_CURRENCY_TOKENS):
            return "", "", s
        for written in _CURRENCIES:
            for sep in ("", " "):
                token = written + sep
                if window.endswith(token):
                    start = s - len(token)
                    if written[0].isalpha() and start > 0 and _is_latin(text[start - 1]):
                        continue
                    return written, R.PREFIX_CURRENCIES[written], start
        return "", "", s

    def _name_before(self, s: int, unit: _Unit) -> bool:
        """Is the number at ``s`` part of a name (``北证 50``, ``M1``, ``GPT - 4``, ``CSI 300``)?"""
        text = self.text
        before = text[max(0, s - 12) : s]
        if before[-1:] in _LATIN_LETTERS:  # M1, DR007, PETTM55X (a multiple after letters is a figure)
            if _MEASURE_LETTERS.search(before):
                return False  # EPS3.02元, ROE15%: a measure written glued to its value
            return unit.base not in ("multiple", "ratio")
        real_unit = unit.real and (not unit.count or unit.factor != 1)  # 9.8 million units: not a name
        stripped = before.rstrip(" ")
        if stripped.endswith("-") and stripped[:-1].rstrip()[-1:].isascii() and stripped[:-1].rstrip()[-1:].isalpha():
            return not real_unit  # GPT - 4
        if before.endswith(" ") and stripped[-1:] in _LATIN_LETTERS:
            if _THOUSANDS.match(text, s):
                return False  # added only 22,000 jobs: names (CSI 300) have no thousands separator
            word = _NON_LATIN.split(stripped)[-1]
            cue = word.lower() in R.BARE_CUES_EN or word.lower() in R.EN_DIRECTION_WORDS
            cue = cue or word.lower() in _EN_TRAIL
            if not cue and not real_unit:
                return True  # Qwen 2.5, CSI 300 trades, DeepSeek 7B
        if not unit.real and stripped.endswith(_INDEX_NAMES):
            return True
        return False

    def _name_after(self, e: int, unit: _Unit) -> bool:
        """Is the number ending at ``e`` part of a name (``50 指数``, ``10年期``, ``7天逆回购``, ``600519.SH``)?"""
        text = self.text
        after = text[e : e + 8].lstrip(" ")
        if after.startswith(_NAME_FOLLOWERS) and not unit.real:
            return True
        if after.startswith(_CODE_SUFFIXES):
            return True
        if unit.base in ("day", "month", "year", "trading day") and not unit.count:
            if text.startswith(_TENOR_NOUNS, unit.end, unit.end + 8):
                return True
        if text[e : e + 1] == "-" and _is_latin(text[e + 1 : e + 2]):  # 10-year average, 7-day repo
            return True
        if unit.written in ("个月", "月") and text.startswith(R.MONTHS_NAMING, unit.end):
            return True  # 6个月评级, 12个月高/低: the horizon of a rating or a price range
        return False

    def _guided(self, s: int, low: str, s2: int, e2: int) -> bool:
        """``预计…同比增长13.6%至25.8%``: a forecast's range, not a change ``by 2% to 30%``.

        Two values of one unit joined by ``至`` are a range when the clause is a forecast and
        the second is above the first and less than two and a half times it.
        """
        try:
            a, b = float(low.replace(",", "")), float(self.text[s2:e2].replace(",", ""))
        except ValueError:
            return False
        before = self.text[max(0, s - 80) : s]
        before = before[max(before.rfind(mark) for mark in "。！？!?;；\n") + 1 :]
        return 0 < a < b <= 2.5 * a and _GUIDANCE.search(before) is not None

    def _figure(self, index: int, s: int, e: int) -> _Figure | None:
        text = self.text
        if self.cells:
            cell = self.cells.get(s) or self.cells.get(self._sign(s)[1])
            if cell is not None:
                return self._cell_figure(index, s, e, cell)
        before = text[max(0, s - 3) : s].rstrip(" ")
        if before.endswith(("第", "No.", "#")):
            return None
        if before.endswith("每") and text.startswith("股", e):
            return None  # 每10股派发现金红利: per ten shares
        if e - s == 8 and _EIGHT_DIGIT_DATE.fullmatch(text, s, e):
            return None  # 纸浆早报-20260206: a date
        if e - s == 6 and text[s + 1] == "." and text[s + 2 : s + 4] in ("19", "20") and text.startswith("年", e):
            return None  # 1.2024年: an item's number before a year
        if text[s - 1 : s] == "[" and text[e : e + 1] == "]":
            return None  # a citation marker left in a title or heading
        if text[e : e + 1] in _ORDINAL_FIRST and _ORDINAL_SUFFIX.match(text, e):  # 3rd, 21st
            return None
        raw = text[s:e]
        # N + M (“20 + 8”): a name, not two figures
        ahead, behind = text[e : e + 4], text[max(0, s - 4) : s]
        plus_after = "+" in ahead and _PLUS_AFTER.match(ahead)
        plus_before = "+" in behind and _PLUS_BEFORE.search(behind)
        unit = self._unit(e)
        run = self.runs.get(index) if self.runs else None
        if run is not None and run[0].unit is not None and unit.written and not unit.base:
            if run[0].unit.written.startswith(unit.written):  # -6.5亿/188.2亿美元: the list's currency
                unit = _Unit("", "", _ONE, e)
        if run is not None and not unit.written and run[0].unit is not None:
            shared = run[0].unit  # 27.3/-1.1/-1.3亿元, 营业总收入(百万) 4900/3993
            unit = _Unit(shared.written, shared.base, shared.factor, e, False, shared.count, False)
        if (plus_after or plus_before) and not unit.real:
            return None
        sign, start = self._sign(s)
        currency, currency_base, start = self._currency(start)
        name_unit = unit  # PE 24-26倍: a range's unit is written after its second number
        if not unit.written and text[s - 1 : s] == " " and text[e : e + 1] in ("-", "~", "～"):
            if index + 1 < len(self.numbers) and self.numbers[index + 1][0] == e + 1:  # written together
                name_unit = self._unit(self.numbers[index + 1][1])
        if self._name_before(start if currency else s, name_unit) and not currency:
            return None
        if self._name_after(e, unit):
            return None
        value: str | None = _decimal_text(raw, sign)
        low = high = None
        end = unit.end if unit.written else e
        # a range: 1 - 2个季度, 3%-5%, 24 - 28财年, 1.5至2倍
        sep = _RANGE_SEP.match(text, end)
        if sign and index + 1 < len(self.numbers):
            # 较23年同期+69%至+74%: a range of signed changes, each sign written
            signed_sep = _SIGNED_RANGE_SEP.match(text, end)
            s2, e2 = self.numbers[index + 1]
            if signed_sep and s2 == signed_sep.end():
                unit2 = self._unit(e2)
                if unit2.written and unit2.written == unit.written and self._sign(s2)[0] == sign:
                    low, high, value = _decimal_text(raw, sign), _decimal_text(text[s2:e2], sign), None
                    unit, end = unit2, unit2.end
        if sep and index + 1 < len(self.numbers) and self.numbers[index + 1][0] == sep.end() and not sign:
            s2, e2 = self.numbers[index + 1]
            unit2 = self._unit(e2)
            # 18.5亿至20.5亿元: the first unit cut short, as a range writes it
            shortened = unit.written and unit2.written != unit.written and unit2.written.startswith(unit.written)
            if (
                unit2.written
                and (not unit.written or unit.written == unit2.written or shortened)
                and self.period_at(s2) is None
            ):
                joined = sep.group().strip() in ("至", "到") and unit.written  # 增长2%至5%: by 2 points, to 5 %
                if not joined or shortened or self._guided(s, raw, s2, e2):
                    low, high, value, unit, end = _decimal_text(raw), _decimal_text(text[s2:e2]), None, unit2, unit2.end
        if currency and unit.count and unit.factor == 1 and unit.written[:1].isascii() and unit.written[:1].isalpha():
            unit, end = _Unit("", "", _ONE, e), e  # $75 implies 22% upside: a currency counts no thing
        if currency:
            # $7B, $450.5M, 人民币36.4亿元: a one-letter scale or a Chinese currency stays glued;
            # $4.2 billion, US$ bn, $ per share: a space
            tight = unit.letter_scale or unit.written[:1] in ("", "/") or is_han(currency[0])
            written = currency + ("" if tight else " ") + unit.written
            base = currency_base + (unit.base[unit.base.index("/") :] if "/" in unit.base else "")
            unit = _Unit(written, base, unit.factor, max(unit.end, e), False, False, unit.infix_more)
            end = max(end, unit.end)
        elif unit.per_only:
            unit, end = _Unit("", "", _ONE, e), e
        shares_unit = False
        if run is not None:
            pass  # a list of values: its unit is settled above
        elif not unit.written and not sign and not currency:
            # 8192和32768个令牌: the first number of a list shares the unit written after the last
            joint = _LIST_JOINT.match(text, e)
            if joint and index + 1 < len(self.numbers) and self.numbers[index + 1][0] == joint.end():
                shared = self._unit(self.numbers[index + 1][1])
                if shared.real and not self._year_like(
                    text[joint.end() : self.numbers[index + 1][1]], None, None, shared, joint.end()
                ):
                    if not self._year_like(raw, None, None, shared, start):
                        unit = _Unit(shared.written, shared.base, shared.factor, e, False, shared.count, False)
                        shares_unit = True
        if not unit.written and run is not None and run[0].bare:
            if len(raw) == 4 and raw.startswith(("19", "20")) and "." not in raw:
                return None
        elif not unit.written:
            if text[e : e + 1] == "/" and text[e + 1 : e + 2].isdigit():
                return None  # 约1/3: a fraction, not a figure and its list
            glued = text[e : e + 1]
            follow = text[e : e + 2].lstrip(" ")[:1]
            if (
                not self._bare_cue(start)
                or (glued and (glued.isalpha() or is_han(glued)))
                or (follow and (follow in "-~～—–" or is_han(follow)))
            ):
                return None
            if len(raw) == 4 and raw.startswith(("19", "20")) and "." not in raw:
                return None
        if self._year_like(raw, low, high, unit, start):
            return None
        if unit.letter_scale and not currency and not self._thousands(start, unit):
            return None
        return _Figure(start, end, value, low, high, unit, shares_unit, index=index)

    def _cell_figure(self, index: int, s: int, e: int, cell: metric_tables.Cell) -> _Figure:
        """A number in a table: its column's unit (written in the header)."""
        unit = _Unit("", "", _ONE, e)
        if cell.unit_at >= 0:
            header = self._unit(cell.unit_at)
            if header.written:
                unit = _Unit(header.written, header.base, header.factor, e, False, header.count, False)
        if not unit.written and self.text.startswith("%", e):  # |18.68%|: the cell writes its unit
            unit = self._unit(e)
        sign, start = self._sign(s)
        return _Figure(start, e, _decimal_text(self.text[s:e], sign), None, None, unit, index=index, cell=cell)

    def _thousands(self, s: int, unit: _Unit) -> bool:
        """``rose by 151k``, ``the 160k consensus``: a lower-case k after an English word is a quantity."""
        if unit.written != "k" or s < 2 or self.text[s - 1] != " ":
            return False
        return _is_latin(self.text[s - 2])

    def _bare_cue(self, s: int) -> bool:
        text = self.text
        before = text[max(0, s - 10) : s]
        stripped = before.rstrip(" ")
        if len(before) - len(stripped) > 1:
            return False
        if stripped.endswith(_BARE_CUES_CN):
            return True
        words = _NON_LATINS.split(stripped)
        if before.endswith(" ") and words and words[-1].lower() in R.BARE_CUES_EN:
            # "from 49.0", but not "from 10 to 14 February": a range of days
            return words[-1].lower() != "from" or _PERIOD_JOIN.match(self.text, self._number_end(s)) is None
        return False

    def _number_end(self, s: int) -> int:
        m = _NUMBER.match(self.text, s)
        return m.end() if m else s

    def _year_like(self, raw: str, low: str | None, high: str | None, unit: _Unit, start: int) -> bool:
        """Years written with 年 (``2024年``, ``22年``, ``17 - 18年``) are periods, not durations."""
        if unit.written != "年":
            return False
        numbers = [x for x in (low, high) if x] or [raw]
        if any("." in x for x in numbers):
            return False
        before = self.text[max(0, start - 3) : start]
        if before.endswith(_DURATION_CUES):
            return False
        # 10 or more (two digits once leading zeros are gone); a year has no thousands separator
        return any("," not in x and len(x.lstrip("0")) >= 2 for x in numbers)


_BASES = L.BASES
_YEAR_LOOKBACK = 8  # year lists looked at before (and after) a list of values

# --- context: subject, direction, relation, bound, period -------------------------------------


def _rstrip(text: str) -> str:
    """Strip trailing punctuation; a closing parenthesis only when it has no opening one."""
    text = text.rstrip(_PUNCT_END)
    while text and text[-1] in ")）" and text.count("(") + text.count("（") < text.count(")") + text.count("）"):
        text = text[:-1].rstrip(_PUNCT_END)
    return text


# The subject rules below are pure functions of short strings (at most a few dozen characters of
# context), called several times per figure: each keeps a bounded cache of its latest results.
_CACHE_SIZE = 4096
_CACHED: list[functools._lru_cache_wrapper[Any]] = []
_F = TypeVar("_F", bound=Callable[..., Any])


def _cached(func: _F) -> _F:
    wrapper = functools.lru_cache(maxsize=_CACHE_SIZE)(func)
    _CACHED.append(wrapper)
    return wrapper  # type: ignore[return-value]  # (the same signature, with a cache)


_single_year = _cached(L.single_year)
_is_whole_year = _cached(L.is_whole_year)


def clear_caches() -> None:
    """Empty the caches of the subject rules and of shared values (benchmarks use it to start cold)."""
    for wrapper in _CACHED:
        wrapper.cache_clear()
    _SHARED_TEXT.clear()


# A report of a million figures holds a million metrics: the short strings they repeat (values such
# as ``12.3``, units, periods, subjects) are shared between metrics instead of copied into each.
# The table is bounded.
_SHARED_SIZE = 1 << 16
_SHARED_TEXT: dict[str, str] = {}


@overload
def _shared(text: str) -> str: ...
@overload
def _shared(text: None) -> None: ...
@overload
def _shared(text: str | None) -> str | None: ...
def _shared(text: str | None) -> str | None:
    """``text``, or an equal string seen before (one object for every metric that repeats it)."""
    if text is None:
        return None
    found = _SHARED_TEXT.get(text)
    if found is None:
        if len(_SHARED_TEXT) >= _SHARED_SIZE:
            _SHARED_TEXT.clear()
        found = _SHARED_TEXT[text] = text
    return found


@_cached
def _strip_trailing(subject: str) -> str:
    for _ in range(16):
        before = subject
        subject = _rstrip(subject)
        stripped = subject
        for n, words in _CN_TRAIL.get(subject[-1:], ()):
            if len(subject) >= n and subject[-n:] in words:
                if not subject.endswith(_TRAIL_EXCEPT.get(n, ())):
                    subject = subject[:-n]
                    stripped = _rstrip(subject)
                    break
        lowered = stripped.lower()
        for n, phrases in _EN_TRAIL_PHRASES.get(lowered[-1:], ()):
            if len(lowered) >= n and lowered[-n:] in phrases and (len(lowered) == n or lowered[-n - 1] == " "):
                subject = stripped[:-n]
                break
        else:
            last = lowered.rsplit(" ", 1)[-1]
            if last in _EN_TRAIL and (len(lowered) == len(last) or lowered[-len(last) - 1] == " "):
                subject = stripped[: -len(last)]
        if subject == before:
            return subject  # nothing was stripped: ``subject`` has no trailing punctuation
    return _rstrip(subject)


def _strip_leading(subject: str) -> str:
    for _ in range(8):
        before = subject
        subject = subject.lstrip(_PUNCT)
        for n, words in _CN_LEAD.get(subject[:1], ()):
            if len(subject) >= n and subject[:n] in words:
                if not subject.startswith(_LEAD_EXCEPT.get(n, ())):
                    subject = subject[n:]
                    break
        if " " in subject:
            first = subject.split(" ", 1)[0]
            if first.lower() == "we":  # we forecast, we expect: the pronoun and its verb
                subject = subject[len(first) :].lstrip(" ")
                first = subject.split(" ", 1)[0] if " " in subject else ""
                subject = subject[len(first) :]
            elif first.lower() in _EN_LEAD and not (first == "A" and is_han(subject[2:3])):  # A 股: A shares
                subject = subject[len(first) :]
        if subject == before:
            break
    return subject.lstrip(_PUNCT)


@_cached
def _strip_words(subject: str) -> str:
    """Drop trailing verbs/relations/bounds and leading connectors, repeatedly."""
    for _ in range(4):
        before = subject
        subject = _strip_leading(_strip_trailing(subject))
        if subject == before:
            break
    return _rstrip(subject.lstrip(_PUNCT))


@_cached
def _clean_subject(text: str) -> str:
    text = _FREQUENCY.sub("", text)
    if "受" in text and "影响" in text:
        text = _CAUSE.sub("", text.lstrip(_PUNCT)).strip()
    text = _ADVERBS.sub("", text)
    m = _COMPARISON.search(text)
    if m:
        text = text[: m.start()]
    latin = _LATIN.search(text) is not None
    if latin and " " in text:
        last_conj = None
        for m in _EN_CONJ.finditer(text):
            last_conj = m
        if last_conj is not None and _strip_words(text[last_conj.end() :]):  # spot rates slide as demand eases
            text = text[last_conj.end() :]
    last_to = None
    for m in _EN_TO_VERB.finditer(text) if latin else ():
        last_to = m
    if last_to is not None and _strip_words(text[: last_to.start()]):  # "yields to peak near" → "yields"
        text = text[: last_to.start()]
    last_aux = None
    for m in _EN_AUX.finditer(text) if latin else ():
        last_aux = m
    if last_aux is not None:  # "inflation could push yields back" → "yields back"; "growth is tracking" → "growth"
        rest = text[last_aux.end() :]
        text = rest if _strip_words(rest) else text[: last_aux.start()]
    text = _strip_words(text)
    # the subject is what follows the last verb inside it: 公司此前提出未来五年 → 未来五年
    last = None
    for m in _INNER_CN.finditer(text):
        last = m
    for m in _INNER_EN.finditer(text) if latin else ():
        if last is None or m.end() > last.end():
            last = m
    if last is not None:
        # what follows the verb, unless nothing does but words that end a subject (``had been``)
        text = _strip_words(text[last.end() :]) or _strip_words(text[: last.start()])
    if text.startswith(("股价", "收盘价")):
        text = _PRICE_MULTIPLE.sub("", text)
    if "的" in text:
        text = _OF.sub("", text)
    if "比增" in text:
        text = _BASIS_IN_MEASURE.sub("", text)
    if "中" in text:
        text = _SCOPE_AMONG.sub("", text)
    if text[:1].isdigit() and _ITEM_NUMBER.match(text):
        text = _strip_words(_ITEM_NUMBER.sub("", text))  # 2. 公司营业收入: an item's number
        if text.startswith(R.GENERIC_COMPANY):
            text = _strip_words(text[2 if text.startswith("公司") else 3 :]) or text
    if latin and " " in text and (target := _EN_TARGET.search(text)) is not None:
        return target.group()  # upped their price target for the company → price target
    if text.lower() in R.PRONOUNS:
        return ""  # ", which is 6.0%": the subject is the clause's before
    if text.startswith(R.GENERIC_COMPANY):
        rest = _strip_words(text[2 if text.startswith("公司") else 3 :])
        if rest and not rest[0].isdigit():
            text = rest
    return _SPACES.sub(" ", text)


def _clean_name(text: str) -> str:
    """A name of a list (``商超`` of ``经销商/商超/电商``): only connectors and punctuation are cut."""
    return _rstrip(_strip_leading(text.strip()))


#: Valuation multiples as written: PE, P/E, PB, PS, 市盈率 …
_MULTIPLES = r"P/?[EBS]|市盈率|市净率|市销率"
# 有21.9%上行空间, 25倍PE, 33.9倍P/E: a measure written right after its value (an upside after a
# percentage, a multiple after 倍 or x), not the start of a longer word (PEG)
_MEASURE_AFTER = re.compile(rf"(上行空间|上涨空间|下行空间|涨幅|跌幅|EV/EBITDA|{_MULTIPLES})(?![A-Za-z])")
# an English subject that names a target price: the phrase (with the word before it that says
# which target), not the sentence around it (upped their price target for the company → price target)
_EN_TARGET = re.compile(
    r"(?:\b(?:consensus|average|mean|median|previous|prior|earlier|new|12-month|one-year)\s+)?"
    r"\b(?:price target|target price|price objective)\b",
    re.IGNORECASE,
)

# 核心客户中通用集团产量, 产品组合中电冰箱占比: the whole the subject is picked from
_SCOPE_AMONG = re.compile(
    r"^" + HAN_CLASS + r"{0,6}?(?:客户|组合|产品|业务|板块|行业|品类|结构|市场)中(?=" + HAN_CLASS + "{2})"
)
# 对应当前股价PE 13倍: the multiple, at the share price
_PRICE_MULTIPLE = re.compile(rf"^(?:股价|收盘价)(?={_MULTIPLES})")
# 锦江酒店的PE估值 → 锦江酒店PE估值: the owner and the measure, as a column shows them
_OF = re.compile(f"(?<={HAN_CLASS}{HAN_CLASS}|[A-Za-z0-9]{HAN_CLASS})的(?!比重|占比|比例)(?={HAN_CLASS}|[A-Za-z])")


@_cached
def _leading_noun(text: str) -> str:
    """The noun phrase a clause starts with (``企业中长贷同比小幅收窄`` → ``企业中长贷``)."""
    text = _strip_words(_FREQUENCY.sub("", text))
    m = _CLAUSE_STOP.search(text, 1)
    if m:
        text = text[: m.start()]
    return _strip_words(text)


@_cached
def _noun_after(suffix: str) -> str:
    """The noun written right after a figure (``8台钻机均运营`` → ``钻机``)."""
    head = suffix
    for word in R.BOUND_AFTER:
        if head.startswith(word):
            head = head[len(word) :]
            break
    if not head[:1] or not (is_han(head[0]) or _is_latin(head[0])):
        return ""
    m = _NOUN_STOP.match(head)
    if m and len(m.group()) == 1 and not head.startswith(_LEAD_KEPT):  # 28台在运机组: 在运 is a word
        return ""
    if _DIRECTION_CN.match(head) or _RELATION_CN.match(head):
        return ""  # 2000万只增至4000万只: a verb of change, not the counted noun
    if _is_latin(head[0]) and head.split(" ", 1)[0].lower() in R.EN_CHANGE_NOUNS:
        return ""  # an 81% increase year-on-year: the change of what the clause names, not a thing
    m = _NOUN_STOP.search(head, 1)
    noun = head[: m.start()] if m else head
    if _ASCII_DIGIT.search(noun):
        return ""  # 预计增长至2027年101.57亿元: another figure, not the noun of this one
    return _strip_trailing(noun)


@_cached
def _relations(prefix: str, suffix: str, after_figure: bool) -> tuple[str, str, str, bool]:
    """Direction, relation and bound of a figure, from the text before it and after it, and whether they
    make it a change: a direction or a basis written before it, or in English right after it
    (``fell 11% month over month``, ``6% lower``), not a Chinese one that starts the next clause
    (``营收224.96亿美元同比降12%``: the revenue is a level)."""
    latin_prefix = _LATIN.search(prefix) is not None  # English words need a Latin letter
    latin_suffix = _LATIN.search(suffix) is not None
    direction = ""
    for pattern, table, english in (
        (_DIRECTION_CN, R.DIRECTION_WORDS, False),
        (_DIRECTION_EN, R.EN_DIRECTION_WORDS, True),
    ):
        if english and not latin_prefix:
            continue
        last = None
        for m in pattern.finditer(prefix):
            # one character (涨, 多, 减) is a verb only right before the figure: 同比减5363亿元, not 多策略
            if len(m.group()) > 1 or not _strip_trailing(prefix[m.end() :]).strip(" 了"):
                last = m
        if last is not None:
            direction = table.get(last.group(), table.get(last.group().lower(), ""))
            break
    change = bool(direction)
    relation, rank = "", 0
    for pattern, table, english in (
        (_RELATION_CN, R.RELATION_WORDS, False),
        (_RELATION_EN, R.EN_RELATION_WORDS, True),
    ):
        for source, before, latin in ((prefix, True, latin_prefix), (suffix, False, latin_suffix)):
            if english and not latin:
                continue
            for m in pattern.finditer(source):
                word = m.group()
                rel = table.get(word, table.get(word.lower(), ""))
                if not before and rel in ("from", "to", "vs"):
                    continue
                if before and after_figure and english and not prefix[: m.start()].strip():
                    continue  # "0.4% year on year from 1.2%": the phrase belongs to the figure before
                r = R.RELATION_RANK.get(rel, 0)
                if r >= rank:
                    relation, rank = rel, r
                    if rel in _BASES and (before or english):
                        change = True
    if not direction:
        head = suffix.lstrip(" ")
        for pattern, table, english in (
            (_DIRECTION_CN, R.DIRECTION_WORDS, False),
            (_DIRECTION_EN, R.EN_DIRECTION_WORDS, True),
        ):
            if english and not latin_suffix:
                continue
            found = pattern.search(head)
            if found:
                direction = table.get(found.group(), table.get(found.group().lower(), ""))
                change = change or (english and found.start() == 0 and bool(direction))
                break
    bound = ""
    tail = prefix.rstrip(" ")[-6:]
    last = None
    for m in _BOUND_CN.finditer(tail):
        last = m
    if last is not None and last.end() >= len(tail) - 2:
        bound = R.BOUND_BEFORE[last.group()]
    if latin_prefix:
        tail_en = prefix.rstrip(" ")[-24:]
        for m in _BOUND_EN.finditer(tail_en):
            if m.end() >= len(tail_en) - 1:
                bound = R.EN_BOUND_BEFORE[m.group().lower()]
    head = suffix.lstrip(" ")
    if head.startswith(_BOUND_AFTER_WORDS):
        for word, value in _BOUND_AFTER:
            if head.startswith(word):
                bound = value
                break
    return direction, relation, bound, change


def _base_family(base: str) -> str:
    return base.split("/")[0]


class _Context:
    """Assigns subject, direction, relation, bound, period and sentence to the figures of a text."""

    def __init__(self, scanner: _Scanner, figures: list[_Figure], years: _Years | None = None) -> None:
        self.s = scanner
        self.text = scanner.text
        self.figures = figures
        self.warnings: list[tuple[int, str]] = []  # (offset, message): lists whose names and values do not pair
        self._year_lists: list[L.YearList] | None = None
        self._year_list_starts: list[int] = []
        self._years = years  # the last years the blocks before named (years.last), looked up when needed
        self.report_year = years.report_year if years is not None else None
        self._last_names: list[str] = []  # the names of the latest list of names (for 同比+3.3/+0.8/+0.4pcts)
        self._names: list[str] | None = None  # one name per value of the current list
        self._row_years: L.YearList | None = None  # one year per value of the current list
        self._starts = [f.start for f in figures]
        self._last: tuple[int, str] = (-1, "")  # the latest subject, and per kind of unit
        self._last_by_family: dict[str, tuple[int, str]] = {}
        self.boundaries = self._boundaries()

    def _boundaries(self) -> list[int]:
        text = self.text
        marks = []
        quiet: set[int] = set()  # PE(TTM): a parenthesis without a number does not end the clause
        ends = _ends(_CLAUSE_MARK, text)
        self.sentence_ends = [p for p in ends if text[p] in _SENTENCE_MARKS]
        for p in ends:
            if p in quiet:
                continue
            if text[p] == "," and 0 < p < len(text) - 1 and text[p - 1].isdigit() and text[p + 1].isdigit():
                continue
            if text[p] in _OPEN_PARENS:
                close = _PAREN_CLOSE.match(text, p + 1)
                if close and not any(ch.isdigit() for ch in close.group(1)):
                    quiet.add(close.end() - 1)
                    continue
            marks.append(p)
        # 、 separates clauses when the part before it holds a figure (101%、科创板估值 74%)
        figure_ends = [f.end for f in self.figures]
        p = text.find(_LIST_SEP)
        while p >= 0:
            i = bisect.bisect_right(figure_ends, p)
            if i and figure_ends[i - 1] <= p:
                last_mark = marks[bisect.bisect_right(marks, p) - 1] if bisect.bisect_right(marks, p) else -1
                if figure_ends[i - 1] > last_mark:
                    marks.append(p)
            p = text.find(_LIST_SEP, p + 1)
        # 实现收入12.5亿元 同比增长10% 归母净利润1.8亿元: a space between Chinese phrases separates clauses
        if " " in text:
            marks.extend(m.start() + 1 for m in _SPACE_BETWEEN_PHRASES.finditer(text))
            # 业绩增长 2025年上半年营业收入: a space before a period starts a clause too
            starts = self.s.period_starts
            marks.extend(
                p
                for p in (m.start() + 1 for m in _SPACE_BEFORE_DIGIT.finditer(text))
                if p + 1 < len(text) and (i := bisect.bisect_left(starts, p + 1)) < len(starts) and starts[i] == p + 1
            )
        marks.sort()
        return marks

    def _clause_start(self, pos: int) -> int:
        i = bisect.bisect_left(self.boundaries, pos)
        return self.boundaries[i - 1] + 1 if i else 0

    def _clause_end(self, pos: int) -> int:
        i = bisect.bisect_left(self.boundaries, pos)
        return self.boundaries[i] if i < len(self.boundaries) else len(self.text)

    def _sentence(self, pos: int) -> tuple[int, int]:
        ends = self.sentence_ends
        i = bisect.bisect_left(ends, pos)
        start = ends[i - 1] + 1 if i else 0
        end = ends[i] + 1 if i < len(ends) else len(self.text)
        return start, end

    def _without_periods(self, start: int, end: int) -> tuple[str, list[str]]:
        """Text of [start, end) with period spans cut out, and the periods found."""
        periods = self.s.periods
        if not periods:
            return self.text[start:end], []
        i = max(0, bisect.bisect_right(self.s.period_starts, start) - 1)
        pieces: list[str] = []
        found: list[str] = []
        p = start
        while i < len(periods) and periods[i][0] < end:
            ps, pe = periods[i]
            if ps > 0 and self.text[ps - 1] in "较比":  # 较上周, 比上年同期: a comparison, not a period
                i += 1
                continue
            if pe > start:
                pieces.append(self.text[p : max(p, ps)])
                found.append(self.text[max(ps, start) : min(pe, end)].strip())
                p = max(p, min(pe, end))
            i += 1
        pieces.append(self.text[p:end])
        return "".join(pieces), found

    def run(self) -> None:
        pending: list[str] = []  # subjects given out by 分别为 A、B
        topic_positions: list[tuple[int, str]] = []
        b = self.boundaries
        n_b = len(b)
        bisect_left = bisect.bisect_left
        head_prefix, head_change = "", False  # the first value of the current list
        for k, f in enumerate(self.figures):
            if f.cell is not None:
                self._table_figure(f)
                continue
            prev_end = self.figures[k - 1].end if k else 0
            i = bisect_left(b, f.start)
            clause_start = b[i - 1] + 1 if i else 0
            i = bisect_left(b, f.end, i)
            clause_end = b[i] if i < n_b else len(self.text)  # of the clause the figure ends in
            prefix_start = self._prefix_start(max(clause_start, prev_end), f.start)
            raw_prefix = self._without_periods(prefix_start, f.start)[0]
            sent_start, sent_end = self._sentence(f.start)
            f.sentence = self._sentence_text(sent_start, sent_end, f.start)
            f.period = self._period(f, sent_start, clause_end)
            # a later value of a list: what follows it is the next row or list, not its own words
            suffix = self._suffix(f, clause_end) if f.item < 2 else ""
            f.direction, f.relation, f.bound, is_change = _relations(
                raw_prefix, suffix, prefix_start == prev_end and k > 0
            )
            if f.unit.infix_more:
                f.bound = "more_than"
            subject_prefix = raw_prefix
            if k and prefix_start == prev_end and ("and" in raw_prefix or "while" in raw_prefix):
                # down 8% from our prior estimate and 6% lower: the base belongs to the figure before
                base = _EN_BASE.match(raw_prefix)
                if base:
                    subject_prefix = raw_prefix[base.end() :]
            subject = _clean_subject(subject_prefix)
            if not f.unit.count and raw_prefix.endswith(" ") and _ASCII_LETTER.search(raw_prefix):
                noun = self._modified_noun(f, clause_end)
                if noun:
                    subject = noun
            # a clause of its own without figure: remember its subject as a topic
            j = bisect_left(b, prev_end)
            if (j < n_b and b[j] + 1 < clause_start) or (prev_end == 0 and b and b[0] < clause_start):
                self._topics(prev_end, clause_start, topic_positions)
            distributed: list[str] = []
            if pending and not subject:
                subject = pending.pop(0)
            elif "分别" in raw_prefix:
                parts = self._distribute(subject, f.items)
                if len(parts) > 1:
                    subject, pending = parts[0], parts[1:]
                    distributed = parts
            if f.item > 1:
                subject = self._list_member(f, k - f.item + 1)
            elif f.item == 1 and not subject and len(self._last_names) == f.items:
                subject = self._list_head(f, "")  # 同比+3.3/+0.8/+0.4pcts after 销售/管理/财务费用率
            else:
                subject = self._complete(f, k, subject, clause_start, clause_end, topic_positions)
                subject = self._topic_owner(f, self._owner_carried(f, k, subject))
                if f.item == 1:
                    subject = self._list_head(f, subject, distributed, raw_prefix)
                    if distributed:
                        pending = []
            f.subject = subject
            if subject:
                self._last = self._last_by_family[_base_family(f.unit.base)] = (f.start, subject)
            if f.item == 1:
                head_prefix, head_change = raw_prefix, is_change
            elif f.item > 1:  # a later value of a list: a change when the list's first value is one
                raw_prefix, is_change = head_prefix, head_change
            signed = f.value is not None and f.value[:1] in "+-"
            if is_change or signed or (raw_prefix and L.GROWTH_HINT.search(raw_prefix) is not None):
                f.change = L.signed_change(
                    f.value,
                    f.direction if is_change else "",
                    f.relation if is_change else "",
                    f.unit.written,
                    signed,
                    raw_prefix,
                )
            f.basis = f.relation if is_change and f.relation in L.BASES else ""
            if f.period or f.items > 1 or self.s.years_named:
                self._year(f, sent_start)
        for k in range(len(self.figures) - 2, -1, -1):  # 8192和32768个令牌: both count 令牌
            if self.figures[k].shares_unit:
                self.figures[k].subject = self.figures[k + 1].subject
        self._pair_names()

    def _pair_names(self) -> None:
        """``RoA and RoE projected to rise to 1.2% and 1.8%``: two values joined by ``and`` after two
        names joined by ``and`` are one each, in order (the English of 分别)."""
        figures, text = self.figures, self.text
        for k in range(len(figures) - 1):
            first, second = figures[k], figures[k + 1]
            if first.subject != second.subject or text[first.end : second.start] not in (" and ", ", and "):
                continue
            m = _EN_PAIR.match(first.subject)
            if m:
                first.subject, second.subject = m.group("a"), m.group("b")

    def _topic_owner(self, f: _Figure, subject: str) -> str:
        """``航空装备,1-3Q2025实现营收1650.99亿元…;归母净利润99.64亿元``: a sentence that opens with a
        name alone before its first comma is about that name; its bare measures are the name's."""
        if not subject or L.measure_owner(subject)[0] or not subject.endswith(R.SHARED_TAILS):
            return subject
        text = self.text
        start = _full_sentence_start(text, f.start)
        colon = max(text.rfind(":", start, f.start), text.rfind("：", start, f.start))
        start = colon + 1 if colon >= 0 else start
        comma = _COMMA.search(text, start, f.start)
        if comma is None:
            return subject
        head = text[start : comma.start()].strip()
        if (
            2 <= len(head) <= 8
            and all(is_han(c) for c in head)
            and _INNER_CN.search(head) is None
            and _FRAMING_HEAD.search(head) is None
            and _clean_subject(head) == head
            and L.measure_owner(head + subject)[0] == head
        ):
            return head + subject
        return subject

    def _owner_carried(self, f: _Figure, k: int, subject: str) -> str:
        """``鸿远电子营收+22.3%、归母净利润+52.7%``: a bare measure right after ``、`` belongs to the owner
        that the figure before named with its own measure (``鸿远电子``)."""
        if not k or not subject:
            return subject
        previous = self.figures[k - 1]
        if not self.text[previous.end : f.start].lstrip(" ").startswith("、") or not previous.subject:
            return subject
        if previous.item > 1 or L.measure_owner(subject)[1] != subject:
            return subject
        owner = L.measure_owner(previous.subject)[0]
        return owner + subject if owner else subject

    # lists, tables, years ----------------------------------------------------------------------

    def _table_figure(self, f: _Figure) -> None:
        """A table cell: its column names it, its row gives the year (``2024E``); a growth column's cells
        are changes."""
        assert f.cell is not None
        f.subject, f.period = f.cell.subject, f.cell.label
        sent_start, sent_end = self._sentence(f.start)
        f.sentence = self._sentence_text(sent_start, sent_end, f.start)
        if any(word in f.subject for word in R.GROWTH_COLUMNS) and f.value is not None:
            f.change = f.value.lstrip("+")
            f.direction = "down" if f.value.startswith("-") else "up"
            if "同比" in f.subject:
                f.relation = f.basis = "yoy"
        found = _single_year(f.cell.label)
        if found is not None:
            f.year = found[0]
            f.estimate = L.estimate_flag(found[0], found[1], "", _is_whole_year(f.cell.label), self.report_year)

    def _list_head(self, f: _Figure, subject: str, names: list[str] | None = None, prefix: str = "") -> str:
        """The first value of a list: split the names before it, one per value."""
        subject = self._without_header(subject)
        names = L.share_tail(names) if names else L.split_names(subject)
        if not names and len(self._last_names) > 1 and len(self._last_names) != f.items:
            self.warnings.append(
                (f.start, f"{f.items} values after {len(self._last_names)} names do not pair: each keeps them all")
            )
            return "、".join(self._last_names)
        if len(names) <= 1 and ("/" in prefix or _LIST_SEP in prefix):
            names = L.names_before(prefix, f.items, _clean_name, _INNER_CN) or names
        if len(names) == 1:
            names = L.compound_names(names[0], f.items) or names
        if not names and len(self._last_names) == f.items:
            names = self._last_names  # 销售/管理/财务费用率22.1%/6.4%/0.8%,同比+3.3/+0.8/+0.4pcts
        paired = L.pair(names, f.items) if names else None
        if paired is None and names:
            self.warnings.append(
                (
                    f.start,
                    f"{len(names)} names and {f.items} values do not pair: {subject!r}; each value keeps them all",
                )
            )
        if paired is not None and len(names) > 1:
            self._last_names = names
        self._names = paired
        return paired[0] if paired else subject

    def _list_member(self, f: _Figure, head_index: int) -> str:
        """A later value of a list: its own name, and the basis, direction and period the list shares."""
        head = self.figures[head_index]
        if not f.relation:
            f.relation = head.relation
        if not f.direction and (f.value or "")[:1] not in ("+", "-"):
            f.direction = head.direction
        if not f.bound:
            f.bound = head.bound
        if not f.period:
            f.period = head.period
        names = self._names
        if names and f.item <= len(names):
            return names[f.item - 1]
        return head.subject

    @staticmethod
    def _without_header(subject: str) -> str:
        """``营业总收入(百万)`` → ``营业总收入``; years of the row's header (``2023A/2024E``) dropped."""
        header = L.HEADER_UNIT.search(subject)
        if header is not None:
            subject = subject[: header.start()]
        cut = L.years_at_start(subject)
        if cut:
            subject = subject[cut:]
        return _strip_words(subject) if (header is not None or cut) else subject

    def _year(self, f: _Figure, sent_start: int) -> None:
        """The year of a figure (its place under a list of years, or its period) and whether it is an estimate."""
        found: tuple[int, str] | None = None
        range_flag, whole = "", False
        if f.items > 1:
            if f.item == 1:
                self._row_years = self._years_for(f)
            row = self._row_years
            if row is not None and f.item <= len(row.years):
                found, range_flag, whole = row.years[f.item - 1], row.range_flag, True
        if (
            found is not None
            and f.period
            and (_single_year(f.period) is not None or L.years_at_start(f.period) == len(f.period))
        ):
            f.period = ""  # the row's header (2023A/2024E/…, or its last year) is not this value's period
        if found is None and f.period:
            found = _single_year(f.period)
            whole = found is not None and _is_whole_year(f.period)
        if found is None and self.s.years_named:
            # 2025年…,其中第三季度收入为481.3亿元; 2025年上半年营收391.67亿元;归母净利润59.52亿元
            found = self._sentence_year(f, sent_start if f.period else _full_sentence_start(self.text, f.start))
        if found is None:
            return
        f.year, flag = found
        if not flag and L.says_forecast(self.text[sent_start : f.start]):
            flag = "E"
        f.estimate = L.estimate_flag(f.year, flag, range_flag, whole, self.report_year)

    def _years_for(self, f: _Figure) -> L.YearList | None:
        """The years of a list of ``f.items`` values: written before it (nearest first: ``2023A/2024E/…``,
        ``24-26年``), after it in its sentence (``by 36%/25%/4% for 2025-27E``), or carried from the
        blocks before (a bullet of forecasts under one that named the years)."""
        found_lists = self.year_lists()
        if found_lists:
            # the nearest before it (a few at most: each lookup is bounded, so a text of many lists stays linear)
            at = bisect.bisect_right(self._year_list_starts, f.start)
            for found in reversed(found_lists[max(0, at - _YEAR_LOOKBACK) : at]):
                if found.end <= f.start and len(found.years) == f.items:
                    return found
            sentence_end = self._sentence(f.start)[1]
            for found in found_lists[at : at + _YEAR_LOOKBACK]:
                if found.start >= sentence_end:
                    break
                if len(found.years) == f.items:
                    return found
        carried = self._years.last if self._years is not None else None
        if carried is not None and len(carried.years) == f.items:
            return carried
        return None

    def _sentence_year(self, f: _Figure, sent_start: int) -> tuple[int, str] | None:
        """The one year an earlier period of the sentence names, for a figure whose period has none."""
        periods, starts = self.s.periods, self.s.period_starts
        i = bisect.bisect_right(starts, f.start) - 1
        for _ in range(4):
            if i < 0 or periods[i][0] < sent_start:
                return None
            found = _single_year(self.text[periods[i][0] : periods[i][1]])
            if found is not None:
                return found
            i -= 1
        return None

    def year_lists(self) -> list[L.YearList]:
        if self._year_lists is None:
            self._year_lists = L.year_lists(self.text)
            self._year_list_starts = [found.start for found in self._year_lists]
        return self._year_lists

    def _modified_noun(self, f: _Figure, clause_end: int) -> str:
        """``a 25bp hike``, ``the BoJ's 2% target``, ``implying 18x 2025E P/E``: after an article, a
        possessive or ``implying``, the figure qualifies the noun written after it."""
        before = self.text[max(0, f.start - 40) : f.start]
        if not _EN_DETERMINER.search(before):
            return ""
        after = _SPACES.sub(" ", self._without_periods(f.end, clause_end)[0])
        m = _EN_NOUN_AFTER.match(after)
        if not m:
            return ""
        noun = m.group(1)
        last = noun.rsplit(" ", 1)[-1].lower()
        if last in R.EN_DIRECTION_WORDS or last.endswith(("ed", "ing")):
            return ""  # a 5% rise, the 11.8% expected: not a noun the figure measures
        if noun.split(" ", 1)[0].lower() in R.EN_CHANGE_NOUNS:
            return ""  # an 81% increase year-on-year: the change of what the clause names
        return noun

    def _prefix_start(self, lower: int, start: int) -> int:
        """Where the text a figure's subject is taken from starts: at most ``_MAX_SUBJECT`` characters back,
        ``_MAX_SUBJECT_EN`` in English, and never inside a word."""
        text = self.text
        p = max(lower, start - _MAX_SUBJECT)
        if p > lower and (text[p] == " " or _is_latin(text[p]) or (text[p] == "-" and _is_latin(text[p + 1]))):
            p = max(lower, start - _MAX_SUBJECT_EN)
            if p > lower and _in_word(text[p - 1]) and _in_word(text[p]):
                space = text.find(" ", p, start)
                p = space + 1 if space >= 0 else start
        return p

    def _sentence_text(self, start: int, end: int, pos: int) -> str:
        sentence = self.text[start:end]
        if len(sentence) > _MAX_SENTENCE:
            lo = max(start, pos - _MAX_SENTENCE // 2)
            hi = min(end, lo + _MAX_SENTENCE)
            sentence = ("…" if lo > start else "") + self.text[lo:hi] + ("…" if hi < end else "")
        return sentence.strip()

    def _period(self, f: _Figure, sent_start: int, clause_end: int) -> str:
        periods = self.s.periods
        if not periods:
            return ""
        i = bisect.bisect_right(self.s.period_starts, f.start) - 1
        while i >= 0 and periods[i][1] > f.start:
            i -= 1
        if i >= 0 and periods[i][0] >= sent_start:
            return self.text[periods[i][0] : periods[i][1]].strip()
        j = bisect.bisect_left(self.s.period_starts, f.end)
        if j < len(periods) and periods[j][0] < clause_end:
            return self.text[periods[j][0] : periods[j][1]].strip()
        return ""

    def _suffix(self, f: _Figure, clause_end: int) -> str:
        stop = min(clause_end, f.end + _SUFFIX_WINDOW)
        i = bisect.bisect_left(self._starts, f.end)
        if i < len(self._starts):
            stop = min(stop, self._starts[i])
        text, _ = self._without_periods(f.end, stop)
        return text

    def _topics(self, prev_end: int, clause_start: int, topics: list[tuple[int, str]]) -> None:
        """Subjects of the clauses without figures between the previous figure and this one."""
        b = self.boundaries
        j = bisect.bisect_left(b, prev_end)
        starts = [0] if prev_end == 0 and b and b[0] < clause_start else []
        while j < len(b) and b[j] + 1 < clause_start:
            starts.append(b[j] + 1)
            j += 1
        for cs in starts[-3:]:
            ce = min(self._clause_end(cs), cs + _MAX_SUBJECT)
            noun = _leading_noun(self._without_periods(cs, ce)[0])
            if noun:
                topics.append((cs, noun))

    def _distribute(self, subject: str, count: int = 0) -> list[str]:
        """``上证综指与创业板指数平均市盈率`` → one subject per figure of ``分别为 A、B``.

        With a list of ``count`` values, a split at ``、`` or ``/`` alone that gives as many names wins
        (``橱柜、衣柜及配套品、卫浴、木门收入``: ``及`` joins inside a name)."""
        if count > 1 and ("、" in subject or "/" in subject):
            names = L.split_names(subject)
            if len(names) == count:
                return _shared_owner(names)
        parts = [p.strip() for p in _LIST_SPLIT.split(subject) if p.strip()]
        if len(parts) < 2:
            return [subject]
        m = _SHARED.search(parts[-1])
        if m and m.start() > 0:
            measure = m.group()
            parts = [p if p.endswith(measure) else p + measure for p in parts]
        return parts

    def _complete(
        self, f: _Figure, k: int, subject: str, clause_start: int, clause_end: int, topics: list[tuple[int, str]]
    ) -> str:
        text = self.text
        measure = _MEASURE_AFTER.match(text, f.end)
        if measure is not None and (
            f.unit.base == "ratio" if measure.group(1).endswith(("空间", "涨幅", "跌幅")) else f.unit.written in "倍xX"
        ):
            return measure.group(1)  # 有21.9%上行空间, 给予2025年25倍PE: the measure is written after its value
        after = _noun_after(text[f.end : min(clause_end, f.end + _MAX_SUBJECT)])
        if f.unit.count and after:
            # the counted noun; with the scope it is counted in (全市场2398只个股 → 全市场个股)
            scope = next((s for s in R.CN_SCOPES if subject.endswith(s)), "") if subject.endswith(_CN_SCOPES) else ""
            return (subject if len(subject) <= 6 else scope) + after if scope else after
        if subject in R.MEASURE_PREFIXES or subject in R.MEASURE_SUFFIXES:
            other = self._inherited(f, k, topics if subject in R.MEASURE_SUFFIXES else [])
            for word in R.MEASURE_PREFIXES:
                if other.startswith(word):
                    other = other[len(word) :]
            if other.endswith(subject) or other.startswith(subject):
                return other  # 问界M9交付占比 24.6%, M8 52.4%: the measure is in the subject already
            if other:
                return subject + other if subject in R.MEASURE_PREFIXES else other + subject
            return subject
        if subject:
            return subject
        if clause_start > 0 and text[clause_start - 1] in _OPEN_PARENS:
            # (12月1.71%) right after a figure annotates it; 未来五年(24 - 28财年) annotates the words before
            if k and self.figures[k - 1].end == clause_start - 1 and self.figures[k - 1].subject:
                return self.figures[k - 1].subject  # 营收2.79亿元(+102.5%): the change of that figure
            if not (k and self.figures[k - 1].end == clause_start - 1):
                outer_start = max(self._clause_start(clause_start - 1), self.figures[k - 1].end if k else 0)
                outer = _clean_subject(self._without_periods(outer_start, clause_start - 1)[0])
                if outer:
                    return outer
        if after and f.end < len(text) and not text[f.end].isspace():
            return after
        of = _EN_OF.match(text, f.end)
        if of:
            noun = _strip_words(of.group(1))
            if noun:
                return noun
        inherited = self._inherited(f, k, [])
        if inherited:
            return inherited
        if topics:
            return topics[-1][1]
        return after

    def _inherited(self, f: _Figure, k: int, topics: list[tuple[int, str]]) -> str:
        """The subject of the previous figure (same kind of unit first), or a later topic."""
        if k:
            previous = self.figures[k - 1]
            i = bisect.bisect_left(self.boundaries, previous.end)
            if previous.subject and (i == len(self.boundaries) or self.boundaries[i] >= f.start):
                return previous.subject  # eased 9% to US$2,870/FEU: the same clause goes on
            if previous.subject and f.relation in L.BASES and previous.relation not in L.BASES:
                if self._sentence(previous.start)[0] == self._sentence(f.start)[0]:
                    return previous.subject  # 归母净利润48.9亿元,同比+112.8%: the change of the level before
        family = _base_family(f.unit.base)
        sentence_start = self._sentence(f.start)[0]
        best_pos, best = -1, ""
        # same sentence, same kind of unit; then same sentence; then the text before
        candidates = [
            (self._last_by_family.get(family, (-1, "")), True),
            (self._last, True),
            (self._last_by_family.get(family, (-1, "")), False),
            (self._last, False),
        ]
        for (pos, subject), in_sentence in candidates:
            if subject and (not in_sentence or pos >= sentence_start):
                best_pos, best = pos, subject
                break
        for pos, noun in reversed(topics):
            if pos > best_pos:
                return noun
            break
        return best


def _shared_owner(names: list[str]) -> list[str]:
    """``航海装备营业收入、归母净利润``: the owner the first name gives its measure owns the bare
    measures after it (``航海装备归母净利润``)."""
    owner = L.measure_owner(names[0])[0]
    if not owner:
        return names
    return [
        owner + n if k and not L.measure_owner(n)[0] and n.endswith(R.SHARED_TAILS) else n for k, n in enumerate(names)
    ]


_COMMA = re.compile(r"[,，]")
#: A sentence's head that frames it rather than naming what it measures (``盈利能力方面,``, ``单季度看,``).
_FRAMING_HEAD = re.compile(r"(?:方面|看|而言|口径|角度|层面|维度|上|中|下|后|前|内|外|来|时|期|度|年|月|日)$")
_FULL_STOP = re.compile(r"[。!?！？]")


def _full_sentence_start(text: str, pos: int) -> int:
    """Where the sentence around ``pos`` starts, clauses after ``;`` included (ends: ``。!?``); at most
    1,000 characters back (what looks back from here stays linear on a text without a full stop)."""
    start = max(0, pos - 1000)
    for m in _FULL_STOP.finditer(text, start, pos):
        start = m.end()
    return start


# --- public API ----------------------------------------------------------------------------------


_NO_WARNINGS: list[tuple[int, str]] = []


class _Years:
    """The years the texts of one section named last, carried from block to block."""

    __slots__ = ("_last", "_text", "report_year")

    def __init__(self, report_year: int | None = None) -> None:
        self._last: L.YearList | None = None
        self._text = ""  # the latest text that may name years: looked at only when a list needs them
        self.report_year = report_year  # the year the report was published in

    def saw(self, text: str) -> None:
        if "年" in text or "E" in text or "/" in text:
            self._text = text

    @property
    def last(self) -> L.YearList | None:
        if self._text:
            found = L.year_lists(self._text)
            if found:
                self._last = found[-1]
            self._text = ""
        return self._last


def _figures(text: str, years: _Years | None = None) -> tuple[list[_Figure], list[tuple[int, str]]]:
    """The figures of one text, with their context, and warnings as (offset, message).

    ``years`` carries the last list of years named from one text to the next (the blocks of a section).
    """
    if not text or _ASCII_DIGIT.search(text) is None:  # no number: nothing to find
        return [], _NO_WARNINGS
    scanner = _Scanner(text)
    figures = scanner.figures()
    if not figures:
        if years is not None:
            years.saw(text)
        return figures, _NO_WARNINGS
    context = _Context(scanner, figures, years)
    context.run()
    if years is not None:
        years.saw(text)
    return figures, context.warnings


# Metric's fields, in the order _metric gives them: positional arguments cost a third of
# keyword arguments, and a model that orders its fields otherwise gets keywords.
_METRIC_FIELDS = tuple(
    "subject value unit text low high normalized normalized_low normalized_high base_unit direction relation "
    "bound period sentence offset pos origin refs change basis year estimate item".split()
)
_POSITIONAL = tuple(f.name for f in fields(Metric))[: len(_METRIC_FIELDS)] == _METRIC_FIELDS


def _metric(text: str, f: _Figure, pos: Pos, origin: str, refs: list[int]) -> Metric:
    unit = f.unit
    if f.value is not None:
        normalized, low, high = _shared(_normalize(f.value, unit)), None, None
    else:
        normalized, low, high = None, _shared(_normalize(f.low or "", unit)), _shared(_normalize(f.high or "", unit))
    values = (
        _shared(f.subject),
        _shared(f.value),
        _shared(unit.written),
        _shared(text[f.start : f.end]),
        _shared(f.low),
        _shared(f.high),
        normalized,
        low,
        high,
        unit.base,
        f.direction,
        f.relation,
        f.bound,
        _shared(f.period),
        f.sentence,
        f.start,
        pos,
        origin,
        refs,
        _shared(f.change),
        f.basis,
        f.year,
        f.estimate,
        f.item,
    )
    return Metric(*values) if _POSITIONAL else Metric(**dict(zip(_METRIC_FIELDS, values, strict=True)))  # type: ignore[arg-type]


def extract(text: str) -> list[Metric]:
    """The metrics of one text (a title, a heading or a block's text), in order.

    ``offset`` is set; ``pos``, ``origin`` and ``refs`` are left to the caller.
    """
    return [_metric(text, f, Pos(), "block", []) for f in _figures(text)[0]]


def extract_with_warnings(text: str) -> tuple[list[Metric], list[tuple[int, str]]]:
    """:func:`extract`, and the warnings of the list grammar as (offset in ``text``, message)."""
    figures, warnings = _figures(text)
    return [_metric(text, f, Pos(), "block", []) for f in figures], list(warnings)


#: A report with more blocks than this keeps its metrics packed (:class:`~publisher.model.MetricSpool`):
#: a 48 MB report has over a million figures, several hundred bytes each as objects.
PACK_BLOCKS = 50_000


def annotate(report: Report) -> list[tuple[Pos, str]]:
    """Find and attach the metrics of one report (replacing any found before).

    Returns the warnings of the list grammar (names and values that do not pair), with their position.
    The metrics of a report of more than :data:`PACK_BLOCKS` blocks are packed section by section.
    """
    warnings: list[tuple[Pos, str]] = []
    text = report.title
    line, column = report.pos.line, report.pos.column
    figures, found = _figures(text)
    warnings += [(text_pos(line, column, offset), message) for offset, message in found]
    report.title_metrics = [_metric(text, f, text_pos(line, column, f.start), "title", []) for f in figures]
    spool = MetricSpool() if sum(len(s.blocks) for s in report.walk()) > PACK_BLOCKS else None
    for section in report.walk():
        text = section.heading
        line, column = section.pos.line, section.pos.column
        years = _Years(report.published_at.year if report.published_at else None)
        figures, found = _figures(text, years)
        warnings += [(text_pos(line, column, offset), message) for offset, message in found]
        section.heading_metrics = [_metric(text, f, text_pos(line, column, f.start), "heading", []) for f in figures]
        label = ""  # 归母净利润: - 2024年预计13.69亿元: a bullet that names what the bullets after it measure
        packed: list[tuple[Block, list[Metric]]] = []
        for block in section.blocks:
            text = block.text
            head = _LABEL_HEAD.match(text) if (":" in text[:18] or "：" in text[:18]) else None
            if head is not None:
                label = _clean_subject(head.group(1))
            figures, found = _figures(text, years)
            if label:
                for f in figures:
                    if not f.subject:
                        f.subject = label
            if not figures and not found:
                block.metrics = ()
                continue
            refs = block.refs
            line, column = block.line, block.column
            marks = citation_marks(block)
            warnings += [(text_pos(line, column, offset, marks), message) for offset, message in found]
            found_metrics = [
                _metric(text, f, text_pos(line, column, f.start, marks), "block", list(refs)) for f in figures
            ]
            if spool is None or not found_metrics:
                block.metrics = found_metrics
            else:
                packed.append((block, found_metrics))
        if packed:
            chunk = spool.add([m for _, m in packed])  # type: ignore[union-attr]
            for item, (block, found_metrics) in enumerate(packed):
                block.metrics = PackedMetrics(spool, chunk, item, len(found_metrics))  # type: ignore[arg-type]
    metric_entities.attach(report)
    if spool is not None:
        spool.commit()
    return warnings


def citation_marks(block: Block) -> list[tuple[int, int]]:
    """Where the reader removed each citation marker of a block's text, and how wide it was."""
    return [(c.offset, len(c.sep) + len(str(c.ref)) + 2) for c in block.citations]


def text_pos(line: int, column: int, offset: int, marks: list[tuple[int, int]] | None = None) -> Pos:
    """The input position of ``offset`` in a text that starts at ``line``, ``column``; each citation marker
    the reader removed before it (``marks``) shifts it."""
    if not line:
        return Pos()
    return Pos(line, column + offset + (sum(w for o, w in marks if o <= offset) if marks else 0))


def metrics(digest: Digest, ctx: RenderContext | None = None) -> Digest:
    """The ``metrics`` transform: attach every figure of every report to the model."""
    # Every metric brings a few small objects and no reference cycles: with the collector
    # running, they trigger full collections over the whole model (two of about two seconds
    # each for 10,000 reports).  Reference counting frees all that the transform drops, so the
    # collector is paused as the digest reader does (the build collects once afterwards).
    with collector_paused():
        _annotate_all(digest, ctx)
    return digest


metrics.per_report = True  # type: ignore[attr-defined]  # each report alone (publisher.views)


def _annotate_all(digest: Digest, ctx: RenderContext | None) -> None:
    for report in digest.reports:
        try:
            warnings = annotate(report)
        except Exception as exc:  # one report the rules trip over must not stop the others
            if ctx is None:
                raise
            ctx.diagnostics.warning(
                f"metrics: skipped report {report.title[:40]!r}: {type(exc).__name__}: {exc}",
                digest.source,
                report.pos.line,
                report.pos.column,
            )
            continue
        if ctx is not None:
            for pos, message in warnings:
                ctx.diagnostics.warning(f"metrics: {message}", digest.source, pos.line, pos.column)
