"""A table of JSON values kept on disk as a snapshot and a log of changes.

The build engine keeps its state (the manifest of each output folder, the
cache of what report bodies said) from one build to the next.  The tables
hold an entry per report; an incremental build changes a few of them.
Writing the whole table again would cost more than the rest of such a
build, so the changes are appended to a log next to the snapshot
(``NAME.log`` beside ``NAME.json``), and the snapshot is written again
only when the log has grown long.

Nothing here is trusted: a missing, unreadable or foreign file, and a log
cut short by a crash, read as fewer entries (the build does the work
again), never as an error.  The log names the generation of the snapshot
it extends (a random number), so a log left beside a newer snapshot is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .sinks.folder import atomic_write_bytes

#: The log is folded into a new snapshot when it would grow past this share of the snapshot's
#: size (reading a long log would cost more than the snapshot), and past ``FOLD_MIN`` bytes.
FOLD_SHARE = 8
FOLD_MIN = 64 * 1024


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8", "surrogatepass"))


class Journal:
    """The table stored at ``path`` (``.json``, with its ``.log``), of format ``version``.

    Keys are strings, values any JSON value but null (which the log uses for a removed key).
    """

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        self.log = path.with_suffix(".log")
        self.version = version
        self.generation = 0
        self.snapshot_size = 0
        self.logged = -1  # bytes in the log (-1: no usable log)
        self.loaded: dict[str, Any] = {}

    def load(self) -> dict[str, Any]:
        """The table as the last save left it ({} when there is none); a new dict for the caller."""
        try:
            raw = self.path.read_bytes()
            head = _loads(raw)
            entries = head["entries"]
            if head["version"] != self.version or not isinstance(entries, dict):
                return {}
            self.generation = int(head["generation"])
        except (OSError, ValueError, TypeError, KeyError):
            return {}
        self.snapshot_size = len(raw)
        self.logged = -1  # the next save writes a new snapshot, unless the log is whole
        try:
            log = self.log.read_bytes()
            lines = log.split(b"\n")
            if _loads(lines[0]) == {"version": self.version, "generation": self.generation}:
                for line in lines[1:-1]:  # (the last piece: empty, or a line a crash cut short)
                    key, value = _loads(line)
                    if not isinstance(key, str):
                        raise ValueError(key)
                    if value is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = value
                if not lines[-1]:
                    self.logged = len(log)
        except (OSError, ValueError, TypeError, IndexError):
            pass  # no log, another snapshot's, or a broken line: the lines before it stand
        self.loaded = dict(entries)
        return entries

    def save(self, table: dict[str, Any]) -> None:
        """Store ``table``: the entries that changed since ``load`` go to the log, or all to a new snapshot.

        An entry counts as changed when it is another object than the one loaded: callers
        replace entries, they never change one in place.
        """
        changed = [key for key, value in table.items() if self.loaded.get(key) is not value]
        removed = [key for key in self.loaded if key not in table]
        if not changed and not removed:
            return
        if self.logged >= 0:
            lines = [[key, table[key]] for key in changed] + [[key, None] for key in removed]
            data = b"".join(_dumps(line) + b"\n" for line in lines)
            if self.logged + len(data) <= max(FOLD_MIN, self.snapshot_size // FOLD_SHARE):
                self._append(data)
                self.loaded = dict(table)
                return
        self._snapshot(table)
        self.loaded = dict(table)

    def _snapshot(self, table: dict[str, Any]) -> None:
        # A new name, not a count: a snapshot that could not be read must not pass for its successor.
        self.generation = int.from_bytes(os.urandom(6), "big")
        snapshot = _dumps({"version": self.version, "generation": self.generation, "entries": table}) + b"\n"
        header = _dumps({"version": self.version, "generation": self.generation}) + b"\n"
        atomic_write_bytes(self.path, snapshot)
        atomic_write_bytes(self.log, header)
        self.snapshot_size, self.logged = len(snapshot), len(header)

    def _append(self, data: bytes) -> None:
        # O_NOFOLLOW: a log that is a symbolic link (planted in the output folder) is not followed.
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        with open(fd, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        self.logged += len(data)
