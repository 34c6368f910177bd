"""The wiki sink: publish pages to a git-backed wiki (GitLab, Gitea, Azure DevOps, Wiki.js, MkDocs).

It works in a temporary clone of the wiki repository, through the ``git``
command line (so the user's credentials, SSH keys and proxies apply):

1. fetch the branch (or start it, in an empty repository);
2. write the pages under ``prefix`` and remove the pages it wrote before
   that are no longer produced; what it wrote is listed in a manifest it
   owns (``<prefix>/.publisher-manifest.json``), and it never writes over or
   removes a file that is not in that manifest;
3. commit with a clear message and a configurable author, only if something
   changed (publishing the same input twice makes no second commit);
4. push; when the push is rejected because someone else pushed meanwhile,
   fetch, rebase and push again (a bounded number of times; if the rebase
   conflicts, the pages are written afresh on top of the new tip).

Every failure raises :class:`PublishError` with git's own explanation, and
happens before the push or in the push itself, so the remote is either
updated completely or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..writers.base import Output
from .folder import FolderSink, UnsafePathError, Written, safe_relative

MANIFEST = ".publisher-manifest.json"
DEFAULT_AUTHOR = "publisher <publisher@localhost>"
_AUTHOR = re.compile(r"\s*([^<>]*?)\s*<([^<>\s]+)>\s*")
_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|\(stale info\)")


class PublishError(Exception):
    """Publishing failed; the remote was not changed."""


def parse_author(text: str) -> tuple[str, str]:
    """``"Research Desk <desk@example.org>"`` → (name, email)."""
    m = _AUTHOR.fullmatch(text)
    if not m or not m.group(1):
        raise PublishError(f"author {text!r} is not of the form 'Name <email>'")
    return m.group(1), m.group(2)


@dataclass
class Plan:
    """What publishing changes in the wiki."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stale pages kept (removals were not allowed)
    edited: list[str] = field(default_factory=list)  # our pages someone edited by hand since

    @property
    def changed(self) -> int:
        return len(self.added) + len(self.updated) + len(self.removed)


@dataclass
class PublishResult:
    """The outcome: the plan carried out, the commit made (``None``: nothing to commit)."""

    plan: Plan
    commit: str | None
    branch: str
    attempts: int = 1
    dry_run: bool = False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GitWikiSink:
    """Publish outputs to a git repository (a wiki), as one commit."""

    name = "wiki"

    def __init__(
        self,
        repo: str,
        branch: str | None = None,
        prefix: str = "",
        *,
        author: str = DEFAULT_AUTHOR,
        message: str | None = None,
        retries: int = 3,
        allow_removals: bool = True,
        force: bool = False,
        dry_run: bool = False,
        timeout: float = 600,
        git: str = "git",
    ) -> None:
        if not repo:
            raise PublishError("no wiki repository given")
        self.repo = repo
        self.branch = branch
        self.prefix = self._prefix(prefix)
        self.author = parse_author(author)
        self.message = message
        self.retries = max(0, retries)
        self.allow_removals = allow_removals
        self.force = force
        self.dry_run = dry_run
        self.timeout = timeout
        self.git_cmd = git
        self.sources: list[str] = []

    @staticmethod
    def _prefix(prefix: str) -> str:
        prefix = prefix.strip().strip("/")
        if prefix in ("", "."):
            return ""
        try:
            safe_relative(prefix)
        except UnsafePathError as exc:
            raise PublishError(f"--prefix: {exc}") from None
        return prefix

    # --- git -------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            GIT_TERMINAL_PROMPT="0",  # fail instead of waiting for a password nobody types
            LC_ALL="C",
            LANGUAGE="C",
            GIT_EDITOR="true",
            GIT_AUTHOR_NAME=self.author[0],
            GIT_AUTHOR_EMAIL=self.author[1],
            GIT_COMMITTER_NAME=self.author[0],
            GIT_COMMITTER_EMAIL=self.author[1],
        )
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        return env

    def git(
        self, *args: str, cwd: Path | None = None, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        cmd = [self.git_cmd, *args]
        try:
            done = subprocess.run(
                cmd, cwd=cwd, input=input, capture_output=True, env=self._env(), timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise PublishError(f"{self.git_cmd!r} not found: install git to publish to a wiki") from None
        except subprocess.TimeoutExpired:
            raise PublishError(f"git {args[0]} did not finish within {self.timeout:.0f} s") from None
        if check and done.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {self._explain(done)}")
        return done

    @staticmethod
    def _explain(done: subprocess.CompletedProcess[bytes]) -> str:
        text = (done.stderr or b"").decode("utf-8", "replace").strip() or (done.stdout or b"").decode(
            "utf-8", "replace"
        ).strip()
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("hint:")]
        return "; ".join(lines[-3:]) or f"exit status {done.returncode}"

    def remote_branches(self) -> tuple[str | None, set[str]]:
        """The remote's default branch (``None`` if empty) and its branch names."""
        done = self.git("ls-remote", "--symref", self.repo, check=False)
        if done.returncode != 0:
            raise PublishError(f"cannot read the wiki repository {self.repo}: {self._explain(done)}")
        head: str | None = None
        branches: set[str] = set()
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            if line.startswith("ref: ") and line.endswith("\tHEAD"):
                head = line[5:].split("\t")[0].removeprefix("refs/heads/")
            elif "\trefs/heads/" in line:
                branches.add(line.split("\trefs/heads/", 1)[1])
        if head not in branches:
            head = self.local_head() if not branches else None
        return head, branches

    def local_head(self) -> str | None:
        """The branch HEAD names in an empty repository on this machine (``git init`` chose it)."""
        path = self.repo.removeprefix("file://") if self.repo.startswith("file://") else self.repo
        if "://" in path or not Path(path).is_dir():
            return None
        done = self.git("-C", path, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        name = done.stdout.decode("utf-8", "replace").strip()
        return name if done.returncode == 0 and name else None

    # --- publishing --------------------------------------------------------------

    def write(self, outputs: Iterable[Output]) -> list[Written]:
        """The sink interface: publish ``outputs`` and say what happened to each."""
        result = self.publish(outputs)
        status = {p: "written" for p in result.plan.added + result.plan.updated}
        root = PurePosixPath(self.prefix) if self.prefix else PurePosixPath()
        return [
            Written(Path(str(root / path)), status.get(path, "unchanged"), 0)
            for path in result.plan.added + result.plan.updated + result.plan.unchanged
        ]

    def publish(self, outputs: Iterable[Output]) -> PublishResult:
        files: dict[str, bytes] = {}
        for output in outputs:
            try:
                safe_relative(output.path)
            except UnsafePathError as exc:
                raise PublishError(str(exc)) from None
            if output.path == MANIFEST:
                raise PublishError(f"an output may not be called {MANIFEST} (the publisher's own manifest)")
            files[output.path] = output.content()
        head, branches = self.remote_branches()
        branch = self.branch or head or "main"
        with tempfile.TemporaryDirectory(prefix="publisher-wiki-") as tmp:
            work = Path(tmp) / "wiki"
            self.git("init", "--quiet", str(work))
            self.git("remote", "add", "origin", self.repo, cwd=work)
            exists = branch in branches
            if exists:
                self.fetch(work, branch, shallow=True)
                self.git("checkout", "--quiet", "-B", branch, f"origin/{branch}", cwd=work)
            else:
                self.git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=work)
            plan = self.apply(work, files)
            if self.dry_run or not self.stage(work, plan):
                return PublishResult(plan, None, branch, dry_run=self.dry_run)
            self.git("commit", "--quiet", "--no-verify", "-m", self.commit_message(plan), cwd=work)
            attempts = 1
            while True:
                push = self.git(
                    "push", "--porcelain", "--no-verify", "origin", f"HEAD:refs/heads/{branch}", cwd=work, check=False
                )
                if push.returncode == 0:
                    commit = self.git("rev-parse", "HEAD", cwd=work).stdout.decode().strip()
                    return PublishResult(plan, commit, branch, attempts)
                rejected = _REJECTED.search((push.stdout + push.stderr).decode("utf-8", "replace"))
                if not rejected:
                    raise PublishError(f"git push to {self.repo} failed: {self._explain(push)}")
                if attempts > self.retries:
                    raise PublishError(
                        f"git push to {self.repo} was rejected {attempts} times (others keep pushing to "
                        f"{branch}); nothing was published, try again"
                    )
                attempts += 1
                plan = self.catch_up(work, branch, files, plan)
                if plan is None:  # the remote already has exactly these pages
                    return PublishResult(Plan(), None, branch, attempts)

    def fetch(self, work: Path, branch: str, shallow: bool = False) -> None:
        """Fetch the branch; the first time only its tip (later fetches join up with it)."""
        depth = ["--depth=1"] if shallow else []
        refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        self.git("fetch", "--quiet", "--no-tags", *depth, "origin", refspec, cwd=work)

    def catch_up(self, work: Path, branch: str, files: dict[str, bytes], plan: Plan) -> Plan | None:
        """After a rejected push: put our commit on top of what was pushed meanwhile."""
        self.fetch(work, branch)
        rebase = self.git("rebase", "--quiet", f"origin/{branch}", cwd=work, check=False)
        if rebase.returncode == 0:
            ahead = self.git("rev-list", "--count", f"origin/{branch}..HEAD", cwd=work).stdout.strip()
            return plan if ahead != b"0" else None
        # our pages conflict with what was pushed: start again from the new tip
        self.git("rebase", "--abort", cwd=work, check=False)
        self.git("reset", "--quiet", "--hard", f"origin/{branch}", cwd=work)
        plan = self.apply(work, files)
        if not self.stage(work, plan):
            return None
        self.git("commit", "--quiet", "--no-verify", "-m", self.commit_message(plan), cwd=work)
        return plan

    def read_manifest(self, root: Path) -> dict[str, str]:
        path = root / MANIFEST
        if not path.is_file():
            return {}
        where = f"{self.prefix}/{MANIFEST}" if self.prefix else MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data["files"]
            if data.get("generator") != "publisher" or not isinstance(files, dict):
                raise ValueError("not a publisher manifest")
            for rel in files:
                safe_relative(rel)
        except (OSError, ValueError, KeyError, TypeError, UnsafePathError) as exc:
            raise PublishError(f"{where} in the wiki is damaged ({exc}); repair or delete it") from None
        return {str(k): str(v) for k, v in files.items()}

    def apply(self, work: Path, files: dict[str, bytes]) -> Plan:
        """Write the pages into the working tree and remove stale ones; return what changed."""
        root = work / self.prefix if self.prefix else work
        if root.is_symlink() or (root.exists() and not root.is_dir()):
            raise PublishError(f"--prefix {self.prefix!r} is not a folder in the wiki")
        manifest = self.read_manifest(root)
        sink = FolderSink(root)
        plan = Plan()
        foreign: list[str] = []
        for path, data in sorted(files.items()):
            try:
                target = sink.target(path)
            except UnsafePathError as exc:
                raise PublishError(str(exc)) from None
            if target.is_file() or target.is_symlink():
                if path not in manifest and not self.force:
                    foreign.append(path)
                    continue
                current = target.read_bytes() if target.is_file() else b""
                if path in manifest and _digest(current) != manifest[path]:
                    plan.edited.append(path)
                (plan.unchanged if current == data else plan.updated).append(path)
            elif target.exists():
                foreign.append(path)
            else:
                plan.added.append(path)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise PublishError(
                f"the wiki already has pages publisher did not write: {shown}; nothing was published "
                "(choose another --prefix, move those pages, or take them over with --force)"
            )
        stale = sorted(set(manifest) - set(files))
        for path in stale:
            target = sink.target(path)
            if not self.allow_removals:
                plan.kept.append(path)
                continue
            if target.is_file() or target.is_symlink():
                if target.is_file() and _digest(target.read_bytes()) != manifest[path]:
                    plan.edited.append(path)
                target.unlink()
                plan.removed.append(path)
        sink.write(Output(p, files[p]) for p in plan.added + plan.updated)
        owned = {p: _digest(d) for p, d in files.items()}
        owned.update({p: manifest[p] for p in plan.kept})
        text = json.dumps({"generator": "publisher", "version": 1, "files": dict(sorted(owned.items()))}, indent=1)
        sink.write([Output(MANIFEST, (text + "\n").encode("utf-8"))])
        return plan

    def stage(self, work: Path, plan: Plan) -> bool:
        """Stage our paths (only ours); ``False`` when nothing changed."""
        base = f"{self.prefix}/" if self.prefix else ""
        paths = [base + p for p in (*plan.added, *plan.updated, *plan.removed, MANIFEST)]
        listing = "\0".join(paths).encode("utf-8") + b"\0"
        self.git(
            "--literal-pathspecs", "add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul",
            cwd=work, input=listing,
        )  # fmt: skip
        return self.git("diff", "--cached", "--quiet", cwd=work, check=False).returncode != 0

    def commit_message(self, plan: Plan) -> str:
        counts = f"{len(plan.added)} added, {len(plan.updated)} updated, {len(plan.removed)} removed"
        subject = self.message or f"Publish research wiki: {counts}"
        body = [f"Pages: {counts}."]
        if self.sources:
            body.append("Sources: " + ", ".join(self.sources) + ".")
        if plan.kept:
            body.append(f"Kept {len(plan.kept)} pages of reports that could not be read this time.")
        body.append("Generated by publisher; pages listed in " + (f"{self.prefix}/" if self.prefix else "") + MANIFEST)
        return subject + "\n\n" + "\n".join(body) + "\n"


def summarize(result: PublishResult, repo: str) -> Sequence[str]:
    """Lines telling the user what publishing did."""
    plan = result.plan
    lines = [f"{'added':>9}  {p}" for p in plan.added]
    lines += [f"{'updated':>9}  {p}" for p in plan.updated]
    lines += [f"{'removed':>9}  {p}" for p in plan.removed]
    counts = (
        f"{len(plan.added)} added, {len(plan.updated)} updated, {len(plan.removed)} removed, "
        f"{len(plan.unchanged)} unchanged"
    )
    if result.dry_run:
        lines.append(f"dry run: would publish to {repo} (branch {result.branch}): {counts}")
    elif result.commit:
        retried = f" after {result.attempts - 1} retr{'y' if result.attempts == 2 else 'ies'}" * (result.attempts > 1)
        lines.append(f"published to {repo} (branch {result.branch}){retried}: {counts}; commit {result.commit[:12]}")
    else:
        lines.append(f"{repo} (branch {result.branch}) is up to date: nothing to commit")
    return lines
