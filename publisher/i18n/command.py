"""``publisher i18n``: extract segments into PO catalogs, report coverage, draft by machine.

::

    publisher i18n extract FILE... -o CATALOG      create or update a catalog (keeps translations,
                                                   marks changed sources fuzzy with the old text)
    publisher i18n status [FILE...] [--catalog C]  coverage per digest: reviewed, glossary,
                                                   machine, fuzzy, missing
    publisher i18n translate CATALOG [--with NAME] fill untranslated entries with machine drafts
                                                   (marked ``fuzzy, machine`` for review)
    publisher i18n glossary [--glossary FILE]      print the glossary as TSV

Registered through the ``publisher.commands`` entry point group.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..audiences import Audience, AudienceCatalog
from ..commands import EXIT_INPUT, EXIT_OK, Session, UsageError, add_common_options, build_time, parse_define
from ..content import ContentSettings
from ..sinks.folder import atomic_write_bytes
from .catalog import FUZZY, MACHINE, MISSING, REVIEWED, Catalog, CatalogError, entry_state, merge, po_text, read_po
from .segments import Occurrence, Segment, SegmentTable, digest_segments, label_segments
from .translate import Chain, Resources, Settings, make_chain


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``i18n`` and its sub-commands to the ``publisher`` parser."""
    parser = sub.add_parser("i18n", help="translation catalogs: extract, status, translate, glossary")
    actions = parser.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)

    p = actions.add_parser("extract", help="write or update a PO catalog with every segment of the inputs")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="CATALOG", help="the PO file to create or update")
    p.add_argument("--no-obsolete", action="store_true", help="drop entries no input uses any more")
    p.add_argument("--no-labels", action="store_true", help="leave out the labels of the audience's templates")
    _audience_options(p)
    add_common_options(p)
    p.set_defaults(func=cmd_extract)

    p = actions.add_parser("status", help="translation coverage per digest (or per catalog without FILE)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument(
        "-c", "--catalog", action="append", default=[], metavar="CATALOG", help="catalog (default: the profile's)"
    )
    p.add_argument("--fail-under", type=float, metavar="PERCENT", help="exit 1 if a digest is translated less")
    _audience_options(p)
    add_common_options(p)
    p.set_defaults(func=cmd_status)

    p = actions.add_parser("translate", help="draft the untranslated entries of a catalog by machine")
    p.add_argument("catalog", metavar="CATALOG")
    p.add_argument(
        "-w",
        "--with",
        dest="engines",
        action="append",
        default=[],
        metavar="TRANSLATOR",
        help="machine translator to use (repeatable; default: the machine translators of the profile)",
    )
    _audience_options(p)
    add_common_options(p)
    p.set_defaults(func=cmd_translate)

    p = actions.add_parser("glossary", help="print the glossary (bundled plus yours) as TSV")
    p.add_argument("--category", action="append", default=[], help="only these categories")
    _audience_options(p)
    p.set_defaults(func=cmd_glossary)


def _audience_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-a", "--audience", default="global", help="audience whose [i18n] settings apply (default: global)")
    p.add_argument("-t", "--templates", action="append", metavar="DIR", help="templates folder searched first")
    p.add_argument("-D", "--define", action="append", default=[], metavar="KEY=VALUE", help="override a profile value")
    p.add_argument("-g", "--glossary", action="append", default=[], metavar="FILE", help="your glossary (TOML or TSV)")


def _load(args: argparse.Namespace) -> tuple[Audience, Settings, ContentSettings]:
    """The audience with its ``-D`` values, its ``[i18n]`` settings and its checked ``content.*`` values."""
    audience = AudienceCatalog(args.templates or ()).load(args.audience)
    for definition in args.define:
        audience.override(*parse_define(definition))
    content = ContentSettings.from_audience(audience)  # which sections are translated, as the writers show them
    settings = Settings.from_audience(audience)
    settings.glossaries.extend(args.glossary)
    return audience, settings, content


# --- extract -----------------------------------------------------------------------


def cmd_extract(session: Session, out: TextIO) -> int:
    args = session.args
    audience, settings, content = _load(args)
    digests = session.read(args.files)
    if session.failed_files:
        session.report()
        print(f"publisher: {args.output} not written: an input could not be read", file=out)
        return EXIT_INPUT
    table = SegmentTable()
    for digest in digests:
        digest_segments(digest, content.roles, table)
    if not args.no_labels:
        for key, text in sorted(settings.labels.items()):
            for segment in label_segments({key: text}):
                where = f"label {key!r} of audience {audience.name!r}"
                table.add(segment, Occurrence(f"{audience.name}/profile.toml", 0, where))
    resources = Resources(settings, session.diagnostics)
    glossary = resources.glossary
    hints = {s: term.target for s in table if (term := glossary.lookup(s.text)) is not None}
    target = Path(args.output)
    old = None
    if target.exists():
        try:
            old = read_po(target)
        except CatalogError as exc:
            session.diagnostics.error(exc.message + "; not overwritten", exc.file, exc.line)
            session.report()
            return EXIT_INPUT
    po, stats = merge(
        old, table, language=settings.target, when=build_time(), hints=hints, keep_obsolete=not args.no_obsolete
    )
    text = po_text(po)
    previous = target.read_text(encoding="utf-8-sig") if target.exists() else None
    if text != previous:
        atomic_write_bytes(target, text.encode("utf-8"))
    session.report()
    state = "updated" if old is not None and text != previous else "unchanged" if old is not None else "written"
    print(f"{target}: {state}: {stats.summary()}", file=out)
    return session.status()


# --- status ------------------------------------------------------------------------

_COLUMNS = ("reviewed", "glossary", "machine", "fuzzy", "missing")


def _count(chain: Chain, catalog: Catalog, segments: list[Segment]) -> dict[str, int]:
    counts = dict.fromkeys(_COLUMNS, 0)
    found = chain.translate(segments)
    for segment in segments:
        translation = found.get(segment.id)
        if translation is not None:
            counts[translation.state] += 1
        elif catalog.state(segment) == FUZZY:
            counts["fuzzy"] += 1
        else:
            counts["missing"] += 1
    return counts


def _row(name: str, total: int, counts: dict[str, int]) -> tuple[str, float]:
    done = counts["reviewed"] + counts["glossary"]
    share = 100.0 * done / total if total else 100.0
    cells = "".join(f"{counts[c]:>10}" for c in _COLUMNS)
    return f"{name:<40}{total:>10}{cells}{share:>11.1f}%", share


def cmd_status(session: Session, out: TextIO) -> int:
    args = session.args
    audience, settings, content = _load(args)
    if args.catalog:
        settings.catalogs = list(args.catalog)
    resources = Resources(settings, session.diagnostics)
    if not args.files:
        return _catalog_status(session, settings, out)
    digests = session.read(args.files)
    offline = [n for n in settings.translators if not _is_machine(n)]
    header = f"{'digest':<40}{'segments':>10}" + "".join(f"{c:>10}" for c in _COLUMNS) + f"{'translated':>12}"
    print(header, file=out)
    lowest = 100.0
    for digest in digests:
        chain = make_chain(settings, resources, digest, offline)
        segments = list(digest_segments(digest, content.roles))
        line, share = _row(digest.name, len(segments), _count(chain, chain.setup.catalog, segments))
        lowest = min(lowest, share)
        print(line, file=out)
    labels = label_segments(settings.labels)
    if labels:
        chain = make_chain(settings, resources, None, offline)
        line, _ = _row(f"labels of audience {audience.name}", len(labels), _count(chain, chain.setup.catalog, labels))
        print(line, file=out)
    print("translated = reviewed + glossary; machine drafts and fuzzy entries still need review", file=out)
    session.report()
    status = session.status()
    if args.fail_under is not None and lowest < args.fail_under:
        print(f"publisher: translated {lowest:.1f}% < --fail-under {args.fail_under:g}%", file=out)
        status = status or EXIT_INPUT
    return status


def _catalog_status(session: Session, settings: Settings, out: TextIO) -> int:
    paths = [p for p, _ in settings.catalog_paths(None)]
    if not paths:
        raise UsageError("give FILE arguments or --catalog CATALOG")
    states = (REVIEWED, MACHINE, FUZZY, MISSING)
    width = max(40, *(len(str(p)) + 2 for p in paths))
    print(f"{'catalog':<{width}}{'entries':>10}" + "".join(f"{c:>10}" for c in states) + f"{'obsolete':>10}", file=out)
    for path in paths:
        try:
            po = read_po(path)
        except CatalogError as exc:
            session.diagnostics.error(exc.message, exc.file, exc.line)
            continue
        active = [e for e in po if not e.obsolete]
        counts = {s: sum(1 for e in active if entry_state(e) == s) for s in states}
        cells = "".join(f"{counts[s]:>10}" for s in states)
        print(f"{path!s:<{width}}{len(active):>10}{cells}{len(po) - len(active):>10}", file=out)
    session.report()
    return session.status()


def _is_machine(name: str) -> bool:
    from .. import registry

    try:
        return bool(getattr(registry.load("translators", name), "machine", False))
    except registry.PluginError:
        return False


# --- translate ---------------------------------------------------------------------


def cmd_translate(session: Session, out: TextIO) -> int:
    args = session.args
    audience, settings, _ = _load(args)
    names = args.engines or [n for n in settings.translators if _is_machine(n)]
    if not names:
        raise UsageError(
            f"audience {audience.name!r} lists no machine translator in i18n.translators; "
            "give --with openai or --with argos"
        )
    target = Path(args.catalog)
    try:
        po = read_po(target)
    except CatalogError as exc:
        session.diagnostics.error(exc.message, exc.file, exc.line)
        session.report()
        return EXIT_INPUT
    resources = Resources(settings, session.diagnostics)
    chain = make_chain(settings, resources, None, names, where="--with")
    for translator in chain.translators:
        if not translator.machine:
            raise UsageError(f"{translator.name!r} is not a machine translator (use openai, argos or another)")
        problem = translator.available()  # type: ignore[attr-defined]
        if problem is not None:
            raise UsageError(f"{translator.name} translator: {problem}")
    todo = [e for e in po if not e.obsolete and entry_state(e) == MISSING]
    segments = [Segment(e.msgctxt or "", e.msgid) for e in todo]
    chain.setup.file = str(target)
    try:
        found = chain.translate(segments)
    finally:
        chain.close()
    drafted = 0
    for entry, segment in zip(todo, segments, strict=True):
        translation = found.get(segment.id)
        if translation is None:
            continue
        entry.msgstr = translation.text
        entry.flags = [f for f in entry.flags if f not in ("fuzzy", "machine")] + ["fuzzy", "machine"]
        notes = [line for line in entry.tcomment.splitlines() if not line.startswith("machine translation:")]
        entry.tcomment = "\n".join([*notes, f"machine translation: {translation.origin}"])
        drafted += 1
    if drafted:
        po.metadata["PO-Revision-Date"] = build_time().strftime("%Y-%m-%d %H:%M%z")
        atomic_write_bytes(target, po_text(po).encode("utf-8"))
    session.report()
    left = len(todo) - drafted
    print(
        f"{target}: {drafted} entries drafted by machine (marked fuzzy, machine), {left} still untranslated", file=out
    )
    return session.status()


# --- glossary ----------------------------------------------------------------------


def cmd_glossary(session: Session, out: TextIO) -> int:
    _, settings, _ = _load(session.args)
    resources = Resources(settings, session.diagnostics)
    wanted = set(session.args.category)
    for term in resources.glossary.entries.values():
        if not wanted or term.category in wanted:
            out.write(f"{term.source}\t{term.target}\t{term.category}\n")
    session.report()
    return session.status() if session.diagnostics.errors else EXIT_OK
