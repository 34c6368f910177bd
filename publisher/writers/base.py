"""What every writer is: a named format that turns digests into outputs.

A writer is a plug-in registered under the ``publisher.writers`` entry
point group.  It declares its format ``name``, its file ``extension`` and
whether it writes one file per digest or per report (``unit``), and it
returns :class:`Output` objects; a sink decides where and how they are
stored (always atomically).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from ..diagnostics import Diagnostics

if TYPE_CHECKING:
    from ..audiences import Audience
    from ..model import Digest, Report


@dataclass(slots=True)
class Output:
    """One file a writer produced: a relative path and its content.

    Either ``data`` holds the bytes, or ``stream`` writes them to a binary
    file object (for writers that stream large files).
    """

    path: str
    data: bytes | None = None
    stream: Callable[[BinaryIO], None] | None = None

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        import io

        buffer = io.BytesIO()
        assert self.stream is not None
        self.stream(buffer)
        return buffer.getvalue()


@dataclass
class RenderContext:
    """Everything a writer may use besides the model."""

    audience: Audience
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    build_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    options: dict[str, Any] = field(default_factory=dict)


class Writer:
    """Base class of writers; subclasses set the class attributes.

    A writer with ``unit = "digest"`` implements :meth:`write`.  A writer
    with ``unit = "report"`` implements :meth:`write_report` (the outputs of
    one report, which may depend only on that report, the digest's name and
    title and the audience, not on source positions or other reports) and,
    if it has any, :meth:`write_index` (digest-level outputs such as index
    pages); the build engine can then render, skip and parallelise reports
    one by one.  :meth:`write_collection` gives outputs that span all
    digests of a build.
    """

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: ``"digest"``: one file per input digest; ``"report"``: one per report.
    unit: ClassVar[str] = "digest"
    #: Whether the writer shows what the audience's transforms add (metrics …).
    #: A writer that shows only what the reader found sets this to False: the
    #: build then renders it from the model as read, without waiting for them.
    enriched: ClassVar[bool] = True

    def check(self, audience: Audience) -> None:
        """Raise ``AudienceError`` if the audience's settings for this format are wrong.

        Called for every format of a build before anything is rendered, so a
        bad profile value stops the build before it writes any file.
        """

    def write(self, digest: Digest, ctx: RenderContext) -> Iterable[Output]:
        """Outputs for one digest."""
        if self.unit != "report":
            raise NotImplementedError
        outputs: list[Output] = []
        for report in digest.reports:
            outputs.extend(self.write_report(report, digest, ctx))
        outputs.extend(self.write_index(digest, ctx))
        return outputs

    def write_report(self, report: Report, digest: Digest, ctx: RenderContext) -> Iterable[Output]:
        """Outputs of one report (writers with ``unit = "report"``)."""
        raise NotImplementedError

    def index_key(self, report: Report) -> str | None:
        """What this writer's index and collection outputs show of a report.

        A per-report writer whose index pages list only some fields (title,
        time, a key sentence …) returns them as one string, so the build
        skips the index pages when a report changes elsewhere; ``None``
        (the default) means they may show anything.
        """
        return None

    def write_index(self, digest: Digest, ctx: RenderContext) -> Iterable[Output]:
        """Digest-level outputs of a per-report writer; none by default."""
        return ()

    def write_collection(self, digests: list[Digest], ctx: RenderContext) -> Iterable[Output]:
        """Outputs that span all digests of a build (indexes); none by default."""
        return ()

    def write_collection_since(
        self, digests: list[Digest], ctx: RenderContext, previous: Mapping[str, str]
    ) -> tuple[list[Output], dict[str, str]] | None:
        """The collection outputs whose key differs from ``previous[path]``, and the keys of all.

        A writer whose collection is many pages (indexes) can give each page
        a key of everything the page shows (not of the audience: the build
        passes an empty ``previous`` when the audience or the writer
        changed); the build then renders only pages whose key changed and
        keeps the others as they are.  ``None`` (the default): the build
        calls :meth:`write_collection` and renders them all.
        """
        return None
