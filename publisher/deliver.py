"""The ``publisher deliver`` command: send each recipient's briefing by e-mail.

``publisher deliver --recipients recipients.toml [-o OUT] [--dry-run]`` takes,
for every recipient of the file with an ``email`` address, the files the last
``build --recipients`` wrote into ``OUT/recipients/<id>/`` (its manifest says
which) and hands them to the e-mail sink (:mod:`publisher.sinks.email`), which
sends those not sent yet in one message and records what the server
accepted in ``OUT/recipients/<id>/.publisher/sent.json``: a re-run sends
nothing twice.  The SMTP settings come from the file's ``[smtp]`` table and
the environment (``PUBLISHER_SMTP_*``; the password only from the
environment), never from the command line.  ``--dry-run`` writes the
messages as ``OUT/outbox/<id>.eml`` instead.  Registered through the
``publisher.commands`` entry point group.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TextIO

from .audiences import AudienceCatalog
from .build import MANIFEST, MANIFEST_VERSION, entry_outputs
from .commands import Session, UsageError, parse_define
from .diagnostics import Diagnostics
from .journal import Journal
from .lock import state_folder
from .sinks.email import EmailError, EmailSink, SmtpSettings
from .subscriptions import RECIPIENTS_FOLDER, Recipient, RecipientsError, load_recipients_file

#: The folder, under the output folder, of a dry run's messages.
OUTBOX = "outbox"
SENT_LOG = "sent.json"


def built_files(root: Path) -> list[str]:
    """The files the last build wrote into a recipient's folder (relative paths, sorted)."""
    jobs = Journal(root / MANIFEST, MANIFEST_VERSION).load()
    found = {rel for entry in jobs.values() for rel in entry_outputs(entry)}
    return sorted(rel for rel in found if isinstance(rel, str) and (root / rel).is_file())


def _message(recipient: Recipient, files: list[str]) -> tuple[str, str]:
    """The subject and the text of a recipient's message, in its audience's locale."""
    messages = recipient.audience.messages
    names = ", ".join(Path(f).stem for f in dict.fromkeys(files))
    subject = messages("Research briefing for {name}: {files}", name=recipient.name, files=names)
    body = messages("Attached: {files}", files=", ".join(Path(f).name for f in files))
    return subject[:200], body + "\n"


def cmd_deliver(session: Session, out: TextIO) -> int:
    args = session.args
    catalog = AudienceCatalog(args.templates or ())
    problems = Diagnostics()
    defines = [parse_define(d) for d in args.define]
    try:
        recipients, smtp = load_recipients_file(args.recipients, catalog, problems, defines)
    except RecipientsError as exc:
        raise UsageError(str(exc)) from None
    wanted = set(args.only or ())
    unknown = wanted - {r.id for r in recipients}
    if unknown:
        raise UsageError(f"--only: no recipient {sorted(unknown)[0]!r} in {args.recipients}")
    chosen = [r for r in recipients if r.email and (not wanted or r.id in wanted)]
    session.diagnostics.extend(problems)
    if not chosen:
        session.report()
        print("no recipient to deliver to (none has an email address)", file=out)
        return session.status()
    try:
        settings = SmtpSettings.from_mapping(smtp, os.environ)
    except EmailError as exc:
        raise UsageError(f"{args.recipients}: {exc}") from None
    top = Path(args.out)
    failed = 0
    for recipient in chosen:
        root = top / RECIPIENTS_FOLDER / recipient.id
        files = built_files(root) if (root / MANIFEST).is_file() else []
        if not files:
            session.diagnostics.warning(
                f"recipient {recipient.id!r}: nothing built for it yet (publisher build … --recipients)",
                str(root),
            )
            continue
        subject, body = _message(recipient, files)
        try:
            sink = EmailSink(settings, state_folder(root) / SENT_LOG)
            done = sink.deliver(
                recipient.id,
                recipient.email,
                subject,
                body,
                root,
                files,
                dry_run_dir=top / OUTBOX if args.dry_run else None,
            )
        except EmailError as exc:
            session.diagnostics.error(f"recipient {recipient.id!r}: {exc}", args.recipients, recipient.line, 1)
            continue
        failed += done.status == "failed"
        if not args.quiet or done.status == "failed":
            what = f"{len(done.files)} file{'s' * (len(done.files) != 1)}"
            detail = f": {done.detail}" if done.detail and done.status in ("failed", "written") else ""
            print(f"{done.status:>12}  {recipient.id} <{recipient.email}>  {what}{detail}", file=out)
    session.report()
    status = session.status()
    return status or (1 if failed else 0)


def add_command(sub: Any) -> None:
    p = sub.add_parser("deliver", help="send each recipient's briefing by e-mail (after build --recipients)")
    p.add_argument("--recipients", required=True, metavar="FILE", help="the recipients file (TOML) of the build")
    p.add_argument("-o", "--out", default="build", help="the build's output folder (default: build)")
    p.add_argument("-t", "--templates", action="append", metavar="DIR", help="templates folder searched first")
    p.add_argument("--only", action="append", metavar="ID", help="deliver to this recipient only (repeatable)")
    p.add_argument("-n", "--dry-run", action="store_true", help="write the messages to OUT/outbox/ instead")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("-D", "--define", action="append", default=[], metavar="KEY=VALUE", help="override a profile value")
    p.set_defaults(func=cmd_deliver, strict=False)
