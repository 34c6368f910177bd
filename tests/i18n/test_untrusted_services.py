"""Hostile input from outside: a translation server that misbehaves on purpose, and JSON models
with numbers and keys that ``json.loads`` accepts or chokes on.

The translation server here is a raw socket server on loopback (``socketserver``), so that it
can do what no honest HTTP server does: drip an answer a byte at a time, stream without end,
redirect elsewhere, send JSON built to break a parser.  Every loop in it is bounded and every
thread is a daemon, so a test fails rather than hangs, whatever the code under test does.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.diagnostics import Diagnostics
from publisher.i18n.segments import TEXT, Segment
from publisher.i18n.translate import Resources, Settings, make_chain

SEGMENTS = [Segment(TEXT, "沪深300指数上涨"), Segment(TEXT, "风险提示")]


# --- a hostile chat-completions server ---------------------------------------------------------------


class RawService(socketserver.ThreadingTCPServer):
    """Answers every request with ``self.behaviour(handler)``; records the requests it got."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RawHandler)
        self.behaviour: Callable[[RawHandler], None] = lambda handler: handler.answer(_completion([]))
        self.requests: list[dict[str, Any]] = []
        self.stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class RawHandler(socketserver.StreamRequestHandler):
    server: RawService
    timeout = 5  # a client that stalls us does not keep a thread forever

    def handle(self) -> None:
        try:
            head = b""
            while not head.endswith(b"\r\n\r\n") and len(head) < 65536:
                line = self.rfile.readline(8192)
                if not line:
                    return
                head += line
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
            body = self.rfile.read(int(headers.get("content-length", "0")))
            self.server.requests.append({"line": lines[0], "headers": headers, "body": body})
            self.segments = json.loads(json.loads(body)["messages"][-1]["content"])["segments"] if body else []
            self.server.behaviour(self)
        except (OSError, ValueError):
            pass  # the client gave up, or sent nothing we understand

    def send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def answer(self, body: bytes, status: str = "200 OK", headers: tuple[str, ...] = ()) -> None:
        extra = "".join(f"{h}\r\n" for h in headers)
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        self.send(head.encode("latin-1") + body)

    def drip(self, data: bytes, every: float = 0.2, limit: int = 100) -> None:
        """``data`` a byte at a time, then a byte of padding every ``every`` s: at most ``limit`` bytes."""
        data = data + b" " * limit
        for k in range(limit):
            if self.server.stop.is_set():
                return
            self.send(data[k : k + 1])
            time.sleep(every)


@pytest.fixture
def raw_service() -> Iterator[RawService]:
    server = RawService()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def _completion(items: list[dict[str, Any]] | str, raw: str | None = None) -> bytes:
    """A chat-completions answer whose content is ``{"translations": items}`` (or ``raw`` text)."""
    content = raw if raw is not None else json.dumps({"translations": items}, ensure_ascii=False)
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()


def _good(handler: RawHandler) -> list[dict[str, Any]]:
    return [{"id": s["id"], "text": f"EN {s['text']}"} for s in handler.segments]


def _translate(url: str, tmp_path: Path, segments: list[Segment] = SEGMENTS, **options: Any):
    opts = {"base_url": url, "batch_size": 10, "timeout": 2, "retries": 0, "backoff": 0.01, "cache": False, **options}
    settings = Settings.from_profile({"translators": ["openai"], "catalogs": [], "openai": opts})
    diagnostics = Diagnostics()
    chain = make_chain(settings, Resources(settings, diagnostics), None)
    try:
        found = chain.translate(segments)
    finally:
        chain.close()
    return found, [d.message for d in diagnostics.warnings]


def _guarded(call: Callable[[], Any], limit: float) -> tuple[Any, float]:
    """``call()`` in a daemon thread, given up after ``limit`` seconds: (its result, seconds it took)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # reported below, in the test's thread
            box["error"] = exc

    start = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    took = time.monotonic() - start
    assert not thread.is_alive(), f"still waiting for the server after {took:.1f} s"
    if "error" in box:
        raise box["error"]
    return box["result"], took


# --- time and size ----------------------------------------------------------------------------------------


def _drip_body(handler: RawHandler) -> None:
    handler.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    handler.drip(b'{"choices": ')


def _drip_headers(handler: RawHandler) -> None:
    handler.drip(b"HTTP/1.1 200 OK\r\nX-Slow: ")


@pytest.mark.parametrize("behaviour", [_drip_body, _drip_headers], ids=["body", "headers"])
def test_a_server_dripping_bytes_cannot_stall_the_build(raw_service, tmp_path, behaviour):
    """Each byte comes well within ``timeout``: only the ``deadline`` ends the request."""
    raw_service.behaviour = behaviour
    (found, warnings), took = _guarded(
        lambda: _translate(raw_service.url, tmp_path, timeout=0.5, deadline=1.5), limit=10
    )
    assert found == {}
    assert took < 3.0, took
    assert any(
        "2 segments left untranslated: no complete answer within the deadline of 1.5 s after 1 attempt" in w
        for w in warnings
    ), warnings


def test_the_deadline_covers_every_attempt(raw_service, tmp_path):
    raw_service.behaviour = _drip_body
    (found, warnings), took = _guarded(
        lambda: _translate(raw_service.url, tmp_path, timeout=0.5, deadline=0.6, retries=2), limit=10
    )
    assert found == {} and len(raw_service.requests) == 3
    assert took < 3.0, took
    assert any("deadline of 0.6 s after 3 attempts" in w for w in warnings), warnings


def _endless(handler: RawHandler) -> None:
    """A close-delimited body of JSON whitespace that goes on (up to 64 MiB)."""
    handler.send(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"choices": ')
    block = b" " * 65536
    for _ in range(1024):
        if handler.server.stop.is_set():
            return
        handler.send(block)


def _declared(handler: RawHandler) -> None:
    handler.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000000000\r\n\r\n")
    handler.send(b'{"choices": ' + b" " * 65536)


@pytest.mark.parametrize("behaviour", [_endless, _declared], ids=["streamed", "declared"])
def test_an_oversized_answer_is_refused(raw_service, tmp_path, behaviour):
    raw_service.behaviour = behaviour
    (found, warnings), _ = _guarded(lambda: _translate(raw_service.url, tmp_path, max_bytes=1_000_000), limit=30)
    assert found == {}
    assert any("the answer is longer than max_bytes (1000000 bytes); refused" in w for w in warnings), warnings


def test_redirects_are_not_followed(raw_service, tmp_path, monkeypatch):
    """Following one would send the API key (and the text) to wherever the server points."""
    elsewhere = RawService()
    threading.Thread(target=elsewhere.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        where = f"http://127.0.0.1:{elsewhere.server_address[1]}/steal"
        raw_service.behaviour = lambda h: h.answer(b"", "302 Found", (f"Location: {where}",))
        monkeypatch.setenv("DESK_KEY", "sk-secret")
        found, warnings = _translate(raw_service.url, tmp_path, api_key_env="DESK_KEY")
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()
    assert found == {} and elsewhere.requests == []
    assert any("HTTP 302 Found (redirects are not followed; check base_url)" in w for w in warnings), warnings


def test_an_error_message_that_is_not_text(raw_service, tmp_path):
    raw_service.behaviour = lambda h: h.answer(b'{"error": {"message": 5}}', "500 Internal Server Error")
    found, warnings = _translate(raw_service.url, tmp_path)
    assert found == {}
    assert any("HTTP 500 Internal Server Error after 1 attempt" in w for w in warnings), warnings


# --- hostile JSON in the answer ----------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def _body(handler: RawHandler, case: str) -> bytes:
    good = _good(handler)
    first = handler.segments[0]["id"]
    if case == "huge integer in the answer":
        return b'{"id": ' + HUGE.encode() + b', "choices": []}'
    if case == "deep answer":
        return DEEP.encode()
    if case == "huge integer in the content":
        return _completion([], raw='{"translations": [{"id": ' + HUGE + ', "text": "x"}]}')
    if case == "deep content":
        return _completion([], raw=DEEP)
    if case == "text not a string":
        return _completion([{"id": first, "text": ["EN"]}])
    if case == "control characters":
        return _completion([{"id": first, "text": "EN\x1b[2J\x00"}, *good[1:]])
    if case == "unpaired surrogate":
        return _completion([], raw=json.dumps({"translations": [good[1], {"id": first, "text": "EN \ud800"}]}))
    if case == "bidi override":
        return _completion([{"id": first, "text": "EN \u202egnp.exe"}, *good[1:]])
    if case == "duplicate ids":
        return _completion([*good, {"id": first, "text": "EN second"}])
    if case == "far too long":
        return _completion([{"id": first, "text": "EN " * 10_000}, *good[1:]])
    raise AssertionError(case)


HOSTILE = {
    "huge integer in the answer": (0, "the answer is not JSON (Exceeds the limit (4300 digits)"),
    "deep answer": (0, "the answer is not JSON (nested too deeply)"),
    "huge integer in the content": (0, "malformed answer: the content is not JSON (Exceeds the limit"),
    "deep content": (0, "malformed answer: the content is JSON nested too deeply"),
    "text not a string": (0, "malformed answer: a translation's text is list, not a string"),
    "control characters": (1, "ignored 1 translations with control characters (left untranslated)"),
    "unpaired surrogate": (1, "ignored 1 translations with control characters (left untranslated)"),
    "bidi override": (1, "ignored 1 translations with control characters (left untranslated)"),
    "duplicate ids": (2, "ignored 1 items whose id came a second time in the answer"),
    "far too long": (1, "ignored 1 translations far longer than their segment (left untranslated)"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_json_answers_are_refused_with_a_warning(raw_service, tmp_path, case):
    kept, message = HOSTILE[case]
    raw_service.behaviour = lambda h: h.answer(_body(h, case))
    (found, warnings), _ = _guarded(lambda: _translate(raw_service.url, tmp_path), limit=20)
    assert len(found) == kept, found
    assert any(message in w for w in warnings), warnings
    assert all(t.text.isprintable() and len(t.text) < 100 for t in found.values())
    if case == "duplicate ids":
        assert found[SEGMENTS[0].id].text == "EN 沪深300指数上涨"  # the first answer counts


# --- JSON models with what json.loads accepts or chokes on --------------------------------------------------

POSITIONED = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.*)$", re.MULTILINE)
MODEL = (
    '{"version": 1, "source": "x",\n'
    ' "reports": [{"id": "000000000000", "title": "t", "institution": "i",'
    ' "published_at": "2025-02-16T16:06", "sections": [{"heading": "h", "level": 1, "role": "body"}]}],\n'
    ' "note": "a string with 1e999, NaN and a \\"quoted\\": key", "extra": {"a": [1, 2.5, %s]}}\n'
)
COLUMN = MODEL.split("\n")[2].index("%s") + 1  # where the token stands, on line 3


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("9" * 4301, "invalid JSON: integer of 4301 digits; at most 4300 are read"),
        ("-" + "9" * 5000, "invalid JSON: integer of 5000 digits; at most 4300 are read"),
        ("1e999", "invalid JSON: number 1e999 is too large"),
        ("-1.5E+400", "invalid JSON: number -1.5E+400 is too large"),
        ("NaN", "invalid JSON: NaN is not a JSON number"),
        ("Infinity", "invalid JSON: Infinity is not a JSON number"),
        ("-Infinity", "invalid JSON: -Infinity is not a JSON number"),
        ('{"k": 1, "k": 2}', 'invalid JSON: duplicate key "k"'),
    ],
    ids=["huge-int", "huge-negative-int", "1e999", "huge-float", "NaN", "Infinity", "-Infinity", "duplicate-key"],
)
def test_json_model_numbers_and_keys_are_positioned_errors(cli, tmp_path, token, message):
    path = tmp_path / "model.json"
    path.write_text(MODEL % token, encoding="utf-8")
    result = cli("parse", str(path))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "internal error" not in output
    match = POSITIONED.search(output)
    assert match, output
    column = COLUMN + (len('{"k": 1, ') if token.startswith("{") else 0)
    assert (match["file"], match["line"], match["col"]) == (str(path), "3", str(column))
    assert match["message"] == message


def test_json_model_duplicate_key_in_a_report(cli, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(MODEL.replace('"title": "t"', '"title": "t",\n  "title": "u"') % "0", encoding="utf-8")
    result = cli("check", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert f'{path}:3:3: error: invalid JSON: duplicate key "title"' in result.stdout


def test_json_model_with_large_but_readable_numbers_is_read(cli, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(MODEL % ("9" * 4300 + ", 1e308, -0.0"), encoding="utf-8")
    result = cli("parse", str(path))
    assert result.returncode == 0, result.stderr
