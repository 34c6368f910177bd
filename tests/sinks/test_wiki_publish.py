"""Publishing to a git-backed wiki, against real bare git repositories created in the tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git

from publisher.audiences import AudienceCatalog
from publisher.readers.digest import read
from publisher.sinks.git_wiki import MANIFEST, GitWikiSink, PublishError
from publisher.writers.base import RenderContext
from publisher.writers.markdown import MarkdownWriter


def clone(remote: Path, where: Path) -> Path:
    git("clone", "--quiet", str(remote), str(where))
    git("config", "user.name", "Someone Else", cwd=where)
    git("config", "user.email", "someone@example.org", cwd=where)
    return where


def files_of(tree: Path) -> dict[str, bytes]:
    return {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and not {".git", ".publisher"} & set(p.relative_to(tree).parts)  # not pages: git, build manifest
    }


def commits(remote: Path, branch: str = "main") -> int:
    return int(git("rev-list", "--count", branch, cwd=remote))


def without_report(sample: Path, digest, index: int, target: Path) -> Path:
    """The sample digest with one report taken out."""
    lines = sample.read_text(encoding="utf-8").split("\n")
    start = digest.reports[index].pos.line - 1
    del lines[start : start + 3]
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def test_publish_clone_back_and_compare(cli, sample_path, remote, tmp_path):
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    assert result.returncode == 0, result.stderr
    assert "19 added" in result.stdout and "commit" in result.stdout
    built = tmp_path / "built"
    assert cli("build", str(sample_path), "-a", "wiki", "-o", str(built)).returncode == 0
    back = files_of(clone(remote, tmp_path / "back"))
    manifest = json.loads(back.pop(MANIFEST))
    assert back == files_of(built / "wiki")  # exactly the pages `build --format md` writes
    assert sorted(manifest["files"]) == sorted(back)
    log = git("log", "-1", "--format=%an <%ae>%n%s%n%b", cwd=remote)
    assert log.startswith("Research Desk <research-desk@localhost>\nPublish research wiki: 19 added, 0 updated")
    assert "Sources: research-digest-2025-02-16.txt." in log


def test_file_url_twice_makes_one_commit(cli, sample_path, remote):
    url = remote.as_uri()
    assert url.startswith("file://")
    first = cli("publish", "wiki", str(sample_path), "--repo", url)
    assert first.returncode == 0, first.stderr
    second = cli("publish", "wiki", str(sample_path), "--repo", url)
    assert second.returncode == 0, second.stderr
    assert "up to date: nothing to commit" in second.stdout
    assert commits(remote) == 1


def test_removed_report_loses_its_page_and_hand_pages_survive(cli, sample_path, sample_digest, remote, tmp_path):
    assert cli("publish", "wiki", str(sample_path), "--repo", str(remote)).returncode == 0
    # someone adds a page of their own and edits nothing of ours
    mine = clone(remote, tmp_path / "mine")
    (mine / "notes").mkdir()
    (mine / "notes" / "team.md").write_text("# 团队笔记\n\n手写的页面。\n", encoding="utf-8")
    (mine / "home.md").write_text("# Home\n", encoding="utf-8")
    git("add", "-A", cwd=mine)
    git("commit", "--quiet", "-m", "Team notes", cwd=mine)
    git("push", "--quiet", "origin", "main", cwd=mine)

    gone = sample_digest.reports[3]
    smaller = without_report(sample_path, sample_digest, 3, tmp_path / "research-digest-2025-02-16.txt")
    result = cli("publish", "wiki", str(smaller), "--repo", str(remote))
    assert result.returncode == 0, result.stderr
    assert f"removed  reports/2025-02-16/{gone.slug}.md" in result.stdout
    back = files_of(clone(remote, tmp_path / "back"))
    assert f"reports/2025-02-16/{gone.slug}.md" not in back
    assert gone.title not in back["index.md"].decode()
    assert back["notes/team.md"].decode() == "# 团队笔记\n\n手写的页面。\n"
    assert back["home.md"] == b"# Home\n"
    assert commits(remote) == 3


def test_pages_it_did_not_write_are_never_overwritten(cli, sample_path, remote, tmp_path):
    mine = clone(remote, tmp_path / "mine")
    (mine / "index.md").write_text("# Our wiki\n", encoding="utf-8")
    git("add", "-A", cwd=mine)
    git("commit", "--quiet", "-m", "Start", cwd=mine)
    git("push", "--quiet", "origin", "main", cwd=mine)
    before = git("rev-parse", "main", cwd=remote)
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    assert result.returncode == 1
    assert "publisher did not write: index.md" in result.stderr and "Traceback" not in result.stderr
    assert git("rev-parse", "main", cwd=remote) == before  # remote untouched
    # in a folder of its own it publishes fine, next to the hand-written home page
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), "--prefix", "research/daily")
    assert result.returncode == 0, result.stderr
    back = files_of(clone(remote, tmp_path / "back"))
    assert back["index.md"] == b"# Our wiki\n"
    assert "research/daily/index.md" in back and f"research/daily/{MANIFEST}" in back


def test_a_rejected_push_is_reported_and_changes_nothing(cli, sample_path, remote):
    git("config", "receive.maxInputSize", "10", cwd=remote)  # the target refuses (its hooks never run)
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    assert result.returncode == 1
    assert "pack exceeds maximum allowed size" in result.stderr and "Traceback" not in result.stderr
    assert git("for-each-ref", cwd=remote) == ""


def test_unreachable_repository_and_bad_options(cli, sample_path, tmp_path):
    result = cli("publish", "wiki", str(sample_path), "--repo", str(tmp_path / "missing.git"))
    assert result.returncode == 1 and "cannot read the wiki repository" in result.stderr
    assert "Traceback" not in result.stderr
    result = cli("publish", "wiki", str(sample_path), "--repo", str(tmp_path), "--prefix", "../outside")
    assert result.returncode == 1 and "--prefix" in result.stderr
    result = cli("publish", "wiki", str(sample_path), "--repo", str(tmp_path), "--author", "nobody")
    assert result.returncode == 2 and "Name <email>" in result.stderr


def test_input_errors_publish_the_rest_and_keep_old_pages(cli, sample_path, sample_digest, remote, tmp_path):
    assert cli("publish", "wiki", str(sample_path), "--repo", str(remote)).returncode == 0
    broken = sample_digest.reports[2]
    text = sample_path.read_text(encoding="utf-8").replace(
        f"{broken.institution}· {broken.timestamp}", f"{broken.institution}· 2025-02-31 15:12", 1
    )
    bad = tmp_path / "research-digest-2025-02-16.txt"
    bad.write_text(text.replace("北证50", "北证５０"), encoding="utf-8")
    result = cli("publish", "wiki", str(bad), "--repo", str(remote))
    assert result.returncode == 1
    assert "report skipped" in result.stderr and "kept 1 page" in result.stderr
    back = files_of(clone(remote, tmp_path / "back"))
    assert f"reports/2025-02-16/{broken.slug}.md" in back  # not removed: it failed to read, it did not go away
    unreadable = tmp_path / "unreadable.txt"
    unreadable.write_bytes(b"\x00\x01")
    head = git("rev-parse", "main", cwd=remote)
    result = cli("publish", "wiki", str(sample_path), str(unreadable), "--repo", str(remote))
    assert result.returncode == 1 and "nothing was published" in result.stderr
    assert git("rev-parse", "main", cwd=remote) == head


def test_dry_run_commits_nothing(cli, sample_path, remote):
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: would publish" in result.stdout and "19 added" in result.stdout
    assert git("for-each-ref", cwd=remote) == ""


# --- concurrent pushes (the sink in process, a real second clone pushing in between) ---------


@pytest.fixture(scope="module")
def pages(request):
    from conftest import SAMPLE

    digest = read(str(SAMPLE))
    ctx = RenderContext(AudienceCatalog().load("wiki"))
    writer = MarkdownWriter()
    return [*writer.write(digest, ctx), *writer.write_collection([digest], ctx)]


class RacingSink(GitWikiSink):
    """A sink that lets someone else push right before each of its own pushes."""

    def __init__(self, *args, race, times: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.race, self.times = race, times

    def git(self, *args, **kwargs):
        if args[:1] == ("push",) and self.times:
            self.times -= 1
            self.race()
        return super().git(*args, **kwargs)


def other_push(remote: Path, where: Path, path: str, text: str):
    counter = {"n": 0}

    def push() -> None:
        counter["n"] += 1
        work = where / f"other{counter['n']}"
        clone(remote, work)
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(f"{text} {counter['n']}\n", encoding="utf-8")
        git("add", "-A", cwd=work)
        git("commit", "--quiet", "-m", f"Other change {counter['n']}", cwd=work)
        git("push", "--quiet", "origin", "HEAD:main", cwd=work)

    return push


def test_concurrent_push_is_rebased(pages, remote, tmp_path):
    GitWikiSink(str(remote)).publish(pages[:5])  # the wiki exists already
    sink = RacingSink(str(remote), race=other_push(remote, tmp_path, "notes/other.md", "# other"))
    result = sink.publish(pages)
    assert result.commit and result.attempts == 2
    log = git("log", "--format=%s", "main", cwd=remote).splitlines()
    assert log[0].startswith("Publish research wiki") and log[1] == "Other change 1"
    back = files_of(clone(remote, tmp_path / "back"))
    assert back["notes/other.md"] == b"# other 1\n"
    assert all(back[p.path] == p.data for p in pages)


def test_concurrent_edit_of_a_page_it_owns(pages, remote, tmp_path):
    from publisher.writers.base import Output

    GitWikiSink(str(remote)).publish([Output(p.path, b"# old\n") if p.path == "index.md" else p for p in pages])
    # someone edits our home page while we publish a change to it: our version is written on top
    sink = RacingSink(str(remote), race=other_push(remote, tmp_path, "index.md", "# edited by hand"))
    result = sink.publish(pages)
    assert result.commit and result.attempts == 2
    assert "index.md" in result.plan.edited
    back = files_of(clone(remote, tmp_path / "back"))
    assert back["index.md"] == next(p.data for p in pages if p.path == "index.md")
    assert git("log", "--format=%s", "-2", "main", cwd=remote).splitlines()[1] == "Other change 1"


def test_retries_are_bounded(pages, remote, tmp_path):
    GitWikiSink(str(remote)).publish(pages[:1])
    sink = RacingSink(str(remote), race=other_push(remote, tmp_path, "notes/busy.md", "busy"), times=10, retries=2)
    with pytest.raises(PublishError, match="rejected 3 times"):
        sink.publish(pages)
    log = git("log", "--format=%s", "main", cwd=remote).splitlines()
    assert log[:3] == ["Other change 3", "Other change 2", "Other change 1"]
    assert not any(line.startswith("Publish research wiki: 16") for line in log)


@pytest.fixture
def daemon(tmp_path):
    """A git daemon serving tmp_path over git:// on a free local port (pushes allowed)."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1",
         f"--port={port}", f"--base-path={tmp_path}", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.skip("git daemon did not start")
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_publish_over_git_daemon(cli, sample_path, remote, daemon, tmp_path):
    url = f"{daemon}/{remote.name}"
    result = cli("publish", "wiki", str(sample_path), "--repo", url, "--prefix", "research")
    assert result.returncode == 0, result.stderr
    again = cli("publish", "wiki", str(sample_path), "--repo", url, "--prefix", "research")
    assert again.returncode == 0 and "nothing to commit" in again.stdout
    assert commits(remote) == 1
    back = files_of(clone(remote, tmp_path / "back"))
    assert len([p for p in back if p.startswith("research/reports/")]) == 12
