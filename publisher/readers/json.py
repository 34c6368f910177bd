"""Reader of the canonical model's JSON form (what ``--to json`` writes)."""

from __future__ import annotations

import json
import re

from ..diagnostics import ERROR, Diagnostic, Diagnostics, InputError
from ..model import Digest, assign_ids
from .source import read_source


class JsonReader:
    """``*.json``: a serialised model (schema version 1)."""

    name = "json"
    extensions = (".json",)
    description = "Canonical model as JSON"

    def read(self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
        source = read_source(path, encoding)
        try:
            data = json.loads(source.text)
        except json.JSONDecodeError as exc:
            raise InputError(Diagnostic(ERROR, f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno)) from None
        except RecursionError:
            raise InputError(Diagnostic(ERROR, "invalid JSON: nested too deeply", path, 1, 1)) from None
        try:
            digest = Digest.from_json(data)
        except RecursionError:
            raise InputError(
                Diagnostic(ERROR, "not a publisher model: sections nested too deeply", path, 1, 1)
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InputError(Diagnostic(ERROR, f"not a publisher model: {detail}", path, 1, 1)) from None
        _check_ids(digest, path, diagnostics)
        return digest


_ID = re.compile(r"[0-9a-f]{12}(-[0-9]+)?")


def _check_ids(digest: Digest, path: str, diagnostics: Diagnostics | None) -> None:
    """Ids become file names: one not of the schema's form is replaced (with a warning)."""
    bad = [r for r in digest.reports if not _ID.fullmatch(r.id)]
    if not bad:
        return
    for report in bad:
        if diagnostics is not None:
            diagnostics.warning(
                f"report id {report.id!r} is not of the form of the model schema; a new one is computed",
                path,
                report.pos.line or 1,
                report.pos.column or 1,
            )
    assign_ids(digest)
