"""The ``openai`` translator: machine drafts from an OpenAI-compatible chat-completions endpoint.

Works with any service that speaks ``POST {base_url}/chat/completions``
(OpenAI, Azure-style gateways, vLLM, llama.cpp, Ollama …), through the
standard library only (``urllib``).  Options, in the profile's
``[i18n.openai]`` table (``-D i18n.openai.model=…``):

``base_url``      endpoint root (default ``$OPENAI_BASE_URL``, else ``https://api.openai.com/v1``)
``model``         model name (default ``$OPENAI_MODEL``, else ``gpt-4o-mini``)
``api_key_env``   environment variable holding the API key (default ``OPENAI_API_KEY``);
                  a custom ``base_url`` may go without a key
``batch_size``    segments per request (default 20)
``timeout``       seconds per request (default 60)
``retries``       retries of a failed request (default 3): timeouts, connection
                  errors, HTTP 429 and 5xx, with exponential ``backoff`` (default 1 s,
                  doubling) or the server's ``Retry-After``, never more than
                  ``max_wait`` seconds (default 60)
``max_failures``  consecutive failed batches after which the rest is skipped (default 3)
``cache``         cache file, or ``false`` (default: the user cache, see ``publisher.i18n.cache``)

Each request carries a batch of segments as JSON and asks for a JSON
answer ``{"translations": [{"id": …, "text": …}]}``; glossary terms found
in the batch are sent along so that names come out as the glossary says.
Whatever goes wrong (an unreachable server, HTTP errors, malformed JSON,
missing or extra items) leaves the affected segments untranslated with a
warning; it never stops the build.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ...audiences import AudienceError
from ..segments import Segment
from ..translate import MachineTranslator

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
PROMPT_VERSION = "1"

SYSTEM_PROMPT = """\
You are a professional financial translator. You translate Chinese sell-side research \
(equity, macro and strategy reports) into clear, idiomatic English for institutional investors.

The user sends JSON: {"segments": [{"id": ..., "context": ..., "text": ...}], "glossary": {...}}.
Contexts: "title" is a report title (use title case), "heading" a section heading, \
"text" a bullet point or paragraph, "institution" the name of a research house, "label" a user-interface label.

Rules:
- Translate every segment completely and faithfully; add nothing, omit nothing, no notes.
- Keep numbers, percentages, dates, tickers, model and product names exactly as written.
- Use the English given in "glossary" for those Chinese terms.
- Answer with JSON only: {"translations": [{"id": ..., "text": ...}]}, exactly one item per \
segment, with the same ids."""


class _Failure(Exception):
    """A batch that did not give translations (the message says why)."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class OpenAITranslator(MachineTranslator):
    """Machine drafts from an OpenAI-compatible chat-completions service."""

    name = "openai"
    description = "machine drafts from an OpenAI-compatible chat-completions endpoint"

    def __init__(self, setup) -> None:
        super().__init__(setup)
        opts = self.options
        self.base_url = str(opts.get("base_url") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = str(opts.get("model") or os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL)
        self.key_env = str(opts.get("api_key_env", "OPENAI_API_KEY"))
        self.api_key = os.environ.get(self.key_env, "")
        self.batch_size = int(_number(opts, "batch_size", 20, minimum=1))
        self.timeout = _number(opts, "timeout", 60, minimum=0.001)
        self.retries = int(_number(opts, "retries", 3, minimum=0))
        self.backoff = _number(opts, "backoff", 1.0, minimum=0)
        self.max_wait = _number(opts, "max_wait", 60, minimum=0)
        self.max_failures = int(_number(opts, "max_failures", 3, minimum=1))
        self.temperature = _number(opts, "temperature", 0, minimum=0)
        self.disabled: str | None = None
        self.requests = 0

    @property
    def engine(self) -> str:
        return f"openai:{self.model}@{self.base_url}#p{PROMPT_VERSION}"

    def available(self) -> str | None:
        if self.disabled:
            return self.disabled
        if not self.api_key and self.base_url == DEFAULT_BASE_URL:
            return f"no API key in ${self.key_env}; segments it would draft stay untranslated"
        if not self.base_url.startswith(("http://", "https://")):
            return f"base_url {self.base_url!r} is not an http(s) URL"
        return None

    # --- batches ------------------------------------------------------------------

    def translate_uncached(self, segments: Sequence[Segment]) -> dict[str, str]:
        out: dict[str, str] = {}
        failures = 0
        for start in range(0, len(segments), self.batch_size):
            batch = segments[start : start + self.batch_size]
            if self.disabled or failures >= self.max_failures:
                rest = len(segments) - start
                why = self.disabled or f"{failures} batches in a row failed"
                self.setup.warn(f"openai translator: {rest} segments left untranslated ({why})")
                break
            try:
                found, problems = self._batch(batch)
            except _Failure as exc:
                failures += 1
                if exc.fatal:
                    self.disabled = str(exc)
                self.setup.warn(f"openai translator: {len(batch)} segments left untranslated: {exc}")
                continue
            failures = 0
            out.update(found)
            for problem in problems:
                self.setup.warn(f"openai translator: {problem}")
        return out

    def _batch(self, batch: Sequence[Segment]) -> tuple[dict[str, str], list[str]]:
        ids = {str(i + 1): s for i, s in enumerate(batch)}
        glossary: dict[str, str] = {}
        for s in batch:
            term = self.setup.glossary.lookup(s.text)
            if term is not None:
                glossary[term.source] = term.target
            for _, _, hint in self.setup.glossary.hints(s.text):
                glossary[hint.source] = hint.target
        payload = {
            "segments": [{"id": k, "context": s.context, "text": s.text} for k, s in ids.items()],
            "glossary": glossary,
        }
        body = {
            "model": self.model,
            "temperature": self.temperature,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
            ],
        }
        answer = self._post(body)
        items = _parse_answer(answer)
        found: dict[str, str] = {}
        problems: list[str] = []
        unknown = 0
        for item_id, text in items:
            segment = ids.get(item_id)
            if segment is None:
                unknown += 1
                continue
            found[segment.id] = text
        missing = len(ids) - len({k for k, _ in items if k in ids})
        if missing:
            problems.append(
                f"the answer had {len(items)} items for {len(ids)} segments; {missing} segments left untranslated"
            )
        if unknown:
            problems.append(f"ignored {unknown} items with unknown ids in the answer")
        return found, problems

    # --- HTTP -----------------------------------------------------------------------

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url}/chat/completions"
        last = ""
        wait = 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(wait)
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                last = f"HTTP {exc.code} {exc.reason}{detail}"
                if exc.code in (401, 403):
                    raise _Failure(f"{last} (check ${self.key_env})", fatal=True) from None
                if exc.code == 404:
                    raise _Failure(f"{last} (check base_url and model)", fatal=True) from None
                if exc.code != 429 and exc.code < 500 and exc.code != 408:
                    raise _Failure(last) from None
                wait = self._wait(attempt, exc.headers.get("Retry-After"))
                continue
            except TimeoutError:
                last = f"no answer within {self.timeout:g} s"
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError):
                    last = f"no answer within {self.timeout:g} s"
                else:
                    last = f"cannot reach {url}: {reason}"
            else:
                try:
                    return json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise _Failure(f"the answer is not JSON ({exc})") from None
            wait = self._wait(attempt, None)
        attempts = self.retries + 1
        raise _Failure(f"{last} after {attempts} attempt{'s' * (attempts != 1)}")

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before the next attempt: ``Retry-After`` if given, else exponential backoff."""
        seconds = self.backoff * (2**attempt)
        if retry_after:
            parsed = _retry_after_seconds(retry_after)
            if parsed is not None:
                seconds = parsed
        return max(0.0, min(seconds, self.max_wait))


def _number(options: dict[str, Any], key: str, default: float, minimum: float) -> float:
    """A numeric option; a wrong one is a broken profile (usage error), not a crash."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise AudienceError(f"i18n.openai.{key} must be a number of at least {minimum:g}, not {value!r}")
    return float(value)


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read(2000).decode("utf-8", "replace")
    except Exception:
        return ""
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = body.strip().splitlines()[0] if body.strip() else ""
    return f": {message[:200]}" if message else ""


def _parse_answer(answer: Any) -> list[tuple[str, str]]:
    """``[(id, text)]`` from a chat-completions answer; :class:`_Failure` when malformed."""
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _Failure("malformed answer: no choices[0].message.content") from None
    if not isinstance(content, str):
        raise _Failure("malformed answer: the message content is not text")
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Failure(f"malformed answer: the content is not JSON ({exc.msg})") from None
    items = data.get("translations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise _Failure("malformed answer: no 'translations' list")
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise _Failure("malformed answer: a translation is not an object")
        item_id, value = item.get("id"), item.get("text", item.get("translation"))
        if item_id is None or not isinstance(value, str):
            raise _Failure("malformed answer: a translation lacks 'id' or 'text'")
        out.append((str(item_id), value))
    return out
