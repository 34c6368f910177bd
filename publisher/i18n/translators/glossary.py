"""The ``glossary`` translator: a segment whose whole text is a glossary entry."""

from __future__ import annotations

from collections.abc import Sequence

from ..catalog import GLOSSARY
from ..segments import Segment
from ..translate import Translation, Translator


class GlossaryTranslator(Translator):
    """Exact whole-segment matches in the bundled and the user's glossaries."""

    name = "glossary"
    description = "exact matches in the finance glossary (bundled plus i18n.glossaries)"

    def translate(self, segments: Sequence[Segment]) -> dict[str, Translation]:
        glossary = self.setup.glossary
        out: dict[str, Translation] = {}
        for segment in segments:
            term = glossary.lookup(segment.text)
            if term is not None:
                out[segment.id] = Translation(term.target, GLOSSARY, f"glossary:{term.category}")
        return out
