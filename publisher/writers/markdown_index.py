"""The keys of the wiki's index pages, and what a template can read.

An index page (home, archive, institutions, companies, days, sidebar, navigation) is
rendered again only when its key changes.  Its key covers every value its
template can show: :func:`template_reads` inspects a template's syntax tree
for the attribute names it may read, and only those fields of the index
entries (:data:`ENTRY_FIELDS`) go into the key (all of them when that cannot
be told).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2

from .base import Output

if TYPE_CHECKING:
    from .markdown import Entry


def key_of(*parts: str) -> str:
    """A short hash of ``parts`` (an index page's, a day's or all days' key)."""
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


#: The fields of an index entry.  Its ``url`` depends only on its ``path`` and the page's;
#: ``title``, ``path`` and ``date`` are what it shows when printed whole (see ``Entry``).
ENTRY_FIELDS = (
    "id", "title", "institution", "published_at", "published", "date", "time", "path", "takeaway", "company", "rating",
    "target",
)  # fmt: skip
ALWAYS_SHOWN = frozenset(("title", "path", "date"))
ALL_FIELDS = frozenset(ENTRY_FIELDS)


def entry_values(e: Entry) -> tuple[str, ...]:
    """Every field of an index entry as text, in ``ENTRY_FIELDS`` order."""
    return (
        e.id, e.title, e.institution, e.published_at.isoformat(), e.published, e.date, e.time, e.path, e.takeaway,
        e.company, e.rating, e.target,
    )  # fmt: skip


def keys_by_path(paths: list[str], values: list[tuple[str, ...]], fields: frozenset[str]) -> dict[str, str]:
    """The ``fields`` of index entries (their ``entry_values``), each as one string, by path."""
    pick = operator.itemgetter(*(k for k, name in enumerate(ENTRY_FIELDS) if name in fields))
    return dict(zip(paths, map("\x1e".join, map(pick, values)), strict=True))  # no loop in Python: 10,000s


#: Filters that read an attribute named by their arguments (a name not known in advance).
_ATTRIBUTE_FILTERS = frozenset(
    ("attr", "map", "select", "reject", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max")
)


def template_reads(env: jinja2.Environment, name: str) -> frozenset[str] | None:
    """The attribute names template ``name`` may read, or ``None`` when that cannot be told.

    Every ``x.name``, ``x["name"]`` and string constant (``map(attribute="name")``) counts;
    a template that extends, includes or imports another, indexes with a computed key, or
    gives a computed argument to a filter that reads attributes may read anything.
    """
    from jinja2 import nodes

    source = env.loader.get_source(env, name)[0] if env.loader else ""
    tree = env.parse(source)
    if any(True for _ in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport))):
        return None
    names: set[str] = {n.attr for n in tree.find_all(nodes.Getattr)}
    for n in tree.find_all(nodes.Getitem):
        if not (isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)):
            return None
    for f in tree.find_all(nodes.Filter):
        args = [*f.args, *(k.value for k in f.kwargs)]
        if f.name in _ATTRIBUTE_FILTERS and not all(isinstance(a, nodes.Const) for a in args):
            return None
    names.update(n.value for n in tree.find_all(nodes.Const) if isinstance(n.value, str))
    return frozenset(names)


@dataclass(slots=True)
class IndexPage:
    """An index page not rendered yet: its path, a key of all it shows, and how to render it."""

    path: str
    key: str
    render: Callable[[], Output]
