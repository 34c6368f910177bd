"""The command plug-in API: what a ``publisher.commands`` entry point builds on.

A command plug-in is a function that receives the sub-command parser
collection (``argparse``) and adds its command; the command's function gets
a :class:`Session` and the output stream and returns an exit status::

    from publisher.commands import EXIT_OK, Session, add_common_options

    def add_command(sub):
        p = sub.add_parser("hello", help="say hello")
        p.add_argument("files", nargs="+")
        add_common_options(p)
        p.set_defaults(func=cmd_hello)

    def cmd_hello(session: Session, out) -> int:
        digests = session.read(session.args.files)
        session.report()
        return session.status()

Exit status: :data:`EXIT_OK`, :data:`EXIT_INPUT` when an input had errors (or
``--strict`` saw warnings), :data:`EXIT_USAGE` for a wrong command line
(raise :class:`UsageError`; ``AudienceError`` and ``PluginError`` count as
one too).  The built-in commands (:mod:`publisher.cli`), ``publish`` and
``i18n`` use the same API.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from . import registry
from .diagnostics import Diagnostics, InputError
from .memory import collector_paused
from .model import Digest

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A wrong command line (unknown format, audience …)."""


def parse_define(definition: str) -> tuple[str, Any]:
    """``content.max_bullets=5`` → ``("content.max_bullets", 5)``; non-TOML values are strings."""
    key, sep, raw = definition.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"-D expects KEY=VALUE, not {definition!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def add_common_options(p: argparse.ArgumentParser) -> None:
    """``--encoding``, ``--from`` and ``--strict``: the options of every command that reads inputs."""
    p.add_argument("--encoding", help="input encoding (default: UTF-8 with or without BOM, else GB18030)")
    p.add_argument("--from", dest="reader", metavar="READER", help="input reader (default: by file extension)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit status 1)")


@dataclass
class Session:
    """State shared by the commands: diagnostics and how to print them."""

    args: argparse.Namespace
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    failed_files: int = 0

    def read(self, paths: Sequence[str], lazy: bool = False) -> list[Digest]:
        """Read every file; a file that cannot be read is reported and skipped.

        ``lazy``: readers that can defer report bodies do (the build engine
        parses only what it renders, and prints every message all the same).
        """
        digests: list[Digest] = []
        # The command keeps the model until it ends: it is frozen out of the cyclic
        # collector's way (a full collection of a large digest takes seconds).
        with collector_paused(keep=True):
            for path in paths:
                try:
                    reader = registry.reader_for(path, getattr(self.args, "reader", None))
                    if lazy and getattr(reader, "lazy_bodies", False):
                        digests.append(reader.read(path, self.args.encoding, self.diagnostics, lazy=True))
                    else:
                        digests.append(reader.read(path, self.args.encoding, self.diagnostics))
                except InputError as exc:
                    self.diagnostics.items.append(exc.diagnostic)
                    self.failed_files += 1
                except registry.PluginError as exc:
                    raise UsageError(str(exc)) from None
        return digests

    def report(self, stream: TextIO = sys.stderr) -> None:
        for d in self.diagnostics:
            print(d, file=stream)

    def status(self) -> int:
        if self.diagnostics.errors or self.failed_files:
            return EXIT_INPUT
        if self.args.strict and self.diagnostics.warnings:
            return EXIT_INPUT
        return EXIT_OK


def build_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
    return datetime.now(UTC)
