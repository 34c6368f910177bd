"""``content.*`` profile values: read and checked once (publisher.content), the same in every format."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher import cli
from publisher.audiences import AudienceCatalog, AudienceError
from publisher.content import CITATION_STYLES, COUNT_BLOCKS, COUNT_BULLETS, ContentSettings, origin
from publisher.diagnostics import Diagnostics
from publisher.model import BULLET, PARAGRAPH, ROLES, Block, Report, Section
from publisher.writers import docx as docx_writer
from publisher.writers import html as html_writer
from publisher.writers import markdown as md_writer
from publisher.writers.base import RenderContext

BAD_VALUES = [
    ("content.roles=5", "content.roles"),
    ('content.roles=["nope"]', "content.roles"),
    ('content.roles="summary"', "content.roles"),
    ("content.max_bullets=-1", "content.max_bullets"),
    ("content.max_bullets=true", "content.max_bullets"),
    ('content.max_bullets="3"', "content.max_bullets"),
    ("content.citations=bogus", "content.citations"),
    ("content.citations=1", "content.citations"),
    ("content=5", "content"),
]


def audience(name: str = "base", roots: tuple[Path, ...] = (), **values):
    aud = AudienceCatalog(roots).load(name)
    for key, value in values.items():
        aud.override(key.replace("__", "."), value)
    return aud


def report() -> Report:
    """Sections: summary (2 bullets, a child with a paragraph and a bullet), risk (a paragraph, a bullet)."""
    from datetime import datetime

    def b(kind: str, text: str) -> Block:
        return Block(kind, text)

    child = Section("child", 2, "body", [b(PARAGRAPH, "c-para"), b(BULLET, "c-bullet")])
    summary = Section("summary", 1, "summary", [b(BULLET, "s1"), b(BULLET, "s2")], children=[child])
    risk = Section("risk", 1, "risk", [b(PARAGRAPH, "r-para"), b(BULLET, "r-bullet")])
    body = Section("body", 1, "body", [b(BULLET, "body")])
    return Report("t", "inst", datetime(2025, 2, 16, 9, 30), sections=[summary, risk, body])


def texts(chosen) -> list[tuple[str, int, list[str]]]:
    return [(s.heading, depth, [blk.text for blk in blocks]) for s, depth, blocks in chosen]


# --- reading ---------------------------------------------------------------------------------


def test_defaults_come_from_the_model():
    settings = ContentSettings()
    assert settings.roles == ROLES and settings.max_bullets == 0 and settings.citations == "superscript"
    empty = audience("base")
    empty.profile.pop("content")
    assert ContentSettings.from_audience(empty) == ContentSettings()
    assert ContentSettings.from_audience(empty, citations="inline").citations == "inline"


def test_profiles_are_read():
    assert ContentSettings.from_audience(audience("executive")) == ContentSettings(
        ("summary", "rating", "body"), 2, "none"
    )
    assert ContentSettings.from_audience(audience("wiki")).citations == "inline"
    assert ContentSettings.from_audience(audience("base", content__citations="none")).citations == "none"
    assert set(CITATION_STYLES) == {"superscript", "footnote", "inline", "none"}


def test_each_writer_names_its_default_citation_style():
    assert md_writer.DEFAULT_CITATIONS == "inline"
    assert docx_writer.DEFAULT_CITATIONS == "superscript"
    assert html_writer.DEFAULT_CITATIONS == "superscript"
    aud = audience("base")
    del aud.profile["content"]["citations"]
    assert md_writer.PageRenderer(audience("wiki", content__roles=list(ROLES))).content.citations == "inline"
    assert ContentSettings.from_audience(aud, citations=md_writer.DEFAULT_CITATIONS).citations == "inline"


@pytest.mark.parametrize(("define", "key"), BAD_VALUES)
def test_a_bad_value_names_its_key_and_where_it_was_set(define, key):
    aud = audience("analyst")
    aud.override(*cli.parse_define(define))
    with pytest.raises(AudienceError) as caught:
        ContentSettings.from_audience(aud)
    assert str(caught.value).startswith(f"command line (-D): {key} must be ")


@pytest.mark.parametrize(("define", "key"), BAD_VALUES)
def test_every_writer_checks_the_same_way(define, key):
    aud = audience("wiki")
    aud.override(*cli.parse_define(define))
    messages = set()
    for writer in (docx_writer.DocxWriter(), md_writer.MarkdownWriter(), html_writer.HtmlWriter()):
        with pytest.raises(AudienceError) as caught:
            writer.check(aud)
        messages.add(str(caught.value))
    assert len(messages) == 1 and key in messages.pop()


def test_writing_checks_too(sample_digest):
    """A writer used without ``check`` (the ``publish`` command, a test) stops the same way."""
    aud = audience("wiki", content__max_bullets=-1)
    ctx = RenderContext(aud, Diagnostics())
    for writer in (docx_writer.DocxWriter(), md_writer.MarkdownWriter(), html_writer.HtmlWriter()):
        with pytest.raises(AudienceError, match=r"content\.max_bullets must be a whole number"):
            writer.write(sample_digest, ctx)


def test_origin_points_at_the_profile_line(tmp_path):
    (tmp_path / "desk").mkdir()
    (tmp_path / "desk" / "profile.toml").write_text(
        'base = "executive"\n\n[content]\n# a comment\n  max_bullets = -2\n', encoding="utf-8"
    )
    (tmp_path / "inline").mkdir()
    (tmp_path / "inline" / "profile.toml").write_text(
        'base = "analyst"\ncontent = { citations = "loud" }\n', encoding="utf-8"
    )
    desk = AudienceCatalog([tmp_path]).load("desk")
    with pytest.raises(AudienceError, match=r"desk/profile\.toml:5:3: content\.max_bullets must be .*, not -2$"):
        ContentSettings.from_audience(desk)
    assert origin(desk, "content.roles").endswith("executive/profile.toml:7:1")  # inherited
    inline = AudienceCatalog([tmp_path]).load("inline")
    with pytest.raises(AudienceError, match=r"inline/profile\.toml:2:1: content\.citations must be one of"):
        ContentSettings.from_audience(inline)
    inline.override("content.citations", "none")
    assert origin(inline, "content.citations") == "command line (-D)"
    assert origin(inline, "content.nothing") == "profile of audience 'inline'"


# --- selecting -------------------------------------------------------------------------------


def test_sections_are_the_top_level_ones_of_the_wanted_roles_in_document_order():
    settings = ContentSettings(("risk", "summary"))
    assert [s.heading for s in settings.sections(report())] == ["summary", "risk"]
    assert [s.heading for s in settings.sections(report(), ["body"])] == ["body"]
    assert ContentSettings(()).sections(report()) == []


def test_select_walks_every_section_below_the_chosen_ones():
    chosen = ContentSettings(("summary", "risk")).select(report())
    assert texts(chosen) == [
        ("summary", 1, ["s1", "s2"]),
        ("child", 2, ["c-para", "c-bullet"]),
        ("risk", 1, ["r-para", "r-bullet"]),
    ]


def test_max_bullets_counts_bullets_or_every_block():
    settings = ContentSettings(("summary", "risk"), max_bullets=3)
    assert texts(settings.select(report(), COUNT_BULLETS)) == [  # the md writer: paragraphs always shown
        ("summary", 1, ["s1", "s2"]),
        ("child", 2, ["c-para", "c-bullet"]),
        ("risk", 1, ["r-para"]),
    ]
    assert texts(settings.select(report(), COUNT_BLOCKS)) == [  # the html writer: any block counts
        ("summary", 1, ["s1", "s2"]),
        ("child", 2, ["c-para"]),
        ("risk", 1, []),
    ]
    with pytest.raises(ValueError):
        settings.select(report(), "words")


def test_select_takes_any_depth():
    top = Section("top", 1, "summary", [Block(BULLET, "x")])
    section = top
    for level in range(2, 3000):
        child = Section(f"s{level}", level, "body", [Block(BULLET, "y")])
        section.children.append(child)
        section = child
    deep = Report("t", "i", report().published_at, sections=[top])
    chosen = ContentSettings(max_bullets=2).select(deep)
    assert len(chosen) == 2999 and chosen[-1][1] == 2999
    assert sum(len(blocks) for _, _, blocks in chosen) == 2


def test_pick_ranks_by_role_priority():
    r = report()
    settings = ContentSettings(("risk", "summary"))
    assert [b.text for b in settings.pick(r)] == ["r-para", "r-bullet", "s1", "s2"]  # "child" is a body section
    assert [b.text for b in settings.pick(r, limit=3)] == ["r-para", "r-bullet", "s1"]
    assert [b.text for b in settings.pick(r, roles=["body"])] == ["c-para", "c-bullet", "body"]
    assert [b.text for b in settings.pick(r, skip=r.sections[1].blocks[0])] == ["r-bullet", "s1", "s2"]
    assert len(ContentSettings(max_bullets=2).pick(r)) == 2
    assert len(ContentSettings(max_bullets=2).pick(r, limit=0)) == 7


# --- the command line: one error, whichever format or command reads the value -------------------

#: Commands that read ``content.*`` (with the audience each is run for): every format and the i18n commands.
COMMANDS = [
    (["build", "-f", "docx"], "analyst"),
    (["build", "-f", "docx"], "executive"),
    (["build", "-f", "md"], "wiki"),
    (["build", "-f", "html"], "global"),
    (["build", "-f", "xlsx,html"], "wiki"),
    (["i18n", "status"], "global"),
    (["i18n", "extract", "-o", "{tmp}/x.po"], "global"),
]


def _errors(capsys, tmp_path: Path, sample_path: Path, extra: list[str], audience: str | None = None) -> set[str]:
    """What each command prints when run with ``extra`` (all must stop with exit status 2, no traceback)."""
    errors = set()
    for command, default in COMMANDS:
        argv = [a.replace("{tmp}", str(tmp_path)) for a in command] + ["-a", audience or default]
        if argv[0] == "build":
            argv += ["-o", str(tmp_path / "out")]
        code = cli.main([*argv, str(sample_path), *extra])
        err = capsys.readouterr().err
        assert code == cli.EXIT_USAGE, (argv, err)
        assert "Traceback" not in err and "internal error" not in err
        errors.add(err)
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.po").exists()  # stopped before writing
    return errors


@pytest.mark.parametrize(("define", "key"), [*BAD_VALUES[::2], BAD_VALUES[1]])
def test_the_same_error_in_every_format(capsys, sample_path, tmp_path, define, key):
    errors = _errors(capsys, tmp_path, sample_path, ["-D", define])
    assert len(errors) == 1, errors
    (error,) = errors
    assert error.startswith(f"publisher: error: command line (-D): {key} must be ") and error.count("\n") == 1


def test_the_same_positioned_error_for_a_profile_value(capsys, sample_path, tmp_path):
    (tmp_path / "tpl" / "desk").mkdir(parents=True)
    profile = tmp_path / "tpl" / "desk" / "profile.toml"
    profile.write_text('base = "wiki"\n\n[content]\nroles = ["summary", "nope"]\n', encoding="utf-8")
    errors = _errors(capsys, tmp_path, sample_path, ["-t", str(tmp_path / "tpl")], audience="desk")
    assert errors == {
        f"publisher: error: {profile}:4:1: content.roles must be a list of role names "
        "(summary, rating, risk, body), not ['summary', 'nope']\n"
    }


def test_as_a_user_sees_it(cli, sample_path, tmp_path):
    result = cli("build", str(sample_path), "-a", "executive", "-o", str(tmp_path), "-D", "content.max_bullets=-1")
    assert result.returncode == 2
    assert result.stderr == (
        "publisher: error: command line (-D): content.max_bullets must be a whole number (0 = all), not -1\n"
    )
