"""The folder sink: writes outputs under a directory, atomically and safely.

Each file is written to a temporary file in its target directory, flushed
to disk and renamed over the target, so a reader (or a crash) only ever
sees the old file or the new one.  Paths are checked so that no output
lands outside the folder, whatever the input text was.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..writers.base import Output
from .base import Sink, Written

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_BAD_CHARS = re.compile(r'[\x00-\x1f<>:"|?*\\]')


class UnsafePathError(ValueError):
    """An output path that would escape the output folder or is not portable."""


class OutputError(Exception):
    """An output could not be written: a full disk, a file-size limit, a read-only folder …

    Nothing is left half-written (the temporary file is removed); the message
    reads ``PATH: error: cannot write: REASON``.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason

    def __str__(self) -> str:
        return f"{self.path}: error: cannot write: {self.reason}"


def safe_relative(path: str) -> PurePosixPath:
    """Validate a writer's relative output path (``/`` separated)."""
    rel = PurePosixPath(path)
    if not path or rel.is_absolute() or path.startswith(("/", "\\")):
        raise UnsafePathError(f"output path {path!r} is not relative")
    for part in path.split("/"):
        if (
            part in ("..", ".", "")
            or _BAD_CHARS.search(part)
            or _WINDOWS_RESERVED.match(part)
            or part.endswith((" ", "."))
        ):
            raise UnsafePathError(f"output path {path!r} has an unsafe part {part!r}")
    return rel


def atomic_write(target: Path, writer: Callable[[BinaryIO], None], keep_if_same: bool = False) -> bool:
    """Write ``target`` through a temporary file and an atomic rename.

    With ``keep_if_same``, an existing target with the same bytes is left
    untouched.  Returns whether the target was replaced.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            if keep_if_same and target.is_file() and filecmp.cmp(tmp, target, shallow=False):
                os.unlink(tmp)
                return False
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return True
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    def write(handle: BinaryIO) -> None:
        handle.write(data)

    atomic_write(target, write)


class FolderSink(Sink):
    """Write outputs under ``root`` (``build/`` by default)."""

    name = "folder"

    def __init__(self, root: str | Path = "build") -> None:
        self.root = Path(root)

    def target(self, path: str) -> Path:
        rel = safe_relative(path)
        target = self.root.joinpath(*rel.parts)
        root = self.root.resolve()
        resolved = target.resolve()
        if resolved != root and root not in resolved.parents:
            raise UnsafePathError(f"output path {path!r} resolves outside {self.root}")
        return target

    def write(self, outputs: Iterable[Output]) -> list[Written]:
        """Write each output atomically; leave files whose bytes are unchanged alone."""
        done: list[Written] = []
        for output in outputs:
            target = self.target(output.path)
            try:
                done.append(self._write(target, output))
            except OSError as exc:
                raise OutputError(str(target), exc.strerror or str(exc)) from None
        return done

    def _write(self, target: Path, output: Output) -> Written:
        if output.data is not None:
            data = output.data
            digest = hashlib.sha256(data).hexdigest()
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                return Written(target, "unchanged", len(data), digest, output.path)
            atomic_write_bytes(target, data)
            return Written(target, "written", len(data), digest, output.path)
        assert output.stream is not None
        replaced = atomic_write(target, output.stream, keep_if_same=True)
        with target.open("rb") as written:  # hashed in chunks: a streamed output may be hundreds of MB
            digest = hashlib.file_digest(written, "sha256").hexdigest()
            size = os.fstat(written.fileno()).st_size
        status = "written" if replaced else "unchanged"
        return Written(target, status, size, digest, output.path)
