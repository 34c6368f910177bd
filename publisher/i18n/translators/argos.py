"""The ``argos`` translator: offline neural machine translation with Argos Translate.

Needs the optional extra (``pip install 'publisher[argos]'``) and a
Chinese → English language package installed the Argos way
(``argospm update && argospm install translate-zh_en``, or
``argostranslate.package.install_from_path(...)`` with a downloaded
``.argosmodel`` file).  Without them the translator says so once, as a
warning, and translates nothing; ``publisher i18n translate --with argos``
stops with a usage error instead.

Drafts are cached like every machine translation (``[i18n.argos] cache``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..segments import Segment
from ..translate import MachineTranslator

INSTALL_HINT = "pip install 'publisher[argos]' and then: argospm update && argospm install translate-zh_en"


def _code(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


class ArgosTranslator(MachineTranslator):
    """Offline zh → en drafts from an installed Argos Translate package."""

    name = "argos"
    description = "offline neural machine translation (argostranslate with a zh→en package)"

    def __init__(self, setup) -> None:
        super().__init__(setup)
        self._translation: Any = None
        self._problem: str | None = None
        self._checked = False

    @property
    def engine(self) -> str:
        return f"argos:{_code(self.setup.settings.source)}>{_code(self.setup.settings.target)}"

    def available(self) -> str | None:
        if not self._checked:
            self._checked = True
            self._problem = self._load()
        return self._problem

    def _load(self) -> str | None:
        try:
            import argostranslate.translate as argos
        except ImportError:
            return f"argostranslate is not installed ({INSTALL_HINT})"
        except Exception as exc:  # a broken installation must not break the build
            return f"argostranslate failed to load: {type(exc).__name__}: {exc}"
        source, target = _code(self.setup.settings.source), _code(self.setup.settings.target)
        try:
            languages = {_code(lang.code): lang for lang in argos.get_installed_languages()}
        except Exception as exc:
            return f"cannot list the installed Argos language packages: {exc}"
        if source not in languages or target not in languages:
            return f"no {source}→{target} language package is installed ({INSTALL_HINT})"
        translation = languages[source].get_translation(languages[target])
        if translation is None:
            return f"no {source}→{target} language package is installed ({INSTALL_HINT})"
        self._translation = translation
        return None

    def translate_uncached(self, segments: Sequence[Segment]) -> dict[str, str]:
        out: dict[str, str] = {}
        failed = 0
        for segment in segments:
            try:
                text = self._translation.translate(segment.text)
            except Exception as exc:  # one bad segment must not stop the others
                failed += 1
                last = f"{type(exc).__name__}: {exc}"
                continue
            if isinstance(text, str) and text.strip():
                out[segment.id] = text
        if failed:
            self.setup.warn(f"argos translator: {failed} segments left untranslated ({last})")
        return out
