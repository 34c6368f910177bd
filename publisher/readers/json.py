"""Reader of the canonical model's JSON form (what ``--to json`` writes).

The JSON comes from elsewhere (other tools, people), so it is checked
against the shipped schema of its version (``publisher/schema/model-v2.json``,
or ``model-v1.json`` for JSON written before reports had facts) before it
becomes a model: a wrong type, an unknown block kind or role, a level
below 1, a time with a zone, an unknown encoding or a citation outside its
text is an error naming the field (``reports[0].sections[1].blocks[2].kind``),
never a writer failing later.

The JSON itself is read strictly, each refusal an error at the line and
column of the offending token: an object with the same key twice (other
JSON tools would keep another one of the two), ``NaN``, ``Infinity`` and
``-Infinity`` (not JSON), a number too large for a float (``1e999``) and an
integer of more digits than Python converts (``sys.get_int_max_str_digits()``,
4300 by default).  Nesting deeper than the parser's recursion limit is an
error at 1:1.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..diagnostics import ERROR, Diagnostic, Diagnostics, InputError
from ..model import READABLE_VERSIONS, SCHEMA_VERSION, Digest, assign_ids, load_schema
from .base import Reader
from .source import SourceText, read_source


class JsonReader(Reader):
    """``*.json``: a serialised model (schema version 2, or 1 without facts)."""

    name = "json"
    extensions = (".json",)
    description = "Canonical model as JSON"

    def read(self, path: str, encoding: str | None = None, diagnostics: Diagnostics | None = None) -> Digest:
        return read_text(read_source(path, encoding), diagnostics)


def read_text(source: SourceText, diagnostics: Diagnostics | None = None) -> Digest:
    """The model in ``source`` (JSON text), checked against the schema."""
    path = source.path
    try:
        data = _loads(source.text)
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


# --- strict JSON ---------------------------------------------------------------------------------


class _Refused(ValueError):
    """A token :func:`json.loads` would accept (or crash on) that a model must not contain."""


def _constant(name: str) -> Any:
    raise _Refused(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(text)
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Refused("duplicate key")
    return value


def _loads(text: str) -> Any:
    """``json.loads(text)``, strict: what :class:`_Refused` lists is a :class:`json.JSONDecodeError` at its token."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, object_pairs_hook=_object)
    except json.JSONDecodeError:
        raise
    except ValueError:  # _Refused, or an integer of more digits than int() converts
        found = _refused_token(text)
        if found is None:  # cannot happen: json.loads refuses only what _refused_token finds
            raise json.JSONDecodeError("a number or key that cannot be read", text, 0) from None
        message, offset = found
        raise json.JSONDecodeError(message, text, offset) from None


# Tokens outside strings, and strings whole (scanned only to skip them or to read keys).
_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"'
    r"|-?Infinity|NaN"
    r"|-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][-+]?[0-9]+)?"
    r"|[{}\[\],:]"
)


def _refused_token(text: str) -> tuple[str, int] | None:
    """The first token ``json.loads`` refused in ``text`` (valid JSON up to it): ``(message, offset)``.

    Walks the tokens with an explicit stack of the open objects' keys, so any nesting is fine.
    """
    limit = sys.get_int_max_str_digits()  # 0: no limit
    stack: list[set[str] | None] = []  # the keys seen so far in each open object; None for an array
    expect_key = False
    for match in _TOKEN.finditer(text):
        token, offset = match.group(), match.start()
        first = token[0]
        if first == '"':
            if expect_key and stack and stack[-1] is not None:
                key = json.loads(token)
                if key in stack[-1]:
                    return f"duplicate key {_show(key)}", offset
                stack[-1].add(key)
            expect_key = False
        elif first in "{[":
            stack.append(set() if first == "{" else None)
            expect_key = first == "{"
        elif first in "}]":
            if stack:
                stack.pop()
            expect_key = False
        elif first == ",":
            expect_key = bool(stack) and stack[-1] is not None
        elif first == ":":
            expect_key = False
        elif token.endswith(("NaN", "Infinity")):
            return f"{token} is not a JSON number", offset
        elif match.group("frac") or match.group("exp"):
            if not math.isfinite(float(token)):
                return f"number {_show_number(token)} is too large", offset
        elif limit and len(token.lstrip("-")) > limit:
            return f"integer of {len(token.lstrip('-'))} digits; at most {limit} are read", offset
    return None


def _show_number(token: str) -> str:
    return token if len(token) <= 40 else token[:37] + "..."


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


@lru_cache(maxsize=4)
def _schema(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    return load_schema(version)


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
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(data, dict) and "version" in data and (isinstance(version, bool) or version not in READABLE_VERSIONS):
        readable = " or ".join(map(str, READABLE_VERSIONS))
        return f"version: must be {readable}, found {json.dumps(version)[:40]}"
    root = _schema(version if version in READABLE_VERSIONS else SCHEMA_VERSION)
    if isinstance(data, dict) and isinstance(data.get("reports"), list):
        # ids and slugs are computed again when missing or not of their form (with a warning)
        data = {**data, "reports": [_computed_fields(r) for r in data["reports"]]}
    problem = schema_problem(data, root, root)
    if problem:
        return problem
    encoding = data.get("layout", {}).get("encoding")
    if encoding is not None:
        try:
            known = codecs.lookup(encoding)._is_text_encoding
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
        stack: list[tuple[Any, tuple[Any, ...]]] = [
            (s, (f"reports[{r}]", "sections", k)) for k, s in enumerate(report["sections"])
        ]
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
