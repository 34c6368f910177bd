"""Plug-in registry: readers, writers, sinks, transforms, translators and commands.

Everything is found through entry points, the built-ins included, so a
third-party package extends publisher exactly the way publisher extends
itself::

    [project.entry-points."publisher.writers"]
    pdf = "my_package.pdf:PdfWriter"

A ``publisher.commands`` entry point is a function that receives the
sub-command parser collection (``argparse``) and adds its own command.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

GROUPS = {
    "readers": "publisher.readers",
    "writers": "publisher.writers",
    "sinks": "publisher.sinks",
    "transforms": "publisher.transforms",
    "translators": "publisher.translators",
    "commands": "publisher.commands",
}


class PluginError(Exception):
    """A plug-in that is unknown or fails to load."""


@cache
def _entry_points(kind: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUPS[kind]):
        found.setdefault(ep.name, ep)  # the first distribution on sys.path wins
    return found


def names(kind: str) -> list[str]:
    """Names registered in a group, sorted."""
    return sorted(_entry_points(kind))


@cache
def load(kind: str, name: str) -> Any:
    """The object an entry point names (a class or a function)."""
    eps = _entry_points(kind)
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        singular = kind[:-1]
        raise PluginError(f"unknown {singular} {name!r} (known: {known})")
    try:
        return eps[name].load()
    except Exception as exc:  # a broken plug-in must not crash the tool
        raise PluginError(f"{kind[:-1]} plug-in {name!r} failed to load: {exc}") from exc


def create(kind: str, name: str) -> Any:
    """An instance of the class an entry point names."""
    obj = load(kind, name)
    return obj() if isinstance(obj, type) else obj


def reader_for(path: str, explicit: str | None = None) -> Any:
    """The reader for a file: ``explicit`` if given, else by file extension."""
    if explicit:
        return create("readers", explicit)
    lowered = path.lower()
    for name in names("readers"):
        reader = create("readers", name)
        if any(lowered.endswith(ext) for ext in getattr(reader, "extensions", ())):
            return reader
    return create("readers", "digest")


def clear_cache() -> None:
    """Forget discovered plug-ins (after installing one at run time)."""
    _entry_points.cache_clear()
    load.cache_clear()
