"""Audience profiles: inheritance, the user search path, and a safe Jinja sandbox."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from publisher.audiences import AudienceCatalog, AudienceError


def test_builtin_audiences():
    catalog = AudienceCatalog()
    assert {"executive", "analyst", "wiki", "global"} <= set(catalog.names())
    wiki = catalog.load("wiki")
    assert wiki.chain == ["wiki", "analyst", "base"]
    assert wiki.get("metadata.author") == "Research Desk"  # inherited from base
    assert catalog.load("executive").get("content.max_bullets") == 2
    assert catalog.load("base").abstract


def _user_root(tmp_path: Path) -> Path:
    root = tmp_path / "mytemplates"
    (root / "desk").mkdir(parents=True)
    (root / "desk" / "profile.toml").write_text(
        'description = "Our desk"\nbase = "executive"\n[content]\nmax_bullets = 1\n', encoding="utf-8"
    )
    (root / "desk" / "hello.txt.j2").write_text(
        "{{ audience.name }}/{{ profile.content.max_bullets }}", encoding="utf-8"
    )
    (root / "desk" / "page.html.j2").write_text("<p>{{ text }}</p>", encoding="utf-8")
    (root / "desk" / "page.md.j2").write_text("{{ text }}", encoding="utf-8")
    (root / "desk" / "evil.txt.j2").write_text("{{ ''.__class__.__mro__ }}", encoding="utf-8")
    (root / "desk" / "strict.txt.j2").write_text("{{ missing }}", encoding="utf-8")
    return root


def test_user_audience_extends_builtin(tmp_path):
    catalog = AudienceCatalog([_user_root(tmp_path)])
    desk = catalog.load("desk")
    assert desk.chain == ["desk", "executive", "base"]
    assert desk.get("content.max_bullets") == 1
    assert desk.get("content.roles") == ["summary", "rating", "body"]  # from executive
    assert desk.render("hello.txt.j2") == "desk/1"


def test_user_folder_overrides_a_builtin_template_file(tmp_path):
    root = tmp_path / "over"
    (root / "analyst").mkdir(parents=True)
    (root / "analyst" / "note.txt.j2").write_text("user version", encoding="utf-8")
    builtin = AudienceCatalog().load("analyst")
    assert not builtin.has_template("note.txt.j2")
    user = AudienceCatalog([root]).load("analyst")
    assert user.render("note.txt.j2") == "user version"
    assert user.profile_path and user.profile_path.name == "profile.toml"  # profile still the built-in one


def test_html_is_autoescaped_markdown_is_not(tmp_path):
    desk = AudienceCatalog([_user_root(tmp_path)]).load("desk")
    assert (
        desk.render("page.html.j2", text="<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert desk.render("page.md.j2", text="{{ 7*7 }}") == "{{ 7*7 }}"  # input text is data, never template code


def test_sandbox_and_strict_undefined(tmp_path):
    desk = AudienceCatalog([_user_root(tmp_path)]).load("desk")
    with pytest.raises(AudienceError):
        desk.render("evil.txt.j2")
    with pytest.raises(AudienceError, match="missing"):
        desk.render("strict.txt.j2")
    assert isinstance(desk.env.undefined, type) and issubclass(desk.env.undefined, jinja2.StrictUndefined)


def test_unknown_audience_and_loops(tmp_path):
    with pytest.raises(AudienceError, match="unknown audience 'nobody'"):
        AudienceCatalog().load("nobody")
    root = tmp_path / "loop"
    for a, b in (("a", "b"), ("b", "a")):
        (root / a).mkdir(parents=True)
        (root / a / "profile.toml").write_text(f'base = "{b}"\n', encoding="utf-8")
    with pytest.raises(AudienceError, match="inheritance loop"):
        AudienceCatalog([root]).load("a")


def test_missing_templates_folder(tmp_path):
    with pytest.raises(AudienceError, match="does not exist"):
        AudienceCatalog([tmp_path / "nope"])
