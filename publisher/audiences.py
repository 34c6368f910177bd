"""Audience profiles and their templates.

An audience is a folder ``<root>/<name>/`` holding ``profile.toml`` (what
the audience gets: sections, bullets, formats, language, citation style,
document metadata) and Jinja templates.  ``base = "<other>"`` in a profile
inherits the other audience's profile (merged key by key) and templates.

Folders are searched in order: the user's ``--templates`` folders first,
then the built-in ``templates/`` shipped with the package.  The first
``profile.toml`` found for a name wins; each template file is looked up
along the same search path, so a user can override a single template.
Templates refer to a parent audience's file as ``"<audience>/<file>"``.

Templates run in Jinja's sandbox with ``StrictUndefined``; ``*.html`` and
``*.xml`` templates (also with a ``.j2`` suffix) are autoescaped.  Input
text only ever reaches templates as data, never as template source.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

_AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".svg", ".xhtml")

#: Plain-data classes writers hand to templates (see ``plain_data``).
_PLAIN_DATA: set[type] = set()


def plain_data(cls: type) -> type:
    """Class decorator: the public attributes of ``cls`` instances are safe in templates.

    For value classes that hold only text, numbers and other plain data (an
    index entry, a day of the archive), the sandbox need not inspect each
    attribute read; that inspection is most of the cost of a large index page.
    """
    _PLAIN_DATA.add(cls)
    return cls


class _Sandbox(ImmutableSandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) in _PLAIN_DATA and not attr.startswith("_"):
            return True
        return super().is_safe_attribute(obj, attr, value)


class AudienceError(Exception):
    """An unknown audience or a broken profile."""


def builtin_root() -> Path:
    """The folder of built-in audiences (``templates/`` in the source tree)."""
    return Path(str(resources.files("publisher.templates")))


def _autoescape(name: str | None) -> bool:
    if not name:
        return False
    for suffix in (".j2", ".jinja", ".jinja2"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.lower().endswith(_AUTOESCAPE_EXTENSIONS)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge two profiles: tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Audience:
    """One resolved audience: merged profile, template search path."""

    name: str
    profile: dict[str, Any]
    chain: list[str]
    roots: list[Path]
    profile_path: Path | None = None
    globals: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return str(self.profile.get("description", ""))

    @property
    def formats(self) -> list[str]:
        return list(self.profile.get("formats", []))

    @property
    def language(self) -> str:
        return str(self.profile.get("language", "zh"))

    @property
    def abstract(self) -> bool:
        return bool(self.profile.get("abstract", False)) and self.chain[:1] == [self.name]

    def get(self, dotted: str, default: Any = None) -> Any:
        """A profile value by dotted key (``"content.max_bullets"``)."""
        node: Any = self.profile
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def override(self, dotted: str, value: Any) -> None:
        """Set a profile value by dotted key (``-D`` on the command line)."""
        node = self.profile
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
        self.__dict__.pop("env", None)

    @property
    def search_path(self) -> list[Path]:
        """Folders searched for this audience's templates and files."""
        return [root / name for name in self.chain for root in self.roots if (root / name).is_dir()]

    def find_file(self, name: str) -> Path | None:
        """The first file called ``name`` along the search path (``reference.docx`` …)."""
        for folder in self.search_path:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    @cached_property
    def env(self) -> jinja2.Environment:
        """The sandboxed Jinja environment of this audience."""
        prefixes = {
            name: jinja2.FileSystemLoader([str(root / name) for root in self.roots if (root / name).is_dir()])
            for root in self.roots
            if root.is_dir()
            for name in (p.name for p in root.iterdir() if p.is_dir())
        }
        loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader([str(p) for p in self.search_path]), jinja2.PrefixLoader(prefixes)]
        )
        env = _Sandbox(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        env.globals.update(audience=self, profile=self.profile)
        env.globals.update(self.globals)
        return env

    def template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound:
            where = ", ".join(str(p) for p in self.search_path)
            raise AudienceError(f"audience {self.name!r} has no template {name!r} (searched {where})") from None
        except jinja2.TemplateSyntaxError as exc:
            raise AudienceError(f"{exc.filename or name}:{exc.lineno}:1: template error: {exc.message}") from None

    def has_template(self, name: str) -> bool:
        return any((folder / name).is_file() for folder in self.search_path)

    def render(self, name: str, **context: Any) -> str:
        """Render a template of this audience with ``context``."""
        try:
            return self.template(name).render(**context)
        except jinja2.TemplateError as exc:
            raise AudienceError(f"template {name!r} of audience {self.name!r}: {exc}") from exc


class AudienceCatalog:
    """All audiences visible from a search path of template roots."""

    def __init__(self, user_roots: Iterable[str | Path] = ()) -> None:
        self.roots = [Path(r) for r in user_roots] + [builtin_root()]
        for root in self.roots[:-1]:
            if not root.is_dir():
                raise AudienceError(f"templates folder {root} does not exist")

    def names(self) -> list[str]:
        found = {
            p.name for root in self.roots if root.is_dir() for p in root.iterdir() if (p / "profile.toml").is_file()
        }
        return sorted(found)

    def _profile(self, name: str) -> tuple[dict[str, Any], Path]:
        for root in self.roots:
            path = root / name / "profile.toml"
            if path.is_file():
                try:
                    return tomllib.loads(path.read_text(encoding="utf-8")), path
                except tomllib.TOMLDecodeError as exc:
                    raise AudienceError(f"{path}: invalid profile: {exc}") from None
        known = ", ".join(self.names())
        raise AudienceError(f"unknown audience {name!r} (known: {known})")

    def load(self, name: str) -> Audience:
        chain: list[str] = []
        profiles: list[dict[str, Any]] = []
        first_path: Path | None = None
        current: str | None = name
        while current:
            if current in chain:
                raise AudienceError(f"audience {name!r}: inheritance loop through {current!r}")
            profile, path = self._profile(current)
            first_path = first_path or path
            chain.append(current)
            profiles.append(profile)
            base = profile.get("base")
            if base is not None and not isinstance(base, str):
                raise AudienceError(f"{path}: 'base' must be an audience name")
            current = base
        merged: dict[str, Any] = {}
        for profile in reversed(profiles):
            merged = merge(merged, profile)
        merged["abstract"] = profiles[0].get("abstract", False)
        merged.pop("base", None)
        return Audience(name, merged, chain, self.roots, first_path)
