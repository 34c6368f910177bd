"""Translating segments: settings, the translator plug-in interface and the chain.

Translators are plug-ins (entry point group ``publisher.translators``).
Each is a class taking a :class:`Setup` and answering
``translate(segments) -> {segment id: Translation}`` for the segments it can
translate; it reports its problems as warnings and never raises for a
segment it cannot do.  The audience's profile lists them in order
(``[i18n] translators = ["glossary", "catalog", "openai"]``); each segment
gets the answer of the first translator that has one.

A translation carries its ``state``: ``reviewed`` (a person checked it:
catalog entries without ``fuzzy``), ``glossary`` (an exact glossary entry),
``machine`` (a draft from a machine translator, not reviewed) or ``fuzzy``
(a catalog translation of an earlier version of the source, only used with
``i18n.use_fuzzy``).  Writers show machine and fuzzy translations with a
visible marker, and segments nobody translated as missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .. import registry
from ..audiences import Audience, AudienceError
from ..diagnostics import Diagnostics
from .catalog import Catalog, CatalogError, read_po
from .glossary import Glossary, GlossaryError, load_glossary
from .segments import Segment

if TYPE_CHECKING:
    import polib

    from ..model import Digest
    from .cache import TranslationCache

DEFAULT_TRANSLATORS = ["glossary", "catalog"]
DEFAULT_CATALOGS = ["{dir}/{name}.en.po"]
#: Labels the built-in templates show (key → Chinese); ``[i18n.labels]`` adds or replaces.
DEFAULT_LABELS = {
    "heading": "研究报告摘要",
    "contents": "目录",
    "machine": "机器翻译",
    "missing": "缺少译文",
    "review": "待审校",
    "skipped": "未能读取的报告",
    "generated": "生成时间",
    "back": "返回目录",
    "show": "显示",
}


@dataclass(frozen=True, slots=True)
class Translation:
    """The English of one segment and how far to trust it."""

    text: str
    state: str
    origin: str


@dataclass
class Settings:
    """The ``[i18n]`` table of an audience's profile."""

    source: str = "zh-Hans"
    target: str = "en"
    translators: list[str] = field(default_factory=lambda: list(DEFAULT_TRANSLATORS))
    catalogs: list[str] = field(default_factory=lambda: list(DEFAULT_CATALOGS))
    glossaries: list[str] = field(default_factory=list)
    bundled_glossary: bool = True
    use_fuzzy: bool = False
    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, table: Any, where: str = "profile") -> Settings:
        """Settings from the ``i18n`` table; :class:`AudienceError` on wrong types."""
        if table is None:
            return cls()
        if not isinstance(table, dict):
            raise AudienceError(f"{where}: 'i18n' must be a table")

        def strings(key: str, default: list[str]) -> list[str]:
            value = table.get(key, default)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise AudienceError(f"{where}: i18n.{key} must be a list of strings")
            return list(value)

        def text(key: str, default: str) -> str:
            value = table.get(key, default)
            if not isinstance(value, str) or not value:
                raise AudienceError(f"{where}: i18n.{key} must be a non-empty string")
            return value

        labels = table.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise AudienceError(f"{where}: i18n.labels must be a table of strings")
        options = {k: v for k, v in table.items() if isinstance(v, dict) and k != "labels"}
        return cls(
            source=text("source", "zh-Hans"),
            target=text("target", "en"),
            translators=strings("translators", DEFAULT_TRANSLATORS),
            catalogs=strings("catalogs", DEFAULT_CATALOGS),
            glossaries=strings("glossaries", []),
            bundled_glossary=bool(table.get("bundled_glossary", True)),
            use_fuzzy=bool(table.get("use_fuzzy", False)),
            labels={**DEFAULT_LABELS, **labels},
            options=options,
        )

    @classmethod
    def from_audience(cls, audience: Audience) -> Settings:
        settings = cls.from_profile(audience.get("i18n"), f"profile of audience {audience.name!r}")
        for name in settings.options:
            for option in _DESTINATIONS:
                key = f"i18n.{name}.{option}"
                if audience.set_by_folder(key):
                    raise AudienceError(
                        f"{audience.profile_path}: {key} says where text, keys or files go, which a "
                        f"templates folder may not choose; give it on the command line (-D {key}=…)"
                    )
        return settings

    def catalog_paths(self, digest: Digest | None) -> list[tuple[Path, bool]]:
        """Catalog files for a digest: ``(path, is_pattern)``; ``{dir}``/``{name}`` filled in."""
        out = []
        for pattern in self.catalogs:
            templated = "{dir}" in pattern or "{name}" in pattern
            if templated and digest is None:
                continue
            if digest is not None:
                folder = (os.path.dirname(digest.source) or ".") if digest.source else "."
                path = pattern.replace("{dir}", folder).replace("{name}", digest.name)
            else:
                path = pattern
            out.append((Path(path), templated))
        return out


#: Translator options that send text or a secret somewhere, or write a file: a profile of a
#: user's templates folder may not set them (see ``Audience.set_by_folder``).
_DESTINATIONS = ("base_url", "api_key_env", "cache")


@dataclass
class Setup:
    """What a translator is given: settings, its own options, resources, diagnostics."""

    settings: Settings
    diagnostics: Diagnostics
    catalog: Catalog
    glossary: Glossary
    file: str = ""
    warned: set[str] = field(default_factory=set)

    def options(self, name: str) -> dict[str, Any]:
        return dict(self.settings.options.get(name, {}))

    def warn(self, message: str, once: bool = False) -> None:
        """A warning about the translation of ``file`` (``once``: only the first time in this run)."""
        if once:
            if message in self.warned:
                return
            self.warned.add(message)
        self.diagnostics.warning(message, self.file)


class Translator:
    """Base class of translators (plug-ins under ``publisher.translators``)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Machine translators produce drafts (state ``machine``) and are used by ``i18n translate``.
    machine: ClassVar[bool] = False

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def translate(self, segments: Sequence[Segment]) -> dict[str, Translation]:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (caches, connections)."""


class Resources:
    """Catalogs and glossaries loaded once per run and shared by every digest."""

    def __init__(self, settings: Settings, diagnostics: Diagnostics) -> None:
        self.settings = settings
        self.diagnostics = diagnostics
        self._po: dict[Path, polib.POFile | None] = {}
        self._glossary: Glossary | None = None
        self.warned: set[str] = set()

    @property
    def glossary(self) -> Glossary:
        if self._glossary is None:
            glossary = load_glossary(bundled=self.settings.bundled_glossary)
            for path in self.settings.glossaries:
                try:
                    glossary.load_file(path)
                except GlossaryError as exc:
                    self.diagnostics.error(exc.message, exc.file, exc.line, exc.column)
            self._glossary = glossary
        return self._glossary

    def po(self, path: Path, templated: bool) -> polib.POFile | None:
        key = path.resolve() if path.exists() else path
        if key not in self._po:
            if not path.exists():
                if not templated:
                    self.diagnostics.warning("translation catalog not found", str(path))
                self._po[key] = None
            else:
                try:
                    self._po[key] = read_po(path)
                except CatalogError as exc:
                    self.diagnostics.error(exc.message, exc.file, exc.line)
                    self._po[key] = None
        return self._po[key]

    def catalog(self, digest: Digest | None) -> Catalog:
        files = [self.po(path, templated) for path, templated in self.settings.catalog_paths(digest)]
        return Catalog(po for po in files if po is not None)


def load_translator(name: str, setup: Setup, where: str = "i18n.translators") -> Translator:
    """Instantiate a translator plug-in; an unknown name is a broken profile."""
    try:
        cls = registry.load("translators", name)
    except registry.PluginError as exc:
        raise AudienceError(f"{where}: {exc}") from None
    return cls(setup)


class Chain:
    """The audience's translators, tried in order, sharing one :class:`Setup`."""

    def __init__(self, translators: list[Translator], setup: Setup) -> None:
        self.translators = translators
        self.setup = setup

    def translate(self, segments: Iterable[Segment]) -> dict[str, Translation]:
        pending: dict[str, Segment] = {}
        for s in segments:
            pending.setdefault(s.id, s)
        done: dict[str, Translation] = {}
        for translator in self.translators:
            if not pending:
                break
            found = translator.translate(list(pending.values()))
            for sid, translation in found.items():
                if sid in pending and translation.text.strip():
                    done[sid] = translation
                    del pending[sid]
        return done

    def close(self) -> None:
        for translator in self.translators:
            translator.close()


def make_chain(
    settings: Settings,
    resources: Resources,
    digest: Digest | None,
    names: list[str] | None = None,
    where: str = "i18n.translators",
) -> Chain:
    setup = Setup(
        settings,
        resources.diagnostics,
        resources.catalog(digest),
        resources.glossary,
        digest.source if digest is not None else "",
        resources.warned,
    )
    return Chain([load_translator(name, setup, where) for name in (names or settings.translators)], setup)


class MachineTranslator(Translator):
    """A translator that drafts translations: cached, results in state ``machine``.

    Subclasses give :attr:`engine` (what produced the text, part of the cache
    key) and :meth:`translate_uncached`.
    """

    machine = True

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        self.options = setup.options(self.name)
        self._cache: TranslationCache | None = None

    @property
    def cache(self) -> TranslationCache:
        """The persistent cache, opened on first use (never for a translator that cannot run)."""
        if self._cache is None:
            from .cache import open_cache

            self._cache = open_cache(self.options.get("cache"))
        return self._cache

    @property
    def engine(self) -> str:
        return self.name

    def available(self) -> str | None:
        """``None`` when usable, else why not (reported once as a warning)."""
        return None

    def translate_uncached(self, segments: Sequence[Segment]) -> dict[str, str]:
        raise NotImplementedError

    def translate(self, segments: Sequence[Segment]) -> dict[str, Translation]:
        from .cache import cache_key

        if not segments:
            return {}
        problem = self.available()
        if problem is not None:
            self.setup.warn(f"{self.name} translator: {problem}", once=True)
            return {}
        languages = f"{self.setup.settings.source}>{self.setup.settings.target}"
        keys = {s.id: cache_key(self.engine, languages, s.context, s.text) for s in segments}
        cached = self.cache.get_many(keys.values())
        out: dict[str, Translation] = {}
        todo = []
        for s in segments:
            text = cached.get(keys[s.id])
            if text:
                out[s.id] = Translation(text, "machine", self.engine)
            else:
                todo.append(s)
        if todo:
            fresh = self.translate_uncached(todo)
            by_id = {s.id: s for s in todo}
            self.cache.put_many(
                self.engine, [(keys[sid], by_id[sid].text, text) for sid, text in fresh.items() if sid in by_id]
            )
            for sid, text in fresh.items():
                if sid in by_id and text.strip():
                    out[sid] = Translation(text.strip(), "machine", self.engine)
        if self.cache.error:
            self.setup.warn(f"{self.name} translator: {self.cache.error}", once=True)
        return out

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
