"""The e-mail sink against real SMTP servers on 127.0.0.1: delivery, the sent log, failures, deadlines, safety.

Well-behaved servers are aiosmtpd's; the misbehaving ones (dropping the
connection mid-message, trickling a reply) are tiny raw socket servers in a
thread.  Every server stops by itself.
"""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from publisher.sinks.email import Delivery, EmailError, EmailSink, SmtpSettings

SENDER = "desk@example.com"
TO = "reader@example.org"
CHINESE = "研究简报.docx"
CLOCK = datetime(2025, 2, 16, 9, 30, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    """An aiosmtpd handler: keeps what it receives, or replies ``reply`` instead, after ``delay`` seconds."""

    def __init__(self, reply: str = "250 OK queued", delay: float = 0.0) -> None:
        self.reply, self.delay = reply, delay
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.reply

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(data, policy=policy.default) for _, _, data in self.received]  # type: ignore[misc]


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, int]]]:
    """Start aiosmtpd servers on 127.0.0.1 (``start(handler, **smtp_options)``); all stopped at the end."""
    controllers: list[Controller] = []

    def start(handler: Recorder | None = None, **options: Any) -> tuple[Recorder, int]:
        handler = handler or Recorder()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


class RawServer:
    """A one-connection SMTP server that misbehaves at DATA: ``drop`` the connection, or ``trickle`` its reply."""

    def __init__(self, mode: str, lifetime: float = 15.0) -> None:
        self.mode, self.lifetime = mode, lifetime
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(lifetime)
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        end = time.monotonic() + self.lifetime
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        finally:
            self.listener.close()
        with conn:
            conn.settimeout(self.lifetime)
            reader = conn.makefile("rb")
            try:
                conn.sendall(b"220 raw test server\r\n")
                while time.monotonic() < end:
                    line = reader.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        break
                    if verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    conn.sendall(b"250 ok\r\n")
                if self.mode == "drop":
                    conn.sendall(b"354 go ahead\r\n")
                    reader.readline()  # a first line of the message, then the connection is gone
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                for byte in b"354 go ahead, send the message when this line ends\r\n":
                    if time.monotonic() > end:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.5)
            except OSError:
                return


def settings(port: int, **changes: Any) -> SmtpSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER, "timeout": 5.0}
    values.update(changes)
    return SmtpSettings(**values)


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    """A recipient's output folder with a Word file (Chinese name), a workbook and a Markdown page."""
    root = tmp_path / "out" / "alice"
    (root / "pages").mkdir(parents=True)
    (root / CHINESE).write_bytes(b"PK\x03\x04 word bytes \x00\xff")
    (root / "metrics.xlsx").write_bytes(b"PK\x03\x04 workbook \x01\x02")
    (root / "pages" / "day.md").write_bytes("# 今天\n\nnotes\n".encode())
    return root


FILES = [CHINESE, "metrics.xlsx", "pages/day.md"]


def make_sink(tmp_path: Path, port: int, **changes: Any) -> EmailSink:
    return EmailSink(settings(port, **changes), tmp_path / "state" / "sent.json", clock=lambda: CLOCK)


def deliver(sink: EmailSink, root: Path, files: list[str] | None = None, **options: Any) -> Delivery:
    values: dict[str, Any] = {"subject": "Research digest 2025-02-16", "body": "今日简报 attached.\n"}
    values.update(options)
    return sink.deliver("alice", TO, root=root, files=FILES if files is None else files, **values)


def sent_log(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "state" / "sent.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


# 1. one message with the attachments


def test_sends_one_message_with_the_attachments(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    result = deliver(make_sink(tmp_path, port), outbox)
    assert result.status == "sent", result.detail
    assert result.files == FILES
    assert result.detail.startswith("250")
    assert len(handler.received) == 1
    mail_from, rcpt_tos, _ = handler.received[0]
    assert (mail_from, rcpt_tos) == (SENDER, [TO])
    message = handler.messages()[0]
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, TO, "Research digest 2025-02-16")
    assert message["Date"].datetime == CLOCK
    assert message["Message-ID"].endswith("@example.com>")
    body = message.get_body(("plain",))
    assert body is not None and body.get_content() == "今日简报 attached.\r\n"  # text in canonical form: CRLF
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert list(attachments) == [CHINESE, "metrics.xlsx", "day.md"]
    for name, relative in zip(attachments, FILES, strict=True):
        assert attachments[name].get_payload(decode=True) == (outbox / relative).read_bytes()
    assert attachments[CHINESE].get_content_type().endswith("wordprocessingml.document")
    assert attachments["metrics.xlsx"].get_content_type().endswith("spreadsheetml.sheet")
    assert attachments["day.md"].get_content_type() == "text/markdown"
    assert sent_log(tmp_path)["alice"]["address"] == TO
    assert set(sent_log(tmp_path)["alice"]["sent"]) == set(FILES)


# 2. a re-run sends nothing; a changed file is sent again, alone


def test_rerun_sends_nothing_and_a_changed_file_goes_alone(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    sink = make_sink(tmp_path, port)
    assert deliver(sink, outbox).status == "sent"
    again = deliver(sink, outbox)
    assert (again.status, again.files) == ("already sent", FILES)
    assert len(handler.received) == 1

    (outbox / "metrics.xlsx").write_bytes(b"PK\x03\x04 a newer workbook")
    changed = deliver(sink, outbox)
    assert (changed.status, changed.files) == ("sent", ["metrics.xlsx"])
    assert len(handler.received) == 2
    names = [part.get_filename() for part in handler.messages()[1].iter_attachments()]
    assert names == ["metrics.xlsx"]
    assert deliver(sink, outbox).status == "already sent"
    assert len(handler.received) == 2


def test_a_new_address_gets_everything(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    sink = make_sink(tmp_path, port)
    assert deliver(sink, outbox).status == "sent"
    moved = sink.deliver("alice", "alice@new.example.org", "s", "b", outbox, FILES)
    assert (moved.status, moved.files) == ("sent", FILES)
    assert handler.received[1][1] == ["alice@new.example.org"]


# 3. a refusal marks nothing; a later run sends


def test_refusal_marks_nothing_and_a_later_run_sends(tmp_path, outbox, smtp_server):
    _, refusing = smtp_server(Recorder(reply="550 mailbox unavailable"))
    result = deliver(make_sink(tmp_path, refusing), outbox)
    assert (result.status, result.detail) == ("failed", "550 mailbox unavailable")
    assert result.files == FILES
    assert sent_log(tmp_path) == {}

    handler, port = smtp_server()
    assert deliver(make_sink(tmp_path, port), outbox).status == "sent"
    assert len(handler.received) == 1
    assert set(sent_log(tmp_path)["alice"]["sent"]) == set(FILES)


# 4-7. the server is slow, drops the connection, trickles, or is not there


def test_server_timeout_fails_within_the_deadline(tmp_path, outbox, smtp_server):
    _, port = smtp_server(Recorder(delay=4.0))
    started = time.monotonic()
    result = deliver(make_sink(tmp_path, port, timeout=1.0), outbox)
    elapsed = time.monotonic() - started
    assert (result.status, result.detail) == ("failed", "timed out after 1 s")
    assert elapsed < 2.5
    assert sent_log(tmp_path) == {}


def test_connection_dropped_mid_message_fails(tmp_path, outbox):
    server = RawServer("drop")
    result = deliver(make_sink(tmp_path, server.port), outbox)
    assert result.status == "failed"
    assert result.detail == "connection closed by the server"
    assert sent_log(tmp_path) == {}
    server.thread.join(5)


def test_trickling_server_is_cut_at_the_whole_message_deadline(tmp_path, outbox):
    server = RawServer("trickle")
    started = time.monotonic()
    result = deliver(make_sink(tmp_path, server.port, timeout=2.0), outbox)
    elapsed = time.monotonic() - started
    assert (result.status, result.detail) == ("failed", "timed out after 2 s")
    assert 1.9 < elapsed < 4.0
    assert sent_log(tmp_path) == {}
    server.thread.join(5)  # the server notices the closed connection and stops
    assert not server.thread.is_alive()


def test_connection_refused_fails(tmp_path, outbox):
    port = free_port()  # nothing listens there any more
    result = deliver(make_sink(tmp_path, port), outbox)
    assert result.status == "failed"
    assert result.detail == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert sent_log(tmp_path) == {}


# 8. dry run


def test_dry_run_writes_the_message_and_marks_nothing(tmp_path, outbox):
    dry = tmp_path / "dry"
    sink = make_sink(tmp_path, free_port())  # nothing listens: a dry run does not connect
    result = deliver(sink, outbox, dry_run_dir=dry)
    assert (result.status, result.detail, result.files) == ("written", str(dry / "alice.eml"), FILES)
    data = (dry / "alice.eml").read_bytes()
    message = email.message_from_bytes(data, policy=policy.default)
    assert message["To"] == TO and message["From"] == SENDER
    assert [part.get_filename() for part in message.iter_attachments()] == [CHINESE, "metrics.xlsx", "day.md"]
    assert data.isascii() and b"\r\n" in data
    assert sent_log(tmp_path) == {}
    assert not (tmp_path / "state").exists()
    # the same delivery: the same message, byte for byte (Message-ID and boundary come from the content)
    assert deliver(sink, outbox, dry_run_dir=dry).status == "written"
    assert (dry / "alice.eml").read_bytes() == data
    assert [p.name for p in dry.iterdir()] == ["alice.eml"]


def test_dry_run_refuses_a_recipient_that_is_not_a_file_name(tmp_path, outbox):
    sink = make_sink(tmp_path, free_port())
    for recipient in ("../alice", "a/b", ".hidden", "", "a b", "con"):
        with pytest.raises(EmailError):
            sink.deliver(recipient, TO, "s", "b", outbox, FILES, dry_run_dir=tmp_path / "dry")
    assert not (tmp_path / "dry").exists()


# 9. header injection, addresses


def test_subject_cannot_inject_a_header(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    result = deliver(make_sink(tmp_path, port), outbox, subject="a\r\nBcc: x@y.example\nX-Evil:\u2028yes")
    assert result.status == "sent"
    _, rcpt_tos, raw = handler.received[0]
    assert rcpt_tos == [TO]
    message = handler.messages()[0]
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "a Bcc: x@y.example X-Evil: yes"
    assert b"\nBcc:" not in raw


@pytest.mark.parametrize(
    "address",
    [
        "reader@example.org\r\nBcc: x@y.example",
        "a@b.example, c@d.example",
        "a@b.example;c@d.example",
        "Reader <reader@example.org>",
        "reader example.org",
        "reader@@example.org",
        "@example.org",
        "reader@",
        "reader @example.org",
        "rea\nder@example.org",
        "读者@example.org",
    ],
)
def test_bad_addresses_are_refused(tmp_path, outbox, address):
    sink = make_sink(tmp_path, free_port())
    with pytest.raises(EmailError, match="not a plain e-mail address"):
        sink.deliver("alice", address, "s", "b", outbox, FILES)
    with pytest.raises(EmailError, match=r"smtp\.sender"):
        settings(1, sender=address)


# 10. paths


def test_paths_outside_the_folder_are_refused(tmp_path, outbox):
    (tmp_path / "secret.txt").write_text("secret")
    (outbox / "link").symlink_to(tmp_path)
    (outbox / "secret.txt").symlink_to(tmp_path / "secret.txt")
    sink = make_sink(tmp_path, free_port())
    for path in ["../secret.txt", str(tmp_path / "secret.txt"), "/etc/passwd", "link/secret.txt", "secret.txt"]:
        with pytest.raises(EmailError, match="cannot attach"):
            sink.deliver("alice", TO, "s", "b", outbox, [CHINESE, path], dry_run_dir=tmp_path / "dry")
    with pytest.raises(EmailError, match="cannot attach"):
        sink.deliver("alice", TO, "s", "b", outbox, ["missing.docx"])
    with pytest.raises(EmailError, match="not a file"):
        sink.deliver("alice", TO, "s", "b", outbox, ["pages"])
    assert not (tmp_path / "dry").exists()


# 11. settings, STARTTLS, login


def test_settings_from_a_table_and_the_environment():
    table = {"host": "smtp.example.com", "security": "STARTTLS", "username": "desk", "sender": SENDER, "timeout": 12}
    loaded = SmtpSettings.from_mapping(table, {"PUBLISHER_SMTP_PASSWORD": "s3cret"})
    assert (loaded.host, loaded.port, loaded.security, loaded.timeout) == ("smtp.example.com", 587, "starttls", 12)
    assert (loaded.username, loaded.password) == ("desk", "s3cret")
    assert "s3cret" not in repr(loaded)

    named = SmtpSettings.from_mapping({**table, "password_env": "DESK_PW"}, {"DESK_PW": "other"})
    assert named.password == "other"
    environ = {
        "PUBLISHER_SMTP_HOST": "relay.example.net",
        "PUBLISHER_SMTP_PORT": "2525",
        "PUBLISHER_SMTP_USER": "robot",
        "PUBLISHER_SMTP_SENDER": "robot@example.net",
    }
    overridden = SmtpSettings.from_mapping(table, environ)
    assert (overridden.host, overridden.port, overridden.username, overridden.sender) == (
        "relay.example.net",
        2525,
        "robot",
        "robot@example.net",
    )
    assert overridden.password == ""
    assert SmtpSettings.from_mapping({}, environ).host == "relay.example.net"
    assert SmtpSettings.from_mapping({**table, "security": "ssl"}, {}).port == 465


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"password": "hunter2"}, "smtp.password: put the password in the environment"),
        ({"port": "x"}, "smtp.port must be a whole number from 1 to 65535, not 'x'"),
        ({"port": 0}, "smtp.port must be a whole number from 1 to 65535, not 0"),
        ({"port": 70000}, "smtp.port must be a whole number from 1 to 65535"),
        ({"port": True}, "smtp.port must be a whole number"),
        ({"security": "tls"}, "smtp.security must be 'starttls', 'ssl' or 'none'"),
        ({"sender": ""}, "smtp.sender is required"),
        ({"host": ""}, "smtp.host is required"),
        ({"host": "a b"}, "smtp.host must be a host name"),
        ({"timeout": 0}, "smtp.timeout must be a number of seconds above 0"),
        ({"timeout": "soon"}, "smtp.timeout must be a number of seconds above 0"),
        ({"password_env": "not a name"}, "smtp.password_env must name an environment variable"),
        ({"hots": "x"}, "smtp.hots is not an SMTP setting"),
    ],
)
def test_bad_settings_are_refused(table, message):
    base = {"host": "smtp.example.com", "sender": SENDER}
    with pytest.raises(EmailError) as caught:
        SmtpSettings.from_mapping({**base, **table}, {})
    assert str(caught.value).startswith(message)


def test_bad_port_from_the_environment_names_the_variable():
    with pytest.raises(EmailError, match="PUBLISHER_SMTP_PORT must be a whole number from 1 to 65535, not 'x'"):
        SmtpSettings.from_mapping({"host": "h", "sender": SENDER}, {"PUBLISHER_SMTP_PORT": "x"})


def test_starttls_not_offered_fails_without_falling_back(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()  # no tls_context: no STARTTLS
    result = deliver(make_sink(tmp_path, port, security="starttls"), outbox)
    assert (result.status, result.detail) == ("failed", "the server does not offer STARTTLS")
    assert handler.received == []
    assert sent_log(tmp_path) == {}


def test_implicit_tls_against_a_plain_server_fails(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    result = deliver(make_sink(tmp_path, port, security="ssl"), outbox)
    assert result.status == "failed"
    assert result.detail.startswith(f"TLS failure with 127.0.0.1:{port}")
    assert handler.received == []


def test_login_uses_the_password_from_the_environment(tmp_path, outbox, smtp_server):
    tries: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        tries.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    handler, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    table = {"host": "127.0.0.1", "port": port, "security": "none", "username": "desk", "sender": SENDER}
    wrong = EmailSink(SmtpSettings.from_mapping(table, {"PUBLISHER_SMTP_PASSWORD": "nope"}), tmp_path / "sent.json")
    refused = wrong.deliver("alice", TO, "s", "b", outbox, FILES)
    assert refused.status == "failed" and refused.detail.startswith("login refused: 535")
    right = EmailSink(SmtpSettings.from_mapping(table, {"PUBLISHER_SMTP_PASSWORD": "s3cret"}), tmp_path / "sent.json")
    assert right.deliver("alice", TO, "s", "b", outbox, FILES).status == "sent"
    assert tries[-1] == (b"desk", b"s3cret")
    assert len(handler.received) == 1
    missing = EmailSink(SmtpSettings.from_mapping(table, {}), tmp_path / "other.json")
    with pytest.raises(EmailError, match="no password"):
        missing.deliver("alice", TO, "s", "b", outbox, FILES)


# 12. the sent log


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"alice": 3}', b'{"alice": {"sent": 1}}', b"\xff\xfe"])
def test_a_corrupt_sent_log_reads_as_empty(tmp_path, outbox, smtp_server, content):
    handler, port = smtp_server()
    state = tmp_path / "state" / "sent.json"
    state.parent.mkdir()
    state.write_bytes(content)
    result = deliver(make_sink(tmp_path, port), outbox)
    assert result.status == "sent"
    assert len(handler.received) == 1
    assert set(sent_log(tmp_path)["alice"]["sent"]) == set(FILES)
    assert [p.name for p in state.parent.iterdir()] == ["sent.json"]  # no temporary file left


def test_the_log_keeps_other_recipients(tmp_path, outbox, smtp_server):
    handler, port = smtp_server()
    sink = make_sink(tmp_path, port)
    assert sink.deliver("bob", "bob@example.org", "s", "b", outbox, ["metrics.xlsx"]).status == "sent"
    assert deliver(sink, outbox).status == "sent"
    log = sent_log(tmp_path)
    assert set(log) == {"alice", "bob"}
    assert [rcpt for _, rcpt, _ in handler.received] == [["bob@example.org"], [TO]]
    assert log["bob"] == {"address": "bob@example.org", "sent": {"metrics.xlsx": log["alice"]["sent"]["metrics.xlsx"]}}


# 13. TLS that works: a private CA trusted through SSL_CERT_FILE (as a corporate relay's would be)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it, and an unrelated self-signed one."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def certificate(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            ).add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def write(path: Path, cert: x509.Certificate, key: Any = None) -> Path:
        data = cert.public_bytes(serialization.Encoding.PEM)
        if key is not None:
            data += key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        path.write_bytes(data)
        return path

    ca_key, server_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = certificate("publisher test CA", ca_key, "publisher test CA", ca_key, True)
    server = certificate("127.0.0.1", server_key, "publisher test CA", ca_key, False)
    other = certificate("other CA", other_key, "other CA", other_key, True)
    return {
        "ca": write(folder / "ca.pem", ca),
        "server": write(folder / "server.pem", server, server_key),
        "other": write(folder / "other.pem", other),
    }


def _server_context(tls_files: dict[str, Path]) -> Any:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files["server"])
    return context


def test_starttls_delivers_and_logs_in_only_inside_tls(tmp_path, outbox, smtp_server, tls_files, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    logins: list[bytes] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append(data.password)
        return AuthResult(success=True, handled=False)

    # aiosmtpd refuses AUTH before STARTTLS (auth_require_tls): a login that works was made inside TLS
    handler, port = smtp_server(
        tls_context=_server_context(tls_files), require_starttls=True, authenticator=authenticator
    )
    table = {"host": "127.0.0.1", "port": port, "security": "starttls", "username": "desk", "sender": SENDER}
    sink = EmailSink(SmtpSettings.from_mapping(table, {"PUBLISHER_SMTP_PASSWORD": "s3cret"}), tmp_path / "sent.json")
    result = sink.deliver("alice", TO, "s", "b", outbox, FILES)
    assert result.status == "sent", result.detail
    assert logins == [b"s3cret"]
    assert len(handler.received) == 1


def test_implicit_tls_delivers(tmp_path, outbox, smtp_server, tls_files, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    handler, port = smtp_server(ssl_context=_server_context(tls_files))
    result = deliver(make_sink(tmp_path, port, security="ssl"), outbox)
    assert result.status == "sent", result.detail
    assert [m["To"] for m in handler.messages()] == [TO]
    assert "alice" in sent_log(tmp_path)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_certificate_nobody_vouches_for_sends_nothing(
    tmp_path, outbox, smtp_server, tls_files, monkeypatch, security
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["other"]))  # trusts another CA only
    options = (
        {"tls_context": _server_context(tls_files)}
        if security == "starttls"
        else {"ssl_context": _server_context(tls_files)}
    )
    handler, port = smtp_server(**options)
    result = deliver(make_sink(tmp_path, port, security=security), outbox)
    assert result.status == "failed"
    assert result.detail.startswith(f"TLS failure with 127.0.0.1:{port}: "), result.detail
    assert "certificate" in result.detail
    assert handler.received == []
    assert sent_log(tmp_path) == {}
