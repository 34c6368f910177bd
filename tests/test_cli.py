"""The command line as a user runs it: parse, check, build, audiences, formats, plug-ins."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_parse_prints_the_model(cli, sample_path):
    result = cli("parse", str(sample_path))
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    assert model["version"] == 2
    assert [r["institution"] for r in model["reports"]][:3] == ["海通国际", "国信证券", "华源证券"]


def test_parse_to_digest_is_the_input(cli, sample_path):
    result = cli("parse", "--to", "digest", str(sample_path))
    assert result.stdout == sample_path.read_text(encoding="utf-8")


def test_parse_json_back(cli, sample_path, tmp_path):
    model = tmp_path / "model.json"
    model.write_text(cli("parse", str(sample_path)).stdout, encoding="utf-8")
    again = cli("parse", "--to", "digest", str(model))
    assert again.returncode == 0, again.stderr
    assert again.stdout == sample_path.read_text(encoding="utf-8")


def test_check_summary(cli, sample_path):
    result = cli("check", str(sample_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "1 file: 10 reports read, 0 skipped; 0 errors, 0 warnings"


def test_build_writes_deterministic_paths(cli, sample_path, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "--format", "json,digest", "--out", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        ".publisher/bodies.json",  # the build's state: a snapshot and a log of changes
        ".publisher/bodies.log",
        ".publisher/lock",  # one build at a time in this folder
        "analyst/.publisher/manifest.json",
        "analyst/.publisher/manifest.log",
        "analyst/.publisher/slugs.json",
        "analyst/research-digest-2025-02-16.json",
        "analyst/research-digest-2025-02-16.txt",
    ]
    assert "2 written, 0 unchanged, 0 up-to-date jobs skipped" in result.stdout
    again = cli("build", str(sample_path), "--format", "json,digest", "--out", str(out))
    assert "0 written, 0 unchanged, 2 up-to-date jobs skipped" in again.stdout
    forced = cli("build", str(sample_path), "--format", "json,digest", "--out", str(out), "--force")
    assert "0 written, 2 unchanged, 0 up-to-date jobs skipped" in forced.stdout
    assert not list(out.rglob("*.tmp")), "temporary files left behind"


def test_build_keeps_going_past_a_bad_file(cli, sample_path, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x00")
    out = tmp_path / "out"
    result = cli("build", str(bad), str(sample_path), "--format", "json", "--out", str(out))
    assert result.returncode == 1
    assert str(bad) in result.stderr
    assert (out / "analyst" / "research-digest-2025-02-16.json").is_file()


def test_usage_errors_exit_2_without_traceback(cli, sample_path):
    for args in (
        ("build", str(sample_path), "--format", "odt"),
        ("build", str(sample_path), "--audience", "nobody"),
        ("build", str(sample_path), "--audience", "base"),
    ):
        result = cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("publisher: error:"), result.stderr


def test_audiences_and_formats(cli):
    audiences = cli("audiences").stdout
    for name in ("executive", "analyst", "wiki", "global"):
        assert f"\n{name} " in "\n" + audiences
    assert "\nbase " not in "\n" + audiences
    formats = cli("formats").stdout
    assert "json" in formats and "digest" in formats


def test_source_date_epoch_must_be_a_number(cli, sample_path, tmp_path):
    result = cli("build", str(sample_path), "--out", str(tmp_path), env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.returncode == 2 and "SOURCE_DATE_EPOCH" in result.stderr


def _install_plugin(root: Path) -> None:
    """A throwaway writer plug-in, installed the way pip installs one: a
    package plus a ``.dist-info`` folder with ``entry_points.txt``."""
    (root / "shout_writer").mkdir(parents=True)
    (root / "shout_writer" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from publisher.writers.base import Output, Writer

            class ShoutWriter(Writer):
                name = "shout"
                extension = ".shout"
                description = "Titles in capitals"

                def write(self, digest, ctx):
                    text = "\\n".join(r.title.upper() for r in digest.reports) + "\\n"
                    yield Output(f"{digest.name}.shout", text.encode())
            """
        ),
        encoding="utf-8",
    )
    info = root / "shout_writer-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-writer\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[publisher.writers]\nshout = shout_writer:ShoutWriter\nmd = shout_writer:ShoutWriter\n", encoding="utf-8"
    )


def test_third_party_writer_plugin(cli, sample_path, tmp_path):
    _install_plugin(tmp_path / "site")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])}
    assert "shout" in cli("formats", env=env).stdout
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "--format", "shout", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    text = (out / "analyst" / "research-digest-2025-02-16.shout").read_text(encoding="utf-8")
    assert text.splitlines()[-1] == "DEEPSEEK模型综述"
    assert "shout" not in cli("formats").stdout  # gone when not installed
    # a plug-in adds names: the one it gives as "md" is not taken, the built-in wiki writer is
    wiki = cli("build", str(sample_path), "-a", "wiki", "--out", str(out), env=env)
    assert wiki.returncode == 0, wiki.stderr
    assert (out / "wiki" / "index.md").is_file() and not list((out / "wiki").rglob("*.shout"))


def test_builtin_plugins_are_the_declared_entry_points():
    """The registry finds built-ins without scanning installed packages: its table is pyproject.toml's."""
    import tomllib

    from publisher import registry

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    assert {kind: declared[group] for kind, group in registry.GROUPS.items()} == registry.BUILTINS
    for kind, table in registry.BUILTINS.items():
        for name in table:
            assert registry.load(kind, name) is not None


@pytest.mark.parametrize(
    "write",
    [
        "raise RuntimeError('boom')",
        # a streamed output (the bilingual page, the workbook) fails when it is written, not rendered
        "return [Output('x.x', stream=lambda out: (_ for _ in ()).throw(RuntimeError('boom')))]",
    ],
)
def test_failing_writer_does_not_crash(cli, sample_path, tmp_path, write):
    site = tmp_path / "site"
    (site / "broken_writer").mkdir(parents=True)
    (site / "broken_writer" / "__init__.py").write_text(
        "from publisher.writers.base import Output, Writer\n"
        "class Broken(Writer):\n    name='broken'\n    extension='.x'\n"
        f"    def write(self, digest, ctx):\n        {write}\n",
        encoding="utf-8",
    )
    info = site / "broken_writer-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-writer\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[publisher.writers]\nbroken = broken_writer:Broken\n", encoding="utf-8")
    env = {"PYTHONPATH": str(site)}
    result = cli("build", str(sample_path), "--format", "broken,json", "--out", str(tmp_path / "o"), env=env)
    assert result.returncode == 1
    assert "broken writer failed: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "o" / "analyst" / "research-digest-2025-02-16.json").is_file()


def test_define_overrides_a_profile_value(tmp_path, sample_path, cli):
    root = tmp_path / "tpl"
    (root / "peek").mkdir(parents=True)
    (root / "peek" / "profile.toml").write_text('base = "analyst"\nformats = ["json"]\n', encoding="utf-8")
    from publisher.audiences import AudienceCatalog
    from publisher.cli import parse_define

    audience = AudienceCatalog([root]).load("peek")
    audience.override(*parse_define("content.max_bullets=5"))
    audience.override(*parse_define("metadata.author=Desk A"))
    assert audience.get("content.max_bullets") == 5
    assert audience.get("metadata.author") == "Desk A"
    assert audience.get("content.roles") == ["summary", "rating", "risk", "body"]
    bad = cli("build", str(sample_path), "-D", "novalue", "--out", str(tmp_path / "o"))
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr


def test_profile_error_stops_the_build_before_any_file(cli, sample_path, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(sample_path), "-o", str(out), "-D", 'xlsx.metrics.columns=["price"]')
    assert result.returncode == 2
    assert "xlsx.metrics" in result.stderr and "Traceback" not in result.stderr
    assert not [p for p in out.rglob("*") if p.is_file()]
