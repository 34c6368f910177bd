"""The template sandbox: what a Jinja template of an audience may touch, and for how long.

Templates come from folders the build does not own (``--templates``), so
they are treated as hostile.  A template sees plain data only:

* text, numbers, booleans, ``None``, dates and times, lists, tuples and dicts;
* the model's nodes, through the read-only attributes listed in
  ``publisher.model.TEMPLATE_API``;
* the view classes writers declare with :func:`template_view` (an index
  entry, a section ready for a page …), through their public attributes;
* Jinja's own helpers (``loop``, macros, ``namespace``, ``cycler`` …).

Anything else a template gets hold of (a ``Path``, a writer, a module) is
inert: it prints as text, but no attribute, item or method of it can be
reached.  Only the environment's own globals, the bound methods of plain
data and views, and macros can be called.

A render also has a budget: a wall-clock limit (``TIME_LIMIT`` seconds by
default, ``--template-time-limit`` on the command line), enforced by a
timer signal in the main thread and between output chunks elsewhere, and a
size limit on what one operation can build (``"x" * 10**9``,
``"{:999999999}"``, ``"".center(10**9)``, ``9**9**9``).  Either ends the
render with :class:`TemplateBudgetError`, which names the template.
"""

from __future__ import annotations

import functools
import re
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from decimal import Decimal
from types import BuiltinMethodType, MappingProxyType, MethodType, ModuleType
from typing import Any, BinaryIO, TypeVar

import jinja2
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from .model import TEMPLATE_API

#: Seconds one render may take by default (for every this many reports it shows: see
#: :func:`budget_for`).
TIME_LIMIT = 60.0
REPORTS_PER_LIMIT = 1000
#: The most characters (or items) one template operation may make.
SIZE_LIMIT = 10_000_000

#: Plain data: values of these types are what templates are made of.
_PLAIN: tuple[type, ...] = (str, int, float, bool, type(None), Decimal, list, tuple, dict, range, MappingProxyType)
_PLAIN += (datetime, date, clock_time, timedelta, timezone)
#: Jinja's own runtime objects (loop variables, macros, ``self``, ``super()`` …).
_JINJA = (LoopContext, Namespace, Macro, Cycler, Joiner, BlockReference, TemplateReference, Undefined)
#: Classes whose public attributes templates may read: all (``None``) or the names given.
_VIEWS: dict[type, frozenset[str] | None] = dict(TEMPLATE_API)

#: ``str.format`` of a text as the sandbox wraps it (made by the sandbox, never by a template).
_T = TypeVar("_T")
_FORMATTERS: weakref.WeakSet[Callable[..., str]] = weakref.WeakSet()

_ALL = "all"  # a plain or Jinja type: Jinja's own sandbox rules apply
_NONE = "none"  # anything else: inert


def template_view(cls: type) -> type:
    """Class decorator: templates may read the public attributes of ``cls`` instances.

    For value classes of writers that hold only text, numbers, model nodes
    and other views (an index entry, a day of the archive, a section ready
    for a page).  Their methods must only read.
    """
    _VIEWS[cls] = None
    _KINDS.clear()
    return cls


_KINDS: dict[type, str | frozenset[str] | None] = {}


def _kind(cls: type) -> str | frozenset[str] | None:
    """How the sandbox treats instances of ``cls``: a view's names (``None``: all public), or a rule."""
    try:
        return _KINDS[cls]
    except KeyError:
        pass
    kind: str | frozenset[str] | None = _NONE
    for klass in cls.__mro__:
        if klass in _VIEWS:
            kind = _VIEWS[klass]
            break
    else:
        if issubclass(cls, _PLAIN) or issubclass(cls, _JINJA):
            kind = _ALL
    _KINDS[cls] = kind
    return kind


class TemplateBudgetError(jinja2.TemplateError):
    """A render ran past its time limit or tried to build something too large."""


_WIDTH = re.compile(r"\d{8,}")
_SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate", "filesizeformat"})


def _check_size(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > SIZE_LIMIT:
        raise TemplateBudgetError(f"{what} with {value} is over the template size limit ({SIZE_LIMIT:,})")


def _check_length(value: Any, what: str) -> Any:
    """``value``, unless it is a text or collection longer than the size limit (then an error)."""
    if isinstance(value, (str, list, tuple, dict)) and len(value) > SIZE_LIMIT:
        raise TemplateBudgetError(f"{what} made {len(value):,} characters or items, over the template size limit")
    return value


class _BoundedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the size limit (a loop doubling a text)."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, _check_length(value, f"namespace attribute {name!r}"))


class _Widths:
    """``str.format`` in templates refuses huge widths and precisions."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if _WIDTH.search(format_spec):
            raise TemplateBudgetError(f"format width {format_spec!r} is over the template size limit")
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _Formatter(_Widths, SandboxedFormatter):
    pass


class _EscapeFormatter(_Widths, SandboxedEscapeFormatter):
    pass


def _sized_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` refusing huge widths (for the filters that take one) and results over the size limit."""
    widths = name in _SIZED_FILTERS

    @functools.wraps(func)  # keeps Jinja's pass_context / pass_environment marks
    def checked(*args: Any, **kwargs: Any) -> Any:
        if widths:
            for value in (*args, *kwargs.values()):
                _check_size(value, f"filter {name!r}")
        return _check_length(func(*args, **kwargs), f"filter {name!r}")

    return checked


def _result_size(op: str, left: Any, right: Any) -> int:
    """An upper bound of the size of ``left op right`` for the operators that can explode."""
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                return len(seq) * max(n, 0)
    elif op == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        return (abs(left).bit_length() * right) // 3  # about the decimal digits of the result
    elif op == "%" and isinstance(left, str):
        values = right if isinstance(right, tuple) else (right,)
        stars = "*" in left and any(isinstance(v, int) and abs(v) > SIZE_LIMIT for v in values)
        if stars or _WIDTH.search(left):
            return SIZE_LIMIT + 1
    return 0


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to plain data, with a render budget."""

    intercepted_binops = frozenset({"*", "**", "%"})

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """``"".join`` of a render's parts, a batch at a time: a join lists every part first, and an
        outline of a million lines comes in millions of small parts (hundreds of MB as a list)."""
        batches: list[str] = []
        batch: list[str] = []
        for part in parts:
            batch.append(part)
            if len(batch) >= 8192:
                batches.append("".join(batch))
                batch = []
        if not batches:
            return "".join(batch)
        batches.append("".join(batch))
        return "".join(batches)

    def __init__(self, *args: Any, time_limit: float | None = TIME_LIMIT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_limit = time_limit
        self.template_class = BudgetedTemplate
        # A result is checked after the step that made it: a chain of steps (|replace on
        # its own output) stops at the first one past the limit.
        self.filters = {name: _sized_filter(name, func) for name, func in self.filters.items()}
        self.globals["namespace"] = _BoundedNamespace

    # -- what a template may reach --------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        kind = _kind(type(obj))
        if kind == _ALL:
            return bool(super().is_safe_attribute(obj, attr, value))
        if kind == _NONE:
            return False
        return kind is None or attr in kind

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = _kind(type(obj))
        if kind == _ALL:
            return super().getattr(obj, attribute)
        if kind == _NONE or attribute.startswith("_") or (kind is not None and attribute not in kind):
            return self.unsafe_undefined(obj, attribute)
        try:  # a view: the name was checked before anything of the object ran
            return getattr(obj, attribute)
        except AttributeError:
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        kind = _kind(type(obj))
        if kind == _NONE:
            return self.unsafe_undefined(obj, str(argument))
        if kind != _ALL and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (MethodType, BuiltinMethodType)):
            owner = obj.__self__
            if isinstance(owner, ModuleType) or owner is None:
                trusted = self._is_global(obj)
            else:
                trusted = _kind(type(owner)) != _NONE
        elif isinstance(obj, (Macro, BlockReference, Joiner, LoopContext)) or obj in _FORMATTERS:
            trusted = True
        else:
            trusted = self._is_global(obj)
        return trusted and bool(super().is_safe_callable(obj))

    def _is_global(self, obj: Any) -> bool:
        """Whether ``obj`` is one of the environment's globals (put there by the project, not a template)."""
        return any(obj is value for value in self.globals.values())

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if getattr(obj, "__name__", None) in _SIZED_METHODS and isinstance(getattr(obj, "__self__", None), str):
            for value in (*args, *kwargs.values()):
                _check_size(value, f"str.{obj.__name__}")
        for value in (*args, *kwargs.values()):  # a macro calling itself with a doubled text
            _check_length(value, "an argument")
        return _check_length(super().call(context, obj, *args, **kwargs), "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja's own (3.1.5 and later), with formatters that refuse huge widths.
        if not isinstance(value, (MethodType, BuiltinMethodType)) or value.__name__ not in ("format", "format_map"):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        is_map = value.__name__ == "format_map"
        formatter = _EscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else _Formatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return type(text)(formatter.vformat(text, args, kwargs))

        _FORMATTERS.add(wrapper)
        return wrapper

    def format_string(self, s: str, args: tuple[Any, ...], kwargs: dict[str, Any], format_func: Any = None) -> str:
        # Jinja's own, with formatters that refuse huge widths.
        formatter: SandboxedFormatter
        if isinstance(s, Markup):
            formatter = _EscapeFormatter(self, escape=s.escape)
        else:
            formatter = _Formatter(self)
        if format_func is not None and format_func.__name__ == "format_map":
            if len(args) != 1 or kwargs:
                raise TypeError(f"format_map() takes exactly one argument {len(args) + (kwargs is not None)} given")
            kwargs, args = args[0], ()
        return type(s)(formatter.vformat(s, args, kwargs))

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if _result_size(operator_, left, right) > SIZE_LIMIT:
            raise TemplateBudgetError(f"{left!r:.20} {operator_} {right!r:.20} is over the template size limit")
        return super().call_binop(context, operator_, left, right)


# -- the render budget -------------------------------------------------------------------

_state = threading.local()


class _Expired(BaseException):
    """Raised by the timer signal inside a render; turned into TemplateBudgetError.

    Not an ``Exception``: code the template calls cannot swallow it.
    """


def _on_timer(signum: int, frame: Any) -> None:
    raise _Expired


@contextmanager
def budget_for(reports: int) -> Iterator[None]:
    """Renders inside show ``reports`` reports: their time limit is the environment's for every
    :data:`REPORTS_PER_LIMIT` of them (at least once).  A briefing of 100,000 reports is a
    legitimate long render; a loop that runs for hours over one report is not."""
    previous = getattr(_state, "scale", 1.0)
    _state.scale = max(1.0, reports / REPORTS_PER_LIMIT)
    try:
        yield
    finally:
        _state.scale = previous


class BudgetedTemplate(jinja2.Template):
    """A template whose ``render`` stops at the environment's time limit (scaled by :func:`budget_for`)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        def run(deadline: float | None) -> str:
            if deadline is None:  # no limit, inside a budgeted render, or the timer stops it
                return jinja2.Template.render(self, *args, **kwargs)
            return self._render_in_chunks(deadline, args, kwargs)

        return self._within_budget(run)

    def render_to(self, out: BinaryIO, *args: Any, **kwargs: Any) -> None:
        """``render``, its text written to ``out`` in UTF-8 a batch of parts at a time: a page of
        100,000 reports is never held whole (nor its list of parts, nor its bytes)."""
        self._within_budget(lambda deadline: self._write_parts(out, deadline, args, kwargs))

    def _within_budget(self, run: Callable[[float | None], _T]) -> _T:
        """``run(deadline)`` within the time limit (see :meth:`_budget`)."""
        with self._budget() as deadline:
            return run(deadline)

    @contextmanager
    def streamed(self, *args: Any, **kwargs: Any) -> Iterator[Iterator[str]]:
        """The render's parts as they are made, for a caller that uses each before it asks for
        the next (an outline read line by line): the time limit holds for the whole block."""
        with self._budget() as deadline:
            yield self._parts(deadline, args, kwargs)

    @contextmanager
    def _budget(self) -> Iterator[float | None]:
        """The block runs within the time limit: on the main thread a timer interrupts it
        (the deadline given is ``None``); elsewhere the render checks the deadline between chunks."""
        limit = getattr(self.environment, "time_limit", None)
        if limit:
            limit *= getattr(_state, "scale", 1.0)
        if not limit or getattr(_state, "deadline", None) is not None:  # no limit, or inside a budgeted render
            yield None
            return
        _state.deadline = time.monotonic() + limit
        try:
            if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
                previous = signal.signal(signal.SIGALRM, _on_timer)
                signal.setitimer(signal.ITIMER_REAL, limit)
                try:
                    yield None
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.signal(signal.SIGALRM, previous)
            else:
                yield _state.deadline
        except _Expired:
            raise self._expired(limit) from None
        finally:
            _state.deadline = None

    def _write_parts(
        self, out: BinaryIO, deadline: float | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        batch: list[str] = []
        for part in self._parts(deadline, args, kwargs):
            batch.append(part)
            if len(batch) >= 8192:
                out.write("".join(batch).encode("utf-8"))
                batch = []
        out.write("".join(batch).encode("utf-8"))

    def _expired(self, limit: float) -> TemplateBudgetError:
        return TemplateBudgetError(f"template {self.name or '<string>'!r} ran past its time limit of {limit:g} s")

    def _render_in_chunks(self, deadline: float, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """Off the main thread no signal reaches the render: the deadline is checked between chunks."""
        return str(self.environment.concat(self._parts(deadline, args, kwargs)))

    def _parts(self, deadline: float | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[str]:
        """The render's parts, the deadline (if any) checked after each; errors as Jinja reports them."""
        context = self.new_context(dict(*args, **kwargs))
        try:
            for part in self.root_render_func(context):
                yield part
                if deadline is not None and time.monotonic() > deadline:
                    raise _Expired
        except _Expired:
            raise
        except Exception:
            self.environment.handle_exception()
            raise  # not reached: handle_exception raises


def readonly_data(value: Any) -> Any:
    """A deep copy of profile data (TOML: tables, arrays, text, numbers, dates) for templates."""
    if isinstance(value, Mapping):
        return {str(k): readonly_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [readonly_data(v) for v in value]
    return value


def reachable_types(value: Any, seen: set[int] | None = None) -> Iterator[type]:
    """Every type reachable from ``value`` the way a template reaches it (for tests and audits)."""
    seen = set() if seen is None else seen
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield type(item)
        kind = _kind(type(item))
        if isinstance(item, Mapping) and not isinstance(item, (str, bytes)):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif kind not in (_ALL, _NONE):
            names = kind if kind is not None else [n for n in dir(item) if not n.startswith("_")]
            for name in names:
                attr = getattr(type(item), name, None)
                if isinstance(attr, property) or callable(attr):
                    continue  # computed: not walked (its result is plain data or a view)
                stack.append(getattr(item, name, None))
            if isinstance(item, Iterable):  # a view made as a template loops over it: its items
                stack.extend(item)
