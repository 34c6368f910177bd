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
Templates see plain data only (see ``publisher.sandbox``): the profile as
``profile`` (a copy) and the audience as ``audience`` (its name,
description, language and formats).  No file is read from outside its
template root: template, profile and reference files whose real path
leaves the root (through a symlink) are refused.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import jinja2

from .i18n.messages import DEFAULT_LOCALE, DEFAULT_TIMEZONE, Messages, MessagesError, catalog_name, translator
from .sandbox import TIME_LIMIT, BudgetedTemplate, Sandbox, readonly_data
from .vocabulary import company_label, glance, rating_label, target_label

_AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".svg", ".xhtml")
#: An audience name: a folder name of one part (a profile's ``base`` is input too).
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class AudienceError(Exception):
    """An unknown audience or a broken profile."""


def _inside(path: str | Path, root: str | Path) -> bool:
    """Whether the real path of ``path`` is ``root``'s real path or below it (symlinks followed)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def rooted_file(root: Path, name: str) -> Path | None:
    """``root/name`` if it is a regular file whose real path stays inside ``root``, else ``None``.

    ``name`` is ``/``-separated and relative; ``..``, absolute names and
    symlinks that lead out of ``root`` are refused with ``AudienceError``.
    """
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise AudienceError(f"{name!r} is not a relative file name inside the templates folder")
    candidate = root.joinpath(*parts)
    if not candidate.is_file():
        return None
    if not _inside(candidate, root):
        raise AudienceError(f"{candidate}: leads outside its templates folder {root} (through a symbolic link)")
    return candidate


class _RootedLoader(jinja2.FileSystemLoader):
    """A file loader that refuses template files whose real path leaves their folder's template root."""

    def __init__(self, searchpath: list[str], roots: list[Path]) -> None:
        super().__init__(searchpath)
        self.roots = roots

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            candidate = os.path.join(folder, *pieces)
            if os.path.isfile(candidate) and not any(_inside(candidate, root) for root in self.roots):
                raise AudienceError(f"{candidate}: template leads outside its templates folder (symbolic link)")
        return super().get_source(environment, template)


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


def _dotted_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    """Every key of a profile, tables included, as dotted names (``i18n.openai.base_url``)."""
    keys = set()
    for key, value in table.items():
        name = f"{prefix}{key}"
        keys.add(name)
        if isinstance(value, dict):
            keys |= _dotted_keys(value, f"{name}.")
    return keys


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
    #: Seconds one template render may take (``None``: no limit).
    time_limit: float | None = TIME_LIMIT
    #: Profile keys set on the command line (``-D``): trusted, unlike the profile files.
    overridden: set[str] = field(default_factory=set)
    #: Profile keys (dotted) set by a profile of a user's templates folder, not a built-in one.
    from_folder: set[str] = field(default_factory=set)

    def __getstate__(self) -> dict[str, Any]:
        """What a copy in another process needs (a Dask worker): the Jinja environment is made
        again there, from the profile and the templates folders."""
        state = dict(self.__dict__)
        state.pop("env", None)
        return state

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
    def locale(self) -> str:
        """Language of the interface strings (``zh-CN``, ``en``): :mod:`publisher.i18n.messages`."""
        return str(self.profile.get("locale", DEFAULT_LOCALE))

    @property
    def timezone(self) -> str:
        """IANA time zone the outputs show times in (``Asia/Shanghai``)."""
        return str(self.profile.get("timezone", DEFAULT_TIMEZONE))

    @cached_property
    def messages(self) -> Messages:
        """The interface strings of this audience's locale (``AudienceError`` on a bad locale or zone)."""
        extra = [p for p in (self.find_file(f"messages.{catalog_name(self.locale)}.po"),) if p is not None]
        try:
            return Messages(self.locale, self.timezone, extra)
        except MessagesError as exc:
            if exc.key is None:  # a catalog file: the message names it
                raise AudienceError(str(exc)) from None
            from .content import origin

            raise AudienceError(f"{origin(self, exc.key)}: {exc}") from None

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
        self.overridden.add(dotted)
        self.__dict__.pop("env", None)
        self.__dict__.pop("messages", None)  # -D locale=en, -D timezone=…

    @property
    def search_path(self) -> list[Path]:
        """Folders searched for this audience's templates and files."""
        return [root / name for name in self.chain for root in self.roots if (root / name).is_dir()]

    def find_file(self, name: str) -> Path | None:
        """The first file called ``name`` along the search path (``reference.docx`` …).

        ``name`` is relative; a file whose real path leaves its template root is refused.
        """
        for root in self.roots:
            for audience in self.chain:
                if (root / audience).is_dir():
                    found = rooted_file(root, f"{audience}/{name}")
                    if found is not None:
                        return found
        return None

    def set_by_folder(self, dotted: str) -> bool:
        """Whether a profile of a user's templates folder chose this value (and ``-D`` did not)."""
        return dotted in self.from_folder and dotted not in self.overridden

    def view(self) -> dict[str, Any]:
        """The audience as templates see it: plain data."""
        return {"name": self.name, "description": self.description, "language": self.language, "formats": self.formats}

    @cached_property
    def env(self) -> jinja2.Environment:
        """The sandboxed Jinja environment of this audience."""
        roots = self.roots
        prefixes: dict[str, jinja2.BaseLoader] = {
            name: _RootedLoader([str(root / name) for root in roots if (root / name).is_dir()], roots)
            for root in roots
            if root.is_dir()
            for name in (p.name for p in root.iterdir() if p.is_dir() and _NAME.match(p.name))
        }
        loader = jinja2.ChoiceLoader(
            [_RootedLoader([str(p) for p in self.search_path], roots), jinja2.PrefixLoader(prefixes)]
        )
        env = Sandbox(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            time_limit=self.time_limit,
        )
        env.globals.update(audience=self.view(), profile=readonly_data(self.profile))
        env.globals.update(self.globals)
        # research facts as a reader sees them: 尚品宅配(300616), 买入(维持), 18.2元
        env.filters.update(company=company_label, rating=rating_label, target=target_label)
        env.globals["glance"] = glance
        # the interface's own words in the audience's locale: {{ _("Contents") }}
        env.globals["_"] = translator(self.messages)
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

    def render_to(self, name: str, out: BinaryIO, **context: Any) -> None:
        """``render``, written to ``out`` in UTF-8 as it is rendered (``BudgetedTemplate.render_to``)."""
        template = self.template(name)
        try:
            if isinstance(template, BudgetedTemplate):
                template.render_to(out, **context)
            else:
                out.write(template.render(**context).encode("utf-8"))
        except jinja2.TemplateError as exc:
            raise AudienceError(f"template {name!r} of audience {self.name!r}: {exc}") from exc


class AudienceCatalog:
    """All audiences visible from a search path of template roots."""

    def __init__(self, user_roots: Iterable[str | Path] = (), time_limit: float | None = TIME_LIMIT) -> None:
        self.roots = [Path(r) for r in user_roots] + [builtin_root()]
        self.time_limit = time_limit
        for root in self.roots[:-1]:
            if not root.is_dir():
                raise AudienceError(f"templates folder {root} does not exist")

    def names(self) -> list[str]:
        found = {
            p.name
            for root in self.roots
            if root.is_dir()
            for p in root.iterdir()
            if _NAME.match(p.name) and (p / "profile.toml").is_file()
        }
        return sorted(found)

    def _profile(self, name: str) -> tuple[dict[str, Any], Path]:
        if not _NAME.match(name):
            raise AudienceError(f"{name!r} is not an audience name (letters, digits, '_', '.', '-')")
        for root in self.roots:
            path = rooted_file(root, f"{name}/profile.toml")
            if path is not None:
                try:
                    return tomllib.loads(path.read_text(encoding="utf-8")), path
                except tomllib.TOMLDecodeError as exc:
                    raise AudienceError(f"{path}: invalid profile: {exc}") from None
                except (UnicodeDecodeError, OSError) as exc:
                    raise AudienceError(f"{path}: cannot read the profile: {exc}") from None
        known = ", ".join(self.names())
        raise AudienceError(f"unknown audience {name!r} (known: {known})")

    def load(self, name: str) -> Audience:
        chain: list[str] = []
        profiles: list[dict[str, Any]] = []
        foreign: set[str] = set()  # keys set by profiles of a user's templates folder
        first_path: Path | None = None
        current: str | None = name
        while current:
            if current in chain:
                raise AudienceError(f"audience {name!r}: inheritance loop through {current!r}")
            profile, path = self._profile(current)
            first_path = first_path or path
            chain.append(current)
            profiles.append(profile)
            if not _inside(path, builtin_root()):
                foreign.update(_dotted_keys(profile))
            base = profile.get("base")
            if base is not None and not isinstance(base, str):
                raise AudienceError(f"{path}: 'base' must be an audience name")
            current = base
        merged: dict[str, Any] = {}
        for profile in reversed(profiles):
            merged = merge(merged, profile)
        merged["abstract"] = profiles[0].get("abstract", False)
        merged.pop("base", None)
        audience = Audience(name, merged, chain, self.roots, first_path, time_limit=self.time_limit)
        audience.from_folder = foreign
        return audience
