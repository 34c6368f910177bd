"""The tool's own words in the reader's language: message catalogs for interface strings.

Templates and writers write their titles, labels, column headers, footers and
cover lines in English (``_("At a glance")`` in a template,
``messages("Contents")`` in a writer).  The audience's ``locale`` picks the
catalog that translates them: ``publisher/i18n/locale/<locale>.po`` (built in:
``zh_CN``; ``en`` needs none), read with the same PO machinery as content
catalogs, then ``messages.<locale>.po`` along the audience's template path,
whose entries win, so a templates folder can reword any label.  An entry with a
``msgctxt`` names a code value of the model (``msgctxt "action"``, ``msgid
"maintain"``): :meth:`Messages.code` shows the words a workbook's filter lists.  A message
with ``{name}`` fields is formatted with the values given after the msgid,
which are data and never looked up themselves.  Times are shown in the
audience's ``timezone`` (an IANA name, ``Asia/Shanghai`` by default).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Folder of the built-in catalogs.
LOCALE_DIR = Path(__file__).with_name("locale")
#: Locale and time zone of an audience that names none.
DEFAULT_LOCALE = "zh-CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


class MessagesError(ValueError):
    """A locale, time zone or message catalog that cannot be used.

    ``key`` is the profile key whose value is wrong, ``None`` when the message names the catalog file.
    """

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key


def catalog_name(locale: str) -> str:
    """``zh-CN`` → ``zh_CN``: the file stem of a locale's catalog."""
    parts = re.split(r"[-_]", locale)
    return "_".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"\0"}  # unbalanced braces: never equal to a message's fields


class Messages:
    """The interface strings of one locale, and times in one time zone."""

    def __init__(self, locale: str = DEFAULT_LOCALE, timezone: str = DEFAULT_TIMEZONE, extra: Iterable[Path] = ()):
        if not isinstance(locale, str) or not _LOCALE.match(locale):
            raise MessagesError("locale", f"locale must be a language tag such as 'zh-CN' or 'en', not {locale!r}")
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise MessagesError(
                "timezone", f"timezone must be an IANA time zone such as 'Asia/Shanghai', not {timezone!r}"
            ) from None
        from .catalog import CatalogError, parse_po, read_po  # catalog → segments → content → audiences → here

        self.locale, self.timezone = locale, timezone
        self.table: dict[str, str] = {}
        self.codes: dict[tuple[str, str], str] = {}  # (kind, code) → the word a reader sees
        stem = catalog_name(locale)
        for name in dict.fromkeys((stem.split("_")[0], stem)):  # zh, then zh_CN: the more specific wins
            path = LOCALE_DIR / f"{name}.po"
            if path.is_file():
                self._load(read_po(path), str(path))
        for path in extra:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise MessagesError(None, f"{path}: cannot read message catalog: {exc}") from None
            try:
                self._load(parse_po(text, str(path)), str(path))
            except CatalogError as exc:
                raise MessagesError(None, f"{exc.file}:{exc.line or 1}:1: {exc.message}") from None

    def _load(self, po: Any, origin: str) -> None:
        from .catalog import entry_state

        for entry in po:
            if entry.obsolete or entry_state(entry) != "reviewed":
                continue
            if _fields(entry.msgstr) != _fields(entry.msgid):
                line = getattr(entry, "linenum", 0) or 1
                raise MessagesError(
                    None, f"{origin}:{line}:1: translation of {entry.msgid!r} must use the fields {{…}} of its msgid"
                )
            if entry.msgctxt:
                self.codes[(entry.msgctxt, entry.msgid)] = entry.msgstr
            else:
                self.table[entry.msgid] = entry.msgstr

    def __call__(self, message: str, /, **values: Any) -> str:
        """``message`` in this locale, its ``{name}`` fields filled with ``values`` (as text).

        Only plain ``{name}`` fields with a value are filled, never ``{name.attr}`` or
        ``{name[key]}`` (a template's message is no way to reach an object's attributes), and a
        field without a value stays as written (``{PAGE}``)."""
        text = self.table.get(str(message), str(message))
        if not values:
            return text
        shown = {k: str(v) for k, v in values.items()}
        return _FIELD.sub(lambda m: shown.get(m.group(1), m.group(0)), text)

    def code(self, kind: str, value: str) -> str:
        """A code value of the model as a reader of this locale names it: ``code("action",
        "maintain")`` → ``维持`` (the catalog entry with ``msgctxt`` ``kind``); unknown codes as written."""
        return self.codes.get((kind, value), value) if value else value

    def time(self, when: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
        """``when`` in the audience's time zone (a naive time is taken as written)."""
        if when.tzinfo is not None:
            when = when.astimezone(self.zone)
        return when.strftime(pattern)

    def zone_label(self, when: datetime) -> str:
        """The zone's abbreviation or UTC offset at ``when``, as a reader sees it: ``CST``, ``UTC+08:00``."""
        local = when.astimezone(self.zone) if when.tzinfo is not None else when.replace(tzinfo=self.zone)
        name = local.tzname() or ""
        if name and name[0] in "+-":
            offset = local.strftime("%z")
            return f"UTC{offset[:3]}:{offset[3:]}"
        return name


def translator(messages: Messages) -> Any:
    """The ``_`` function templates get: ``_("Contents")``, ``_("{count} reports", count=n)``."""

    def _(message: str, /, **values: Any) -> str:
        return messages(message, **values)

    return _
