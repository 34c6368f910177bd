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

The wiki repository is untrusted input (its files, its configuration and,
for a repository on this machine, its hooks).  So git runs with no hooks,
no fsmonitor and no ``ext::`` transport (:data:`GIT_OPTIONS`); for a
repository on this machine, its ``upload-pack``/``receive-pack`` run with
options of their own (:data:`SERVER_OPTIONS`, which git does not pass on to
a local transport from ``git -c``), so that the target's hooks, its
``core.hooksPath``, its alternates command, its ``updateInstead`` checkout
(filters, fsmonitor) and its automatic gc never run; nothing is written or
removed through a symbolic link in the clone, nor inside ``.git``; and every
user-given repository or path comes after ``--`` on git's command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..diagnostics import printable
from ..writers.base import Output
from .base import Sink, Written
from .folder import FolderSink, UnsafePathError, safe_relative

MANIFEST = ".publisher-manifest.json"
DEFAULT_AUTHOR = "publisher <publisher@localhost>"
_AUTHOR = re.compile(r"\s*([^<>]*?)\s*<([^<>\s]+)>\s*")
_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|\(stale info\)")
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|\.$|^@$|(^|/)\.|\.lock(/|$)")
_HELPER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")
_SCHEME_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MAX_MANIFEST = 64 << 20

#: Options of every git command publisher runs.  The clone is publisher's own,
#: but its *contents* come from the wiki: no hooks (not even the user's global
#: ``core.hooksPath`` or ``init.templateDir`` ones), no fsmonitor, no submodules
#: (a wiki's ``.gitmodules`` is not followed), no ``ext::`` transport, ``file``
#: only when the user names it, no background gc left running in the clone.
GIT_OPTIONS: tuple[str, ...] = (
    "-c", f"core.hooksPath={os.devnull}",
    "-c", "core.fsmonitor=false",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.file.allow=user",
    "-c", "submodule.recurse=false",
    "-c", "fetch.recurseSubmodules=false",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
)  # fmt: skip

#: Options of the ``upload-pack``/``receive-pack`` run in a repository on this
#: machine (git clears ``git -c`` options for a local transport, so they are
#: part of the command): none of the target's hooks (``hooks/`` or its
#: ``core.hooksPath``), no alternates command, no gc, and no push into a
#: checked-out branch (``updateInstead`` would run the target's filters and
#: fsmonitor in its working tree).
SERVER_OPTIONS: tuple[str, ...] = (
    "-c", f"core.hooksPath={os.devnull}",
    "-c", "core.fsmonitor=false",
    "-c", "core.alternateRefsCommand=true",
    "-c", "receive.denyCurrentBranch=refuse",
    "-c", "receive.autogc=false",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
)  # fmt: skip

#: Environment that would point git at another repository than the one asked
#: (set when publisher runs inside a git hook, for example).
_REPO_ENV = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_SHALLOW_FILE", "GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS", "GIT_IMPLICIT_WORK_TREE", "GIT_QUARANTINE_PATH", "GIT_CONFIG",
)  # fmt: skip


class PublishError(Exception):
    """Publishing failed; the remote was not changed."""


def is_git_dir_name(part: str) -> bool:
    """Whether a path component names git's own folder (also as macOS and Windows see it)."""
    name = _HFS_IGNORED.sub("", part).rstrip(". ").lower()
    return name == ".git" or name == "git~1"


def check_branch(name: str, where: str = "--branch") -> str:
    """A branch name that is safe on git's command line and in a refspec."""
    if not name or name.startswith("-") or _BAD_REF.search(name):
        raise PublishError(f"{where}: {printable(repr(name))} is not a valid branch name")
    return name


def check_repo(repo: str) -> str:
    """A repository (URL or path) that git cannot mistake for an option."""
    if not repo:
        raise PublishError("no wiki repository given")
    if repo.startswith("-"):
        raise PublishError(f"--repo {printable(repr(repo))} starts with '-' (write ./{repo} for a folder of that name)")
    if "\0" in repo or "\n" in repo:
        raise PublishError(f"--repo {printable(repr(repo))} has a control character")
    return repo


def is_local_url(url: str) -> bool:
    """Whether git reaches ``url`` by running its own programs on this machine (a path or ``file://``).

    Mirrors git's own rules (``transport.c``, ``connect.c``); a URL it cannot tell
    is taken as local, which at worst makes a push to a server fail.
    """
    if _HELPER_URL.match(url):
        return False
    if url.startswith("file://"):
        return True
    if _SCHEME_URL.match(url):
        return False
    colon, slash = url.find(":"), url.find("/")
    return colon < 0 or 0 <= slash < colon


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


class GitWikiSink(Sink):
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
        self.repo = check_repo(repo)
        self.branch = check_branch(branch) if branch is not None else None
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
        if any(is_git_dir_name(part) for part in prefix.split("/")):
            raise PublishError(f"--prefix {prefix!r} points into git's own .git folder")
        return prefix

    # --- git -------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
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
        cmd = [self.git_cmd, *GIT_OPTIONS, *args]
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
        return printable("; ".join(lines[-3:])) or f"exit status {done.returncode}"

    def connect(self, work: Path) -> None:
        """Make ``origin`` the wiki in the clone at ``work``; confine a repository on this machine."""
        self.git("remote", "add", "--", "origin", self.repo, cwd=work)
        url = self.git("ls-remote", "--get-url", "origin", cwd=work).stdout.decode("utf-8", "replace").strip()
        if not is_local_url(url or self.repo):
            return
        for program in ("upload-pack", "receive-pack"):
            command = shlex.join([self.git_cmd, *SERVER_OPTIONS, program])
            self.git("config", f"remote.origin.{program.replace('-', '')}", command, cwd=work)
        # a signed push would have the target's receive-pack verify it with the target's gpg.program
        self.git("config", "push.gpgSign", "false", cwd=work)

    def remote_branches(self, work: Path) -> tuple[str | None, set[str]]:
        """The remote's default branch (``None`` if empty) and its branch names (``origin`` in ``work``)."""
        done = self.git("ls-remote", "--symref", "origin", cwd=work, check=False)
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
        done = self.git("-C", path, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)  # GIT_OPTIONS apply
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
                self._relative(output.path)
            except UnsafePathError as exc:
                raise PublishError(str(exc)) from None
            if output.path == MANIFEST:
                raise PublishError(f"an output may not be called {MANIFEST} (the publisher's own manifest)")
            files[output.path] = output.content()
        with tempfile.TemporaryDirectory(prefix="publisher-wiki-") as tmp:
            work = Path(os.path.realpath(tmp)) / "wiki"
            self.git("init", "--quiet", "--", str(work))
            self.connect(work)
            head, branches = self.remote_branches(work)
            if self.branch:
                branch = self.branch
            else:
                branch = check_branch(head, f"the default branch of {self.repo}") if head else "main"
            exists = branch in branches
            if exists:
                self.fetch(work, branch, shallow=True)
                self.git(
                    "checkout", "--quiet", "--no-recurse-submodules", "-B", branch, f"origin/{branch}", "--", cwd=work
                )
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
                caught_up = self.catch_up(work, branch, files, plan)
                if caught_up is None:  # the remote already has exactly these pages
                    return PublishResult(Plan(), None, branch, attempts)
                plan = caught_up

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
            ahead = self.git("rev-list", "--count", f"origin/{branch}..HEAD", "--", cwd=work).stdout.strip()
            return plan if ahead != b"0" else None
        # our pages conflict with what was pushed: start again from the new tip
        self.git("rebase", "--abort", cwd=work, check=False)
        self.git("reset", "--quiet", "--hard", f"origin/{branch}", "--", cwd=work)
        plan = self.apply(work, files)
        if not self.stage(work, plan):
            return None
        self.git("commit", "--quiet", "--no-verify", "-m", self.commit_message(plan), cwd=work)
        return plan

    @staticmethod
    def _relative(path: str) -> PurePosixPath:
        """``safe_relative`` and nothing inside a ``.git`` folder."""
        rel = safe_relative(path)
        if any(is_git_dir_name(part) for part in rel.parts):
            raise UnsafePathError(f"output path {path!r} is inside a .git folder")
        return rel

    def _shown(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix and path else (self.prefix or path)

    def _lstat(self, work: Path, path: str, what: str, *, blocked_is_missing: bool = False) -> os.stat_result | None:
        """``lstat`` of ``<prefix>/<path>`` in the clone, looking at every component on the way.

        ``None`` when it does not exist.  A symbolic link anywhere below the clone
        (a folder on the way or the file itself) raises :class:`PublishError`:
        nothing is read, written or removed through it.  So does a file where a
        folder should be, unless ``blocked_is_missing`` (then the path is absent).
        """
        parts = [*(self.prefix.split("/") if self.prefix else []), *(path.split("/") if path else [])]
        current = work
        for i, part in enumerate(parts):
            current = current / part
            shown = "/".join(parts[: i + 1])
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise PublishError(f"{what}: cannot read {shown!r} in the wiki: {exc.strerror}") from None
            if stat.S_ISLNK(st.st_mode):
                raise PublishError(
                    f"{what}: {shown!r} is a symbolic link in the wiki; publisher does not read, write or remove "
                    "files through links (nothing was published; remove the link or choose another --prefix)"
                )
            if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
                if blocked_is_missing:
                    return None
                raise PublishError(f"{what}: {shown!r} is a file in the wiki, not a folder (nothing was published)")
        real = os.path.realpath(current)
        if os.path.commonpath([real, str(work)]) != str(work):  # cannot happen without links; checked anyway
            raise PublishError(f"{what}: {self._shown(path)!r} is outside the wiki's clone")
        return st if parts else None

    def _read(self, work: Path, path: str, what: str, limit: int | None = None) -> bytes:
        target = work.joinpath(*self.prefix.split("/"), *path.split("/")) if self.prefix else work / path
        try:
            with open(target, "rb") as handle:
                data = handle.read(limit + 1 if limit is not None else -1)
        except OSError as exc:
            raise PublishError(f"{what}: cannot read {self._shown(path)!r} in the wiki: {exc.strerror}") from None
        if limit is not None and len(data) > limit:
            raise PublishError(f"{what}: {self._shown(path)!r} in the wiki is larger than {limit >> 20} MB")
        return data

    def read_manifest(self, work: Path) -> dict[str, str]:
        where = self._shown(MANIFEST)
        st = self._lstat(work, MANIFEST, where)
        if st is None:
            return {}
        if not stat.S_ISREG(st.st_mode):
            raise PublishError(f"{where} in the wiki is not a file; repair or delete it")
        try:
            data = json.loads(self._read(work, MANIFEST, where, MAX_MANIFEST).decode("utf-8"))
            files = data["files"]
            if data.get("generator") != "publisher" or not isinstance(files, dict):
                raise ValueError("not a publisher manifest")
            for rel, digest in files.items():
                self._relative(rel)
                if not isinstance(digest, str):
                    raise ValueError(f"the digest of {rel!r} is not a string")
        except (ValueError, KeyError, TypeError, AttributeError, UnsafePathError) as exc:
            raise PublishError(f"{where} in the wiki is damaged ({printable(str(exc))}); repair or delete it") from None
        return {str(k): str(v) for k, v in files.items()}

    def apply(self, work: Path, files: dict[str, bytes]) -> Plan:
        """Write the pages into the working tree and remove stale ones; return what changed.

        Every path is checked component by component first (:meth:`_lstat`): a
        symbolic link anywhere on the way stops publishing before anything is
        written or removed, so nothing outside the clone is ever touched.
        """
        work = Path(os.path.realpath(work))
        root = work / self.prefix if self.prefix else work
        st = self._lstat(work, "", "--prefix")
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise PublishError(f"--prefix {self.prefix!r} is not a folder in the wiki")
        manifest = self.read_manifest(work)
        where = self._shown(MANIFEST)
        plan = Plan()
        foreign: list[str] = []
        found: dict[str, os.stat_result | None] = {}
        for path in sorted(files):
            found[path] = self._lstat(work, path, self._shown(path))
        stale = sorted(set(manifest) - set(files))
        for path in stale:
            found[path] = self._lstat(work, path, f"{where} lists {path!r}, but", blocked_is_missing=True)
        for path, data in sorted(files.items()):
            st = found[path]
            if st is None:
                plan.added.append(path)
            elif stat.S_ISREG(st.st_mode):
                if path not in manifest and not self.force:
                    foreign.append(path)
                    continue
                current = self._read(work, path, self._shown(path))
                if path in manifest and _digest(current) != manifest[path]:
                    plan.edited.append(path)
                (plan.unchanged if current == data else plan.updated).append(path)
            else:
                foreign.append(path)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise PublishError(
                f"the wiki already has pages publisher did not write: {shown}; nothing was published "
                "(choose another --prefix, move those pages, or take them over with --force)"
            )
        sink = FolderSink(root)
        try:
            for path in stale:
                st = found[path]
                if not self.allow_removals:
                    plan.kept.append(path)
                    continue
                if st is not None and stat.S_ISREG(st.st_mode):
                    target = sink.target(path)
                    if _digest(self._read(work, path, self._shown(path))) != manifest[path]:
                        plan.edited.append(path)
                    target.unlink()
                    plan.removed.append(path)
            sink.write(Output(p, files[p]) for p in plan.added + plan.updated)
            owned = {p: _digest(d) for p, d in files.items()}
            owned.update({p: manifest[p] for p in plan.kept})
            text = json.dumps({"generator": "publisher", "version": 1, "files": dict(sorted(owned.items()))}, indent=1)
            sink.write([Output(MANIFEST, (text + "\n").encode("utf-8"))])
        except UnsafePathError as exc:  # FolderSink's own check; the checks above make it unreachable
            raise PublishError(str(exc)) from None
        except OSError as exc:
            raise PublishError(f"cannot write the pages in the wiki's clone: {exc}") from None
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
