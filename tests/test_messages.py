"""The interface's own words in the audience's locale, and times in its zone (publisher/i18n/messages.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publisher.audiences import AudienceCatalog, AudienceError
from publisher.i18n.messages import LOCALE_DIR, Messages, MessagesError, catalog_name


def test_built_in_chinese_and_english():
    zh, en = Messages("zh-CN"), Messages("en", "Europe/London")
    assert zh("Contents") == "目录" and en("Contents") == "Contents"
    assert zh("Research digest {days}", days="2025-02-16") == "研究简报 2025-02-16"
    assert en("{count} reports", count=3) == "3 reports"
    when = datetime(2025, 2, 16, 10, 30, tzinfo=UTC)
    assert (zh.time(when), zh.zone_label(when)) == ("2025-02-16 18:30", "CST")
    assert (en.time(when), en.zone_label(when)) == ("2025-02-16 10:30", "GMT")
    assert Messages("zh-CN", "Etc/GMT-8").zone_label(when) == "UTC+08:00"


def test_values_are_data_never_looked_up():
    zh = Messages("zh-CN")
    assert zh("Line {line}: {message}", line=3, message="{line} Contents") == "第 3 行:{line} Contents"


def test_a_template_message_reaches_no_attribute(tmp_path):
    zh = Messages("zh-CN")
    assert zh("{x.__class__} {x[0]} {x}", x="ab") == "{x.__class__} {x[0]} ab"
    assert zh("Page {PAGE} of {NUMPAGES}", count=1) == "第 {PAGE} 页,共 {NUMPAGES} 页"
    audience = AudienceCatalog().load("executive")
    assert audience.messages("Contents") == "目录"
    audience.override("locale", "en")  # -D locale=en after the catalog was read
    assert audience.messages("Contents") == "Contents"


def test_every_built_in_message_keeps_its_fields():
    for path in LOCALE_DIR.glob("*.po"):
        Messages(path.stem.replace("_", "-"))  # raises on a translation whose {fields} differ
    assert catalog_name("zh-cn") == "zh_CN" and catalog_name("en") == "en"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("locale", "中文", "locale must be a language tag"), ("timezone", "Mars/Olympus", "IANA time zone")],
)
def test_a_bad_locale_or_zone_is_a_positioned_profile_error(tmp_path, key, value, expected):
    folder = tmp_path / "templates" / "desk"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text(f'base = "executive"\n{key} = "{value}"\n', encoding="utf-8")
    audience = AudienceCatalog([tmp_path / "templates"]).load("desk")
    with pytest.raises(AudienceError) as caught:
        audience.messages  # noqa: B018
    assert str(caught.value).startswith(f"{folder / 'profile.toml'}:2:1: ") and expected in str(caught.value)


def test_a_templates_folder_rewords_a_label(tmp_path):
    folder = tmp_path / "templates" / "desk"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text('base = "executive"\n', encoding="utf-8")
    (folder / "messages.zh_CN.po").write_text('msgid "Key figure"\nmsgstr "看点"\n', encoding="utf-8")
    audience = AudienceCatalog([tmp_path / "templates"]).load("desk")
    assert audience.messages("Key figure") == "看点" and audience.messages("Contents") == "目录"
    assert audience.env.from_string('{{ _("Key figure") }}').render() == "看点"


def test_a_catalog_that_changes_the_fields_is_refused(tmp_path):
    path = tmp_path / "messages.zh_CN.po"
    path.write_text('msgid "Contents"\nmsgstr "目次"\n\nmsgid "{count} reports"\nmsgstr "{n} 篇"\n', encoding="utf-8")
    with pytest.raises(MessagesError) as caught:
        Messages("zh-CN", extra=[path])
    assert str(caught.value).startswith(f"{path}:4:1: ") and "{count} reports" in str(caught.value)


def test_bad_locale_stops_the_build_before_any_file(cli, sample_path, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "-o", str(out), "-a", "executive", "-D", 'timezone="Nowhere/Town"')
    assert result.returncode == 2, result.stderr
    assert "command line (-D): " in result.stderr and "IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_every_workbook_header_and_sheet_name_has_its_chinese():
    from publisher.writers.xlsx import COLUMNS, DEFAULT_NAMES

    zh = Messages("zh-CN")
    words = {c.label for columns in COLUMNS.values() for c in columns.values()} | set(DEFAULT_NAMES.values())
    assert not sorted(w for w in words if zh(w) == w)
    for columns in COLUMNS.values():  # headers stay unique within a sheet (Excel needs it)
        shown = [zh(c.label) for c in columns.values()]
        assert len(shown) == len(set(shown)), shown
