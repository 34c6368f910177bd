"""Reader of the canonical model's JSON form (what ``--to json`` writes).

The JSON comes from elsewhere (other tools, people), so it is checked
against the shipped schema (``publisher/schema/model-v1.json``) before it
becomes a model: a wrong type, an unknown block kind or role, a level
below 1, a time with a zone, an unknown encoding or a citation outside its
text is an error naming the field (``reports[0].sections[1].blocks[2].kind``),
never a writer failing later.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..diagnostics import ERROR, Diagnostic, Diagnostics, InputError
from ..model import Digest, assign_ids, load_schema
from .source import SourceText, read_source


class JsonReader:
    """``*.json``: a serialised model (schema version 1)."""

    name = "json"
    extensions = (".json",)
    description = "Canonical model as JSON"

    def read(self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
        return read_text(read_source(path, encoding), diagnostics)


def read_text(source: SourceText, diagnostics: Diagnostics | None = None) -> Digest:
    """The model in ``source`` (JSON text), checked against the schema."""
    path = source.path
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        raise InputError(Diagnostic(ERROR, f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno)) from None
    except RecursionError:
        raise InputError(Diagnostic(ERROR, "invalid JSON: nested too deeply", path, 1, 1)) from None
    problem = model_problem(data)
    if problem:
        raise InputError(Diagnostic(ERROR, f"not a publisher model: {problem}", path, 1, 1))
    try:
        digest = Digest.from_json(data)
        for report in digest.reports:
            report.id = str(report.id)
    except RecursionError:
        raise InputError(Diagnostic(ERROR, "not a publisher model: sections nested too deeply", path, 1, 1)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputError(Diagnostic(ERROR, f"not a publisher model: {detail}", path, 1, 1)) from None
    _check_ids(digest, path, diagnostics)
    return digest


# --- validation against the shipped schema -------------------------------------------------------

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return load_schema()


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _path(*parts: str | int) -> tuple:
    """A path as nested pairs ``(parent, key)``: extending one costs no copy."""
    path: tuple = ()
    for part in parts:
        path = (path, part)
    return path


def _where(path: tuple) -> str:
    """``reports[0].sections[1]`` for the path ``((((), "reports"), 0), "sections"), 1)``."""
    parts: list[str | int] = []
    while path:
        path, part = path
        parts.append(part)
    out = ""
    for part in reversed(parts):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the document"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_ok(value: Any, kind: str | list[str]) -> bool:
    kinds = [kind] if isinstance(kind, str) else kind
    for k in kinds:
        if isinstance(value, _TYPES[k]) and not (k in ("integer", "number") and isinstance(value, bool)):
            return True
    return False


def schema_problem(value: Any, schema: dict[str, Any], root: dict[str, Any], path: tuple = ()) -> str | None:
    """The first way ``value`` breaks ``schema`` (the subset of JSON Schema the model's uses), or None.

    Walks with an explicit stack, so any depth of nesting is checked without recursion.
    """
    stack: list[tuple[Any, dict[str, Any], tuple]] = [(value, schema, path)]
    while stack:
        value, schema, path = stack.pop()
        while "$ref" in schema:
            ref = schema["$ref"]
            node: Any = root
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        if "type" in schema and not _type_ok(value, schema["type"]):
            return f"{_where(path)}: expected {schema['type']}, found {_show(value)}"
        if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
            return f"{_where(path)}: must be {_show(schema['const'])}, found {_show(value)}"
        if "enum" in schema and value not in schema["enum"]:
            return f"{_where(path)}: must be one of {', '.join(_show(v) for v in schema['enum'])}, found {_show(value)}"
        if "oneOf" in schema:
            if sum(schema_problem(value, s, root, path) is None for s in schema["oneOf"]) != 1:
                return f"{_where(path)}: {_show(value)} is not of the allowed forms"
        if isinstance(value, str) and "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            return f"{_where(path)}: {_show(value)} does not have the form {schema['pattern']}"
        if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
            return f"{_where(path)}: {value} is below the minimum {schema['minimum']}"
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
                return f"{_where(path)}: {len(value)} items, expected {schema.get('minItems')}–{schema.get('maxItems')}"
            if "items" in schema:
                items = schema["items"]
                stack.extend((value[k], items, (path, k)) for k in range(len(value) - 1, -1, -1))
        if isinstance(value, dict):
            for key in schema.get("required", ()):
                if key not in value:
                    return f"{_where(path)}: missing field {key!r}"
            properties = schema.get("properties", {})
            if schema.get("additionalProperties", True) is False:
                for key in value:
                    if key not in properties:
                        return f"{_where(path)}: unknown field {key!r}"
            for key in reversed(list(value)):
                if key in properties:
                    stack.append((value[key], properties[key], (path, key)))
    return None


def model_problem(data: Any) -> str | None:
    """Why ``data`` is not a model this publisher can render, or None.

    The schema, and what it cannot say: times are ISO 8601 local times (no
    zone) and citations stand inside their text, in order.
    """
    root = _schema()
    if isinstance(data, dict) and isinstance(data.get("reports"), list):
        # ids and slugs are computed again when missing or not of their form (with a warning)
        data = {**data, "reports": [_computed_fields(r) for r in data["reports"]]}
    problem = schema_problem(data, root, root)
    if problem:
        return problem
    encoding = data.get("layout", {}).get("encoding")
    if encoding is not None:
        try:
            known = codecs.lookup(encoding)._is_text_encoding  # type: ignore[attr-defined]
        except LookupError:
            known = False
        if not known:
            return f"layout.encoding: {_show(encoding)} is not a text encoding"
    for r, report in enumerate(data.get("reports", ())):
        try:
            when = datetime.fromisoformat(report["published_at"])
        except ValueError:
            return f"reports[{r}].published_at: {_show(report['published_at'])} is not an ISO 8601 time"
        if when.tzinfo is not None:
            return f"reports[{r}].published_at: {_show(report['published_at'])} has a zone; give the local time"
        stack = [(s, (f"reports[{r}]", "sections", k)) for k, s in enumerate(report["sections"])]
        while stack:
            section, path = stack.pop()
            stack.extend((c, (*path, "children", k)) for k, c in enumerate(section.get("children", ())))
            for b, block in enumerate(section.get("blocks", ())):
                last = 0
                for c, citation in enumerate(block.get("citations", ())):
                    if not last <= citation["offset"] <= len(block["text"]):
                        where = _where(_path(*path, "blocks", b, "citations", c, "offset"))
                        return f"{where}: {citation['offset']} is outside the text or before the citation before it"
                    last = citation["offset"]
    return None


def _computed_fields(report: Any) -> Any:
    if not isinstance(report, dict):
        return report
    fixed = {**report, "id": report["id"] if _ID.fullmatch(str(report.get("id", ""))) else "000000000000"}
    fixed.pop("slug", None)
    return fixed


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
