"""The e-mail sink: deliver a recipient's output files as attachments of one message over SMTP.

:meth:`EmailSink.deliver` sends the files of one recipient's output folder
in a single message, and remembers what it sent:

* a sent log (a small JSON file, saved atomically) records, per recipient,
  the address and the SHA-256 of every file the server accepted; a file
  already sent to that address is not sent again, and when every file has
  been sent nothing is sent at all (no connection is made);
* the log changes only after the server accepted the message, so a failed
  delivery is tried again, whole, by the next run;
* a server failure (refused, unreachable, too slow, a dropped connection, a
  TLS failure) is a :class:`Delivery` with status ``failed`` and a one-line
  reason, never an exception; :class:`EmailError` is for what the user must
  fix (settings, addresses, paths);
* the whole conversation of one message has a deadline (``timeout``), not
  each socket read, so a server that trickles its replies cannot stall a build;
* ``starttls`` never falls back to plain text, and the password only ever
  comes from the environment;
* paths are checked as the folder sink checks them (nothing outside the
  recipient's folder, even through a symbolic link), and no header can be
  injected through a subject or an address;
* a dry run writes the message it would send as ``<recipient>.eml``.
"""

from __future__ import annotations

import hashlib
import json
import math
import mimetypes
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from .folder import UnsafePathError, atomic_write_bytes, safe_relative

SECURITY = ("starttls", "ssl", "none")
PASSWORD_ENV = "PUBLISHER_SMTP_PASSWORD"

#: Environment variables that override (or fill) keys of the settings table.
ENVIRONMENT = {
    "host": "PUBLISHER_SMTP_HOST",
    "port": "PUBLISHER_SMTP_PORT",
    "username": "PUBLISHER_SMTP_USER",
    "sender": "PUBLISHER_SMTP_SENDER",
}
KEYS = ("host", "port", "security", "username", "password_env", "sender", "timeout")

#: The formats publisher writes, whatever the system's MIME table knows (Python's own lacks docx, xlsx, md).
MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".json": "application/json",
    ".csv": "text/csv",
    ".txt": "text/plain",
}

# A plain address: a dot-atom local part, '@', a host name.  No spaces, controls, quotes, commas,
# semicolons or angle brackets, so an address can never add a header or a second recipient.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*"
)
_RECIPIENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOST = re.compile(r"[^\s/@]+")
# Line breaks of any kind (CR, LF, NEL, U+2028/9 …) and other controls: never inside a header.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class EmailError(Exception):
    """Settings, an address or a path the user must fix (a message to show, no traceback)."""


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server, and who sends.

    ``timeout`` bounds the whole conversation of one message (connection,
    TLS, login and data), not each socket read.
    """

    host: str
    port: int = 587
    security: str = "starttls"  # "starttls", "ssl" or "none"
    username: str = ""  # empty: no AUTH
    password: str = field(default="", repr=False)  # from the environment only, never shown
    sender: str = ""  # the From: address
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip():
            raise EmailError("smtp.host is required")
        if not _HOST.fullmatch(self.host):
            raise EmailError(f"smtp.host must be a host name or an IP address, not {self.host!r}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise EmailError(f"smtp.port must be a whole number from 1 to 65535, not {self.port!r}")
        if self.security not in SECURITY:
            raise EmailError(f"smtp.security must be 'starttls', 'ssl' or 'none', not {self.security!r}")
        if not isinstance(self.username, str) or _CONTROLS.search(self.username):
            raise EmailError("smtp.username must be text on one line")
        if not isinstance(self.password, str):
            raise EmailError("smtp.password must be text")
        if not isinstance(self.sender, str) or not self.sender:
            raise EmailError("smtp.sender is required (the From: address)")
        check_address("smtp.sender", self.sender)
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86400:
            raise EmailError(f"smtp.timeout must be a number of seconds above 0 (at most 86400), not {timeout!r}")
        if not math.isfinite(timeout):
            raise EmailError(f"smtp.timeout must be a number of seconds above 0 (at most 86400), not {timeout!r}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], environ: Mapping[str, str]) -> SmtpSettings:
        """Settings from a table (``[smtp]``) and the environment, which overrides the table.

        The password comes only from the environment variable named by
        ``password_env`` (``PUBLISHER_SMTP_PASSWORD`` by default).
        """
        if "password" in data:
            raise EmailError(
                "smtp.password: put the password in the environment (PUBLISHER_SMTP_PASSWORD, or the variable"
                " named by smtp.password_env), not in the settings"
            )
        unknown = sorted(str(key) for key in data if key not in KEYS)
        if unknown:
            raise EmailError(f"smtp.{unknown[0]} is not an SMTP setting (known: {', '.join(KEYS)})")
        values: dict[str, Any] = dict(data)
        names = {key: f"smtp.{key}" for key in KEYS}
        for key, variable in ENVIRONMENT.items():
            if environ.get(variable):
                values[key], names[key] = environ[variable], variable
        for key in ("host", "username", "sender", "security", "password_env"):
            if key in values and not isinstance(values[key], str):
                raise EmailError(f"{names[key]} must be text, not {values[key]!r}")
        security = values.get("security", "starttls").strip().lower()
        if security not in SECURITY:
            raise EmailError(f"{names['security']} must be 'starttls', 'ssl' or 'none', not {values['security']!r}")
        port = _port(values["port"], names["port"]) if "port" in values else (465 if security == "ssl" else 587)
        timeout = values.get("timeout", 30.0)
        if isinstance(timeout, str):
            try:
                timeout = float(timeout)
            except ValueError:
                raise EmailError(f"smtp.timeout must be a number of seconds above 0, not {timeout!r}") from None
        variable = values.get("password_env", PASSWORD_ENV)
        if not _VARIABLE.fullmatch(variable):
            raise EmailError(f"smtp.password_env must name an environment variable, not {variable!r}")
        host = values.get("host", "").strip()
        if not host:
            raise EmailError(f"smtp.host is required (in the settings, or {ENVIRONMENT['host']})")
        sender = values.get("sender", "").strip()
        if not sender:
            raise EmailError(
                f"smtp.sender is required (the From: address; in the settings, or {ENVIRONMENT['sender']})"
            )
        check_address(names["sender"], sender)
        return cls(
            host=host,
            port=port,
            security=security,
            username=values.get("username", "").strip(),
            password=environ.get(variable, ""),
            sender=sender,
            timeout=timeout,
        )


def _port(value: Any, name: str) -> int:
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise EmailError(f"{name} must be a whole number from 1 to 65535, not {value!r}")
    return value


def check_address(what: str, address: str) -> None:
    """Refuse anything but a plain ``name@domain`` address (so no header or recipient can be added)."""
    if not isinstance(address, str) or len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise EmailError(
            f"{what} {address!r} is not a plain e-mail address (name@domain in ASCII; no spaces, line breaks,"
            " commas, semicolons, quotes or angle brackets)"
        )


def one_line(text: str) -> str:
    """``text`` as one header line: line breaks and other controls become single spaces."""
    return " ".join(_CONTROLS.sub(" ", text).split())


@dataclass
class Delivery:
    """What :meth:`EmailSink.deliver` did for one recipient."""

    recipient: str  # recipient id
    address: str  # To: address
    status: str  # "sent", "already sent", "failed", "written" (dry run)
    files: list[str]  # relative paths of the attached files
    detail: str = ""  # the server's reply, the reason of a failure, or the .eml path of a dry run


@dataclass(frozen=True)
class _Attachment:
    relative: str
    data: bytes
    sha256: str


class EmailSink:
    """Deliver files by e-mail through the server of ``settings``, remembering what was sent in ``state_file``."""

    name = "email"

    def __init__(self, settings: SmtpSettings, state_file: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.state_file = Path(state_file)
        self.clock = clock or (lambda: datetime.now().astimezone())

    def deliver(
        self,
        recipient: str,
        address: str,
        subject: str,
        body: str,
        root: Path,
        files: list[str],
        dry_run_dir: Path | None = None,
    ) -> Delivery:
        """Send the files of ``files`` (relative to ``root``) not yet sent to ``address``, in one message."""
        if not isinstance(recipient, str) or not _RECIPIENT.fullmatch(recipient) or len(recipient) > 200:
            raise EmailError(f"recipient {recipient!r} is not a recipient id (letters, digits, '_', '.', '-')")
        check_address(f"the address of recipient {recipient!r}", address)
        attachments = _read(Path(root), files, recipient)
        entry = _load(self.state_file).get(recipient)
        sent = entry["sent"] if entry is not None and entry["address"] == address else {}
        new = [item for item in attachments if sent.get(item.relative) != item.sha256]
        relative = [item.relative for item in new]
        if not new:
            return Delivery(recipient, address, "already sent", [item.relative for item in attachments])
        message = self._message(recipient, address, subject, body, new)
        if dry_run_dir is not None:
            target = Path(dry_run_dir) / f"{recipient}.eml"
            try:
                safe_relative(target.name)
                atomic_write_bytes(target, message)
            except UnsafePathError:
                raise EmailError(f"recipient {recipient!r} cannot name a file") from None
            except OSError as exc:
                raise EmailError(f"{target}: cannot write: {exc.strerror or exc}") from None
            return Delivery(recipient, address, "written", relative, str(target))
        if self.settings.username and not self.settings.password:
            raise EmailError(
                f"smtp.username is {self.settings.username!r} but there is no password: set it in the environment"
                f" ({PASSWORD_ENV}, or the variable named by smtp.password_env)"
            )
        accepted, detail = self._send(address, message)
        if not accepted:
            return Delivery(recipient, address, "failed", relative, detail)
        try:
            self._record(recipient, address, new)
        except OSError as exc:
            detail += (
                f"; but the sent log {self.state_file} could not be saved ({exc.strerror or exc}):"
                " these files will be sent again"
            )
        return Delivery(recipient, address, "sent", relative, detail)

    def _message(self, recipient: str, address: str, subject: str, body: str, attachments: list[_Attachment]) -> bytes:
        """The message of a delivery, as sent (CRLF line ends, ASCII only)."""
        settings = self.settings
        digests = sorted(item.sha256 for item in attachments)
        identity = hashlib.sha256(json.dumps([recipient, digests]).encode("utf-8")).hexdigest()
        domain = settings.sender.rsplit("@", 1)[1]
        # 7bit: headers RFC 2047/2231-encoded and text in quoted-printable or base64, so the message is ASCII
        # and needs neither 8BITMIME nor SMTPUTF8 of the server.
        message = EmailMessage(policy=policy.SMTP.clone(cte_type="7bit"))
        message["From"] = settings.sender
        message["To"] = address
        message["Subject"] = one_line(subject)
        message["Date"] = format_datetime(self.clock())
        message["Message-ID"] = f"<{identity[:32]}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        message.set_content(body)
        content = hashlib.sha256(body.encode("utf-8", "surrogatepass") + identity.encode("ascii"))
        for item in attachments:
            name = item.relative.rsplit("/", 1)[-1]
            maintype, subtype = _mime_type(name).split("/", 1)
            message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=name)
            content.update(item.relative.encode("utf-8", "surrogatepass") + item.sha256.encode("ascii"))
        # A boundary made from the content, not random (with the same clock, the same delivery gives the
        # same bytes); the content cannot contain it, since it is a hash of that content.
        message.set_boundary(f"=_{content.hexdigest()[:40]}")
        return message.as_bytes()

    def _record(self, recipient: str, address: str, sent: list[_Attachment]) -> None:
        # Read again just before saving: another run may have recorded other recipients meanwhile.
        log = _load(self.state_file)
        entry = log.get(recipient)
        known = dict(entry["sent"]) if entry is not None and entry["address"] == address else {}
        known.update({item.relative: item.sha256 for item in sent})
        log[recipient] = {"address": address, "sent": dict(sorted(known.items()))}
        data = json.dumps(log, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write_bytes(self.state_file, data.encode("utf-8", "surrogatepass"))

    def _send(self, address: str, message: bytes) -> tuple[bool, str]:
        """Send ``message`` to ``address``: (accepted, one-line detail).  Never raises for a server failure.

        The conversation runs in a worker thread; when the deadline passes, its sockets are shut down
        (which wakes any blocked read) and any socket it opens later is shut down at once, so a late
        worker (stuck in a name lookup) can never go on to send.
        """
        timeout = self.settings.timeout
        watchdog = _Watchdog()
        outcome: list[tuple[bool, str]] = []
        done = threading.Event()

        def report(accepted: bool, detail: str) -> None:
            if not outcome:
                outcome.append((accepted, detail))
            done.set()

        def work() -> None:
            try:
                self._converse(watchdog, address, message, report)
            except BaseException as exc:  # never let the worker die silently
                report(False, _describe(exc, "send", self.settings, watchdog.expired))
            finally:
                watchdog.close()
                done.set()

        deadline = time.monotonic() + timeout
        worker = threading.Thread(target=work, name="publisher-smtp", daemon=True)
        worker.start()
        if not done.wait(timeout):
            watchdog.expire()
            done.wait(1.0)  # the conversation unwinds; a message accepted at the last moment still counts
        # After the answer, QUIT may take what is left of the deadline, then the connection is cut.
        worker.join(max(0.0, min(2.0, deadline - time.monotonic())))
        if worker.is_alive():
            watchdog.expire()
            worker.join(0.5)
        if outcome and outcome[0][0]:
            return outcome[0]
        if watchdog.expired or not outcome:
            return False, f"timed out after {timeout:g} s"
        return outcome[0]

    def _converse(self, watchdog: _Watchdog, address: str, message: bytes, report: Callable[[bool, str], None]) -> None:
        settings = self.settings
        phase = "connect"
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = _GuardedSSL(watchdog, settings.timeout, ssl.create_default_context())
        else:
            smtp = _GuardedSMTP(watchdog, settings.timeout)
        try:
            code, reply = smtp.connect(settings.host, settings.port)
            if code != 220:
                return report(False, _reply(code, reply))
            phase = "greet"
            smtp.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    return report(False, "the server does not offer STARTTLS")
                phase = "tls"
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.username:
                phase = "login"
                smtp.login(settings.username, settings.password)
            phase = "send"
            code, reply = smtp.mail(settings.sender)
            if code != 250:
                return report(False, _reply(code, reply))
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                return report(False, _reply(code, reply))
            code, reply = smtp.data(message)
            if code != 250:
                return report(False, _reply(code, reply))
            report(True, _reply(code, reply))
            phase = "quit"
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the message was accepted: a failed goodbye changes nothing
        except Exception as exc:
            report(False, _describe(exc, phase, settings, watchdog.expired))
        finally:
            smtp.close()


class _Watchdog:
    """The sockets of one conversation, to shut down when its deadline passes.

    It keeps a duplicate of each socket's descriptor: shutting that down ends
    the connection even after the socket was wrapped in TLS (which detaches
    the original socket object).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shutdown(sock)
                return
            try:
                self._sockets.append(sock.dup())
            except OSError:
                pass

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _GuardedSMTP(smtplib.SMTP):
    """smtplib's client, its socket watched by a :class:`_Watchdog`."""

    def __init__(self, watchdog: _Watchdog, timeout: float) -> None:
        self.watchdog = watchdog
        super().__init__(timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # STARTTLS checks the certificate against the name smtplib keeps only when the
        # constructor connects: without it every STARTTLS failed ("check_hostname requires
        # server_hostname")
        self._host = host
        sock = socket.create_connection((host, port), timeout, self.source_address)
        self.watchdog.add(sock)
        return sock


class _GuardedSSL(smtplib.SMTP_SSL):
    """smtplib's implicit-TLS client, its socket watched (before the handshake) by a :class:`_Watchdog`."""

    def __init__(self, watchdog: _Watchdog, timeout: float, context: ssl.SSLContext) -> None:
        self.watchdog = watchdog
        super().__init__(timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), timeout, self.source_address)
        self.watchdog.add(sock)
        return self.context.wrap_socket(sock, server_hostname=host)


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return _clip(f"{code} {text}" if code > 0 else text)


def _clip(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= 300 else text[:299] + "…"


def _describe(exc: BaseException, phase: str, settings: SmtpSettings, expired: bool) -> str:
    """A one-line reason for a failed conversation."""
    where = f"{settings.host}:{settings.port}"
    # smtplib turns a read that timed out into "connection unexpectedly closed": its context tells.
    if expired or isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return f"timed out after {settings.timeout:g} s"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [_reply(code, reply) for code, reply in exc.recipients.values()]
        return _clip("; ".join(replies) or "the recipient was refused")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "login refused: " + _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        prefix = {"tls": "STARTTLS refused: ", "login": "login refused: "}.get(phase, "")
        return prefix + _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError) and phase == "login":
        return "the server does not offer authentication (AUTH)"
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | BrokenPipeError | ssl.SSLEOFError):
        return "connection closed by the server"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _clip(f"TLS failure with {where}: {exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        return _clip(f"TLS failure with {where}: {exc.reason or exc}")
    if isinstance(exc, smtplib.SMTPException):
        return _clip(str(exc) or type(exc).__name__)
    if isinstance(exc, socket.gaierror):
        return _clip(f"cannot find the server {settings.host}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return _clip(f"cannot connect to {where}: {reason}" if phase == "connect" else reason)
    return _clip(f"{type(exc).__name__}: {exc}")


def _mime_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in MIME_TYPES:
        return MIME_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    # A compressed file (x.tar.gz) or a message/multipart type (carried as base64, which they may not be)
    # goes as plain bytes.
    if not guessed or encoding or guessed.startswith(("message/", "multipart/")) or "/" not in guessed:
        return "application/octet-stream"
    return guessed


def _read(root: Path, files: list[str], recipient: str) -> list[_Attachment]:
    """The files to attach, read from inside ``root`` (each once, in order)."""
    if not files:
        raise EmailError(f"nothing to send to {recipient!r}: no files")
    base = root.resolve()
    attachments: list[_Attachment] = []
    seen: set[str] = set()
    for path in files:
        try:
            relative = safe_relative(path)
        except UnsafePathError as exc:
            raise EmailError(f"cannot attach {path!r}: {exc}") from None
        if str(relative) in seen:
            continue
        seen.add(str(relative))
        target = root.joinpath(*relative.parts).resolve()
        if base not in target.parents:
            raise EmailError(f"cannot attach {path!r}: it leads outside {root} (through a symbolic link)")
        try:
            if not target.is_file():  # (a folder, a device, a pipe that would never end)
                raise EmailError(f"cannot attach {path!r}: {root / path} is not a file")
            data = target.read_bytes()
        except OSError as exc:
            raise EmailError(f"cannot attach {path!r}: {root / path}: {exc.strerror or exc}") from None
        attachments.append(_Attachment(str(relative), data, hashlib.sha256(data).hexdigest()))
    return attachments


def _load(path: Path) -> dict[str, dict[str, Any]]:
    """The sent log: recipient id → {"address": …, "sent": {relative path: sha256}}.

    A missing, unreadable or damaged log (or entry) reads as empty: the files are sent again.
    """
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(raw, dict):
        return {}
    log: dict[str, dict[str, Any]] = {}
    for recipient, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        address, sent = entry.get("address"), entry.get("sent")
        if not isinstance(address, str) or not isinstance(sent, dict):
            continue
        log[recipient] = {
            "address": address,
            "sent": {key: value for key, value in sent.items() if isinstance(value, str)},
        }
    return log
