"""The documentation: the site builds strictly, the README stays short and right, the worked example works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLUGIN_PAGE = ROOT / "docs" / "developer" / "plugin-writer.md"

#: Set-up command 1 as the README shows it (command 2 is whatever CI runs, read from .ci/run).
SETUP_1 = "python3 -m pip install . && publisher build examples/research-digest-2025-02-16.txt -a all"
README_LIMIT = 8 * 1024

# [text](target) and ![alt](target), not inside code; reference definitions "[x]: target".
_INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)


def _ci_command() -> str:
    """The last command line of .ci/run: the README's command 2, which CI runs verbatim."""
    lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[-1].strip()


def test_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (site / "index.html").is_file()
    assert (site / "walkthrough" / "index.html").is_file()


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes; the limit is {README_LIMIT} (move details to docs/)"


def test_readme_shows_the_setup_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    command_2 = _ci_command()
    assert command_2.startswith("dev/install-system-packages"), command_2
    assert command_2 in text.splitlines(), f"README.md must show .ci/run's command verbatim: {command_2}"
    assert SETUP_1 in text.splitlines(), f"README.md must show set-up command 1 verbatim: {SETUP_1}"
    installation = (ROOT / "docs" / "user-guide" / "installation.md").read_text(encoding="utf-8")
    assert command_2 in installation.splitlines() and SETUP_1 in installation.splitlines()


def _relative_links(markdown: str) -> list[str]:
    text = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    targets = _INLINE_LINK.findall(text) + _REFERENCE_LINK.findall(text)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#|^//", t, re.IGNORECASE)]


def test_readme_links_resolve():
    links = _relative_links(README.read_text(encoding="utf-8"))
    assert links, "the README links into the docs"
    missing = []
    for link in links:
        path = unquote(link.split("#", 1)[0].split("?", 1)[0])
        target = (ROOT / path).resolve()
        if not target.is_relative_to(ROOT) or not target.exists():
            missing.append(link)
    assert not missing, f"README.md links to files that do not exist: {missing}"


def _page_files(page: str) -> dict[str, str]:
    """The files the worked example shows: a bold `path` line, then its fenced block."""
    found = re.findall(r"^\*\*`([^`]+)`\*\*\n\n```[a-z]*\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)
    return dict(found)


def test_the_worked_plugin_writer_works(tmp_path):
    files = _page_files(PLUGIN_PAGE.read_text(encoding="utf-8"))
    assert set(files) == {"src/publisher_headlines/__init__.py", "pyproject.toml", "tests/test_headlines.py"}
    package = tmp_path / "headlines-writer"
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    # Installed as pip would make it visible: the package on the path and its entry points in a
    # dist-info folder (as tests/conftest.py's plugin_site does), without touching the environment.
    project = tomllib.loads(files["pyproject.toml"])["project"]
    groups = project["entry-points"]
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in groups.items()
    )
    info = package / "src" / "publisher_headlines-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    env = dict(os.environ)
    env.pop("PUBLISHER_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(package / "src"), env.get("PYTHONPATH", "")) if p)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout, run.stdout
