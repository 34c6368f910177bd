"""Plug-in registry: readers, writers, sinks, transforms, translators and commands.

A third-party package extends publisher through entry points::

    [project.entry-points."publisher.writers"]
    pdf = "my_package.pdf:PdfWriter"

The built-in plug-ins are declared the same way (``pyproject.toml``) and
listed in ``BUILTINS`` as well, so that a command using only built-ins
does not scan every installed package's metadata (which takes longer than
a small incremental build).  A plug-in adds names; a built-in name is
always the built-in plug-in.

A ``publisher.commands`` entry point is a function that receives the
sub-command parser collection (``argparse``) and adds its own command (its
API: :mod:`publisher.commands`).  Readers, writers and sinks derive from
:class:`publisher.readers.base.Reader`, :class:`publisher.writers.base.Writer`
and :class:`publisher.sinks.base.Sink`, whose docstrings give the contract.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUPS = {
    "readers": "publisher.readers",
    "writers": "publisher.writers",
    "sinks": "publisher.sinks",
    "transforms": "publisher.transforms",
    "translators": "publisher.translators",
    "commands": "publisher.commands",
}

#: The entry points of ``pyproject.toml`` (a test keeps the two the same).
BUILTINS: dict[str, dict[str, str]] = {
    "readers": {
        "digest": "publisher.readers.digest:DigestReader",
        "json": "publisher.readers.json:JsonReader",
        "markdown": "publisher.readers.markdown:MarkdownReader",
    },
    "writers": {
        "digest": "publisher.writers.digest:DigestWriter",
        "docx": "publisher.writers.docx:DocxWriter",
        "pdf": "publisher.writers.pdf:PdfWriter",
        "json": "publisher.writers.json:JsonWriter",
        "md": "publisher.writers.markdown:MarkdownWriter",
        "html": "publisher.writers.html:HtmlWriter",
        "xlsx": "publisher.writers.xlsx:XlsxWriter",
    },
    "transforms": {"metrics": "publisher.transforms.metrics:metrics", "facts": "publisher.transforms.facts:facts"},
    "sinks": {
        "folder": "publisher.sinks.folder:FolderSink",
        "wiki": "publisher.sinks.git_wiki:GitWikiSink",
        "email": "publisher.sinks.email:EmailSink",
    },
    "commands": {
        "publish": "publisher.publish:add_command",
        "i18n": "publisher.i18n.command:add_command",
        "deliver": "publisher.deliver:add_command",
    },
    "translators": {
        "glossary": "publisher.i18n.translators.glossary:GlossaryTranslator",
        "catalog": "publisher.i18n.translators.catalog:CatalogTranslator",
        "openai": "publisher.i18n.translators.openai:OpenAITranslator",
        "argos": "publisher.i18n.translators.argos:ArgosTranslator",
    },
}


class PluginError(Exception):
    """A plug-in that is unknown or fails to load."""


@cache
def _entry_points(kind: str) -> dict[str, EntryPoint]:
    """The plug-ins installed packages declare (the built-ins' own included)."""
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUPS[kind]):
        found.setdefault(ep.name, ep)  # the first distribution on sys.path wins
    return found


def names(kind: str) -> list[str]:
    """Names registered in a group, sorted."""
    return sorted(BUILTINS[kind].keys() | _entry_points(kind).keys())


def has(kind: str, name: str) -> bool:
    """Is ``name`` a plug-in of the group (without scanning installed packages for a built-in)?"""
    return name in BUILTINS[kind] or name in _entry_points(kind)


def _import(target: str) -> Any:
    module, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


@cache
def load(kind: str, name: str) -> Any:
    """The object a plug-in name stands for (a class or a function)."""
    try:
        builtin = BUILTINS[kind].get(name)
        if builtin is not None:
            return _import(builtin)
        eps = _entry_points(kind)
        if name not in eps:
            known = ", ".join(names(kind)) or "none"
            raise PluginError(f"unknown {kind[:-1]} {name!r} (known: {known})")
        return eps[name].load()
    except PluginError:
        raise
    except Exception as exc:  # a broken plug-in must not crash the tool
        raise PluginError(f"{kind[:-1]} plug-in {name!r} failed to load: {exc}") from exc


def create(kind: str, name: str) -> Any:
    """An instance of the class a plug-in name stands for."""
    obj = load(kind, name)
    return obj() if isinstance(obj, type) else obj


def reader_for(path: str, explicit: str | None = None) -> Any:
    """The reader for a file: ``explicit`` if given, else by file extension (built-in readers first)."""
    if explicit:
        return create("readers", explicit)
    lowered = path.lower()

    def takes(name: str) -> bool:
        return any(lowered.endswith(ext) for ext in getattr(create("readers", name), "extensions", ()))

    name = next((n for n in sorted(BUILTINS["readers"]) if takes(n)), None)
    if name is None:  # only then are installed packages asked
        name = next((n for n in names("readers") if takes(n)), "digest")
    return create("readers", name)


def clear_cache() -> None:
    """Forget discovered plug-ins (after installing one at run time)."""
    _entry_points.cache_clear()
    load.cache_clear()
