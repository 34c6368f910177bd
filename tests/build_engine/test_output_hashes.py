"""Every output byte of the example and of a 1,000-report corpus, against committed hashes.

A refactoring must not change what users get.  This test builds every
audience (``-a all``) with a fixed ``SOURCE_DATE_EPOCH`` and compares a
hash of each output with ``tests/fixtures/output-hashes.json``.  Word and
Excel files are ZIP packages: their hash covers each member's name and
uncompressed bytes, so a new zlib that compresses differently changes
nothing here, while any changed XML does.

A change that is meant to change outputs updates the file, and says why
in its commit:

    python tests/build_engine/test_output_hashes.py --update
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "output-hashes.json"
SAMPLE = ROOT / "examples" / "research-digest-2025-02-16.txt"
EPOCH = "1739700000"


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(path) as package:
            for info in package.infolist():
                digest.update(info.filename.encode("utf-8") + b"\0")
                digest.update(package.read(info) + b"\0")
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build(inputs: list[Path], out: Path) -> dict[str, str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("PUBLISHER_DEBUG", None)
    command = [sys.executable, "-m", "publisher", "build", *map(str, inputs), "-a", "all", "-o", str(out), "-j", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return {
        path.relative_to(out).as_posix(): _content_hash(path)
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".publisher" not in path.parts
    }


def _corpus(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from corpus import write_digest
    finally:
        sys.path.pop(0)
    return write_digest(folder / "corpus-1000.txt", 1000)


def current(tmp: Path) -> dict[str, dict[str, str]]:
    return {
        "example": _build([SAMPLE], tmp / "example"),
        "corpus-1000": _build([_corpus(tmp)], tmp / "corpus"),
    }


def test_outputs_are_byte_for_byte_what_they_were(tmp_path):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = current(tmp_path)
    for name, files in expected.items():
        assert got[name].keys() == files.keys(), f"{name}: other files than before"
        changed = sorted(path for path, sha in files.items() if got[name][path] != sha)
        assert not changed, f"{name}: outputs changed: {changed[:10]} (see this file's docstring)"


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = current(Path(tmp))
    FIXTURE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{FIXTURE}: {sum(len(v) for v in table.values())} outputs")
