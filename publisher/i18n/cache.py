"""A persistent cache of machine translations (SQLite, standard library).

Machine translators look every segment up here first and store what they
get, so each segment is sent to a service (or through a neural model) only
once, across runs.  The key covers the engine (service, endpoint and model),
the languages, the segment's context and its text.

The file is ``translations.sqlite3`` in ``$PUBLISHER_CACHE_DIR``, else in
``$XDG_CACHE_HOME/publisher``, else in ``~/.cache/publisher``; a translator
option ``cache = "path"`` chooses another file and ``cache = false`` turns
it off.  A cache that cannot be opened or written is reported once and the
run goes on without it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created TEXT NOT NULL
)
"""


def default_path() -> Path:
    base = os.environ.get("PUBLISHER_CACHE_DIR")
    if base:
        return Path(base) / "translations.sqlite3"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "publisher" / "translations.sqlite3"


def cache_key(engine: str, languages: str, context: str, text: str) -> str:
    raw = "\x1f".join((engine, languages, context, text))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class TranslationCache:
    """``get``/``put`` of translations by key; does nothing when disabled or broken."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.error: str | None = None
        self._db: sqlite3.Connection | None = None
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=10)
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            self.error = f"translation cache {path} unusable ({exc}); going on without it"
            self._db = None

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        if self._db is None:
            return {}
        keys = list(keys)
        found: dict[str, str] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, target FROM translations WHERE key IN ({marks})", chunk)
                found.update(dict(rows.fetchall()))
        except sqlite3.Error as exc:
            self.error = f"translation cache {self.path} unreadable ({exc})"
        return found

    def put_many(self, engine: str, items: Iterable[tuple[str, str, str]]) -> None:
        """Store ``(key, source, target)`` triples."""
        if self._db is None:
            return
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO translations (key, engine, source, target, created) VALUES (?, ?, ?, ?, ?)",
                [(key, engine, source, target, now) for key, source, target in items],
            )
            self._db.commit()
        except sqlite3.Error as exc:
            self.error = f"translation cache {self.path} not writable ({exc})"

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def open_cache(option: object) -> TranslationCache:
    """The cache a translator's ``cache`` option asks for (``false``: none)."""
    if option is False:
        return TranslationCache(None)
    if isinstance(option, str) and option:
        return TranslationCache(Path(option).expanduser())
    return TranslationCache(default_path())
