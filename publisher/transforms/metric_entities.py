"""Which company a figure belongs to, in a report about several.

A report on one company says ``营收15.8亿美元`` and means its own revenue.  An
industry note that reviews several companies writes the company once, in a section
heading (``Google FY25 Q2业绩点评``, ``特斯拉二季度财报表现不佳``, ``Hwatsing``) or at the
head of a bullet (``**Coherent业绩与展望**:2026财年第一财季营收15.8亿美元``), and the
figures under it belong to that company.  When a report names two or more such
companies, :func:`attach` writes the company into the subject of every figure under
one that does not name it already (``营收`` → ``Coherent营收``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..model import Metric, PackedMetrics, Report, Section
from ..textutil import is_han
from . import metric_rules as R

#: ``**Coherent业绩与展望**:`` or ``Coherent:`` at the head of a bullet.
_TOPIC = re.compile(r"^\s*(?:\*\*)?(?P<topic>[^:：*。,，;；]{2,24}?)(?:\*\*)?\s*[:：]")
_LATIN_NAME = re.compile(
    r"^[A-Z][A-Za-z0-9&.\-]*(?:\s(?!FY|[1-4]Q|Q[1-4]|H[12]|[12]H)[A-Z][a-z][A-Za-z&.\-]*)?(?=$|\s|[^\x00-\x7f])"
)
#: What a heading or bullet says right after a company's name: its results, a period.
_AFTER_NAME = re.compile(
    r"\s*(?:[0-9]|FY|[1-4]Q|Q[1-4]|[一二三四]季度|上半年|下半年|前三季度|全年|年度|业绩|财报|经营|展望|点评)"
)


#: A heading that is a company and its code (``杭州银行(600926.SH)``, ``中国电信(601728.SH、0728.HK)``):
#: a company for certain, named elsewhere or not.
_CODED_HEADING = re.compile(
    r"^\s*(?P<name>[\u4e00-\u9fff]{2,8}(?:[-－](?:SW|W|S|U))?|[A-Z][A-Za-z0-9&.\-]*(?:\s[A-Z][A-Za-z0-9&.\-]*){0,3})"
    r"\s*[(（]\s*(?:[0-9]{4,6}|[A-Z]{1,5})(?:\.[A-Za-z]{1,2})?(?:\s*[、,，/;；]\s*[^()（）]{1,16})?\s*[)）]\s*$"
)

_MAX_HEADINGS = 64


@functools.lru_cache(maxsize=4096)
def _name(text: str, alone: bool = False) -> str:
    """The company a heading or a bullet's head starts with, or ``""``.

    The name must be followed by what is said of it (``Google FY25 Q2业绩``, ``特斯拉二季度财报``),
    or stand ``alone`` (a heading that is only a name, ``Hwatsing``).
    """
    text = text.strip().lstrip("*").strip()
    m = _LATIN_NAME.match(text)
    if m:
        name = m.group().strip()
        rest = text[m.end() :]
        if name.split()[0] in R.NOT_COMPANY_NAMES or not (_AFTER_NAME.match(rest) or (alone and not rest.strip())):
            return ""
        return name
    for end in range(2, min(len(text), 6) + 1):
        if not is_han(text[end - 1]):
            return ""
        if _AFTER_NAME.match(text, end):
            name = text[:end]
            return "" if name in R.NOT_COMPANY_NAMES else name
    return ""


def _topic(text: str) -> str:
    head = text[:28]
    if ":" not in head and "：" not in head:
        return ""
    m = _TOPIC.match(text)
    return _name(m.group("topic")) if m else ""


def _named(subject: str, name: str) -> bool:
    return name.lower() in subject.lower()


def _prefixed(name: str, subject: str) -> str:
    if not subject:
        return name
    if subject[0].isascii() and subject[0].isalpha():
        return f"{name} {subject}"
    return name + subject


def attach(report: Report) -> None:
    """Write the company into the subjects of the figures under it, when the report names several.

    A heading's name counts only when the report names it elsewhere too (in its title or under
    another heading): ``Smartphones`` or ``Valuation`` heads a topic, ``Hwatsing`` a company.
    The owners are listed only once two names count (most reports name none: a report of a
    million blocks would list a million owners for nothing).
    """
    names = _owners(report, listed=False)[1]
    if len(names) < 2:
        return
    for name, found in _owners(report)[0]:
        if name not in names:
            continue
        edited = False
        for metric in found:
            if not _named(metric.subject, name):
                metric.subject = _prefixed(name, metric.subject)
                edited = True
        if edited and isinstance(found, PackedMetrics):
            found.changed()  # a huge report's metrics are packed: keep the edit


def companies(report: Report) -> list[str]:
    """The companies a report on several names in its headings and bullet heads, in order (else ``[]``)."""
    names = _owners(report, every_block=True, listed=False)[1]
    return names if len(names) >= 2 else []


def _owners(
    report: Report, every_block: bool = False, listed: bool = True
) -> tuple[list[tuple[str, Sequence[Metric]]], list[str]]:
    """The figures under each heading or bullet head's company (when ``listed``), and the companies
    that count, in order."""
    owners: list[tuple[str, Sequence[Metric]]] = []
    named: dict[str, None] = {}
    headings: list[tuple[Section, str]] = []
    coded: set[str] = set()
    for section in report.walk():
        heading = ""
        if section.heading:
            m = _CODED_HEADING.match(section.heading)
            if m and m.group("name") not in R.NOT_COMPANY_NAMES:
                heading = m.group("name")
                coded.add(heading)
            else:
                heading = _name(section.heading, alone=True)
        if heading:
            headings.append((section, heading))
        for block in section.blocks:
            if block.metrics or every_block:
                name = _topic(block.text) or heading
                if name:
                    named[name] = None
                if listed:
                    owners.append((name, block.metrics))
    if not named:
        return owners, []
    # each check reads the report once: past _MAX_HEADINGS names, the rest count as unnamed (linear time)
    unnamed = {
        heading
        for k, (section, heading) in enumerate(headings)
        if heading not in coded and (k >= _MAX_HEADINGS or not _named_elsewhere(heading, report, section))
    }
    return owners, [name for name in named if name not in unnamed]


def _named_elsewhere(name: str, report: Report, own: Section) -> bool:
    if name in report.title:
        return True
    return any(name in block.text for section in report.walk() if section is not own for block in section.blocks)
