"""The ``openai`` translator against a real HTTP server on loopback that speaks chat completions.

The server (``http.server`` in a thread) answers like an OpenAI-compatible
service: it reads the batch of segments the translator sends as JSON and
answers ``{"translations": [...]}``, or misbehaves on demand: slow answers,
429 with Retry-After, 500, 401, malformed JSON, too few items.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polib
import pytest

from publisher.diagnostics import Diagnostics
from publisher.i18n.segments import HEADING, TEXT, Segment
from publisher.i18n.translate import Resources, Settings, make_chain


class FakeService(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: list[str] = []  # behaviours for the next requests; "ok" once it is empty
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.slow = 1.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(BaseHTTPRequestHandler):
    server: FakeService

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        with self.server.lock:
            behaviour = self.server.script.pop(0) if self.server.script else "ok"
            self.server.calls.append(
                {"path": self.path, "body": body, "time": time.monotonic(), "auth": self.headers.get("Authorization")}
            )
        if behaviour == "429":
            return self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "1"})
        if behaviour == "500":
            return self._send(500, b'{"error": {"message": "server exploded"}}')
        if behaviour == "401":
            return self._send(401, b'{"error": {"message": "invalid api key"}}')
        if behaviour == "slow":
            time.sleep(self.server.slow)
        user = json.loads(body["messages"][-1]["content"])
        items = [{"id": s["id"], "text": f"EN[{s['context']}] {s['text']}"} for s in user["segments"]]
        if behaviour == "short":
            items = items[:1]
        if behaviour == "markup":
            items = [{"id": s["id"], "text": "<script>window.pwned=1</script>"} for s in user["segments"]]
        content = json.dumps({"translations": items}, ensure_ascii=False)
        if behaviour == "malformed":
            content = "Sure! Here are your translations: " + content[:20]
        if behaviour == "fenced":
            content = "```json\n" + content + "\n```"
        answer = {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
        self._send(200, json.dumps(answer).encode("utf-8"))


@pytest.fixture
def service():
    server = FakeService()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


SEGMENTS = [Segment(TEXT, f"第{i}条:沪深300指数上涨") for i in range(5)] + [Segment(HEADING, "风险提示")]


def _translate(service, tmp_path, segments=SEGMENTS, **options):
    opts = {"base_url": service.url, "batch_size": 2, "timeout": 5, "retries": 2, "backoff": 0.05,
            "cache": str(tmp_path / "cache.sqlite3"), **options}  # fmt: skip
    settings = Settings.from_profile({"translators": ["openai"], "catalogs": [], "openai": opts})
    diagnostics = Diagnostics()
    chain = make_chain(settings, Resources(settings, diagnostics), None)
    try:
        found = chain.translate(segments)
    finally:
        chain.close()
    return found, diagnostics


def test_batches_json_answers_and_machine_state(service, tmp_path):
    found, diagnostics = _translate(service, tmp_path)
    assert not diagnostics.items
    assert len(service.calls) == 3  # six segments, two per request
    assert {found[s.id].text for s in SEGMENTS[:1]} == {"EN[text] 第0条:沪深300指数上涨"}
    assert {t.state for t in found.values()} == {"machine"}
    request = service.calls[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["response_format"] == {"type": "json_object"}
    user = json.loads(request["body"]["messages"][-1]["content"])
    assert user["glossary"] == {"沪深300指数": "CSI 300 Index"}  # glossary terms go along
    assert request["auth"] is None  # no key needed for a local endpoint without one


def test_each_segment_is_sent_once_thanks_to_the_cache(service, tmp_path):
    _translate(service, tmp_path)
    first = len(service.calls)
    again, diagnostics = _translate(service, tmp_path)
    assert len(service.calls) == first and len(again) == len(SEGMENTS) and not diagnostics.items
    more = [*SEGMENTS, Segment(TEXT, "新的一条")]
    _translate(service, tmp_path, more)
    sent = json.loads(service.calls[-1]["body"]["messages"][-1]["content"])["segments"]
    assert len(service.calls) == first + 1 and [s["text"] for s in sent] == ["新的一条"]


def test_api_key_from_the_environment(service, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_LLM_KEY", "sk-test-123")
    _translate(service, tmp_path, api_key_env="DESK_LLM_KEY")
    assert service.calls[0]["auth"] == "Bearer sk-test-123"


def test_429_waits_as_long_as_retry_after_says(service, tmp_path):
    service.script = ["429"]
    found, diagnostics = _translate(service, tmp_path, segments=SEGMENTS[:2])
    assert len(found) == 2 and not diagnostics.items
    assert service.calls[1]["time"] - service.calls[0]["time"] >= 0.95


def test_500_and_timeouts_are_retried_with_backoff(service, tmp_path):
    service.script = ["500", "slow"]
    service.slow = 1.5
    found, diagnostics = _translate(service, tmp_path, segments=SEGMENTS[:2], timeout=0.5)
    assert len(found) == 2 and not diagnostics.items
    assert len(service.calls) == 3


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (["500"] * 3, "HTTP 500 Internal Server Error: server exploded after 3 attempts"),
        (["malformed"], "malformed answer: the content is not JSON"),
        (["401"], "HTTP 401 Unauthorized: invalid api key"),
    ],
)
def test_failures_leave_segments_untranslated_with_a_warning(service, tmp_path, script, message):
    service.script = list(script)
    found, diagnostics = _translate(service, tmp_path, segments=SEGMENTS[:2])
    assert found == {}
    assert not diagnostics.errors
    assert any(message in d.message and "2 segments left untranslated" in d.message for d in diagnostics.warnings), [
        d.message for d in diagnostics
    ]


def test_a_401_stops_asking_for_the_rest(service, tmp_path):
    service.script = ["401"]
    found, diagnostics = _translate(service, tmp_path)
    assert found == {} and len(service.calls) == 1
    assert any("4 segments left untranslated" in d.message for d in diagnostics.warnings)


def test_a_server_that_keeps_failing_is_given_up_on_once_across_calls(service, tmp_path):
    """A page translated a chunk at a time asks one chain many times: failures in a row add up."""
    service.script = ["500"] * 100
    opts = {"base_url": service.url, "batch_size": 2, "timeout": 5, "retries": 1, "backoff": 0.01,
            "max_failures": 2, "cache": str(tmp_path / "cache.sqlite3")}  # fmt: skip
    settings = Settings.from_profile({"translators": ["openai"], "catalogs": [], "openai": opts})
    diagnostics = Diagnostics()
    chain = make_chain(settings, Resources(settings, diagnostics), None)
    try:
        for start in range(0, 6, 2):
            assert chain.translate(SEGMENTS[start : start + 2]) == {}
    finally:
        chain.close()
    assert len(service.calls) == 4  # two batches, two attempts each; the third call asks nothing
    assert any("2 batches in a row failed" in d.message for d in diagnostics.warnings)


def test_wrong_number_of_items_keeps_what_matches(service, tmp_path):
    service.script = ["short"]
    found, diagnostics = _translate(service, tmp_path, segments=SEGMENTS[:2])
    assert list(found) == [SEGMENTS[0].id]
    (warning,) = diagnostics.warnings
    assert "the answer had 1 items for 2 segments; 1 segments left untranslated" in warning.message


def test_code_fenced_json_is_accepted(service, tmp_path):
    service.script = ["fenced"]
    found, diagnostics = _translate(service, tmp_path, segments=SEGMENTS[:2])
    assert len(found) == 2 and not diagnostics.items


def test_unreachable_service_is_a_warning(tmp_path):
    class Nowhere:
        url = "http://127.0.0.1:9/v1"

    found, diagnostics = _translate(Nowhere(), tmp_path, segments=SEGMENTS[:2], retries=1)
    assert found == {}
    assert any("cannot reach http://127.0.0.1:9/v1/chat/completions" in d.message for d in diagnostics.warnings)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1/v1", "is not a valid URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:99999/v1", "is not a valid URL (Port out of range 0-65535)"),
        ("http:///v1", "names no host"),
    ],
)
def test_a_malformed_base_url_is_one_clear_warning(tmp_path, url, message):
    broken = type("Broken", (), {"url": url})()
    found, diagnostics = _translate(broken, tmp_path, segments=SEGMENTS[:2])
    assert found == {}
    assert [d.message for d in diagnostics] == [f"openai translator: base_url {url!r} {message}"]


def test_no_key_for_the_public_endpoint_is_one_clear_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = Settings.from_profile({"translators": ["openai"], "catalogs": [], "openai": {"cache": False}})
    diagnostics = Diagnostics()
    chain = make_chain(settings, Resources(settings, diagnostics), None)
    assert chain.translate(SEGMENTS) == {}
    assert [d.message for d in diagnostics] == [
        "openai translator: no API key in $OPENAI_API_KEY; segments it would draft stay untranslated"
    ]


def test_build_with_machine_drafts_marks_them_and_survives_failures(cli, service, tmp_path, sample_path):
    service.script = ["500", "500", "500"]  # the first batch fails for good, the others succeed
    digest = tmp_path / "digest.txt"
    digest.write_text(sample_path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    args = [
        "build", str(digest), "-a", "global", "-o", str(out),
        "-D", 'i18n.translators=["glossary", "catalog", "openai"]',
        "-D", f'i18n.openai.base_url="{service.url}"',
        "-D", "i18n.openai.batch_size=50", "-D", "i18n.openai.retries=2", "-D", "i18n.openai.backoff=0.01",
    ]  # fmt: skip
    result = cli(*args, env={"PUBLISHER_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert "warning: openai translator: 50 segments left untranslated: HTTP 500" in result.stderr
    html = (out / "global" / "digest.html").read_text(encoding="utf-8")
    assert html.count('class="flag flag-machine"') > 100
    assert "needing review, 50 missing." in html  # the footer counts the texts the page shows
    assert "Haitong International" in html  # the glossary still comes first


def test_i18n_translate_stores_drafts_in_the_catalog_for_review(cli, service, tmp_path, sample_path):
    catalog = tmp_path / "new.en.po"
    assert cli("i18n", "extract", str(sample_path), "-o", str(catalog)).returncode == 0
    env = {"PUBLISHER_CACHE_DIR": str(tmp_path / "cache")}
    result = cli(
        "i18n", "translate", str(catalog), "--with", "openai", "-D", f'i18n.openai.base_url="{service.url}"', env=env
    )
    assert result.returncode == 0, result.stderr
    assert "237 entries drafted by machine (marked fuzzy, machine), 0 still untranslated" in result.stdout
    entries = [e for e in polib.pofile(str(catalog)) if e.msgid]
    assert all(e.flags == ["fuzzy", "machine"] for e in entries)
    assert all(e.tcomment.startswith("machine translation: openai:gpt-4o-mini@") for e in entries)
    status = cli("i18n", "status", str(sample_path), "--catalog", str(catalog), "-D", 'i18n.translators=["catalog"]')
    row = next(line for line in status.stdout.splitlines() if line.startswith("research-digest"))
    assert row.split()[1:7] == ["228", "0", "0", "228", "0", "0"]


def test_translate_needs_a_machine_translator(cli, tmp_path, sample_path):
    catalog = tmp_path / "c.po"
    cli("i18n", "extract", str(sample_path), "-o", str(catalog))
    for args, message in (
        ((), "lists no machine translator"),
        (("--with", "glossary"), "'glossary' is not a machine translator"),
        (("--with", "deepl"), "unknown translator 'deepl'"),
    ):
        result = cli("i18n", "translate", str(catalog), *args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_wrong_options_are_a_usage_error(cli, sample_path, tmp_path):
    args = ["-D", 'i18n.translators=["openai"]', "-D", 'i18n.openai.batch_size="many"', "-o", str(tmp_path)]
    result = cli("build", str(sample_path), "-a", "global", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "i18n.openai.batch_size must be a number of at least 1, not 'many'" in result.stderr
