"""Writer of the canonical model as JSON (schema ``publisher/schema/model-v1.json``)."""

from __future__ import annotations

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
        return [Output(f"{digest.name}{self.extension}", text.encode("utf-8", "surrogatepass"))]
