"""The output folder under stress: two builds at once, a hostile build state, a full or read-only disk.

Each case ends in one ``FILE: error: …`` line (or a wait), exit status 1,
no traceback, and nothing half-written or deleted outside the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE, run_cli

from publisher.lock import FolderLock

MANIFEST_LOG = ".publisher/manifest.log"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".publisher" not in p.parts
    }


def _two_digests(folder: Path) -> tuple[Path, Path]:
    """The sample, and the sample a month earlier (other report ids, another day)."""
    first, second = folder / "a.txt", folder / "b.txt"
    text = SAMPLE.read_text(encoding="utf-8")
    first.write_text(text, encoding="utf-8")
    second.write_text(text.replace("2025-02-16", "2025-01-16"), encoding="utf-8")
    return first, second


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


# --- one build at a time ----------------------------------------------------------------


def test_a_second_build_fails_at_once_with_no_wait_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    lock = FolderLock(out)
    lock.acquire()
    try:
        result = run_cli("build", str(SAMPLE), "-a", "wiki", "-o", str(out), "--no-wait")
    finally:
        lock.release()
    assert result.returncode == 1
    assert f"another build (pid {os.getpid()}) is writing this folder" in result.stderr
    _clean(result)
    assert not (out / "wiki").exists()  # it wrote nothing, not even its state


def test_a_second_build_waits_for_the_first_then_runs(tmp_path):
    out = tmp_path / "out"
    lock = FolderLock(out)
    lock.acquire()
    command = [sys.executable, "-m", "publisher", "build", str(SAMPLE), "-a", "wiki", "-o", str(out)]
    waiting = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert waiting.poll() is None  # still waiting
        assert not (out / "wiki" / "index.md").exists()
    finally:
        lock.release()
    _, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert f"waiting for the build (pid {os.getpid()})" in stderr
    assert (out / "wiki" / "index.md").is_file()


def test_two_builds_at_once_both_finish_and_keep_every_entry(tmp_path):
    """Once the second build deleted the first one's temporary files (FileNotFoundError) and lost its entries."""
    first, second = _two_digests(tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "publisher", "build", "-a", "wiki,analyst", "-o", str(out)]
    builds = [
        subprocess.Popen([*command, str(src)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for src in (first, second)
    ]
    for build in builds:
        _, stderr = build.communicate(timeout=300)
        assert build.returncode == 0, stderr
    # Both digests' analyst files were kept in the manifest: a build of both has nothing to do for them.
    again = run_cli("build", str(first), str(second), "-a", "analyst", "-o", str(out))
    assert again.returncode == 0 and "2 up-to-date jobs skipped" in again.stdout, again.stdout


# --- a hostile build state --------------------------------------------------------------


def _append_stale_entry(root: Path, rel: str, data: bytes) -> None:
    """Add to the manifest's log a job this build no longer makes, listing ``rel`` as its output."""
    log = root / MANIFEST_LOG
    entry = ["wiki/md/gone/report", ["x", {rel: [len(data), 0, hashlib.sha256(data).hexdigest()]}]]
    with open(log, "ab") as handle:
        handle.write(json.dumps(entry).encode("utf-8") + b"\n")


def test_stale_cleanup_never_follows_a_symlinked_folder_out_of_the_output_folder(tmp_path):
    out = tmp_path / "out"
    args = ("build", str(SAMPLE), "-a", "wiki", "-o", str(out))
    assert run_cli(*args).returncode == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.md"
    victim.write_text("keep me", encoding="utf-8")
    (out / "wiki" / "evil").symlink_to(outside)
    _append_stale_entry(out / "wiki", "evil/victim.md", victim.read_bytes())
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_state_folder_that_is_a_symlink_is_refused(tmp_path):
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "wiki").mkdir(parents=True)
    (out / "wiki" / ".publisher").symlink_to(elsewhere)
    result = run_cli("build", str(SAMPLE), "-a", "wiki", "-o", str(out))
    assert result.returncode == 1
    assert ".publisher: not a folder (a symbolic link or a file)" in result.stderr
    _clean(result)
    assert not any(elsewhere.iterdir())


def test_an_input_that_cannot_be_read_never_shrinks_the_index_pages(tmp_path):
    first, second = _two_digests(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", str(first), str(second), "-a", "wiki", "-o", str(out)).returncode == 0
    indexes = {name: (out / "wiki" / name).read_bytes() for name in ("index.md", "archive.md", ".nav.yml")}
    assert "2025-01-16" in indexes["archive.md"].decode("utf-8")
    second.write_bytes(b"\x00 not a digest")
    broken = run_cli("build", str(first), str(second), "-a", "wiki", "-o", str(out))
    assert broken.returncode == 1
    assert (
        "the outputs that list all reports (indexes, navigation, the facts workbook) were not rebuilt" in broken.stderr
    )
    assert {name: (out / "wiki" / name).read_bytes() for name in indexes} == indexes


# --- a full, limited or read-only disk ----------------------------------------------------


def test_a_file_size_limit_gives_one_error_line_and_no_half_written_file(tmp_path):
    out = tmp_path / "out"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    command = [sys.executable, "-m", "publisher", "build", str(SAMPLE), "-a", "analyst", "-o", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert result.returncode == 1
    _clean(result)
    assert "error: cannot write: File too large" in result.stderr, result.stderr
    assert not list(out.rglob("*.tmp"))
    for path in out.rglob("*.docx"):  # what is there is whole
        assert path.stat().st_size < 20_000


def _in_mount_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (sh) as root of a new user and mount namespace, where it may mount a tmpfs."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("user namespaces are not available here")
    env = {**os.environ, "PY": sys.executable, "SAMPLE": str(SAMPLE), "T": str(tmp_path)}
    env.pop("PUBLISHER_DEBUG", None)
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=300)


def test_a_full_disk_gives_one_error_line_and_no_half_written_file(tmp_path):
    result = _in_mount_namespace(
        'mkdir -p "$T/full" && mount -t tmpfs -o size=96k tmpfs "$T/full" && '
        '"$PY" -m publisher build "$SAMPLE" -a analyst -o "$T/full/out"; echo "exit=$?"; '
        'find "$T/full" -name "*.tmp" | sed "s/^/left: /"',
        tmp_path,
    )
    assert "exit=1" in result.stdout, result.stdout + result.stderr
    assert "No space left on device" in result.stderr
    _clean(result)
    assert "left: " not in result.stdout


def test_a_read_only_output_folder_builds_nothing_to_do_and_fails_cleanly_otherwise(tmp_path):
    result = _in_mount_namespace(
        'mkdir -p "$T/ro" && mount -t tmpfs tmpfs "$T/ro" && '
        '"$PY" -m publisher build "$SAMPLE" -a wiki -o "$T/ro/out" >/dev/null && '
        'mount -o remount,ro "$T/ro" && '
        '"$PY" -m publisher build "$SAMPLE" -a wiki -o "$T/ro/out"; echo "uptodate=$?"; '
        '"$PY" -m publisher build "$SAMPLE" -a wiki -o "$T/ro/out" --force; echo "forced=$?"; '
        '"$PY" -m publisher build "$SAMPLE" -a analyst -o "$T/ro/out"; echo "new=$?"',
        tmp_path,
    )
    assert "uptodate=0" in result.stdout, result.stdout + result.stderr
    assert "forced=1" in result.stdout and "new=1" in result.stdout, result.stdout + result.stderr
    assert "Read-only file system" in result.stderr
    _clean(result)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 2 and all(": error: " in line for line in errors), errors


def test_a_forked_worker_holds_no_lock_of_the_build(tmp_path):
    """A worker that outlives a killed build must not keep its output folder locked."""
    import multiprocessing

    from publisher.build import _die_with_parent
    from publisher.lock import FolderBusy, FolderLock

    held = FolderLock(tmp_path)
    held.acquire(wait=False)
    ready = multiprocessing.get_context("fork").Event()
    done = multiprocessing.get_context("fork").Event()

    def worker(parent: int) -> None:
        _die_with_parent(parent)
        ready.set()
        done.wait(30)

    child = multiprocessing.get_context("fork").Process(target=worker, args=(os.getpid(),))
    child.start()
    try:
        assert ready.wait(30)
        held.release()
        other = FolderLock(tmp_path)
        try:
            other.acquire(wait=False)  # the worker's copy of the descriptor is closed: the lock is free
        except FolderBusy:
            pytest.fail("a forked worker kept the build's lock")
        other.release()
    finally:
        done.set()
        child.join(30)


def test_a_worker_whose_build_died_before_it_started_ends_at_once():
    import multiprocessing

    from publisher.build import _die_with_parent

    child = multiprocessing.get_context("fork").Process(target=_die_with_parent, args=(os.getpid() + 10**6,))
    child.start()
    child.join(30)
    assert child.exitcode == 1
