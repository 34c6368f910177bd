"""The package's layers, checked on the source: readers → model ← writers.

* a writer never imports a reader, nor a reader a writer: they meet in the model;
* the model and what stands beside it (the section vocabulary, the content
  settings, the text helpers) import nothing of readers, writers, transforms,
  sinks, the build engine or the command line;
* no module imports (or reaches through an imported module) a private name,
  one with a leading underscore, of another module of the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import publisher

PACKAGE = Path(publisher.__file__).resolve().parent

#: Modules beside the model, and what they must not import.
CORE = ("publisher.model", "publisher.vocabulary", "publisher.textutil", "publisher.content")
OUTER = (
    "publisher.readers",
    "publisher.writers",
    "publisher.transforms",
    "publisher.sinks",
    "publisher.build",
    "publisher.cli",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of the module a ``from … import`` statement imports from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(module: str) -> Iterator[tuple[int, str, str | None]]:
    """``(line, module, name)`` for every import of ``module`` (``name`` ``None`` for ``import x``)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:  # "from . import vocabulary": the module itself
                    yield node.lineno, submodule, None
                else:
                    yield node.lineno, source, alias.name


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_aliases(module: str, tree: ast.AST) -> dict[str, str]:
    """Names bound to modules of the package by imports (``from .. import cli`` → ``cli``)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in MODULES:
                    aliases[alias.asname] = alias.name
    return aliases


def test_the_package_is_found():
    assert {"publisher.model", "publisher.vocabulary", "publisher.content", "publisher.readers.digest"} <= set(MODULES)
    assert any(_within(m, "publisher.writers") for m in MODULES)


@pytest.mark.parametrize("module", [m for m in MODULES if _within(m, "publisher.writers")])
def test_writers_do_not_import_readers(module):
    bad = [f"{module}:{line}: imports {t}" for line, t, _ in imports(module) if _within(t, "publisher.readers")]
    assert not bad, "writers meet readers only in the model:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", [m for m in MODULES if _within(m, "publisher.readers")])
def test_readers_do_not_import_writers(module):
    bad = [f"{module}:{line}: imports {t}" for line, t, _ in imports(module) if _within(t, "publisher.writers")]
    assert not bad, "readers meet writers only in the model:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_outer_layer(module):
    bad = [
        f"{module}:{line}: imports {target}"
        for line, target, _ in imports(module)
        if any(_within(target, outer) for outer in OUTER)
    ]
    assert not bad, "the model and what stands beside it depend on nothing outside:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", list(MODULES))
def test_no_private_name_of_another_module_is_imported(module):
    bad = [
        f"{module}:{line}: imports {name} from {target}"
        for line, target, name in imports(module)
        if target != module and _within(target, "publisher") and name is not None and _private(name)
    ]
    bad += [
        f"{module}:{line}: imports {target}"
        for line, target, _ in imports(module)
        if _within(target, "publisher") and any(_private(part) for part in target.split("."))
    ]
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    aliases = _module_aliases(module, tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != module
            and _private(node.attr)
        ):
            bad.append(f"{module}:{node.lineno}: uses {aliases[node.value.id]}.{node.attr}")
    assert not bad, "private names stay in their module (make the name public, or move it):\n" + "\n".join(bad)


def test_the_checks_see_what_they_look_for():
    """The checker itself: a relative import resolves, and a private import is seen."""
    node = ast.parse("from ..readers.digest import _hash").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("publisher.writers.markdown", node) == "publisher.readers.digest"
    node = ast.parse("from . import vocabulary").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("publisher.readers", node) == "publisher.readers"
    assert _resolve("publisher.content", node) == "publisher"
    assert _private("_common") and not _private("__version__") and not _private("Session")
