"""``build --executor dask``: a real scheduler and worker processes on loopback (LocalCluster).

The outputs are byte for byte those of ``-j 1``; a worker killed mid-build has its batch run again
elsewhere and the build still completes, correct; a missing Dask or scheduler is a clear error.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from publisher.audiences import AudienceCatalog  # noqa: E402
from publisher.build import Builder  # noqa: E402
from publisher.diagnostics import Diagnostics  # noqa: E402
from publisher.readers.digest import read  # noqa: E402

EXAMPLE = Path(__file__).parents[2] / "examples" / "research-digest-2025-02-16.txt"
EPOCH = {"SOURCE_DATE_EPOCH": "1739700000"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


def hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".publisher" not in p.relative_to(root).parts
    }


def test_outputs_are_those_of_one_process(cli, cluster, tmp_path):
    gold = Path(__file__).parents[2] / "tests" / "gold" / "real-final9-s-digest.txt"
    args = ["build", str(EXAMPLE), str(gold), "-a", "all", "-q"]
    local = cli(*args, "-o", str(tmp_path / "local"), env=EPOCH)
    assert local.returncode == 0, local.stderr
    dask = cli(
        *args, "-o", str(tmp_path / "dask"), "--executor", "dask", "--scheduler", cluster.scheduler_address, env=EPOCH
    )
    assert dask.returncode == 0, dask.stderr
    expected = hashes(tmp_path / "local")
    assert len(expected) > 30 and hashes(tmp_path / "dask") == expected
    again = cli(
        *args[:-1],
        "-o",
        str(tmp_path / "dask"),
        "--executor",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
        env=EPOCH,
    )
    assert "(0 written" in again.stdout  # the client owns the manifest: the next build is incremental


def _builder(out: Path, **options) -> Builder:
    audience = AudienceCatalog().load("wiki")
    when = datetime(2025, 2, 16, 10, 0, tzinfo=UTC)
    return Builder([audience], {"wiki": ["md"]}, out, Diagnostics(), when, **options)


def _feed(tmp_path: Path, copies: int) -> Path:
    """The example's reports, ``copies`` times over with new titles: hundreds of report jobs."""
    lines = EXAMPLE.read_text(encoding="utf-8").strip().split("\n")[1:]  # after the page's "Workflow" line
    reports = [lines[i : i + 3] for i in range(0, len(lines), 3)]
    out = []
    for n in range(copies):
        for title, meta, body in reports:
            out += [f"{title} ({n})", meta, body]
    path = tmp_path / "feed.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_a_worker_killed_mid_build_still_gives_a_complete_correct_build(cluster, tmp_path):
    feed = _feed(tmp_path, 40)  # 400 reports: seven batches of report pages, the indexes, the site
    expected = _builder(tmp_path / "local").run([read(str(feed))])
    assert not expected.failed_jobs
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    pids = list(client.run(os.getpid).values())
    client.close()
    killed = threading.Event()

    def kill_one(done: int, total: int) -> None:
        if not killed.is_set():  # the first batch is back; the others are running or queued
            killed.set()
            os.kill(pids[0], signal.SIGKILL)

    builder = _builder(tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address)
    builder.progress = kill_one
    result = builder.run([read(str(feed))])
    assert killed.is_set() and not result.failed_jobs
    assert hashes(tmp_path / "dask") == hashes(tmp_path / "local")
    assert result.run_jobs == expected.run_jobs


def test_without_a_scheduler_address(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    result = cli("build", str(EXAMPLE), "-o", str(tmp_path), "--executor", "dask")
    assert result.returncode == 2 and "--scheduler tcp://HOST:PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_scheduler_that_does_not_answer(cli, tmp_path):
    env = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    result = cli(
        "build", str(EXAMPLE), "-o", str(tmp_path), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", env=env
    )
    assert result.returncode == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_dask_installed(cli, tmp_path):
    """An install without the extra: the error names it."""
    hide = tmp_path / "site"
    hide.mkdir()
    (hide / "distributed.py").write_text("raise ImportError('No module named distributed')\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(hide), os.environ.get("PYTHONPATH", "")])}
    result = cli(
        "build",
        str(EXAMPLE),
        "-o",
        str(tmp_path / "out"),
        "--executor",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        env=env,
    )
    assert result.returncode == 2 and "pip install 'publisher[dask]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_recipients_on_dask_are_those_of_one_process(cli, cluster, tmp_path):
    """Every recipient's jobs go to the cluster in one build; the client writes each folder."""
    listing = tmp_path / "recipients.toml"
    listing.write_text(
        '[[recipient]]\nid = "a"\naudience = "executive"\n[[recipient.filter]]\ninstitutions = ["国信证券"]\n\n'
        '[[recipient]]\nid = "b"\naudience = "wiki"\nlocale = "en"\n',
        encoding="utf-8",
    )
    args = ["build", str(EXAMPLE), "--recipients", str(listing), "-q"]
    assert cli(*args, "-o", str(tmp_path / "local"), env=EPOCH).returncode == 0
    dask = cli(
        *args, "-o", str(tmp_path / "dask"), "--executor", "dask", "--scheduler", cluster.scheduler_address, env=EPOCH
    )
    assert dask.returncode == 0, dask.stderr
    expected = hashes(tmp_path / "local")
    assert any(k.startswith("recipients/b/") for k in expected) and hashes(tmp_path / "dask") == expected
