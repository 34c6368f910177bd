"""One build at a time in an output folder: an advisory lock file, ``OUT/.publisher/lock``.

Two builds into one folder would read each other's ``unfinished`` mark as a
crash (and delete the other's temporary files while it writes them) and
lose each other's manifest entries.  So a build takes an exclusive
``flock`` on the lock file before it reads anything of the folder and holds
it to its end; the lock goes with the process, however it ends.  The file
holds the holder's process id, so a second build can say whom it waits for.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Callable
from pathlib import Path

LOCK = ".publisher/lock"

#: Descriptors of the locks this process holds (a forked worker closes its copies: see
#: :func:`close_inherited`).
_HELD: set[int] = set()


class FolderBusy(Exception):
    """Another build holds the output folder (and the caller would not wait)."""


class StateFolderError(Exception):
    """The folder where a build keeps its state is not a plain folder (a symlink, a file)."""


def state_folder(root: Path) -> Path:
    """``root/.publisher``, made if needed; refused if it is a symlink or not a folder."""
    folder = root / ".publisher"
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise StateFolderError(f"{folder}: not a folder (a symbolic link or a file); the build keeps its state there")
    return folder


class FolderLock:
    """The lock of one output folder; ``acquire`` blocks (or raises :class:`FolderBusy`)."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK
        self.fd: int | None = None

    def acquire(self, wait: bool = True, waiting: Callable[[str], None] | None = None) -> None:
        try:
            state_folder(self.path.parent.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            # A folder this user cannot write: a build that has nothing to write still runs
            # (and one that has fails on its first file, with a message).
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError:
                return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._holder(fd)
                if not wait:
                    raise FolderBusy(f"{self.path}: another build (pid {holder}) is writing this folder") from None
                if waiting is not None:
                    waiting(f"{self.path}: waiting for the build (pid {holder}) that is writing this folder")
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            except OSError:
                pass  # opened read-only: the lock holds all the same
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        _HELD.add(fd)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            text = ""
        return text if text.isdigit() else "unknown"

    def release(self) -> None:
        if self.fd is not None:
            _HELD.discard(self.fd)
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None


def close_inherited() -> None:
    """In a forked worker: close the copies of the build's lock descriptors.

    A flock is held while any descriptor of it is open, so a worker that outlived a killed
    build would hold the folder locked and the next build would wait for it for ever.
    """
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()
