"""Security of wiki publishing: the wiki repository (its files, its config, its hooks) is hostile.

Every test builds a real repository with the trap in it and checks that publishing
neither runs anything of the repository's nor touches anything outside its own
temporary clone, and fails, when it must, with one line and no traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git

from publisher.sinks.git_wiki import MANIFEST, GitWikiSink, PublishError, is_local_url, printable
from publisher.writers.base import Output

PAGES = [Output("index.md", b"# Research\n"), Output("reports/2025-02-16/a.md", b"# A\n")]
HOOKS = ("pre-receive", "update", "post-receive", "reference-transaction", "post-update", "pre-auto-gc")


def push_tree(remote: Path, where: Path, build) -> None:
    """Commit what ``build(worktree)`` makes (symbolic links included) and push it to ``remote``."""
    git("clone", "--quiet", str(remote), str(where))
    build(where)
    git("add", "-A", cwd=where)
    git("-c", "user.name=Someone", "-c", "user.email=s@example.org", "commit", "--quiet", "-m", "trap", cwd=where)
    git("push", "--quiet", "origin", "HEAD:main", cwd=where)


def one_line_error(result) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], result.stderr


def hook(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ncat >/dev/null 2>&1; touch '{marker}'\nexit 0\n", encoding="utf-8")
    path.chmod(0o755)


# --- 1. symbolic links in the wiki: nothing is written outside the clone --------------------------


@pytest.mark.parametrize("dry_run", [False, True], ids=["publish", "dry-run"])
@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_prefix_through_a_committed_symlink_writes_nothing_outside(cli, sample_path, remote, tmp_path, link, dry_run):
    outside = tmp_path / "outside"
    outside.mkdir()
    clones = tmp_path / "tmpdir"  # the clone is tmpdir/publisher-wiki-*/wiki: ../../.. is tmp_path
    clones.mkdir()
    target = str(outside) if link == "absolute" else "../../.."
    push_tree(remote, tmp_path / "trap", lambda w: (w / "a").symlink_to(target))
    before = git("rev-parse", "main", cwd=remote)
    args = ["publish", "wiki", str(sample_path), "--repo", str(remote), "--prefix", "a/escaped"]
    result = cli(*args, *(["--dry-run"] if dry_run else []), env={"TMPDIR": str(clones)})
    assert list(outside.iterdir()) == [] and not (tmp_path / "escaped").exists()
    one_line_error(result)
    assert result.returncode == 1 and "'a' is a symbolic link" in result.stderr
    assert git("rev-parse", "main", cwd=remote) == before


def test_a_page_folder_that_is_a_symlink_is_refused(cli, sample_path, remote, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    push_tree(remote, tmp_path / "trap", lambda w: (w / "reports").symlink_to(outside))
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    assert list(outside.iterdir()) == []
    one_line_error(result)
    assert result.returncode == 1 and "'reports' is a symbolic link" in result.stderr


# --- 2. the target repository's hooks and config never run ------------------------------------


def configure_gc(remote: Path) -> None:
    """Make the second push start ``git gc --auto`` in the target, in the foreground (pre-auto-gc)."""
    git("config", "receive.unpackLimit", "1", cwd=remote)  # every push leaves a pack
    git("config", "gc.autoPackLimit", "1", cwd=remote)  # two packs: too many
    git("config", "gc.autoDetach", "false", cwd=remote)


@pytest.mark.parametrize("url", ["path", "file-url"])
@pytest.mark.parametrize("name", HOOKS)
def test_hooks_of_a_local_target_do_not_run(remote, tmp_path, name, url):
    marker = tmp_path / f"ran-{name}"
    hook(remote / "hooks" / name, marker)
    configure_gc(remote)
    repo = str(remote) if url == "path" else remote.as_uri()
    first = GitWikiSink(repo).publish(PAGES)
    second = GitWikiSink(repo).publish([PAGES[0], Output("other.md", b"# B\n")])  # updates the branch
    assert first.commit and second.commit
    assert not marker.exists()


@pytest.mark.parametrize("name", HOOKS)
def test_core_hookspath_of_a_local_target_is_ignored(remote, tmp_path, name):
    marker = tmp_path / f"ran-{name}"
    hook(tmp_path / "elsewhere" / name, marker)
    git("config", "core.hooksPath", str(tmp_path / "elsewhere"), cwd=remote)
    configure_gc(remote)
    GitWikiSink(str(remote)).publish(PAGES)
    GitWikiSink(str(remote)).publish(PAGES[:1])
    assert not marker.exists()


def test_hooks_do_not_run_through_the_command_line(cli, sample_path, remote, tmp_path):
    markers = [tmp_path / f"ran-{name}" for name in HOOKS]
    for name, marker in zip(HOOKS, markers, strict=True):
        hook(remote / "hooks" / name, marker)
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    assert result.returncode == 0, result.stderr
    assert not [m.name for m in markers if m.exists()]


def test_alternate_refs_command_of_a_local_target_does_not_run(remote, tmp_path):
    other = tmp_path / "other.git"
    git("init", "--quiet", "--bare", str(other))
    (remote / "objects" / "info" / "alternates").write_text(f"{other / 'objects'}\n", encoding="utf-8")
    marker = tmp_path / "ran-alternates"
    git("config", "core.alternateRefsCommand", f"touch '{marker}'; true", cwd=remote)
    assert GitWikiSink(str(remote)).publish(PAGES).commit
    assert not marker.exists()


def test_update_instead_checkout_of_a_local_target_runs_nothing(tmp_path):
    """``updateInstead`` would run the target's clean/smudge filters and fsmonitor in its working tree."""
    target = tmp_path / "checkout"
    git("init", "--quiet", "--initial-branch=main", str(target))
    (target / "home.md").write_text("# Home\n", encoding="utf-8")
    git("add", "-A", cwd=target)
    git("-c", "user.name=S", "-c", "user.email=s@example.org", "commit", "--quiet", "-m", "start", cwd=target)
    marker = tmp_path / "ran"
    for key, value in {
        "receive.denyCurrentBranch": "updateInstead",
        "core.fsmonitor": f"touch '{marker}-fsmonitor'; true",
        "filter.trap.clean": f"touch '{marker}-clean'; cat",
        "filter.trap.smudge": f"touch '{marker}-smudge'; cat",
    }.items():
        git("config", key, value, cwd=target)
    (target / ".git" / "info" / "attributes").write_text("* filter=trap\n", encoding="utf-8")
    hook(target / ".git" / "hooks" / "push-to-checkout", Path(f"{marker}-hook"))
    try:
        GitWikiSink(str(target)).publish(PAGES)
        error = ""
    except PublishError as exc:
        error = str(exc)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ran")) == []
    assert "checked out" in error
    assert GitWikiSink(str(target), "pages").publish(PAGES).commit  # another branch is fine


def test_the_current_directorys_repository_config_is_not_used(cli, sample_path, tmp_path):
    """git runs in publisher's own clone, not in whatever repository the user stands in."""
    here = tmp_path / "here"
    git("init", "--quiet", str(here))
    marker = tmp_path / "ran-proxy"
    proxy = tmp_path / "proxy"  # git runs core.gitProxy for git:// URLs, with host and port
    proxy.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n", encoding="utf-8")
    proxy.chmod(0o755)
    git("config", "core.gitProxy", str(proxy), cwd=here)
    result = cli("publish", "wiki", str(sample_path), "--repo", "git://127.0.0.1:9/wiki.git", cwd=here)
    one_line_error(result)
    assert not marker.exists()


def test_git_environment_of_a_hook_does_not_leak_into_publishing(cli, sample_path, remote, tmp_path):
    """Run from inside a git hook (GIT_DIR set), publisher still works on its own clone only."""
    other = tmp_path / "other.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(other))
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), env={"GIT_DIR": str(other)})
    assert result.returncode == 0, result.stderr
    assert git("for-each-ref", cwd=other) == "" and git("rev-list", "--count", "main", cwd=remote) == "1"


# --- 3. the repository is never taken for an option ------------------------------------------


def test_repo_that_looks_like_an_option_runs_nothing(cli, sample_path, remote, tmp_path):
    here = tmp_path / "checkout"  # inside a checkout with a remote, ls-remote would use that remote
    git("clone", "--quiet", str(remote), str(here))
    marker = tmp_path / "ran-upload-pack"
    result = cli("publish", "wiki", str(sample_path), f"--repo=--upload-pack=touch {marker}", cwd=here)
    assert not marker.exists()
    one_line_error(result)
    assert result.returncode == 2 and "starts with '-'" in result.stderr
    result = cli("publish", "wiki", str(sample_path), "--repo", f"--upload-pack=touch {marker}", cwd=here)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("publisher")
    assert not marker.exists()


def test_ext_transport_runs_nothing(cli, sample_path, tmp_path):
    marker = tmp_path / "ran-ext"
    result = cli("publish", "wiki", str(sample_path), "--repo", f"ext::sh -c touch% {marker}")
    one_line_error(result)
    assert result.returncode == 1 and not marker.exists()


class Recorder(GitWikiSink):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands: list[tuple[str, ...]] = []

    def git(self, *args, **kwargs):
        self.commands.append(args)
        return super().git(*args, **kwargs)


def test_every_user_given_repository_or_path_follows_a_double_dash(remote, tmp_path):
    sink = Recorder(str(remote), "main")
    sink.publish(PAGES)
    mentioned = [c for c in sink.commands if any(str(remote) in a or "publisher-wiki-" in a for a in c)]
    assert mentioned
    for command in mentioned:
        where = next(i for i, a in enumerate(command) if str(remote) in a or "publisher-wiki-" in a)
        assert "--" in command[:where] or command[where - 1] == "-C", command
    with pytest.raises(PublishError, match="starts with '-'"):
        GitWikiSink("--upload-pack=touch x")


# --- 4. a hostile manifest ------------------------------------------------------------------


def manifest_listing(*paths: str) -> bytes:
    files = {p: "0" * 64 for p in paths}
    return json.dumps({"generator": "publisher", "version": 1, "files": files}).encode("utf-8")


@pytest.mark.parametrize("kind", ["page-link", "folder-link"])
def test_manifest_entries_through_symlinks_are_refused(cli, sample_path, remote, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.md"
    victim.write_text("precious\n", encoding="utf-8")

    def build(w: Path) -> None:
        if kind == "page-link":
            (w / "old.md").symlink_to(victim)
            (w / MANIFEST).write_bytes(manifest_listing("old.md"))
        else:
            (w / "old").symlink_to(outside)
            (w / MANIFEST).write_bytes(manifest_listing("old/victim.md"))

    push_tree(remote, tmp_path / "trap", build)
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    one_line_error(result)
    assert result.returncode == 1 and f"{MANIFEST} lists" in result.stderr and "symbolic link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_manifest_that_is_a_symlink_is_refused(cli, sample_path, remote, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_bytes(manifest_listing("index.md"))
    push_tree(remote, tmp_path / "trap", lambda w: (w / MANIFEST).symlink_to(secret))
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    one_line_error(result)
    assert result.returncode == 1 and f"'{MANIFEST}' is a symbolic link" in result.stderr
    assert secret.read_bytes() == manifest_listing("index.md")


@pytest.mark.parametrize("entry", ["../outside.md", "/etc/passwd", ".git/config", "a/../../x.md"])
def test_manifest_entries_outside_the_prefix_are_refused(cli, sample_path, remote, tmp_path, entry):
    push_tree(remote, tmp_path / "trap", lambda w: (w / MANIFEST).write_bytes(manifest_listing(entry)))
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    one_line_error(result)
    assert result.returncode == 1 and "is damaged" in result.stderr


# --- the rest of the trust boundary: --prefix, --branch, the remote's HEAD, messages ---------


@pytest.mark.parametrize("prefix", [".git", ".git/hooks", "wiki/.GIT", ".git./x"])
def test_prefix_never_points_into_git(cli, sample_path, remote, prefix):
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), "--prefix", prefix)
    one_line_error(result)
    assert result.returncode == 1 and "--prefix" in result.stderr
    assert git("for-each-ref", cwd=remote) == ""


def test_absolute_prefix_is_a_folder_of_the_wiki(remote, tmp_path):
    result = GitWikiSink(str(remote), prefix="/research").publish(PAGES)
    assert result.commit and git("ls-tree", "--name-only", "main", cwd=remote) == "research"


@pytest.mark.parametrize("branch", ["-x", "a:b", "x y", "a..b", "../x", "x.lock", "*"])
def test_bad_branch_names_are_refused(cli, sample_path, remote, branch):
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), f"--branch={branch}")
    one_line_error(result)
    assert result.returncode == 1 and "not a valid branch name" in result.stderr


def test_a_hostile_default_branch_is_refused(cli, sample_path, remote):
    (remote / "HEAD").write_text("ref: refs/heads/-x\n", encoding="utf-8")
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote))
    one_line_error(result)
    assert result.returncode == 1 and "default branch" in result.stderr
    assert git("for-each-ref", cwd=remote) == ""


def test_messages_escape_control_characters():
    assert printable("remote: \x1b[2Jgone\u202e") == "remote: \\x1b[2Jgone\\u202e"


@pytest.mark.parametrize(
    ("url", "local"),
    [("/srv/wiki.git", True), ("wiki.git", True), ("./a:b", True), ("file:///srv/w", True), ("c/d:e", True),
     ("host:wiki.git", False), ("ssh://h/w", False), ("https://h/w", False), ("git://h/w", False),
     ("codecommit::eu://w", False)],
)  # fmt: skip
def test_local_urls_are_told_apart(url, local):
    assert is_local_url(url) is local


def test_dry_run_writes_only_in_its_own_clone(cli, sample_path, remote, tmp_path):
    clones = tmp_path / "tmpdir"
    clones.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("publish", "wiki", str(sample_path), "--repo", str(remote), "--dry-run", env={"TMPDIR": str(clones)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before and list(clones.iterdir()) == []
    assert git("for-each-ref", cwd=remote) == "" and os.listdir(remote / "refs" / "heads") == []
