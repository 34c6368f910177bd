"""The ``catalog`` translator: translations from the PO catalogs of ``i18n.catalogs``.

Reviewed entries are used as they are; machine drafts (``#, fuzzy,
machine``) are used and marked ``machine``; entries made fuzzy by a change
of the source are only used with ``i18n.use_fuzzy = true`` (marked
``fuzzy``): by default they count as missing, so a stale translation is
never shown as if it were current.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..catalog import FUZZY, MACHINE, REVIEWED, entry_state
from ..segments import Segment
from ..translate import Translation, Translator


class CatalogTranslator(Translator):
    """Reviewed (and machine-drafted) translations from PO catalogs."""

    name = "catalog"
    description = "translations from the PO catalogs (i18n.catalogs)"

    def translate(self, segments: Sequence[Segment]) -> dict[str, Translation]:
        catalog = self.setup.catalog
        use_fuzzy = self.setup.settings.use_fuzzy
        out: dict[str, Translation] = {}
        for segment in segments:
            entry = catalog.get(segment)
            if entry is None:
                continue
            state = entry_state(entry)
            if state == REVIEWED or state == MACHINE or (state == FUZZY and use_fuzzy):
                out[segment.id] = Translation(entry.msgstr, state, "catalog")
        return out
