"""Shared fixtures: the shipped sample digest, a CLI runner.

Layout: tests/<area>/ mirrors publisher/ (build_engine/ for the build engine: pytest and ruff skip
folders named ``build``); cross-cutting tests stay here.  Test folders have no ``__init__.py``
(pytest's default "prepend" import mode), so test module basenames must be unique across folders.
This folder is on ``sys.path``: import shared fixtures' helpers ``from conftest import …`` and
helper modules ``from support.<module> import …`` (tests/support/ holds no tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "research-digest-2025-02-16.txt"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_digest():
    from publisher.readers.digest import read

    return read(str(SAMPLE))


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: bytes | None = None):
    """Run ``python -m publisher`` in a subprocess, as a user would."""
    full_env = dict(os.environ)
    full_env.pop("PUBLISHER_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A folder that, on ``PYTHONPATH``, installs the test writers as a plug-in."""
    import shutil

    site = tmp_path_factory.mktemp("site")
    shutil.copy(Path(__file__).parent / "support" / "plugin_writers.py", site / "plugin_writers.py")
    info = site / "plugin_writers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-writers\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[publisher.writers]\npages = plugin_writers:PagesWriter\n", encoding="utf-8"
    )
    return site


@pytest.fixture
def plugin_env(plugin_site) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(plugin_site), os.environ.get("PYTHONPATH", "")])}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git as a test's own tool (its output, stripped)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path) -> Path:
    """An empty bare wiki repository on this machine."""
    path = tmp_path / "wiki.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(path))
    return path
