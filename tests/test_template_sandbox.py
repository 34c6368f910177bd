"""The template sandbox: a hostile templates folder reaches plain data only, and has a budget.

Each escape below worked once (a ``-t`` template wrote any file through the
``Path`` objects it was handed); each must now end in a clear error naming
the template, with nothing written outside the output folder.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from conftest import SAMPLE
from markupsafe import Markup

from publisher import model
from publisher.audiences import AudienceCatalog, AudienceError
from publisher.sandbox import BudgetedTemplate, Sandbox, TemplateBudgetError, reachable_types
from publisher.writers import html as html_writer
from publisher.writers import markdown as md_writer


def _desk(tmp_path: Path, files: dict[str, str], base: str = "wiki", profile: str = "") -> Path:
    root = tmp_path / "tpl"
    (root / "desk").mkdir(parents=True)
    (root / "desk" / "profile.toml").write_text(f'base = "{base}"\n{profile}', encoding="utf-8")
    for name, text in files.items():
        (root / "desk" / name).write_text(text, encoding="utf-8")
    return root


ESCAPES = [
    "{{ audience.roots[0].joinpath(marker).write_text('owned') }}",
    "{{ audience.profile_path.parent.joinpath(marker).write_text('owned') }}",
    "{{ audience.find_file('profile.toml').read_text() }}",
    "{{ audience.env.globals }}",
    "{{ report.defer(none) }}",
    "{{ report.remember_takeaway('forged') }}",
    "{{ report.deferred }}",
    "{{ report.clone() }}",
    "{{ report.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ namespace.__init__ }}",
    "{{ profile.__class__.__subclasses__() }}",
    "{{ (profile|attr('__class__')) }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ page.sections._chosen }}",
    "{{ profile.update({'x': 1}) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_hostile_template_reaches_no_file_and_no_interpreter(cli, tmp_path, source):
    marker = tmp_path / "owned.txt"
    text = "{% set marker = '" + str(marker) + "' %}" + source + "\n"
    root = _desk(tmp_path, {"report.md.j2": text})
    out = tmp_path / "out"
    result = cli("build", str(SAMPLE), "-t", str(root), "-a", "desk", "-f", "md", "-o", str(out))
    assert not marker.exists()
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.returncode:  # refused: one line naming the template
        assert "report.md.j2" in result.stderr, result.stderr
    else:  # or harmless: printed as text, no attribute of an inert object reached
        pages = "".join(p.read_text(encoding="utf-8") for p in (out / "desk").rglob("*.md"))
        assert "owned" not in pages and "forged" not in pages and "<module" not in pages and "base =" not in pages


def test_template_globals_are_plain_data():
    audience = AudienceCatalog().load("analyst")
    assert audience.env.globals["audience"] == {
        "name": "analyst",
        "description": audience.description,
        "language": "zh",
        "formats": audience.formats,
    }
    profile = audience.env.globals["profile"]
    assert profile == audience.profile and profile is not audience.profile


ALLOWED = {
    str,
    int,
    float,
    bool,
    type(None),
    list,
    tuple,
    dict,
    Decimal,
    datetime,
    date,
    timedelta,
    timezone,
    Markup,
    md_writer.MdSafe,
    md_writer.Entry,
    md_writer.Day,
    md_writer.Sections,
    md_writer.SectionView,
    md_writer.BlockView,
    html_writer.SkippedView,
    html_writer.ReportViews,
    html_writer.SectionViews,
    html_writer.FactsBySlug,
    jinja2.runtime.Macro,
    *model.TEMPLATE_API,
}


def test_every_object_every_template_gets_is_plain_data(cli, tmp_path, monkeypatch):
    """Render every built-in audience in every format, walking each template's context and globals."""
    from publisher import cli as cli_module

    seen: dict[type, str] = {}
    real_render = BudgetedTemplate.render

    def walking_render(self, *args, **kwargs):
        data = {k: v for k, v in self.environment.globals.items() if not callable(v)}  # helpers: project code
        for kind in reachable_types([*args, kwargs, data]):
            seen.setdefault(kind, self.name or "?")
        return real_render(self, *args, **kwargs)

    real_render_to = BudgetedTemplate.render_to

    def walking_render_to(self, out, *args, **kwargs):  # a streamed page (the bilingual HTML)
        data = {k: v for k, v in self.environment.globals.items() if not callable(v)}
        for kind in reachable_types([*args, kwargs, data]):
            seen.setdefault(kind, self.name or "?")
        return real_render_to(self, out, *args, **kwargs)

    monkeypatch.setattr(BudgetedTemplate, "render", walking_render)
    monkeypatch.setattr(BudgetedTemplate, "render_to", walking_render_to)
    code = cli_module.main(["build", str(SAMPLE), "-a", "all", "-o", str(tmp_path / "out")])
    assert code == 0
    outside = {k.__qualname__: where for k, where in seen.items() if k not in ALLOWED}
    assert not outside, f"templates were given objects that are not plain data: {outside}"
    # the walk did reach the data
    assert {model.Report, model.Digest, md_writer.Entry, html_writer.ReportViews} <= set(seen)


def _render(source: str, limit: float | None = 5.0, **context) -> str:
    env = Sandbox(time_limit=limit, undefined=jinja2.StrictUndefined)
    return env.from_string(source).render(**context)


def test_attributes_of_anything_but_plain_data_are_refused():
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{{ p.read_text() }}", p=Path(__file__))
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{{ p['x'] }}", p=os.environ)
    assert _render("{{ p }}", p=Path("/x")) == "/x"  # printed as text: inert, not refused
    assert _render("{{ d.a }} {{ d['b'] }} {{ s.upper() }}", d={"a": 1, "b": 2}, s="x") == "1 2 X"


def test_only_the_environment_globals_and_methods_of_data_can_be_called():
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{{ f('/etc/passwd') }}", f=open)
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{{ f() }}", f=os.getcwd)
    assert _render("{{ range(3)|list }} {{ dict(a=1) }} {{ ' a '.strip() }}") == "[0, 1, 2] {'a': 1} a"


def test_model_nodes_show_their_fields_and_read_only_methods():
    report = model.Report("标题", "机构", datetime(2025, 2, 16, 9, 30), id="abc")
    assert _render("{{ r.title }} {{ r.timestamp }} {{ r.walk()|list }}", r=report) == "标题 2025-02-16 09:30 []"
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{{ r.remember_takeaway('x') }}", r=report)
    assert report.takeaway_text() == ""


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ [1] * 1000000000 }}",
        "{{ 9 ** 999999999 }}",
        "{{ '{:999999999}'.format(1) }}",
        "{{ '{:{}}'.format(1, 999999999) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '%*d' % (999999999, 1) }}",
        "{{ ''.center(999999999) }}",
        "{{ 'x'|center(999999999) }}",
        "{{ 'x'|indent(999999999, true) }}",
    ],
)
def test_one_operation_cannot_build_a_huge_value(source):
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError, match="size limit"):
        _render(source)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "source",
    [
        '{% set ns = namespace(s="x") %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
        '{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ f("x", 60) }}',
        "{{ 'xxxxxxxxxx'" + "|replace('x', 'xxxxxxxxxx')" * 9 + "|length }}",
    ],
)
def test_a_value_cannot_grow_past_the_size_limit_step_by_step(source):
    """Doubling a text in a loop or a recursive macro, or a chain of filters, each fast but exponential."""
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError, match="over the template size limit"):
        _render(source)
    assert time.monotonic() - started < 10


def test_namespaces_still_work():
    source = "{% set ns = namespace(n=0) %}{% for i in range(10) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"
    assert _render(source) == "45"


def test_a_render_stops_at_its_time_limit():
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError, match=r"time limit of 0\.5 s"):
        _render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", 0.5)
    assert time.monotonic() - started < 3
    assert _render("{{ 1 + 1 }}", 0.5) == "2"  # the timer is gone after a render: a later one is not stopped
    time.sleep(0.6)


def test_the_time_limit_holds_off_the_main_thread():
    import threading

    errors: list[BaseException] = []

    def work() -> None:
        try:
            _render("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", 0.5)
        except TemplateBudgetError as exc:
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and len(errors) == 1


@pytest.mark.parametrize("threaded", [False, True])
def test_a_render_written_as_it_goes_has_the_same_text_and_the_same_time_limit(threaded):
    """``render_to`` (a page streamed to its file): the bytes of ``render``, stopped at the same limit."""
    import io
    import threading

    env = Sandbox(time_limit=0.5, undefined=jinja2.StrictUndefined)
    page = env.from_string("{% for i in range(20000) %}<p>{{ i }} 股息</p>{% endfor %}")
    slow = env.from_string("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}")
    results: list[object] = []

    def work() -> None:
        out = io.BytesIO()
        page.render_to(out)
        results.append(out.getvalue() == page.render().encode("utf-8"))
        try:
            slow.render_to(io.BytesIO())
        except TemplateBudgetError as exc:
            results.append(str(exc))

    if threaded:
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive()
    else:
        work()
    assert results[0] is True
    assert "time limit of 0.5 s" in str(results[1])
    assert _render("{{ 1 + 1 }}", 0.5) == "2"  # the timer is gone after a render: a later one is not stopped
    time.sleep(0.6)


def test_a_slow_template_ends_the_build_with_a_message_naming_it(cli, tmp_path):
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    root = _desk(tmp_path, {"report.md.j2": loop})
    started = time.monotonic()
    result = cli(
        "build", str(SAMPLE), "-t", str(root), "-a", "desk", "-f", "md", "-o", str(tmp_path / "out"),
        "--template-time-limit", "1",
    )  # fmt: skip
    assert time.monotonic() - started < 60
    assert result.returncode != 0
    assert "report.md.j2" in result.stderr and "time limit of 1 s" in result.stderr
    assert "Traceback" not in result.stderr


def test_template_symlinks_out_of_the_templates_folder_are_refused(cli, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE KEY", encoding="utf-8")
    root = _desk(tmp_path, {})
    (root / "desk" / "report.md.j2").symlink_to(secret)
    out = tmp_path / "out"
    result = cli("build", str(SAMPLE), "-t", str(root), "-a", "desk", "-f", "md", "-o", str(out))
    assert result.returncode != 0
    assert "outside its templates folder" in result.stderr
    assert not any("PRIVATE KEY" in p.read_text(encoding="utf-8") for p in out.rglob("*.md"))


def test_included_template_symlinks_are_refused_too(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE KEY", encoding="utf-8")
    root = _desk(tmp_path, {"page.txt.j2": "{% include 'other.txt' %}"})
    (root / "desk" / "other.txt").symlink_to(secret)
    audience = AudienceCatalog([root]).load("desk")
    with pytest.raises(AudienceError, match="outside its templates folder"):
        audience.render("page.txt.j2")


@pytest.mark.parametrize("base", ["../x", "/etc", "a/../../b", ".."])
def test_a_profile_base_is_an_audience_name_not_a_path(tmp_path, base):
    root = _desk(tmp_path, {}, base=base)
    with pytest.raises(AudienceError, match="not an audience name"):
        AudienceCatalog([root]).load("desk")


def test_a_profile_names_a_reference_document_inside_its_folder_only(cli, tmp_path):
    outside = tmp_path / "elsewhere.docx"
    outside.write_bytes((Path(__file__).parent.parent / "templates" / "base" / "reference.docx").read_bytes())
    root = _desk(tmp_path, {}, base="executive", profile=f'[docx]\nreference = "{outside}"\n')
    result = cli("build", str(SAMPLE), "-t", str(root), "-a", "desk", "-f", "docx", "-o", str(tmp_path / "out"))
    assert result.returncode != 0 and "not a relative file name" in result.stderr
    # the same path given on the command line is the user's own choice
    result = cli(
        "build", str(SAMPLE), "-a", "executive", "-f", "docx", "-o", str(tmp_path / "out2"),
        "-D", f"docx.reference={outside}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("option", ["base_url", "api_key_env", "cache"])
def test_a_templates_folder_cannot_choose_where_text_and_keys_go(cli, tmp_path, option):
    """A profile once could send the digest, with any environment variable as the key, to any server."""
    value = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "HOME", "cache": str(tmp_path / "x.db")}[option]
    root = _desk(tmp_path, {}, base="global", profile=f'[i18n.openai]\n{option} = "{value}"\n')
    args = ("build", str(SAMPLE), "-t", str(root), "-a", "desk", "-f", "html", "-o", str(tmp_path / "out"))
    result = cli(*args)
    assert result.returncode == 2
    assert f"i18n.openai.{option} says where text, keys or files go" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli(*args, "-D", f"i18n.openai.{option}={value}").returncode == 0  # the user's own choice


def test_a_render_budget_grows_with_the_reports_it_shows():
    from publisher.sandbox import REPORTS_PER_LIMIT, Sandbox, TemplateBudgetError, budget_for

    env = Sandbox(time_limit=0.2)
    slow = env.from_string("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError, match=r"0\.2 s"):
        slow.render()
    assert time.monotonic() - started < 5
    with budget_for(3 * REPORTS_PER_LIMIT), pytest.raises(TemplateBudgetError, match=r"0\.6 s"):
        slow.render()
    with budget_for(1), pytest.raises(TemplateBudgetError, match=r"0\.2 s"):  # never below the limit
        slow.render()
