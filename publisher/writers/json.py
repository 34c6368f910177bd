"""Writer of the canonical model as JSON (schema ``publisher/schema/model-v2.json``)."""

from __future__ import annotations

import re

from ..model import Digest
from .base import Output, RenderContext, Writer


class JsonWriter(Writer):
    """``--format json``: the model, lossless, for other tools."""

    name = "json"
    extension = ".json"
    description = "Canonical model as JSON (versioned schema)"

    def write(self, digest: Digest, ctx: RenderContext) -> list[Output]:
        # Compact: Python's C encoder only runs without indentation (10× faster on a big digest);
        # `publisher parse` prints the indented form for people.
        text = digest.dumps(indent=None) + "\n"
        return [Output(f"{digest.name}{self.extension}", json_bytes(text))]


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_bytes(text: str) -> bytes:
    """JSON text as UTF-8; unpaired surrogates (a JSON model may hold them) as ``\\udXXX`` escapes.

    Surrogates only occur inside JSON strings, where the escape stands for the same
    code point, so the file is valid UTF-8 and reads back to the same model.
    """
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text.encode("utf-8")
