"""The build engine: plan outputs as jobs, skip what is up to date, run the rest.

A build renders, for each audience and format, one job per digest (or, for
writers with ``unit = "report"``, one job per report plus one for the
digest's index outputs) and one job for outputs spanning all digests.

Each job has a fingerprint: the content it renders from (the report, or
the digest), the audience (profile and every template file on its search
path), the writer's and the transforms' code.  A small manifest in the
output folder (``.publisher/manifest.json``) records, per job, that
fingerprint and the outputs written with their hashes.  A job whose
fingerprint and outputs are unchanged is skipped (``--force`` renders
all); outputs that a previous build wrote and that no job produces any
more are removed, unless someone changed them since.

Jobs run in the main process (``-j 1``) or in a pool of forked processes;
each output is written atomically by the process that renders it, so the
bytes do not depend on the number of processes.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import inspect
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from . import __version__, model, registry, views
from .audiences import Audience, AudienceError
from .diagnostics import ERROR, Diagnostic, Diagnostics
from .i18n.messages import LOCALE_DIR
from .journal import Journal
from .lock import FolderLock, close_inherited, state_folder
from .memory import collector_paused
from .model import Digest, Report, Section
from .sandbox import budget_for
from .sinks.folder import FolderSink, OutputError, UnsafePathError, Written, atomic_write_bytes
from .writers.base import Output, RenderContext, Writer

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Per audience folder, a journal (see publisher/journal.py) of ``{KEY: [FINGERPRINT, OUTPUTS, SETUP]}``
#: by job, with ``OUTPUTS`` ``{PATH: [SIZE, MTIME_NS, SHA256, PAGE_KEY]}`` (``SETUP`` and ``PAGE_KEY``
#: only for collection jobs).  Lists, not objects: they are quicker to parse and to print.
MANIFEST = ".publisher/manifest.json"


class JobRecord(NamedTuple):
    """A job's manifest entry (stored as a JSON list; read back by the indexes below)."""

    fingerprint: str
    outputs: dict[str, Any]  # PATH → an OutputRecord (a list when read back)
    setup: str | None = None  # collection jobs only


class OutputRecord(NamedTuple):
    """An output in a job's entry (stored as a JSON list; read back by the indexes below)."""

    size: int
    mtime_ns: int
    sha256: str
    page_key: str | None = None  # collection jobs' pages only


# Entries come back from JSON as lists, possibly malformed: they are read by index, guarded,
# rather than turned into tuples (an incremental build checks every entry of the manifest).
FINGERPRINT, OUTPUTS, SETUP = range(3)
SIZE, MTIME_NS, SHA256, PAGE_KEY = range(4)
#: Slugs of earlier builds (pinyin is slow): ``[[title, id, slug], …]``.
SLUG_CACHE = ".publisher/slugs.json"
#: In the output folder itself (shared by its audiences): what the bodies of
#: the reports last built said, by source hash (see ``account_for_bodies``).
BODY_CACHE = ".publisher/bodies.json"
BODY_CACHE_VERSION = 3
#: In each audience folder while a build writes there: the next build knows from it that
#: this one was interrupted, and looks for the temporary files it left (see ``_start_writing``).
UNFINISHED = ".publisher/unfinished"
#: The names :func:`publisher.sinks.folder.atomic_write` gives its temporary files.
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{6,}\.tmp$")
MANIFEST_VERSION = 3
#: Report jobs are sent to worker processes in batches of this size.
BATCH = 64


# --- fingerprints --------------------------------------------------------------


def _section_parts(section: Section, parts: list[str], positions: bool) -> None:
    parts.append(f"\x1eS{section.heading}\x1f{section.level}\x1f{section.role}\x1f{section.sep}")
    if positions:
        parts.append(f"@{section.pos.line}:{section.pos.column}")
    for block in section.blocks:
        parts.append(f"\x1eB{block.kind}\x1f{block.sep}\x1f{block.text}")
        if positions:
            parts.append(f"@{block.line}:{block.column}")
        for c in block.citations:
            parts.append(f"\x1eC{c.ref}\x1f{c.offset}\x1f{c.sep}")
    for child in section.children:
        _section_parts(child, parts, positions)
    parts.append("\x1eE")


def report_fingerprint(report: Report, positions: bool = False) -> str:
    """A hash of what a report says (and, with ``positions``, where it stood).

    A report read from text has a hash of that text (``source_hash``),
    which says the same for far less work (and needs no hashing again).
    """
    if report.source_hash and not positions:
        return f"{report.id}\x1f{report.source_hash}"
    parts = [report.id, report.title, report.institution, report.published_at.isoformat(), report.language]
    if positions:
        parts += [str(report.pos.line), report.meta_sep, report.timestamp_text, *report.before, report.body_trail]
    for section in report.sections:
        _section_parts(section, parts, positions)
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest_fingerprint(digest: Digest) -> str:
    """A hash of a whole digest, positions and layout included."""
    if digest.text_hash():
        return _combine(digest.source, digest.source_hash)
    h = hashlib.blake2b(digest_size=16)
    h.update(
        json.dumps(
            [
                digest.source,
                digest.name,
                digest.title,
                digest.preamble,
                digest.epilogue,
                digest.newline,
                digest.bom,
                digest.encoding,
                [s.to_json() for s in digest.skipped],
            ],
            ensure_ascii=False,
        ).encode("utf-8", "surrogatepass")
    )
    for report in digest.reports:
        h.update(report_fingerprint(report, positions=True).encode())
    return h.hexdigest()


def audience_fingerprint(audience: Audience) -> str:
    """A hash of an audience's merged profile, every file on its search path and the built-in
    message catalogs (the interface's words)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(audience.profile, sort_keys=True, default=str).encode())
    for path in sorted(LOCALE_DIR.glob("*.po")):
        h.update(f"\x1e{path.name}\x1f".encode())
        h.update(path.read_bytes())
    for folder in audience.search_path:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(f"\x1e{path.relative_to(folder).as_posix()}\x1f".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def code_fingerprint(obj: Any) -> str:
    """A hash of the code of ``obj`` (a writer or transform): its module and the modules it uses.

    Every module of the same top-level package that the defining module reaches
    through its imports counts (a writer split over several modules, the model, the
    text helpers), so a change to any of them renders the outputs again.
    """
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    if module is None:
        return hashlib.blake2b((__version__ + repr(obj)).encode(), digest_size=16).hexdigest()
    return _module_code(module.__name__)


@functools.lru_cache(maxsize=64)
def _module_code(name: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(__version__.encode())
    for used in sorted(_modules_used(name)):
        h.update(used.encode() + b"\0")
        try:
            h.update(Path(inspect.getfile(sys.modules[used])).read_bytes())
        except (TypeError, OSError):
            pass
    return h.hexdigest()


def _modules_used(name: str) -> set[str]:
    """``name`` and the modules of its top-level package it imports, directly or not."""
    package = name.split(".")[0] + "."
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        module = sys.modules.get(current)
        if current in found or module is None:
            continue
        found.add(current)
        for value in vars(module).values():
            used = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
            if isinstance(used, str) and used.startswith(package) and used not in found:
                todo.append(used)
    return found


def _combine(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def transforms_fingerprint(audience: Audience) -> str:
    """A hash of the code of the audience's transforms (``PluginError`` if one is unknown)."""
    return _combine(*(code_fingerprint(registry.load("transforms", name)) for name in _transforms(audience)))


def _transforms(audience: Audience) -> tuple[str, ...]:
    names = audience.profile.get("transforms", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AudienceError(f"audience {audience.name!r}: 'transforms' must be a list of names")
    return tuple(names)


def apply_transforms(digests: list[Digest], audience: Audience, ctx: RenderContext) -> str:
    """Run the audience's transforms over the digests (in place, in profile order).

    Returns a fingerprint of the transforms' code.
    """
    codes = []
    for name in audience.profile.get("transforms", []):
        transform = registry.load("transforms", name)
        codes.append(code_fingerprint(transform))
        for k, digest in enumerate(digests):
            digests[k] = transform(digest, ctx)
    return _combine(*codes)


# --- jobs ----------------------------------------------------------------------


@dataclass(slots=True)
class Job:
    """One unit of rendering: a digest, a report, a digest index or the collection."""

    key: str
    audience: str
    fmt: str
    kind: str  # "digest", "report", "index" or "collection"
    digest: int = -1
    report: int = -1
    fingerprint: str = ""
    cost: int = 1
    #: The audience's transforms this job needs applied first (empty: the model as read).
    transforms: tuple[str, ...] = ()
    #: A collection job's audience and writer (its fingerprint without the content), and
    #: the keys of its outputs from the last build with the same setup, for outputs intact.
    setup: str = ""
    previous: Mapping[str, str] | None = None  # (not a dictionary for every job)


@dataclass(slots=True)
class Plan:
    """What a build has to do: the jobs to run, the keys of all its jobs, how many are up to date."""

    jobs: list[Job] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    skipped: int = 0


@dataclass(slots=True)
class JobResult:
    key: str
    written: list[Written] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False
    slugs: list[tuple[str, str, str]] = field(default_factory=list)
    stems: list[tuple[str, str]] = field(default_factory=list)
    #: Keys of every output of a collection job rendered page by page (see Writer.write_collection_since).
    keys: dict[str, str] | None = None


@dataclass
class BuildResult:
    """What a build did."""

    written: list[Written] = field(default_factory=list)
    skipped_jobs: int = 0
    run_jobs: int = 0
    failed_jobs: int = 0
    removed: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(1 for w in self.written if w.status == "written")


@dataclass
class World:
    """What worker processes inherit when they are forked.

    ``digests`` is the model as read.  A job that needs transforms gets a
    view: a copy of the model with them applied, made once per process and
    kept for the other jobs that need the same transforms, until the last.
    """

    digests: list[Digest]
    contexts: dict[str, RenderContext]
    roots: dict[str, Path]
    debug: bool = False
    writers: dict[str, Writer] = field(default_factory=dict)
    #: The digests (indices) each target is built from, when not all (see ``Builder.subsets``).
    subsets: dict[str, list[int]] = field(default_factory=dict)
    views: dict[tuple[tuple[str, ...], int], Digest] = field(default_factory=dict)
    #: By report (``id``): how many jobs still to run render it as read (see ``count_readers``);
    #: a body is dropped when none is left.  ``None``: dropped after every job.
    readers: dict[int, int] | None = None
    #: By view (``views``' key): how many jobs still to run render it (see ``count_readers``);
    #: a view is dropped when none is left.  ``None``: kept to the end.
    view_readers: dict[tuple[tuple[str, ...], int], int] | None = None

    def writer(self, fmt: str) -> Writer:
        if fmt not in self.writers:
            self.writers[fmt] = registry.create("writers", fmt)
        return self.writers[fmt]

    def view(self, job: Job, ctx: RenderContext, d: int) -> Digest:
        """Digest ``d`` as ``job`` renders it: as read, or a copy with the job's transforms applied
        (made once per process and digest, kept for the other jobs that need the same, dropped after
        the last: ``World.view_readers``)."""
        if not job.transforms:
            return self.digests[d]
        key = (job.transforms, d)
        if key not in self.views:
            transforms = [registry.load("transforms", name) for name in job.transforms]
            if views.per_report(transforms):  # each report transformed when read, and dropped again
                self.views[key] = views.transformed_view(self.digests[d], transforms, ctx)
            else:
                self.views[key] = views.whole_view(self.digests[d], transforms, ctx)
                for report in self.digests[d].reports:  # the copy holds the bodies now
                    if self.readers is None or not self.readers.get(id(report)):
                        report.release()
        return self.views[key]

    def views_of(self, job: Job, ctx: RenderContext) -> list[Digest]:
        """Every digest of the job's target, as the job renders them (a collection job)."""
        indices = self.subsets.get(job.audience, range(len(self.digests)))
        return [self.view(job, ctx, d) for d in indices]


_WORLD: World | None = None


def _run_job(world: World, job: Job) -> JobResult:
    """Render a job and write its outputs (in this process: the main one, or a forked worker)."""
    result, outputs = render_job(world, job)
    if outputs is not None:
        write_outputs(world, job, result, outputs)
    if not job.transforms:  # the job rendered the reports as read: their bodies are parsed again when needed
        release_bodies(world, job)
    elif world.view_readers is not None:  # a copy with transforms that no job left to run shows: dropped
        for d in job_digests(world, job):
            key = (job.transforms, d)
            left = world.view_readers.get(key, 0) - 1
            world.view_readers[key] = left
            if left <= 0:
                world.views.pop(key, None)
    return result


def job_digests(world: World, job: Job) -> Sequence[int]:
    """The digests (indices) a job shows: its own, or its target's for a collection."""
    return [job.digest] if job.digest >= 0 else world.subsets.get(job.audience, range(len(world.digests)))


def count_readers(world: World, jobs: list[Job]) -> None:
    """Count, for every report, the jobs that render it as read (a report's page, a digest's outputs),
    and for every copy with transforms (``World.view``) the jobs that render it.

    By report object: the digests of recipients share their reports.  An index
    page or a collection shows what is known without a body (titles, takeaways,
    facts) and is not counted; a copy with transforms has bodies of its own.
    """
    readers: dict[int, int] = {}
    view_readers: dict[tuple[tuple[str, ...], int], int] = {}
    for job in jobs:
        if job.transforms:
            for d in job_digests(world, job):
                view_readers[(job.transforms, d)] = view_readers.get((job.transforms, d), 0) + 1
            continue
        if job.kind == "report":
            key = id(world.digests[job.digest].reports[job.report])
            readers[key] = readers.get(key, 0) + 1
        elif job.kind == "digest":
            for report in world.digests[job.digest].reports:
                readers[id(report)] = readers.get(id(report), 0) + 1
    world.readers, world.view_readers = readers, view_readers


def release_bodies(world: World, job: Job) -> None:
    """Drop the bodies of the reports as read that no job left to run renders (see ``Report.release``).

    Deferred bodies are parsed when a job first reads them; without this a
    build would end holding every report it rendered, and its memory would
    grow with the feed.  With the readers counted (``count_readers``) each
    body is parsed once and dropped after its last job (a worker process
    counts down only its own jobs: a body whose jobs it shares with another
    stays to its end); without, after every job.
    A copy with transforms applied (``World.view``) is not the reader's tree
    and keeps its body.
    """
    if job.kind == "report":
        reports = [world.digests[job.digest].reports[job.report]]
    else:
        reports = [report for d in job_digests(world, job) for report in world.digests[d].reports]
    readers = world.readers
    counted = job.kind in ("report", "digest")
    for report in reports:
        if readers is not None:
            left = readers.get(id(report), 0) - counted
            if left > 0:
                readers[id(report)] = left
                continue
            readers.pop(id(report), None)
        report.release()


def render_job(world: World, job: Job) -> tuple[JobResult, list[Output] | None]:
    """Render a job: its result so far and its outputs (``None`` when it failed)."""
    ctx = world.contexts[job.audience]
    diagnostics = Diagnostics()
    local = RenderContext(ctx.audience, diagnostics, ctx.build_time, ctx.options)
    result = JobResult(job.key)
    writer = world.writer(job.fmt)
    outputs: list[Output] | None = None
    try:
        with budget_for(job_reports(world, job)):
            outputs, since = _render(world, job, writer, local)
        if since is not None:
            outputs, result.keys = since
    except (AudienceError, OutputError):  # a broken template, a full disk: the build stops
        raise
    except Exception as exc:  # one job a writer fails on must not stop the others
        if world.debug:
            raise
        diagnostics.items.append(_writer_failed(world, job, exc))
        result.failed, outputs = True, None
    # the list itself, not a copy: a streamed output (a workbook) says its warnings when it is written
    result.diagnostics = diagnostics.items
    return result, outputs


def job_reports(world: World, job: Job) -> int:
    """How many reports a job's outputs show (its templates' time budget grows with them)."""
    if job.kind == "report":
        return 1
    if job.kind in ("digest", "index"):
        return len(world.digests[job.digest].reports)
    indices = world.subsets.get(job.audience, range(len(world.digests)))
    return sum(len(world.digests[d].reports) for d in indices)


def _render(
    world: World, job: Job, writer: Writer, local: RenderContext
) -> tuple[list[Output] | None, tuple[list[Output], Any] | None]:
    """The job's outputs, or (for a collection that can be updated) ``(None, (outputs, keys))``."""
    if job.kind == "digest":
        return list(writer.write(world.view(job, local, job.digest), local)), None
    if job.kind == "report":
        digest = world.view(job, local, job.digest)
        return list(writer.write_report(digest.reports[job.report], digest, local)), None
    if job.kind == "index":
        return list(writer.write_index(world.view(job, local, job.digest), local)), None
    digests = world.views_of(job, local)
    since = writer.write_collection_since(digests, local, job.previous or {})
    if since is None:
        return list(writer.write_collection(digests, local)), None
    return None, since


def write_outputs(world: World, job: Job, result: JobResult, outputs: list[Output]) -> None:
    """Write a rendered job's outputs into its audience's folder (atomically, paths checked)."""
    try:
        with budget_for(job_reports(world, job)):  # a streamed output renders as it is written
            result.written = FolderSink(world.roots[job.audience]).write(outputs)
    except UnsafePathError as exc:
        result.diagnostics.append(Diagnostic(ERROR, str(exc), _job_source(world, job)))
        result.failed = True
    except (AudienceError, OutputError):  # a broken template, a full disk: the build stops
        raise
    except Exception as exc:  # a streamed output that fails as it renders: the job fails, not the build
        if world.debug:
            raise
        result.diagnostics.append(_writer_failed(world, job, exc))
        result.failed = True


def _writer_failed(world: World, job: Job, exc: Exception) -> Diagnostic:
    """The error of a job its writer failed on, rendering or writing (the build goes on)."""
    what = f" on report {world.digests[job.digest].reports[job.report].id}" if job.kind == "report" else ""
    return Diagnostic(ERROR, f"{job.fmt} writer failed{what}: {type(exc).__name__}: {exc}", _job_source(world, job))


def _job_source(world: World, job: Job) -> str:
    return world.digests[job.digest].source if job.digest >= 0 else job.fmt


def _die_with_parent(parent: int) -> None:
    """Worker initialiser: hold no lock of the build's, and (on Linux) end when the build process dies.

    A build killed between the fork and this call sends no death signal: the worker sees a new
    parent and ends at once.
    """
    close_inherited()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _run_batch(jobs: list[Job]) -> list[JobResult]:
    assert _WORLD is not None
    model.NEW_SLUGS.clear()
    model.NEW_STEMS.clear()
    results = [_run_job(_WORLD, job) for job in jobs]
    if results:  # slugs this worker computed go back to the build process, to be kept
        results[-1].slugs = list(model.NEW_SLUGS)
        results[-1].stems = list(model.NEW_STEMS)
    return results


# --- the manifest --------------------------------------------------------------


def _load_slugs(root: Path) -> Any:
    """Add the slugs an earlier build kept to ``model.SLUGS``; returns what the cache file holds."""
    data = None
    try:
        data = json.loads((root / SLUG_CACHE).read_bytes().decode("utf-8", "surrogatepass"))
        for title, report_id, slug in data["slugs"]:
            model.SLUGS.setdefault((title, report_id), slug)
        for name, stem in data["stems"].items():
            if isinstance(name, str) and isinstance(stem, str):
                model.STEMS.setdefault(name, stem)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # no cache, or an unreadable one: slugs are computed again
    return data


def _save_slugs(root: Path, digests: list[Digest], previous: Any) -> None:
    """Keep the slugs of this build's reports for the next one (``previous``: what the file holds now)."""
    entries = [
        [r.title, r.id, slug]
        for d in digests
        for r in d.reports
        if (slug := model.SLUGS.get((r.title, r.id))) is not None
    ]
    names = {r.institution for d in digests for r in d.reports}
    stems = {name: model.STEMS[name] for name in sorted(names) if name in model.STEMS}
    data = {"slugs": entries, "stems": stems}
    if data != previous:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        atomic_write_bytes(root / SLUG_CACHE, text.encode("utf-8", "surrogatepass"))


def account_for_bodies(
    digests: list[Digest], cache: dict[str, list[Any]], diagnostics: Diagnostics
) -> dict[str, list[Any]]:
    """Print what every deferred report body says, parsing only bodies the cache does not know.

    A reader may defer report bodies (``Report.defer``).  The messages of a
    body a build does not render must be printed all the same, so the
    build keeps, per source hash, what each body said (messages with lines
    relative to the body), its key takeaway (which index pages show) and its
    research facts (which every output shows, see :func:`find_facts`).  A
    known body's messages are printed from the cache and its parser, should a
    job still need the body, stays silent; an unknown body is parsed now.
    Returns the cache for the next build: this build's reports.
    """
    kept: dict[str, list[Any]] = {}
    silent = Diagnostics()  # where the messages of bodies printed from the cache go, if parsed
    version = facts_code()[:12]  # facts found by other code are found again
    with collector_paused():  # parsing makes many small objects and no cycles
        for digest in digests:
            for report in digest.reports:
                body = report.deferred
                if body is None or not report.source_hash:
                    continue
                key = f"{report.source_hash}:{version}"
                known = cache.get(key)
                replay = _replayed(known, body.file, body.line) if known is not None else None
                remembered = _remembered_facts(known) if replay is not None else None
                if replay is not None and known is not None and remembered is not None:
                    diagnostics.extend(replay)
                    report.remember_takeaway(known[0])
                    if report.facts is None:
                        report.facts = remembered
                    body.diagnostics = silent
                else:
                    said = body.diagnostics = Diagnostics()
                    report.sections  # noqa: B018 (parses the body)
                    facts = report.facts
                    if facts is None:  # what the rules trip over is said with the body, and remembered
                        facts = report.facts = _facts_of(report, said, body.file)
                    diagnostics.extend(said)
                    messages = [[d.severity, d.message, d.line - body.line, d.column] for d in said]
                    known = [report.takeaway_text(), messages, facts.to_json()]
                    report.release()  # parsed again by the jobs that render it: memory stays flat
                kept[key] = known
    return kept


def find_facts(digests: list[Digest], diagnostics: Diagnostics | None = None) -> None:
    """Give every report that has none its research facts (companies, ratings, targets, valuations).

    Facts are part of reading a report, so every output shows them without waiting
    for transforms (the ``facts`` transform adds forecasts from the figures); a build
    finds them when it parses a body and remembers them (:func:`account_for_bodies`).
    """
    for digest in digests:
        for report in digest.reports:
            if report.facts is None:
                report.facts = _facts_of(report, diagnostics, digest.source)


def _facts_of(report: Report, diagnostics: Diagnostics | None, file: str) -> model.Facts:
    from .transforms.facts import extract

    try:
        return extract(report)
    except Exception as exc:  # a report the rules trip over has no facts, and the build goes on
        if diagnostics is not None:
            what = f"facts: none found in report {report.title[:40]!r}: {type(exc).__name__}: {exc}"
            diagnostics.warning(what, file, report.pos.line, report.pos.column)
        return model.Facts()


@functools.lru_cache(maxsize=1)
def facts_code() -> str:
    """A hash of the code that finds facts: outputs and remembered facts depend on it."""
    from .transforms import facts

    return code_fingerprint(facts.extract)


def _remembered_facts(known: Any) -> model.Facts | None:
    """The facts a body cache entry holds (``None`` if the entry has none or they are malformed).

    The cache lives in the output folder, which is not trusted: the facts are checked
    against the model's schema before they become part of the model.
    """
    from .readers.json import schema_problem

    try:
        data = known[2]
        if not isinstance(data, dict):
            return None
        if data:  # most reports state no fact: nothing to check
            schema = _schema()
            if schema_problem(data, schema["$defs"]["facts"], schema) is not None:
                return None
        return model.Facts.from_json(data)
    except (IndexError, KeyError, TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return model.load_schema()


def _replayed(known: Any, file: str, line: int) -> list[Diagnostic] | None:
    """The messages a body cache entry holds, placed at ``line``; ``None`` if the entry is malformed."""
    try:
        takeaway, messages, _facts = known
        if not isinstance(takeaway, str):
            return None
        return [
            Diagnostic(str(severity), str(message), file, line + int(offset), int(column))
            for severity, message, offset, column in messages
        ]
    except (TypeError, ValueError):
        return None


def entry_outputs(entry: Any) -> dict[str, list[Any]]:
    """The outputs a manifest entry lists (none if the entry is malformed)."""
    try:
        outputs = entry[OUTPUTS]
    except (TypeError, IndexError, KeyError):
        return {}
    return outputs if isinstance(outputs, dict) else {}


def _setup(entry: Any) -> str | None:
    """The setup a collection job's manifest entry was built with."""
    try:
        return entry[SETUP] if isinstance(entry[SETUP], str) else None
    except (TypeError, IndexError, KeyError):
        return None


def _intact(base: str, rel: str, meta: Any) -> bool:
    """Is output ``rel`` (under ``base``, which ends in a separator) as the build left it (``meta``)?"""
    try:
        st = os.stat(base + rel)  # not Path: this runs for every output of every job
        return st.st_size == meta[SIZE] and st.st_mtime_ns == meta[MTIME_NS]
    except (OSError, TypeError, IndexError, KeyError):
        return False  # gone, or a malformed entry


def _up_to_date(base: str, entry: Any, fingerprint: str) -> bool:
    """Has the job of ``entry`` the same fingerprint, and are its outputs (under ``base``) as it left them?"""
    try:
        if entry[FINGERPRINT] != fingerprint:
            return False
        outputs = entry[OUTPUTS].items()
    except (TypeError, IndexError, KeyError, AttributeError):
        return False  # no entry, or a malformed one
    for rel, meta in outputs:
        if not _intact(base, rel, meta):
            return False
    return True


def _intact_keys(base: str, entry: Any) -> dict[str, str]:
    """The page keys of a job's outputs that are still as the build left them."""
    return {
        rel: meta[PAGE_KEY]
        for rel, meta in entry_outputs(entry).items()
        if _intact(base, rel, meta) and len(meta) > PAGE_KEY and isinstance(meta[PAGE_KEY], str)
    }


def _output_entry(w: Written) -> OutputRecord:
    return OutputRecord(w.size, w.path.stat().st_mtime_ns, w.sha256)


# --- the builder ---------------------------------------------------------------


@dataclass
class Builder:
    """Plans and runs a build for one or more audiences."""

    audiences: list[Audience]
    formats: dict[str, list[str]]
    out: Path
    diagnostics: Diagnostics
    build_time: datetime
    jobs: int = 1
    force: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[int, int], None] | None = None
    debug: bool = False
    #: Wait for another build writing the same output folder (else fail at once).
    wait: bool = True
    #: Told (a line of text) when the build waits for another.
    waiting: Callable[[str], None] | None = None
    #: ``local`` (this process, or a pool of forked ones: ``jobs``) or ``dask`` (the workers of
    #: the Dask cluster at ``scheduler``: :mod:`publisher.dask_executor`).
    executor: str = "local"
    scheduler: str = ""
    #: Targets other than the audiences' own folders (:mod:`publisher.subscriptions`: one per
    #: recipient): by name, the folder and the digests (indices) it is built from; ``names`` are
    #: the audiences' target names, in order (default: each audience's name, ``out/<name>``, every
    #: digest).  ``formats`` and the manifests are by target name.
    names: list[str] | None = None
    folders: dict[str, Path] = field(default_factory=dict)
    subsets: dict[str, list[int]] = field(default_factory=dict)
    #: Called with the digests read, once their reports have their facts (from the body cache or
    #: parsed): returns the digests to build and each target's subset of them (the recipients).
    choose: Callable[[list[Digest]], tuple[list[Digest], dict[str, list[int]]]] | None = None

    def targets(self) -> list[tuple[str, Audience]]:
        """Each target's name with its audience."""
        names = self.names or [a.name for a in self.audiences]
        return list(zip(names, self.audiences, strict=True))

    def root(self, name: str) -> Path:
        return self.folders.get(name) or self.out / name

    def run(self, digests: list[Digest]) -> BuildResult:
        targets = self.targets()
        contexts = {
            name: RenderContext(a, self.diagnostics, self.build_time, dict(self.options)) for name, a in targets
        }
        for name, audience in targets:  # profile errors stop the build before it does anything
            audience.messages  # noqa: B018  (the locale, time zone and message catalogs)
            for fmt in self.formats[name]:
                registry.create("writers", fmt).check(audience)
        transform_code = {name: transforms_fingerprint(a) for name, a in targets}
        # The model is built and will not change: keep the collector from
        # scanning its many objects again and again while writers run.
        gc.freeze()
        lock = FolderLock(self.out)
        try:
            lock.acquire(self.wait, self.waiting)  # before anything of the folder is read
            return self._run(digests, contexts, transform_code)
        finally:
            lock.release()
            gc.unfreeze()

    def plan(
        self, digests: list[Digest], transform_code: dict[str, str], manifests: dict[str, Any] | None = None
    ) -> Plan:
        """The build's jobs; with the ``manifests`` of the last build, only those not up to date."""
        plan = Plan()
        report_fps: dict[tuple[int, int], str] = {}
        digest_fps: dict[int, str] = {}

        def report_fp(d: int, r: int) -> str:
            if (d, r) not in report_fps:
                report_fps[(d, r)] = report_fingerprint(digests[d].reports[r])
            return report_fps[(d, r)]

        def digest_fp(d: int) -> str:
            if d not in digest_fps:
                digest_fps[d] = digest_fingerprint(digests[d])
            return digest_fps[d]

        def content_fp(d: int, writer: Writer | None = None) -> str:
            """What a per-report writer's index can show: every report (or its index key), no positions."""
            digest = digests[d]
            keys = []
            for r, report in enumerate(digest.reports):
                key = writer.index_key(report) if writer is not None else None
                keys.append(report_fp(d, r) if key is None else key)
            return _combine(digest.name, digest.title, *keys)

        for target, audience in self.targets():
            audience_fp = audience_fingerprint(audience)
            names = _transforms(audience)
            done = manifests[target] if manifests is not None else None
            base = os.fspath(self.root(target)) + os.sep
            mine = self.subsets.get(target, range(len(digests)))
            for fmt in self.formats[target]:
                writer_cls = registry.load("writers", fmt)
                writer = registry.create("writers", fmt)
                # Writers that show only what the reader found do not wait for transforms.
                transforms = names if getattr(writer_cls, "enriched", True) else ()
                code = transform_code[target] if transforms else ""
                writer_fp = _combine(audience_fp, code, fmt, code_fingerprint(writer_cls), facts_code())
                per_report = getattr(writer_cls, "unit", "digest") == "report"
                has_index = getattr(writer_cls, "write_index", None) is not Writer.write_index
                has_collection = getattr(writer_cls, "write_collection", None) is not Writer.write_collection

                def add(key: str, kind: str, d: int, r: int, fp: str, cost: int = 1) -> None:
                    plan.keys.add(key)
                    if done is not None and _up_to_date(base, done.get(key), fp):  # noqa: B023
                        plan.skipped += 1  # (no Job made: most jobs of an incremental build end here)
                    else:
                        plan.jobs.append(Job(key, target, fmt, kind, d, r, fp, cost, transforms, writer_fp))  # noqa: B023

                for d in mine:
                    digest = digests[d]
                    prefix = f"{target}/{fmt}/{digest.name}"
                    size = len(digest.reports)
                    if not per_report:
                        add(prefix, "digest", d, -1, _combine(writer_fp, digest_fp(d)), size + 1)
                        continue
                    meta = _combine(Path(digest.source).name, digest.name, digest.title)
                    for r, report in enumerate(digest.reports):
                        add(f"{prefix}/{report.id}", "report", d, r, _combine(writer_fp, meta, report_fp(d, r)))
                    if has_index:
                        fp = _combine(writer_fp, content_fp(d, writer))
                        add(f"{prefix}/index", "index", d, -1, fp, size // 50 + 1)
                if has_collection:
                    if per_report:
                        fp = _combine(writer_fp, *(content_fp(d, writer) for d in mine))
                    else:
                        fp = _combine(writer_fp, *(digest_fp(d) for d in mine))
                    cost = sum(len(digests[d].reports) for d in mine) // 50 + 1
                    add(f"{target}/{fmt}/*", "collection", -1, -1, fp, cost)
        return plan

    def _run(
        self, digests: list[Digest], contexts: dict[str, RenderContext], transform_code: dict[str, str]
    ) -> BuildResult:
        result = BuildResult()
        # Input errors (a file that could not be read, a report skipped): what the earlier build
        # wrote for them must not go, as the publish command keeps its pages too.
        keep_stale = bool(self.diagnostics.errors)
        roots = {name: self.root(name) for name, _ in self.targets()}
        slug_files = {}
        body_cache = Journal(self.out / BODY_CACHE, BODY_CACHE_VERSION)
        journals = {name: Journal(root / MANIFEST, MANIFEST_VERSION) for name, root in roots.items()}
        # What the last build left, and the plan: many small objects, no cycles, kept to the end.
        with collector_paused(keep=True):
            for name, root in roots.items():
                _recover(root)
                slug_files[name] = _load_slugs(root)
            known_bodies = {} if self.force else body_cache.load()
            manifests = {name: journal.load() for name, journal in journals.items()}
            bodies = account_for_bodies(digests, known_bodies, self.diagnostics)
            find_facts(digests, self.diagnostics)  # reports read whole (JSON, Markdown)
            if self.choose is not None:  # each target's reports, now that every report has its facts
                digests, self.subsets = self.choose(digests)
            plan = self.plan(digests, transform_code, None if self.force else manifests)
        result.skipped_jobs = plan.skipped
        todo = plan.jobs
        if keep_stale and any(job.kind == "collection" for job in todo):
            # Outputs that list every report (a wiki's home, days, navigation, the facts workbook) would lose the
            # reports of the input that could not be read: they stay as the last build left them.
            todo = [job for job in todo if job.kind != "collection"]
            self.diagnostics.warning(
                "input errors: the outputs that list all reports (indexes, navigation, the facts workbook)"
                " were not rebuilt",
                os.fspath(self.out),
            )
        marked: set[str] = set()

        def mark(name: str) -> None:
            """Mark an audience folder as being written, before its first change (see ``_recover``)."""
            if name not in marked:
                marked.add(name)
                (roots[name] / UNFINISHED).touch()

        for job in todo:
            mark(job.audience)
        for job in todo:
            if job.kind == "collection" and not self.force:
                entry = manifests[job.audience].get(job.key)
                if _setup(entry) == job.setup:
                    job.previous = _intact_keys(os.fspath(roots[job.audience]) + os.sep, entry)
        world = World(digests, contexts, roots, self.debug, subsets=self.subsets)
        count_readers(world, todo)
        by_key = {job.key: job for job in todo}
        for job_result in self._execute(world, todo):
            for title, report_id, slug in job_result.slugs:
                model.SLUGS.setdefault((title, report_id), slug)
            for text, stem in job_result.stems:
                model.STEMS.setdefault(text, stem)
            job = by_key[job_result.key]
            self.diagnostics.extend(job_result.diagnostics)
            result.written.extend(job_result.written)
            result.run_jobs += 1
            jobs = manifests[job.audience]
            if job_result.failed:
                result.failed_jobs += 1
                jobs.pop(job.key, None)
                continue
            old = entry_outputs(jobs.get(job.key))
            new: dict[str, Any] = {w.relative: _output_entry(w) for w in job_result.written}
            if job_result.keys is not None:  # pages not rendered again are kept as they are
                for rel, key in job_result.keys.items():
                    kept = new.get(rel) or old.get(rel)
                    if kept is not None:
                        new[rel] = OutputRecord(kept[SIZE], kept[MTIME_NS], kept[SHA256], key)
            if keep_stale:
                new = {**old, **new}
            record = JobRecord(job.fingerprint, new, job.setup)
            jobs[job.key] = record if job.kind == "collection" else record[:SETUP]
            self._remove_stale(roots[job.audience], old, new, result)
        # Jobs of a format built now that no longer exist (a report or a digest
        # went away): their outputs go too.
        planned_keys = plan.keys
        for name, _ in self.targets():
            jobs = manifests[name]
            formats = set(self.formats[name])
            stale = [k for k in jobs if k not in planned_keys and k.split("/")[1] in formats]
            if stale and keep_stale:
                self.diagnostics.warning(
                    f"input errors: kept the outputs of {len(stale)} earlier job{'s' * (len(stale) != 1)} "
                    "this build no longer makes (a later build without errors removes them)",
                    str(roots[name]),
                )
                stale = []
            if stale:
                mark(name)
            for key in stale:
                self._remove_stale(roots[name], entry_outputs(jobs.pop(key)), {}, result)
            journals[name].save(jobs)
            mine = [digests[d] for d in self.subsets[name]] if name in self.subsets else digests
            _save_slugs(roots[name], mine, slug_files[name])
        if bodies:
            body_cache.save(bodies)
        for name in marked:
            (roots[name] / UNFINISHED).unlink(missing_ok=True)
        return result

    def _remove_stale(self, root: Path, old: dict[str, Any], new: dict[str, Any], result: BuildResult) -> None:
        sink = FolderSink(root)
        for rel, meta in old.items():
            if rel in new:
                continue
            try:
                # A tampered manifest deletes nothing outside: the path is checked as text and
                # resolved (symbolic links followed), and a link itself is never read.
                path = sink.target(rel)
                if path.is_symlink():
                    continue
                data = path.read_bytes()
                built = meta[SHA256]
            except (OSError, UnsafePathError, TypeError, IndexError, KeyError):
                continue
            if hashlib.sha256(data).hexdigest() != built:
                self.diagnostics.warning(f"not removing {path}: changed since it was built", str(path))
                continue
            path.unlink()
            result.removed.append(path)

    def _execute(self, world: World, todo: list[Job]) -> Iterator[JobResult]:
        """The result of each job, as it is done: the caller files it and lets it go."""
        if self.executor == "dask" and todo:
            from .dask_executor import run_on_dask

            yield from run_on_dask(world, todo, self.scheduler, self.progress)
            return
        total = len(todo)
        done = 0
        if self.jobs <= 1 or total <= 1 or not _can_fork():
            for job in todo:
                yield _run_job(world, job)
                done += 1
                if self.progress:
                    self.progress(done, total)
            return
        import multiprocessing  # only a parallel build needs the pool (and its imports)
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        global _WORLD
        _WORLD = world
        batches = job_batches(todo)
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
            ) as pool:
                pending: set[Future[list[JobResult]]] = {pool.submit(_run_batch, batch) for batch in batches}
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        batch_results = future.result()
                        yield from batch_results
                        done += len(batch_results)
                        if self.progress:
                            self.progress(done, total)
        finally:
            _WORLD = None


def _can_fork() -> bool:
    """Can worker processes be forked (and so inherit the model without copying it)?"""
    return hasattr(os, "fork")


def _recover(root: Path) -> None:
    """Clean up after a build that was interrupted in ``root`` (run while holding the folder's lock).

    A build marks an audience folder (``UNFINISHED``) before it changes anything there and
    removes the mark at its end; a mark left behind means temporary files may be left too.
    """
    state_folder(root)
    marker = root / UNFINISHED
    interrupted = marker.exists()
    if interrupted or not (root / MANIFEST).exists():
        _remove_temporary_files(root)
    if interrupted:
        marker.unlink()  # cleaned up: this build marks the folder again before it writes


def _remove_temporary_files(root: Path) -> None:
    """Delete temporary files an interrupted build left (``.<name>.<random>.tmp``)."""
    for folder, _, names in os.walk(root):
        for name in names:
            if TEMPORARY.match(name):
                Path(folder, name).unlink(missing_ok=True)


def job_batches(jobs: list[Job]) -> list[list[Job]]:
    """Jobs grouped for the worker processes, the costliest batch first.

    Jobs that need the same transforms go together, so one process applies
    them once; other big jobs go alone; report jobs go in batches.
    """
    by_transforms: dict[tuple[str, ...], list[Job]] = {}
    singles: list[list[Job]] = []
    reports: list[Job] = []
    for job in jobs:
        if job.transforms:
            by_transforms.setdefault(job.transforms, []).append(job)
        elif job.kind == "report":
            reports.append(job)
        else:
            singles.append([job])
    grouped = [reports[i : i + BATCH] for i in range(0, len(reports), BATCH)]
    batches = list(by_transforms.values()) + singles + grouped

    def cost(batch: list[Job]) -> int:
        work = sum(job.cost for job in batch)
        if batch[0].transforms:  # applying the transforms costs about as much as a big writer
            work += 2 * max(job.cost for job in batch)
        return work

    batches.sort(key=lambda batch: -cost(batch))
    return batches


def default_jobs() -> int:
    """Processes to use for ``-j 0`` (all cores)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
