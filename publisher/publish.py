"""The ``publisher publish`` command: render inputs and publish them to a target (a git-backed wiki).

``publisher publish wiki FILE... --repo URL_OR_PATH [--branch B] [--prefix DIR]``
reads the inputs, renders them with the audience's Markdown writer (audience
``wiki`` by default) and hands the pages to the wiki sink, which commits and
pushes them (see :mod:`publisher.sinks.git_wiki`).  Registered through the
``publisher.commands`` entry point group.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

from . import registry
from .audiences import AudienceCatalog
from .build import apply_transforms, find_facts
from .commands import EXIT_INPUT, Session, UsageError, add_common_options, build_time, parse_define
from .sinks.git_wiki import DEFAULT_AUTHOR, GitWikiSink, PublishError, check_repo, parse_author, summarize
from .writers.base import Output, RenderContext
from .writers.markdown import MarkdownWriter, source_name


def render_pages(session: Session, audience_name: str) -> tuple[list[Output], Any]:
    """Read the inputs and render every page of the wiki (per-report pages, then the indexes)."""
    args = session.args
    audience = AudienceCatalog(args.templates or ()).load(audience_name)
    for definition in args.define:
        audience.override(*parse_define(definition))
    if audience.abstract:
        raise UsageError(f"audience {audience.name!r} is abstract (only a base for others)")
    ctx = RenderContext(audience, session.diagnostics, build_time(), {"strict": args.strict})
    digests = session.read(args.files)
    find_facts(digests, session.diagnostics)
    try:
        apply_transforms(digests, audience, ctx)
    except registry.PluginError as exc:
        raise UsageError(str(exc)) from None
    writer = MarkdownWriter()
    outputs: list[Output] = []
    for digest in digests:
        outputs.extend(writer.write(digest, ctx))
    outputs.extend(writer.write_collection(digests, ctx))
    return outputs, (audience, digests)


def cmd_publish_wiki(session: Session, out: TextIO) -> int:
    args = session.args
    if args.repo.startswith("-"):  # git would take it for an option (``--upload-pack=CMD`` runs CMD)
        try:
            check_repo(args.repo)
        except PublishError as exc:
            raise UsageError(str(exc)) from None
    outputs, (audience, digests) = render_pages(session, args.audience)
    if session.failed_files:
        session.report()
        print(
            f"publisher: error: {session.failed_files} input file{'s' * (session.failed_files != 1)} could not be "
            "read; nothing was published (the wiki's index pages would lose their reports)",
            file=sys.stderr,
        )
        return EXIT_INPUT
    errors = bool(session.diagnostics.errors or (args.strict and session.diagnostics.warnings))
    author = args.author or str(audience.get("publish.author", DEFAULT_AUTHOR))
    try:
        parse_author(author)
    except PublishError as exc:
        raise UsageError(str(exc)) from None
    try:
        sink = GitWikiSink(
            args.repo,
            args.branch,
            args.prefix,
            author=author,
            message=args.message or audience.get("publish.message"),
            retries=args.retries,
            allow_removals=not errors,
            force=args.force,
            dry_run=args.dry_run,
        )
        sink.sources = sorted({source_name(d) for d in digests if d.source})
        result = sink.publish(outputs)
    except PublishError as exc:
        session.report()
        if args.debug or os.environ.get("PUBLISHER_DEBUG"):
            raise
        print(f"publisher: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    session.report()
    for path in result.plan.edited:
        print(
            f"publisher: warning: {path} had been edited in the wiki since it was published; replaced", file=sys.stderr
        )
    if result.plan.kept:
        print(
            f"publisher: warning: kept {len(result.plan.kept)} page(s) of earlier reports because of input errors",
            file=sys.stderr,
        )
    if not args.quiet:
        for line in summarize(result, args.repo):
            print(line, file=out)
    return session.status()


def add_command(sub: Any) -> None:
    """Add ``publish`` (with the ``wiki`` target) to the command line."""
    p = sub.add_parser("publish", help="render inputs and publish them (to a git-backed wiki)")
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    w = targets.add_parser(
        "wiki",
        help="commit the Markdown pages to a wiki's git repository and push",
        description="Render the inputs as Markdown wiki pages and publish them to a git repository "
        "(GitLab, Gitea, Azure DevOps, Wiki.js, MkDocs): one commit, only when something changed.",
    )
    w.add_argument("files", nargs="+", metavar="FILE")
    w.add_argument("--repo", required=True, metavar="URL_OR_PATH", help="the wiki repository (URL or local path)")
    w.add_argument("--branch", help="branch to publish to (default: the repository's default branch, else main)")
    w.add_argument("--prefix", default="", metavar="DIR", help="folder in the repository for the pages (default: top)")
    w.add_argument("-a", "--audience", default="wiki", help="audience profile (default: wiki)")
    w.add_argument("-t", "--templates", action="append", metavar="DIR", help="templates folder searched first")
    w.add_argument("-D", "--define", action="append", default=[], metavar="KEY=VALUE", help="override a profile value")
    w.add_argument(
        "--author", help=f"commit author 'Name <email>' (default: profile publish.author, else {DEFAULT_AUTHOR})"
    )
    w.add_argument("-m", "--message", help="commit message subject (default: a count of the changes)")
    w.add_argument(
        "--retries", type=_retries, default=3, help="pushes retried after a rebase when rejected (default 3)"
    )
    w.add_argument("--force", action="store_true", help="take over existing pages publisher did not write")
    w.add_argument("-n", "--dry-run", action="store_true", help="show what would change; commit and push nothing")
    w.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    add_common_options(w)
    w.set_defaults(func=cmd_publish_wiki)


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 20:
        raise argparse.ArgumentTypeError("must be between 0 and 20")
    return value
