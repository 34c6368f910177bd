"""``publisher deliver``: each recipient's built files, by e-mail, to a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from email import policy
from pathlib import Path
from typing import Any

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

EXAMPLE = Path(__file__).parents[2] / "examples" / "research-digest-2025-02-16.txt"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK queued"


@pytest.fixture
def server():
    inbox, port = Inbox(), free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def recipients(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "recipients.toml"
    path.write_text(
        f"""\
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"                 # a relay on loopback
sender = "research-desk@example.com"

[[recipient]]
id = "wang"
name = "王总"
audience = "executive"
email = "wang@example.com"
[[recipient.filter]]
institutions = ["国信证券", "天风证券"]

[[recipient]]
id = "client-a"
name = "Client A"
audience = "executive"
locale = "en"
email = "a@client.example"
[[recipient.filter]]
keywords = ["DeepSeek"]

[[recipient]]
id = "archive"
audience = "executive"
""",
        encoding="utf-8",
    )
    return path


def test_build_then_deliver_sends_each_briefing_once(cli, tmp_path, server):
    inbox, port = server
    listing = recipients(tmp_path, port)
    out = tmp_path / "out"
    built = cli("build", str(EXAMPLE), "--recipients", str(listing), "-o", str(out))
    assert built.returncode == 0, built.stderr
    sent = cli("deliver", "--recipients", str(listing), "-o", str(out))
    assert sent.returncode == 0, sent.stderr
    assert "sent  wang <wang@example.com>  1 file" in sent.stdout
    assert len(inbox.received) == 2  # the archive recipient has no address: nothing to send
    by_address = {to[0]: email.message_from_bytes(data, policy=policy.default) for to, data in inbox.received}
    wang = by_address["wang@example.com"]
    assert wang["Subject"] == "王总 的研究简报:research-digest-2025-02-16"
    (attachment,) = list(wang.iter_attachments())
    assert attachment.get_filename() == "research-digest-2025-02-16.docx"
    assert attachment.get_content() == (out / "recipients" / "wang" / "research-digest-2025-02-16.docx").read_bytes()
    assert by_address["a@client.example"]["Subject"].startswith("Research briefing for Client A")
    again = cli("deliver", "--recipients", str(listing), "-o", str(out))
    assert again.returncode == 0 and "already sent" in again.stdout and len(inbox.received) == 2


def test_dry_run_writes_the_messages(cli, tmp_path, server):
    inbox, port = server
    listing = recipients(tmp_path, port)
    out = tmp_path / "out"
    assert cli("build", str(EXAMPLE), "--recipients", str(listing), "-o", str(out)).returncode == 0
    dry = cli("deliver", "--recipients", str(listing), "-o", str(out), "--dry-run", "--only", "wang")
    assert dry.returncode == 0, dry.stderr
    message = email.message_from_bytes((out / "outbox" / "wang.eml").read_bytes(), policy=policy.default)
    assert message["To"] == "wang@example.com" and not inbox.received
    real = cli("deliver", "--recipients", str(listing), "-o", str(out), "--only", "wang")
    assert "sent  wang" in real.stdout and len(inbox.received) == 1  # a dry run marked nothing sent


def test_a_server_that_refuses_marks_nothing(cli, tmp_path):
    listing = recipients(tmp_path, free_port())  # nothing listens there
    out = tmp_path / "out"
    assert cli("build", str(EXAMPLE), "--recipients", str(listing), "-o", str(out)).returncode == 0
    result = cli("deliver", "--recipients", str(listing), "-o", str(out))
    assert result.returncode == 1 and "failed  wang" in result.stdout and "Traceback" not in result.stderr
    assert not (out / "recipients" / "wang" / ".publisher" / "sent.json").exists()


def test_settings_never_from_the_command_line_and_errors_are_clear(cli, tmp_path):
    listing = tmp_path / "recipients.toml"
    listing.write_text(
        '[smtp]\nhost = "127.0.0.1"\nsender = "d@example.com"\npassword = "secret"\n\n'
        '[[recipient]]\nid = "x"\naudience = "executive"\nemail = "x@example.com"\n',
        encoding="utf-8",
    )
    result = cli("deliver", "--recipients", str(listing), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "put the password in the environment" in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_built_yet_is_a_warning(cli, tmp_path, server):
    _, port = server
    listing = recipients(tmp_path, port)
    result = cli("deliver", "--recipients", str(listing), "-o", str(tmp_path / "empty"))
    assert result.returncode == 0 and "nothing built for it yet" in result.stderr
