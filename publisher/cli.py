"""The ``publisher`` command line: parse, check, build, and list what is installed.

Exit status: 0 on success, 1 when an input had errors (the good reports are
still processed) or ``--strict`` saw warnings, 2 on a usage error.  Input
problems are printed as ``FILE:LINE:COL: severity: message``; a traceback
is only shown with ``--debug``.  What commands share (:class:`Session`,
:class:`UsageError`, the exit codes, the common options) is the plug-in API
of :mod:`publisher.commands`.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__, registry
from .audiences import Audience, AudienceCatalog, AudienceError
from .commands import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    Session,
    UsageError,
    add_common_options,
    build_time,
    parse_define,
)
from .dask_executor import ExecutorError
from .diagnostics import Diagnostics, InputError, printable
from .lock import FolderBusy, StateFolderError
from .sandbox import TIME_LIMIT
from .sinks.folder import OutputError


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = total > 1 and self.stream.isatty()

    def step(self, what: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 24
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {what[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


# --- commands ----------------------------------------------------------------


def cmd_parse(session: Session, out: TextIO) -> int:
    args = session.args
    digests = session.read(args.files)
    if args.to == "json":
        docs = [d.to_json() for d in digests]
        payload: Any = docs[0] if len(docs) == 1 else docs
        from .writers.json import json_bytes

        # Unpaired surrogates (a JSON model may hold them) as escapes: the text stays UTF-8.
        out.write(json_bytes(json.dumps(payload, ensure_ascii=False, indent=2)).decode("utf-8") + "\n")
    else:
        from .writers.digest import digest_text

        for d in digests:
            out.write(digest_text(d))
    session.report()
    return session.status()


def cmd_check(session: Session, out: TextIO) -> int:
    digests = session.read(session.args.files)
    session.report(out)
    reports = sum(len(d.reports) for d in digests)
    skipped = sum(len(d.skipped) for d in digests)
    errors, warnings = len(session.diagnostics.errors), len(session.diagnostics.warnings)
    files = len(session.args.files)
    print(
        f"{files} file{'s' * (files != 1)}: {reports} report{'s' * (reports != 1)} read, "
        f"{skipped} skipped; {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
        file=out,
    )
    return session.status()


def _known_formats(formats: list[str]) -> list[str]:
    for fmt in formats:
        if not registry.has("writers", fmt):
            raise UsageError(f"unknown format {fmt!r} (known: {', '.join(registry.names('writers'))})")
    return formats


def _requested_formats(requested: str | None) -> list[str] | None:
    """``--format docx,xlsx`` as a list of installed writers (``None`` when not given)."""
    return _known_formats([f.strip() for f in requested.split(",") if f.strip()]) if requested else None


def _formats(audience: Audience, requested: str | None) -> list[str]:
    formats = _requested_formats(requested)
    if formats is None:
        formats = _known_formats(audience.formats)
    if not formats:
        raise UsageError(f"audience {audience.name!r} names no formats; give --format")
    return formats


def _audiences(catalog: AudienceCatalog, requested: list[str], defines: list[str]) -> list[Audience]:
    names: list[str] = []
    for item in requested or ["analyst"]:
        for name in (n.strip() for n in item.split(",")):
            if name == "all":
                names.extend(n for n in catalog.names() if not catalog.load(n).abstract)
            elif name:
                names.append(name)
    audiences = []
    for name in dict.fromkeys(names):
        audience = catalog.load(name)
        if audience.abstract:
            raise UsageError(f"audience {audience.name!r} is abstract (only a base for others)")
        for definition in defines:
            audience.override(*parse_define(definition))
        audiences.append(audience)
    return audiences


def cmd_build(session: Session, out: TextIO) -> int:
    from .build import Builder

    args = session.args
    if args.template_time_limit is not None and args.template_time_limit <= 0:
        raise UsageError("--template-time-limit expects a number of seconds above 0")
    catalog = AudienceCatalog(args.templates or (), time_limit=args.template_time_limit or TIME_LIMIT)
    if args.recipients:
        return _build_recipients(session, catalog, out)
    audiences = _audiences(catalog, args.audience, args.define)
    formats = {a.name: _formats(a, args.format) for a in audiences}
    options = _builder_options(args)  # checked before anything is read
    digests = session.read(args.files, lazy=True)
    progress = Progress(0, "building")
    builder = Builder(
        audiences,
        formats,
        Path(args.out),
        session.diagnostics,
        build_time(),
        **options,
    )

    def step(done: int, total: int) -> None:
        progress.total, progress.enabled = total, total > 1 and progress.stream.isatty()
        progress.done = done - 1
        progress.step()

    builder.progress = step
    try:
        result = builder.run(digests)
    except registry.PluginError as exc:
        raise UsageError(str(exc)) from None
    progress.close()
    session.report()
    if not args.quiet:
        reports = sum(len(d.reports) for d in digests)
        where = ", ".join(str(Path(args.out) / a.name) for a in audiences)
        _list_files(
            args, result, f"{reports} reports from {len(digests)} digest{'s' * (len(digests) != 1)}", where, out
        )
    return session.status()


def _list_files(args: Any, result: Any, what: str, where: str, out: TextIO) -> None:
    """The files a build wrote (and removed), then one line that sums it up."""
    for w in result.written:
        if w.status == "written" or args.verbose:
            print(f"{w.status:>9}  {w.path}", file=out)
    for path in result.removed:
        print(f"{'removed':>9}  {path}", file=out)
    files = len(result.written)
    print(
        f"{what} → {files} file{'s' * (files != 1)} in {where} "
        f"({result.changed} written, {files - result.changed} unchanged, "
        f"{result.skipped_jobs} up-to-date job{'s' * (result.skipped_jobs != 1)} skipped)",
        file=out,
    )


def _builder_options(args: Any) -> dict[str, Any]:
    """The Builder's settings from the command line (besides audiences, formats and folder)."""
    from .build import default_jobs

    if args.jobs < 0:
        raise UsageError("-j expects a number of processes (0 = one per core)")
    return {
        "jobs": args.jobs or default_jobs(),
        "force": args.force,
        "options": {"strict": args.strict},
        "debug": args.debug,
        "wait": not args.no_wait,
        "waiting": lambda message: print(f"publisher: {message}", file=sys.stderr, flush=True),
        **_executor(args),
    }


def _executor(args: Any) -> dict[str, Any]:
    """The Builder's executor settings from ``--executor`` and ``--scheduler`` (checked now)."""
    if args.executor != "dask":
        if args.scheduler:
            raise UsageError("--scheduler goes with --executor dask")
        return {}
    from .dask_executor import ExecutorError, scheduler_address

    try:
        return {"executor": "dask", "scheduler": scheduler_address(args.scheduler)}
    except ExecutorError as exc:
        raise UsageError(str(exc)) from None


def _build_recipients(session: Session, catalog: AudienceCatalog, out: TextIO) -> int:
    """``build FILE --recipients recipients.toml``: one briefing per recipient in ``OUT/recipients/<id>/``."""
    from .subscriptions import RecipientsError, build_recipients, load_recipients

    args = session.args
    if args.audience:
        raise UsageError("--recipients renders each recipient's audience: leave out -a/--audience")
    options = _builder_options(args)  # checked before anything is read
    formats = _requested_formats(args.format)
    defines = [parse_define(d) for d in args.define]
    problems = Diagnostics()  # the recipients file's, apart from the inputs' (which keep old outputs)
    try:
        recipients = load_recipients(args.recipients, catalog, problems, defines, formats)
    except RecipientsError as exc:
        raise UsageError(str(exc)) from None
    digests = session.read(args.files, lazy=True)
    try:
        result = build_recipients(
            recipients,
            digests,
            Path(args.out),
            session.diagnostics,
            build_time(),
            problems,
            **options,
        )
    except registry.PluginError as exc:
        raise UsageError(str(exc)) from None
    session.diagnostics.extend(problems)
    session.report()
    if not args.quiet:
        what = f"{result.recipients} recipient{'s' * (result.recipients != 1)}, {result.reports} reports chosen"
        _list_files(args, result, what, str(Path(args.out) / "recipients"), out)
    return session.status()


def cmd_audiences(session: Session, out: TextIO) -> int:
    catalog = AudienceCatalog(session.args.templates or ())
    for name in catalog.names():
        audience = catalog.load(name)
        if audience.abstract:
            continue
        base = f" (extends {audience.chain[1]})" if len(audience.chain) > 1 and audience.chain[1] != "base" else ""
        print(f"{name:<12} {audience.description}{base}", file=out)
        print(f"{'':<12} formats: {', '.join(audience.formats)}; from {audience.profile_path}", file=out)
    return EXIT_OK


def cmd_formats(session: Session, out: TextIO) -> int:
    for name in registry.names("writers"):
        try:
            writer = registry.create("writers", name)
        except registry.PluginError as exc:
            print(f"{name:<8} (unavailable: {exc})", file=out)
            continue
        unit = "one file per report" if writer.unit == "report" else "one file per digest"
        print(f"{name:<8} {writer.extension:<6} {writer.description} ({unit})", file=out)
    return EXIT_OK


# --- argument parsing ----------------------------------------------------------


BUILTIN_COMMANDS = ("parse", "check", "build", "audiences", "formats")


def make_parser(plugins: bool = True) -> argparse.ArgumentParser:
    """The command line; ``plugins=False`` leaves out plug-in commands (not imported then)."""
    parser = argparse.ArgumentParser(
        prog="publisher",
        description="Turn research-report digests into briefings, workbooks, wiki pages and bilingual HTML.",
    )
    parser.add_argument("--version", action="version", version=f"publisher {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("parse", help="read inputs and print the model as JSON (or as digest text)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--to", choices=("json", "digest"), default="json", help="output form (default: json)")
    add_common_options(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("check", help="report warnings and errors with their positions")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_common_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("build", help="render inputs for an audience into the output folder")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "-a",
        "--audience",
        action="append",
        default=[],
        help="audience profile; repeat or separate by commas for several, 'all' for every one (default: analyst)",
    )
    p.add_argument("-f", "--format", help="comma-separated formats (default: the audience's)")
    p.add_argument(
        "--recipients",
        metavar="FILE",
        help="render one briefing per recipient of FILE (TOML) into OUT/recipients/<id>/, with their filters",
    )
    p.add_argument("-o", "--out", default="build", help="output folder (default: build)")
    p.add_argument("-t", "--templates", action="append", metavar="DIR", help="templates folder searched first")
    p.add_argument("-j", "--jobs", type=int, default=1, help="render in N processes (0 = one per core; default 1)")
    p.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where jobs render: this machine (-j processes; default) or a Dask cluster (--scheduler)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="the Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786 (default: $DASK_SCHEDULER_ADDRESS)",
    )
    p.add_argument(
        "--template-time-limit",
        type=float,
        metavar="SECONDS",
        help=f"stop a template that renders for longer than this, per 1,000 reports it shows (default {TIME_LIMIT:g})",
    )
    p.add_argument("--force", action="store_true", help="render everything, even outputs that are up to date")
    p.add_argument("--no-wait", action="store_true", help="fail at once if another build is writing the output folder")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("-v", "--verbose", action="store_true", help="also list unchanged files")
    p.add_argument(
        "-D",
        "--define",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a profile value, e.g. -D content.max_bullets=5 (VALUE is TOML, or else a string)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("audiences", help="list audiences with their formats")
    p.add_argument("-t", "--templates", action="append", metavar="DIR", help="templates folder searched first")
    p.set_defaults(func=cmd_audiences)

    p = sub.add_parser("formats", help="list output formats (installed writers)")
    p.set_defaults(func=cmd_formats)

    for name in registry.names("commands") if plugins else ():
        try:
            registry.load("commands", name)(sub)
        except registry.PluginError as exc:
            print(f"publisher: warning: command {name!r} unavailable: {exc}", file=sys.stderr)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    # A built-in command does not need the plug-in commands' modules (imports cost time).
    parser = make_parser(plugins=command not in BUILTIN_COMMANDS)
    args = parser.parse_args(words)
    if not hasattr(args, "strict"):
        args.strict = False
    session = Session(args)
    try:
        return int(args.func(session, sys.stdout))
    except (UsageError, AudienceError, registry.PluginError, ExecutorError) as exc:
        session.report()
        print(f"publisher: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        print(exc.diagnostic, file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except (OutputError, FolderBusy, StateFolderError) as exc:
        session.report()
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # the output folder or a file the build keeps: read-only, full, gone …
        session.report()
        where = printable(os.fsdecode(exc.filename)) if exc.filename is not None else "publisher"
        print(f"{where}: error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("publisher: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug or os.environ.get("PUBLISHER_DEBUG"):
            raise
        print(f"publisher: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 70


def run() -> None:
    """Console-script entry point."""
    code = main()
    if _nothing_left_to_do():
        # A build of many reports leaves a large heap, which the interpreter would free
        # object by object on its way out (about 20 ms for 10,000 reports).
        os._exit(code)
    sys.exit(code)


def _nothing_left_to_do() -> bool:
    """May the process end at once: output flushed, no exit handler, no other thread?

    Ending at once skips the interpreter's clean-up: code that leaves a file open
    (rather than closing it, as every built-in plug-in does) would lose what it buffered.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False  # (a closed pipe): let the interpreter end the usual way
    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython: handlers registered with atexit
    return callbacks is not None and callbacks() == 0 and threading.active_count() == 1
