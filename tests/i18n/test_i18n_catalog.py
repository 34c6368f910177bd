"""``publisher i18n extract`` and ``status``: a translation memory that never loses a translation."""

from __future__ import annotations

import re
import shutil

import polib
import pytest

from publisher.i18n.catalog import MACHINE, MISSING, REVIEWED, Catalog, entry_state, parse_po
from publisher.i18n.segments import Segment

ROOT_CATALOG = "research-digest-2025-02-16.en.po"
OLD_BULLET = "非常规钻井表现良好,8台钻机均运营"
OLD_TITLE = "“新质生产力”系列专题(九):并购重组赋能新质生产力"
NEW_TITLE = "“新质生产力”系列专题(九):并购重组赋能新质生产力发展"


@pytest.fixture
def workspace(tmp_path, sample_path):
    """A copy of the sample digest with its reviewed catalog next to it."""
    digest = tmp_path / sample_path.name
    shutil.copy(sample_path, digest)
    shutil.copy(sample_path.parent / ROOT_CATALOG, tmp_path / ROOT_CATALOG)
    return digest, tmp_path / ROOT_CATALOG


def _entries(path) -> dict[tuple[str, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in polib.pofile(str(path), wrapwidth=0)}


def _edit(digest, *replacements):
    text = digest.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    digest.write_text(text, encoding="utf-8")


def test_shipped_catalog_translates_every_segment_of_the_sample(cli, sample_path):
    result = cli("i18n", "status", str(sample_path))
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("research-digest"))
    numbers = [int(n) for n in row.split()[1:7]]
    total, reviewed, glossary, machine, fuzzy, missing = numbers
    assert total == reviewed + glossary and machine == fuzzy == missing == 0
    assert row.rstrip().endswith("100.0%")
    catalog = Catalog([parse_po((sample_path.parent / ROOT_CATALOG).read_text("utf-8"))])
    assert len(catalog) == 237 and all(entry_state(e) == REVIEWED for e in catalog.entries.values())


def test_extracting_again_changes_nothing(cli, workspace):
    digest, catalog = workspace
    before = catalog.read_bytes()
    result = cli("i18n", "extract", str(digest), "-o", str(catalog))
    assert result.returncode == 0, result.stderr
    assert "unchanged: 237 entries; 237 kept; 0 new; 0 fuzzy" in result.stdout
    assert catalog.read_bytes() == before


def test_changed_digest_keeps_translations_marks_changes_fuzzy_and_counts(cli, workspace):
    digest, catalog = workspace
    old = _entries(catalog)
    lines = digest.read_text(encoding="utf-8").split("\n")
    removed_title = lines[28]  # the last report (肯特州立大学)
    assert removed_title == "DeepSeek模型综述"
    _edit(
        digest,
        (OLD_BULLET, "非常规钻井表现优异,8台钻机均运营"),  # one word changed in a bullet
        (OLD_TITLE, NEW_TITLE),  # a title changed (and with it the report id)
        ("\nDeepSeek模型综述\n" + lines[29] + "\n" + lines[30], ""),  # the last report removed
    )
    with digest.open("a", encoding="utf-8") as handle:  # a new report with one known heading
        handle.write(
            "\n新能源车周报:销量超预期\n国信证券· 2025-02-17 09:00\n报告核心观点 - 1月新能源车销量同比增长30% [1]\n"
        )

    result = cli("i18n", "extract", str(digest), "-o", str(catalog))
    assert result.returncode == 0, result.stderr
    summary = result.stdout
    assert re.search(r"updated: \d+ entries; \d+ kept; 2 new; 2 fuzzy \(source changed\)", summary), summary
    new = _entries(catalog)

    # unchanged text keeps its reviewed translation, even where reports moved
    key = ("heading", "报告核心观点")
    assert new[key].msgstr == "Key takeaways" and entry_state(new[key]) == REVIEWED

    # the changed bullet: the old translation, marked fuzzy, with the old source for the translator
    (changed,) = [e for k, e in new.items() if k[1].startswith("非常规钻井表现优异")]
    (previous,) = [e for k, e in old.items() if k[1].startswith(OLD_BULLET)]
    assert "fuzzy" in changed.flags and changed.previous_msgid == previous.msgid
    assert changed.msgstr == previous.msgstr
    title = new[("title", NEW_TITLE)]
    assert "fuzzy" in title.flags and title.previous_msgid == OLD_TITLE
    assert title.msgstr == old[("title", OLD_TITLE)].msgstr

    # the removed report's segments are kept as obsolete entries, translation and all
    gone = new[("title", removed_title)]
    assert gone.obsolete and gone.msgstr == "A Review of DeepSeek Models"
    assert new[("heading", "相关工作")].obsolete

    # new text is untranslated, and the file says so for PO editors
    fresh = new[("title", "新能源车周报:销量超预期")]
    assert fresh.msgstr == "" and not fresh.obsolete
    text = catalog.read_text(encoding="utf-8")
    assert f'#| msgid "{OLD_TITLE}"' in text and "#~ msgctxt" in text

    # status per digest now shows the fuzzy and missing segments
    status = cli("i18n", "status", str(digest))
    row = next(line for line in status.stdout.splitlines() if line.startswith("research-digest"))
    _, total, reviewed, glossary, machine, fuzzy, missing, share = row.split()
    assert (int(fuzzy), int(missing), int(machine)) == (2, 2, 0)
    assert int(total) == int(reviewed) + int(glossary) + 4
    assert float(share.rstrip("%")) < 100
    failing = cli("i18n", "status", str(digest), "--fail-under", "100")
    assert failing.returncode == 1 and "--fail-under" in failing.stdout


def test_revived_obsolete_translation_and_review_clears_flags(cli, workspace):
    digest, catalog = workspace
    original = digest.read_text(encoding="utf-8")
    _edit(digest, (OLD_BULLET, "非常规钻井表现优异,8台钻机均运营"))
    assert cli("i18n", "extract", str(digest), "-o", str(catalog)).returncode == 0
    entries = _entries(catalog)
    (fuzzy,) = [e for k, e in entries.items() if k[1].startswith("非常规钻井表现优异")]
    assert entries[("text", fuzzy.previous_msgid)].obsolete

    # a reviewer accepts the fuzzy translation (removes the flag, as a PO editor does)
    po = polib.pofile(str(catalog), wrapwidth=0)
    for entry in po:
        if entry.msgid == fuzzy.msgid:
            entry.flags.remove("fuzzy")
    po.save(str(catalog))
    assert cli("i18n", "extract", str(digest), "-o", str(catalog)).returncode == 0
    accepted = _entries(catalog)[("text", fuzzy.msgid)]
    assert entry_state(accepted) == REVIEWED and accepted.previous_msgid is None

    # going back to the old text revives the obsolete, reviewed translation
    digest.write_text(original, encoding="utf-8")
    result = cli("i18n", "extract", str(digest), "-o", str(catalog))
    assert "1 taken from obsolete entries" in result.stdout
    back = _entries(catalog)[("text", fuzzy.previous_msgid)]
    assert not back.obsolete and entry_state(back) == REVIEWED


def test_machine_drafts_are_counted_apart_and_become_reviewed_when_unflagged():
    po = parse_po(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, machine\nmsgctxt "text"\nmsgid "甲"\nmsgstr "A"\n\n'
        'msgctxt "text"\nmsgid "乙"\nmsgstr ""\n\n'
        '#, machine\nmsgctxt "text"\nmsgid "丙"\nmsgstr "C"\n'
    )
    catalog = Catalog([po])
    assert catalog.state(Segment("text", "甲")) == MACHINE
    assert catalog.state(Segment("text", "乙")) == MISSING
    assert catalog.state(Segment("text", "丙")) == REVIEWED


def test_a_broken_catalog_is_reported_with_its_line_and_left_alone(cli, workspace):
    digest, catalog = workspace
    broken = catalog.read_text(encoding="utf-8") + '\nmsgctxt "text"\nmsgid "x"\nmsgstr "y" trailing\n'
    catalog.write_text(broken, encoding="utf-8")
    result = cli("i18n", "extract", str(digest), "-o", str(catalog))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(rf"{re.escape(str(catalog))}:\d+:1: error: invalid PO catalog", result.stderr), result.stderr
    assert catalog.read_text(encoding="utf-8") == broken


def test_extract_refuses_to_write_when_an_input_is_unreadable(cli, workspace, tmp_path):
    digest, _ = workspace
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x00")
    target = tmp_path / "new.po"
    result = cli("i18n", "extract", str(digest), str(bad), "-o", str(target))
    assert result.returncode == 1 and not target.exists()
    assert str(bad) in result.stderr


def test_catalog_summary_without_files(cli, workspace):
    _, catalog = workspace
    result = cli("i18n", "status", "--catalog", str(catalog))
    assert result.returncode == 0, result.stderr
    assert re.search(r"\s237\s+237\s+0\s+0\s+0\s+0$", result.stdout.splitlines()[1])
