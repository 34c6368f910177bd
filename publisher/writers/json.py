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
        return [Output(f"{digest.name}{self.extension}", (digest.dumps() + "\n").encode("utf-8", "surrogatepass"))]
