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
``timeout``       seconds to wait for each read from the server, and to connect (default 60)
``deadline``      seconds for a whole request: connecting, sending, the answer's headers and
                  its whole body (default ``2 × timeout``, at least 120); a server that answers
                  a byte at a time cannot stall the build past it
``max_bytes``     largest answer accepted, in bytes (default 8 MiB); a longer one is refused
                  without being read to its end
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

The server is not trusted: redirects are not followed (the API key would go
along to wherever they point), an answer past ``deadline`` or ``max_bytes``
is dropped, JSON nested too deeply or holding integers too long to convert
is malformed, and items are ignored (with a warning that counts them) when
their id was not asked for or comes twice, or their text has control
characters (other than tab and line ends), unpaired surrogates, bidi
overrides or non-characters, or is more than ten times as long as the
segment plus 200 characters.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
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
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024

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


class _Retry(Exception):
    """An attempt that failed in a way worth another (the message says why)."""

    def __init__(self, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Deadline:
    """The end of one request: a timer shuts down its connections when it passes.

    A socket timeout bounds each read, not the whole answer: a server that sends
    a byte every second never trips it.  Shutting the socket down from the timer
    thread wakes the read, wherever it is (TLS, the status line, the headers, the
    body); the request then fails, and :attr:`expired` says why.
    """

    def __init__(self, seconds: float, per_read: float) -> None:
        self.seconds = seconds
        self.per_read = per_read
        self.end = time.monotonic() + seconds
        self.expired = False
        self.connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self.connections.clear()

    def read_timeout(self) -> float:
        """Seconds the next read (or the connect) may wait; :class:`TimeoutError` when none are left."""
        left = self.end - time.monotonic()
        if left <= 0 or self.expired:
            self._expire()
            raise TimeoutError("deadline")
        return min(self.per_read, left)

    def watch(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self.connections.append(connection)
            if not self.expired:
                return
        _shut(connection)

    def arm(self) -> None:
        """Shrink the read timeout of the open connections to what is left."""
        timeout = self.read_timeout()
        with self._lock:
            for connection in self.connections:
                if connection.sock is not None:
                    try:
                        connection.sock.settimeout(timeout)
                    except OSError:
                        pass

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self.connections)
        for connection in connections:
            _shut(connection)


def _shut(connection: http.client.HTTPConnection) -> None:
    """Wake any thread blocked on ``connection``: shut its socket down (below TLS)."""
    sock = connection.sock
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


class _Watched:
    """A connection the deadline watches: it connects within the time left and is shut down at the end."""

    timeout: float | None

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        deadline.watch(self)  # type: ignore[arg-type]

    def connect(self) -> None:
        self.timeout = self.deadline.read_timeout()
        super().connect()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_WatchedHTTPConnection, deadline=self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_WatchedHTTPSConnection, deadline=self.deadline)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error (HTTP 3xx): following one would send the key and the text elsewhere."""

    def http_error_302(self, *args: Any, **kwargs: Any) -> None:
        return None  # the next handler raises HTTPError

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


# What a translation must not contain: control characters but tab and line ends, unpaired
# surrogates, bidi embeddings, overrides and isolates, and the non-characters XML refuses.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


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
        self.deadline = _number(opts, "deadline", max(120.0, 2 * self.timeout), minimum=0.001)
        self.max_bytes = int(_number(opts, "max_bytes", DEFAULT_MAX_BYTES, minimum=1))
        self.retries = int(_number(opts, "retries", 3, minimum=0))
        self.backoff = _number(opts, "backoff", 1.0, minimum=0)
        self.max_wait = _number(opts, "max_wait", 60, minimum=0)
        self.max_failures = int(_number(opts, "max_failures", 3, minimum=1))
        self.temperature = _number(opts, "temperature", 0, minimum=0)
        self.disabled: str | None = None
        self.failures = 0  # batches in a row that failed
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
        try:
            parts = urllib.parse.urlsplit(self.base_url)
            _ = parts.port  # a ValueError when not a number or out of range
        except ValueError as exc:
            return f"base_url {self.base_url!r} is not a valid URL ({exc})"
        if not parts.hostname:
            return f"base_url {self.base_url!r} names no host"
        return None

    # --- batches ------------------------------------------------------------------

    def translate_uncached(self, segments: Sequence[Segment]) -> dict[str, str]:
        # failures in a row are counted across calls: a writer that translates a page a chunk
        # at a time gives up on a server that keeps failing once, not once per chunk
        out: dict[str, str] = {}
        for start in range(0, len(segments), self.batch_size):
            batch = segments[start : start + self.batch_size]
            if not self.disabled and self.failures >= self.max_failures:
                self.disabled = f"{self.failures} batches in a row failed"
            if self.disabled:
                rest = len(segments) - start
                self.setup.warn(f"openai translator: {rest} segments left untranslated ({self.disabled})")
                break
            try:
                found, problems = self._batch(batch)
            except _Failure as exc:
                self.failures += 1
                if exc.fatal:
                    self.disabled = str(exc)
                self.setup.warn(f"openai translator: {len(batch)} segments left untranslated: {exc}")
                continue
            self.failures = 0
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
        unknown = duplicate = unprintable = too_long = 0
        seen: set[str] = set()
        for item_id, text in items:
            segment = ids.get(item_id) if item_id is not None else None
            if segment is None or item_id is None:
                unknown += 1
                continue
            if item_id in seen:
                duplicate += 1
                continue
            seen.add(item_id)
            if _UNWANTED.search(text):
                unprintable += 1
            elif len(text) > 10 * len(segment.text) + 200:
                too_long += 1
            else:
                found[segment.id] = text
        missing = len(ids) - len(seen)
        if missing:
            problems.append(
                f"the answer had {len(items)} items for {len(ids)} segments; {missing} segments left untranslated"
            )
        if unknown:
            problems.append(f"ignored {unknown} items with unknown ids in the answer")
        if duplicate:
            problems.append(f"ignored {duplicate} items whose id came a second time in the answer")
        if unprintable:
            problems.append(f"ignored {unprintable} translations with control characters (left untranslated)")
        if too_long:
            problems.append(f"ignored {too_long} translations far longer than their segment (left untranslated)")
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
                raw = self._exchange(request)
            except _Retry as exc:
                last = str(exc)
                wait = self._wait(attempt, exc.retry_after)
                continue
            return _json_answer(raw)
        attempts = self.retries + 1
        raise _Failure(f"{last} after {attempts} attempt{'s' * (attempts != 1)}")

    def _exchange(self, request: urllib.request.Request) -> bytes:
        """The body of the answer to ``request``: :class:`_Retry` or :class:`_Failure` when there is none.

        The whole exchange is bounded by ``deadline``: the connection is shut
        down when it passes, whatever the server is doing, and each read waits
        at most ``timeout`` (less when the deadline is nearer).
        """
        url = request.full_url
        deadline = _Deadline(self.deadline, self.timeout)
        opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline), _NoRedirects())
        late = f"no complete answer within the deadline of {self.deadline:g} s"
        try:
            with deadline:
                try:
                    with opener.open(request, timeout=deadline.read_timeout()) as response:
                        return self._body(response, deadline)
                except urllib.error.HTTPError as exc:
                    try:
                        detail = "" if deadline.expired else _error_detail(exc)
                        retry_after = exc.headers.get("Retry-After") if exc.headers is not None else None
                    finally:
                        exc.close()
                    if deadline.expired:
                        raise _Retry(late) from None
                    last = f"HTTP {exc.code} {exc.reason}{detail}"
                    if exc.code in (401, 403):
                        raise _Failure(f"{last} (check ${self.key_env})", fatal=True) from None
                    if exc.code == 404:
                        raise _Failure(f"{last} (check base_url and model)", fatal=True) from None
                    if 300 <= exc.code < 400:
                        raise _Failure(f"{last} (redirects are not followed; check base_url)", fatal=True) from None
                    if exc.code != 429 and exc.code < 500 and exc.code != 408:
                        raise _Failure(last) from None
                    raise _Retry(last, retry_after) from None
        except (_Retry, _Failure):
            raise
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            if deadline.expired:
                raise _Retry(late) from None
            reason = getattr(exc, "reason", exc) if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                raise _Retry(f"no answer within {self.timeout:g} s") from None
            if isinstance(exc, http.client.HTTPException):
                raise _Retry(f"broken HTTP answer from {url}: {type(exc).__name__} {_short(str(exc))}") from None
            if isinstance(exc, ValueError) and not isinstance(exc, OSError):  # a bad URL, a bad chunk size
                raise _Failure(f"request to {url} failed: {type(exc).__name__} {_short(str(exc))}") from None
            raise _Retry(f"cannot reach {url}: {_short(str(reason))}") from None

    def _body(self, response: http.client.HTTPResponse, deadline: _Deadline) -> bytes:
        """The body of ``response``, read in chunks against the deadline and ``max_bytes``."""
        too_big = f"the answer is longer than max_bytes ({self.max_bytes} bytes); refused"
        declared = getattr(response, "length", None)
        if isinstance(declared, int) and declared > self.max_bytes:
            raise _Failure(too_big)
        chunks: list[bytes] = []
        size = 0
        while True:
            deadline.arm()
            chunk = response.read1(CHUNK)
            if deadline.expired:
                raise TimeoutError("deadline")
            if not chunk:
                if isinstance(declared, int) and size < declared:
                    raise http.client.IncompleteRead(b"", declared - size)
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise _Failure(too_big)
            chunks.append(chunk)

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


def _short(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters (server text goes into a warning)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read(2000).decode("utf-8", "replace")
    except Exception:
        return ""
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        message = body.strip().splitlines()[0] if body.strip() else ""
    if not isinstance(message, str):
        message = ""
    message = _short(message)
    return f": {message}" if message else ""


def _json_answer(raw: bytes) -> Any:
    """The server's answer as JSON; :class:`_Failure` when it is not."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Failure(f"the answer is not JSON ({_short(str(exc))})") from None
    except RecursionError:
        raise _Failure("the answer is not JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer of more digits than int() converts
        raise _Failure(f"the answer is not JSON ({_short(str(exc), 80)})") from None


def _parse_answer(answer: Any) -> list[tuple[str | None, str]]:
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
    except RecursionError:
        raise _Failure("malformed answer: the content is JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than int() converts
        raise _Failure(f"malformed answer: the content is not JSON ({_short(str(exc), 80)})") from None
    items = data.get("translations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise _Failure("malformed answer: no 'translations' list")
    out: list[tuple[str | None, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise _Failure("malformed answer: a translation is not an object")
        item_id, value = item.get("id"), item.get("text", item.get("translation"))
        if item_id is None or value is None:
            raise _Failure("malformed answer: a translation lacks 'id' or 'text'")
        if not isinstance(value, str):
            raise _Failure(f"malformed answer: a translation's text is {type(value).__name__}, not a string")
        out.append((_item_id(item_id), value))
    return out


def _item_id(value: Any) -> str | None:
    """An item's id as the string it was sent as; None for what cannot be one of ours (a float, a list …)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000:
        return str(value)
    return None
