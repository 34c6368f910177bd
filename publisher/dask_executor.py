"""The Dask executor (``build --executor dask``): a build's jobs rendered on a Dask cluster.

The build process is the Dask client.  It sends the model as read (a body not
parsed yet as its place in the input file, whose bytes go too, parsed by the
worker that renders it) and the audiences to the workers once (``scatter``,
broadcast), then submits the same jobs as the local pool, batched the same way
(:func:`publisher.build.job_batches`).  A worker renders a batch and returns
the outputs' bytes; the client alone writes them, atomically, into the output
folder and owns the manifest, so no worker needs the output folder and the
bytes are those of ``-j 1``.  The templates folders (``-t``) must be readable
at the same paths on the workers; the built-in ones come with the package.

A worker that dies mid-batch has its batch run again on another (Dask's
``retries``); a batch whose job fails in a writer reports it like the local
pool does.  Progress follows the futures as they finish.  Dask is optional:
``pip install 'publisher[dask]'``.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import model
from .writers.base import Output

if TYPE_CHECKING:
    from .build import Job, JobResult, World

#: Where ``--scheduler`` is read from when it is not given.
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
#: How often a batch is run again when the worker running it dies.
RETRIES = 3


class ExecutorError(Exception):
    """The Dask executor cannot be used: Dask missing, no scheduler address, or none answering."""


@dataclass
class _Payload:
    """What every worker gets once (pickled): the model, the audiences' contexts and the settings."""

    token: str
    digests: list[Any]
    #: The input files' bytes, by path, for the bodies not parsed yet (see ``_portable``).
    files: dict[str, bytes]
    contexts: dict[str, Any]
    subsets: dict[str, list[int]]
    debug: bool


#: Per worker process: the world made from a payload, by its token (views and writers kept).
#: The payload travels as the bytes the client pickled: Dask does not serialise it again.
_WORLDS: dict[str, Any] = {}


def scheduler_address(given: str | None) -> str:
    address = given or os.environ.get(SCHEDULER_VARIABLE, "")
    if not address:
        raise ExecutorError(
            f"--executor dask needs the scheduler's address: --scheduler tcp://HOST:PORT (or {SCHEDULER_VARIABLE})"
        )
    return address


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError(
            "--executor dask needs Dask distributed, which is not installed: pip install 'publisher[dask]'"
        ) from None
    try:
        # waits for the scheduler as long as Dask's distributed.comm.timeouts.connect (30 s;
        # DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s in the environment sets another)
        return Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def _portable(digests: list[Any]) -> tuple[list[Any], dict[str, bytes]]:
    """The digests as the workers get them, and the bytes of the files their bodies are read from.

    A body not parsed here stays deferred: it travels as its place in its file,
    the file's bytes travel once, and the worker that renders the report
    parses it (``publisher.readers.source.hold_files``).  The client neither
    parses the feed again nor pickles its trees.
    """
    files: dict[str, bytes] = {}
    for digest in digests:
        digest.text_hash()
        for report in digest.reports:
            body = report.deferred
            span = getattr(body, "span", None)
            if span is not None and span.path not in files:
                try:
                    files[span.path] = Path(span.path).read_bytes()
                except OSError:
                    report.pin()  # parsed here (the error, if any, is said here)
            elif body is not None and span is None:
                report.pin()
    return digests, files


def _render_batch(token: str, packed: bytes, jobs: list[Job]) -> list[tuple[JobResult, list[Output] | None]]:
    """On a worker: render a batch; each job's result and its outputs as bytes."""
    from .build import World, render_job
    from .readers.source import hold_files

    world = _WORLDS.get(token)
    if world is None:
        _WORLDS.clear()  # a new build: the last one's model goes
        payload = pickle.loads(packed)
        hold_files(payload.files)
        world = _WORLDS[token] = World(payload.digests, payload.contexts, {}, payload.debug, subsets=payload.subsets)
    model.NEW_SLUGS.clear()
    model.NEW_STEMS.clear()
    rendered = []
    for job in jobs:
        result, outputs = render_job(world, job)
        if outputs is not None:
            outputs = [Output(o.path, o.content()) for o in outputs]  # bytes travel; a stream does not
        rendered.append((result, outputs))
    if rendered:  # slugs this worker computed go back to the client, to be kept
        rendered[-1][0].slugs = list(model.NEW_SLUGS)
        rendered[-1][0].stems = list(model.NEW_STEMS)
    return rendered


def run_on_dask(
    world: World,
    todo: list[Job],
    address: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[JobResult]:
    """Render ``todo`` on the cluster at ``address``; write every output here, as the jobs finish."""
    from .build import job_batches, write_outputs

    client = connect(address)
    try:
        from distributed import as_completed

        digests, files = _portable(world.digests)
        payload = _Payload(uuid.uuid4().hex, digests, files, world.contexts, world.subsets, world.debug)
        # pickled once here, sent as bytes: Dask moves bytes without looking into them, and each
        # worker unpickles the model once, on its first batch
        packed = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        shared = client.scatter(packed, broadcast=True, hash=False)
        by_key = {job.key: job for job in todo}
        futures = [
            client.submit(_render_batch, payload.token, shared, batch, retries=RETRIES, pure=False)
            for batch in job_batches(todo)
        ]
        results: list[JobResult] = []
        for future in as_completed(futures, loop=client.loop):
            for result, outputs in future.result():
                if outputs is not None:
                    write_outputs(world, by_key[result.key], result, outputs)
                results.append(result)
            if progress:
                progress(len(results), len(todo))
        return results
    finally:
        client.close()
