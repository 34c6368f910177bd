"""A plain (non-editable) install works and finds the built-in templates and schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_install_finds_templates(tmp_path, sample_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("publisher-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert (target / "publisher" / "templates" / "analyst" / "profile.toml").is_file()
    assert (target / "publisher" / "schema" / "model-v1.json").is_file()
    assert (target / "publisher" / "schema" / "model-v2.json").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    code = (
        "import publisher, publisher.audiences as a, publisher.model as m;"
        "print(publisher.__file__); print(a.builtin_root()); print(m.load_schema()['properties']['version']['const'])"
    )
    shown = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    module, templates, version = shown.stdout.split()
    assert module.startswith(str(target)) and templates.startswith(str(target)) and version == "2"
    out = tmp_path / "out"
    built = subprocess.run(
        [sys.executable, "-m", "publisher", "build", str(sample_path), "--out", str(out), "--format", "json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    assert (out / "analyst" / "research-digest-2025-02-16.json").is_file()
