"""Shared fixtures: the shipped sample digest, a CLI runner."""

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
