"""The build engine: incremental builds, stale outputs, parallel builds, killed builds."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from corpus import make_digest

from publisher.build import MANIFEST, SLUG_CACHE, UNFINISHED


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".publisher" not in p.parts
    }


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.page")}


def _build(cli, env, *args):
    result = cli("build", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result


def test_incremental_build_renders_only_the_changed_report(cli, plugin_env, sample_path, tmp_path):
    src = tmp_path / "digest.txt"
    src.write_text(sample_path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    first = _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out))
    assert "11 written" in first.stdout  # ten pages and the index
    before = _mtimes(out)
    again = _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out))
    assert "11 up-to-date jobs skipped" in again.stdout
    assert _mtimes(out) == before

    text = src.read_text(encoding="utf-8").replace("持续被看好", "继续被看好")  # one bullet of report 1
    src.write_text(text, encoding="utf-8")
    changed = _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out))
    after = _mtimes(out)
    rewritten = sorted(k for k in after if after[k] != before[k])
    assert len(rewritten) == 1 and rewritten[0].startswith("analyst/pages/digest/gu-xi-zeng-zhang"), rewritten
    assert "继续被看好" in (out / rewritten[0]).read_text(encoding="utf-8")
    assert "1 written, 1 unchanged, 9 up-to-date jobs skipped" in changed.stdout  # the index is re-rendered

    forced = _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out), "--force")
    assert "0 written, 11 unchanged, 0 up-to-date" in forced.stdout


def test_template_or_profile_change_rebuilds(cli, plugin_env, sample_path, tmp_path):
    tpl = tmp_path / "tpl"
    (tpl / "analyst").mkdir(parents=True)
    out = tmp_path / "out"
    _build(cli, plugin_env, str(sample_path), "-f", "pages", "-o", str(out), "-t", str(tpl))
    (tpl / "analyst" / "extra.txt.j2").write_text("new template", encoding="utf-8")
    again = _build(cli, plugin_env, str(sample_path), "-f", "pages", "-o", str(out), "-t", str(tpl))
    assert "0 up-to-date jobs skipped" in again.stdout
    defined = _build(cli, plugin_env, str(sample_path), "-f", "pages", "-o", str(out), "-t", str(tpl), "-D", "x=1")
    assert "0 up-to-date jobs skipped" in defined.stdout


def test_removed_report_removes_its_page_but_not_edited_files(cli, plugin_env, sample_path, tmp_path):
    src = tmp_path / "digest.txt"
    lines = sample_path.read_text(encoding="utf-8").split("\n")
    src.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out))
    pages = out / "analyst" / "pages" / "digest"
    last = sorted(pages.glob("deepseek-mo-xing-zong-shu-*.page"))
    assert len(last) == 1
    hand = pages / "notes-by-hand.page"
    hand.write_text("mine", encoding="utf-8")
    src.write_text("\n".join(lines[:-3]), encoding="utf-8")  # drop the last report
    result = _build(cli, plugin_env, str(src), "-f", "pages", "-o", str(out))
    assert "removed" in result.stdout
    assert not last[0].exists()
    assert hand.read_text(encoding="utf-8") == "mine"
    # an output changed by hand since the build is kept, with a warning
    second = sorted(pages.glob("shi-chang-wen-du-ji-*.page"))[0]
    second.write_text("edited", encoding="utf-8")
    src.write_text("\n".join(lines[:-6]), encoding="utf-8")
    src.write_text("\n".join(lines[:13] + lines[16:-6]), encoding="utf-8")  # drop the 民生证券 report
    result = cli("build", str(src), "-f", "pages", "-o", str(out), env=plugin_env)
    assert second.read_text(encoding="utf-8") == "edited"
    assert "not removing" in result.stderr


def test_parallel_build_gives_the_same_bytes(cli, plugin_env, tmp_path):
    src = tmp_path / "big.txt"
    src.write_text(make_digest(300), encoding="utf-8")
    one, two = tmp_path / "one", tmp_path / "two"
    _build(cli, plugin_env, str(src), "-f", "pages,json,digest", "-o", str(one), "-j", "1")
    _build(cli, plugin_env, str(src), "-f", "pages,json,digest", "-o", str(two), "-j", "2")
    a, b = _snapshot(one), _snapshot(two)
    assert len(a) == 300 + 1 + 2
    assert a == b


def test_leftover_temporary_files_are_cleaned(cli, plugin_env, sample_path, tmp_path):
    """A build that finds the last one interrupted removes the temporary files it left."""
    out = tmp_path / "out"
    _build(cli, plugin_env, str(sample_path), "-f", "pages", "-o", str(out))
    marker = out / "analyst" / UNFINISHED
    assert not marker.exists(), "a finished build leaves no mark"
    junk = out / "analyst" / "pages" / "research-digest-2025-02-16" / ".index.page.abc123.tmp"
    junk.write_bytes(b"half")
    marker.touch()  # as a build killed while writing leaves it (see the killed-build test)
    _build(cli, plugin_env, str(sample_path), "-f", "pages", "-o", str(out))
    assert not junk.exists()
    assert not marker.exists()


@pytest.mark.parametrize("seed", range(4))
def test_killed_build_leaves_old_or_new_files(seed, plugin_env, tmp_path):
    """Kill a build at a random moment: every output is the old or the new version."""
    rng = random.Random(seed)
    old_src, new_src = tmp_path / "old" / "feed.txt", tmp_path / "new" / "feed.txt"
    old_src.parent.mkdir()
    new_src.parent.mkdir()
    text = make_digest(400)
    old_src.write_text(text, encoding="utf-8")
    new_src.write_text(text.replace("[1]", "[101]"), encoding="utf-8")
    env = dict(os.environ, **plugin_env, PAGES_REPEAT="40")
    slow = dict(env, PAGES_DELAY="0.006")  # about 2.5 s of rendering: the kill lands mid-build
    cmd = [sys.executable, "-m", "publisher", "build", "-f", "pages,json", "-q"]
    ref_new = tmp_path / "ref-new"
    subprocess.run([*cmd, str(new_src), "-o", str(ref_new)], env=env, check=True)
    out = tmp_path / "out"
    subprocess.run([*cmd, str(old_src), "-o", str(out)], env=env, check=True)
    old_files, new_files = _snapshot(out), _snapshot(ref_new)
    assert old_files.keys() == new_files.keys()

    proc = subprocess.Popen([*cmd, str(new_src), "-o", str(out), "-j", str(rng.choice([1, 2]))], env=slow)
    time.sleep(rng.uniform(0.6, 2.0))
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the build ended before it was killed"
    now = _snapshot(out)
    leftovers = [k for k in now if k.endswith(".tmp")]
    for name, digest in now.items():
        if name in leftovers:
            continue
        assert digest in (old_files[name], new_files[name]), f"{name} is neither the old nor the new version"
    finished = subprocess.run([*cmd, str(new_src), "-o", str(out)], env=env)
    assert finished.returncode == 0
    assert _snapshot(out) == new_files


def test_wiki_rebuild_touches_only_the_changed_page(cli, sample_path, tmp_path):
    """A bullet that no index shows changes: one page is rendered, the index pages are skipped."""
    src = tmp_path / "digest.txt"
    src.write_text(sample_path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    first = cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert first.returncode == 0, first.stderr
    pages = {p: p.stat().st_mtime_ns for p in (out / "wiki").rglob("*.md")}
    src.write_text(src.read_text(encoding="utf-8").replace("提高股息不受限制", "股息提高不受限制"), encoding="utf-8")
    again = cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert "1 written, 0 unchanged, 10 up-to-date jobs skipped" in again.stdout  # nine pages and the indexes
    changed = [p for p, mtime in pages.items() if p.stat().st_mtime_ns != mtime]
    assert [p.name for p in changed] == [next(p.name for p in pages if p.name.startswith("gu-xi-zeng-zhang"))]
    # the key takeaway is on its day's page: that index page is rendered again, the other day's is not
    pages = {p: p.stat().st_mtime_ns for p in (out / "wiki").rglob("*.md")}
    # (the index pages show the takeaway's first clauses: change one of them)
    src.write_text(src.read_text(encoding="utf-8").replace("积极展望业务", "积极看好业务"), encoding="utf-8")
    third = cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert "2 written, 0 unchanged, 9 up-to-date jobs skipped" in third.stdout, third.stdout  # nothing else shows it
    changed = sorted(p.relative_to(out / "wiki").as_posix() for p, t in pages.items() if p.stat().st_mtime_ns != t)
    assert changed == ["reports/2025-02-16/gu-xi-zeng-zhang-qian-li-ke-qi-fei-chang-gui-ye-wu-tui-jin-f3c4e163.md",
                       "reports/2025-02-16/index.md"]  # fmt: skip
    assert "积极看好业务" in (out / "wiki" / changed[1]).read_text(encoding="utf-8")
    # the same files as a build from nothing
    fresh = tmp_path / "fresh"
    assert cli("build", str(src), "-a", "wiki", "-o", str(fresh)).returncode == 0
    assert _snapshot(out / "wiki") == _snapshot(fresh / "wiki")
    # an index page changed by hand is rendered again
    (out / "wiki" / "reports" / "2025-02-14" / "index.md").write_text("edited", encoding="utf-8")
    src.write_text(src.read_text(encoding="utf-8").replace("积极看好业务", "积极展望业务"), encoding="utf-8")
    cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert (out / "wiki" / "reports" / "2025-02-14" / "index.md").read_text(encoding="utf-8") != "edited"


def test_the_build_state_is_never_trusted_with_paths_or_shapes(cli, sample_path, tmp_path):
    """A tampered or broken manifest neither deletes outside the output folder nor stops the build."""
    out = tmp_path / "out"
    args = ("build", str(sample_path), "-a", "wiki", "-o", str(out))
    assert cli(*args).returncode == 0
    pages = _snapshot(out / "wiki")
    slugs = out / "wiki" / SLUG_CACHE
    kept = slugs.stat().st_mtime_ns
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    manifest = out / "wiki" / MANIFEST
    state = json.loads(manifest.read_text(encoding="utf-8"))
    sha = hashlib.sha256(victim.read_bytes()).hexdigest()
    state["entries"]["wiki/md/gone/report"] = ["x", {"../../victim.txt": [7, 0, sha]}]  # a job no longer made
    manifest.write_text(json.dumps(state), encoding="utf-8")
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert slugs.stat().st_mtime_ns == kept  # nothing new to keep: the slug cache is not written again
    bad = {"wiki/md/*": 5, "wiki/md/x": [1], "wiki/md/y": {}}
    for broken in ("[]", "{", json.dumps({**state, "entries": {**state["entries"], **bad}})):
        manifest.write_text(broken, encoding="utf-8")
        result = cli(*args)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert _snapshot(out / "wiki") == pages


def test_skipped_reports_still_say_what_their_bodies_say(cli, tmp_path):
    """A build parses only the bodies it renders; the others' messages come from its cache, where they now stand."""
    src = tmp_path / "digest.txt"
    reports = [
        "甲报告\n海通国际· 2025-02-16 16:06\n报告核心观点 - 要点 [1] 没有引用的结尾文字",
        "乙报告\n国信证券· 2025-02-16 15:00\n报告核心观点 - 另一个要点 [2]",
    ]
    src.write_text("\n".join(reports) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    cold = cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert cold.returncode == 0, cold.stderr
    assert re.fullmatch(r".*digest\.txt:3:\d+: warning: .*raw text\n", cold.stderr)
    again = cli("build", str(src), "-a", "wiki", "-o", str(out))
    assert again.stderr == cold.stderr and "0 written" in again.stdout
    # a line above moves the report but does not change it: the message moves with it
    src.write_text("Workflow\n" + src.read_text(encoding="utf-8"), encoding="utf-8")
    moved = cli("build", str(src), "-a", "wiki", "-o", str(out))
    check = cli("check", str(src))
    assert moved.stderr == cold.stderr.replace(":3:", ":4:") and ":4:" in check.stdout
    assert moved.stderr.strip() in check.stdout and "3 up-to-date jobs skipped" in moved.stdout
    assert cli("build", str(src), "-a", "wiki", "-o", str(out), "--strict").returncode == 1
    cache = out / ".publisher" / "bodies.json"
    state = json.loads(cache.read_text("utf-8"))
    first = next(iter(state["entries"]))
    for broken in ("{not json", json.dumps({**state, "entries": {first: ["x"]}})):
        cache.write_text(broken, encoding="utf-8")
        assert cli("build", str(src), "-a", "wiki", "-o", str(out)).stderr == moved.stderr  # parsed again


def test_a_lazy_read_is_the_same_model_with_the_same_messages(sample_path):
    from publisher.diagnostics import Diagnostics
    from publisher.readers.digest import read

    gold = Path(__file__).parents[1] / "gold"
    for path in [sample_path, *sorted(gold.glob("*-digest.txt"))]:
        eager, lazy = Diagnostics(), Diagnostics()
        a = read(str(path), diagnostics=eager)
        b = read(str(path), diagnostics=lazy, lazy=True)
        assert all(r.deferred is not None for r in b.reports)
        assert b.to_json() == a.to_json() and all(r.deferred is None for r in b.reports)
        assert sorted(map(str, lazy)) == sorted(map(str, eager))


@pytest.mark.parametrize("shape", ["crlf", "bom", "gb18030", "bom-crlf", "mixed", "no-final-newline"])
def test_a_body_read_back_from_its_file_is_the_body_read_at_first(sample_path, tmp_path, shape):
    """A lazy read keeps where each body stands in the file, not its text; what it reads back is the same."""
    from publisher.readers.digest import read
    from publisher.readers.source import InputError

    text = sample_path.read_text(encoding="utf-8")
    data = {
        "crlf": text.replace("\n", "\r\n").encode(),
        "bom": b"\xef\xbb\xbf" + text.encode(),
        "gb18030": text.encode("gb18030"),
        "bom-crlf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        "mixed": text.replace("\n", "\r\n", 5).encode(),
        "no-final-newline": text.rstrip("\n").encode(),
    }[shape]
    path = tmp_path / "feed.txt"
    path.write_bytes(data)
    eager, lazy = read(str(path)), read(str(path), lazy=True)
    assert all(r.deferred is not None and r.deferred.span is not None for r in lazy.reports)  # type: ignore[attr-defined]
    assert lazy.to_json() == eager.to_json()
    for report in lazy.reports:  # dropped and read back again
        assert report.release() and report.deferred is not None
    assert lazy.to_json() == eager.to_json()
    # a file changed under a build: a positioned error, never another report's text
    first = lazy.reports[0]
    first.release()
    encoding = "gb18030" if shape == "gb18030" else "utf-8"
    path.write_bytes(data.replace("股息".encode(encoding), "利息".encode(encoding)))
    with pytest.raises(InputError, match=r"feed\.txt:\d+:1: error: the file changed while it was being built from"):
        first.sections  # noqa: B018


def test_a_deferred_report_travels_as_its_place_in_the_file_and_is_read_where_the_file_is_not(sample_path, tmp_path):
    """What a Dask worker of another machine gets: the report unparsed, the file's bytes held in memory."""
    import pickle

    from publisher.readers.digest import read
    from publisher.readers.source import hold_files

    path = tmp_path / "feed.txt"
    path.write_bytes(sample_path.read_bytes())
    eager, lazy = read(str(path)), read(str(path), lazy=True)
    packed = pickle.dumps(lazy.reports)
    assert all(r.deferred is not None for r in lazy.reports)  # pickling parsed nothing
    assert len(packed) < len(pickle.dumps(eager.reports)) / 2
    copies = pickle.loads(packed)
    data = path.read_bytes()
    path.unlink()
    try:
        hold_files({str(path): data})
        assert [r.to_json() for r in copies] == [r.to_json() for r in eager.reports]
    finally:
        hold_files({})


def test_a_build_keeps_no_report_body_it_has_rendered(sample_path, tmp_path):
    """Memory that does not grow with the feed: every body a job parsed is dropped once the job is done."""
    from datetime import UTC, datetime

    from publisher.audiences import AudienceCatalog
    from publisher.build import Builder
    from publisher.diagnostics import Diagnostics
    from publisher.readers.digest import read

    feed = tmp_path / "feed.txt"
    feed.write_text(make_digest(30, unique=True), encoding="utf-8")
    for name, formats in (("wiki", ["md"]), ("executive", ["docx"]), ("analyst", ["docx", "xlsx"])):
        digest = read(str(feed), lazy=True)
        audience = AudienceCatalog().load(name)
        when = datetime(2025, 2, 16, 10, 0, tzinfo=UTC)
        builder = Builder([audience], {name: formats}, tmp_path / name, Diagnostics(), when)
        result = builder.run([digest])
        assert result.run_jobs and not result.failed_jobs
        assert all(report.deferred is not None for report in digest.reports), name


def test_a_copy_with_transforms_is_dropped_after_its_last_job(sample_path, tmp_path, monkeypatch):
    """The analyst's transformed copy of a digest (its figures and facts) does not stay for the later jobs."""
    from datetime import UTC, datetime

    import publisher.build as build
    from publisher.audiences import AudienceCatalog
    from publisher.diagnostics import Diagnostics
    from publisher.readers.digest import read

    worlds = []
    counted = build.count_readers
    monkeypatch.setattr(build, "count_readers", lambda world, jobs: (worlds.append(world), counted(world, jobs)))
    made = []
    viewed = build.World.view

    def view(self, job, ctx, d):
        if job.transforms:
            made.append(job.key)
        return viewed(self, job, ctx, d)

    monkeypatch.setattr(build.World, "view", view)
    audiences = [AudienceCatalog().load(name) for name in ("analyst", "executive")]
    builder = build.Builder(
        audiences,
        {"analyst": ["xlsx", "docx"], "executive": ["docx"]},
        tmp_path / "out",
        Diagnostics(),
        datetime(2025, 2, 16, 10, 0, tzinfo=UTC),
    )
    result = builder.run([read(str(sample_path), lazy=True)])
    assert result.run_jobs == 4 and not result.failed_jobs  # two workbooks, two briefings
    (world,) = worlds
    assert sorted(made) == ["analyst/xlsx/*", "analyst/xlsx/research-digest-2025-02-16"]
    assert world.views == {} and set(world.view_readers.values()) == {0}


@pytest.mark.parametrize(
    "line",
    [
        "- {{ r.title }}: {{ r.takeaway }}",  # read by name
        "- {{ r.title }}: {{ r | attr('take' ~ 'away') }}",  # a computed name: the page may show anything
        "- {{ r.title }}{% for k in ['takeaway'] %}: {{ r[k] }}{% endfor %}",
    ],
)
def test_index_pages_follow_what_their_templates_show(cli, sample_path, tmp_path, line):
    """A page is rendered again when a field its template reads changes, however the template reads it."""
    templates = tmp_path / "templates" / "wiki"
    templates.mkdir(parents=True)
    (templates / "institutions.md.j2").write_text(
        "{% for name, reports in institutions %}\n## {{ name }}\n{% for r in reports %}\n" + line + "\n{% endfor %}"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    src = tmp_path / "digest.txt"
    src.write_text(sample_path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    args = (str(src), "-a", "wiki", "-t", str(tmp_path / "templates"), "-o", str(out))
    assert cli("build", *args).returncode == 0
    src.write_text(src.read_text(encoding="utf-8").replace("积极展望业务", "积极看好业务"), encoding="utf-8")
    again = cli("build", *args)
    assert again.returncode == 0, again.stderr
    assert "积极看好业务" in (out / "wiki" / "institutions.md").read_text(encoding="utf-8")
    assert "3 written" in again.stdout  # the report's page, its day and the institutions page
