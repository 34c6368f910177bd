"""Subscriptions: one briefing per recipient, chosen by its filters, built incrementally per folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from publisher.audiences import AudienceCatalog
from publisher.diagnostics import Diagnostics
from publisher.readers.digest import read
from publisher.subscriptions import ReportIndex, load_recipients, normal_ticker, select

GOLD = Path(__file__).parent / "gold" / "real-final7-o-digest.txt"
LINES = GOLD.read_text(encoding="utf-8").splitlines()
#: Six real company reports, three lines each: 海康威视 and 联影医疗 (国信证券), 中国中铁 (华泰证券),
#: 美凯龙 (国投证券), 燕京啤酒 (平安证券), 紫金矿业 (东方证券).
REPORTS = ["\n".join(LINES[i : i + 3]) for i in range(0, len(LINES), 3)]

RECIPIENTS = """\
[[recipient]]
id = "guosen"
name = "国信证券的读者"
audience = "executive"

[[recipient.filter]]
institutions = ["国信证券"]

[[recipient]]
id = "railway"
name = "Client A"
audience = "executive"
locale = "en"

[[recipient.filter]]
tickers = ["601390.SH"]          # the report writes 601390: the same A-share

[[recipient.filter]]
companies = ["美凯龙"]

[[recipient]]
id = "gold"
audience = "wiki"

[[recipient.filter]]
keywords = ["金铜价格"]
roles = ["summary"]
"""


def feed(tmp_path: Path, *which: int) -> Path:
    path = tmp_path / "feed.txt"
    path.write_text("\n".join(REPORTS[i] for i in which) + "\n", encoding="utf-8")
    return path


def build(cli, tmp_path: Path, source: Path, recipients: str = RECIPIENTS, *extra: str):
    listing = tmp_path / "recipients.toml"
    listing.write_text(recipients, encoding="utf-8")
    return cli("build", str(source), "--recipients", str(listing), "-o", str(tmp_path / "out"), *extra)


def titles(docx: Path) -> str:
    with zipfile.ZipFile(docx) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_each_recipient_gets_its_reports(cli, tmp_path):
    result = build(cli, tmp_path, feed(tmp_path, 0, 1, 2, 3, 4, 5))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out" / "recipients"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["gold", "guosen", "railway"]
    guosen = titles(out / "guosen" / "feed.docx")
    assert "海康威视" in guosen and "联影医疗" in guosen and "中国中铁" not in guosen
    railway = titles(out / "railway" / "feed.docx")
    assert "中国中铁" in railway and "美凯龙" in railway and "海康威视" not in railway
    assert "Research digest" in railway and "研究简报" in guosen  # each recipient's locale
    pages = [p for p in (out / "gold").rglob("*.md") if "紫金矿业" in p.read_text(encoding="utf-8")]
    assert pages and not (out / "gold" / "feed.docx").exists()  # the recipient's formats
    assert "3 recipients, 5 reports chosen" in result.stdout


def test_a_report_that_matches_nobody_renders_nothing_again(cli, tmp_path):
    assert build(cli, tmp_path, feed(tmp_path, 0, 1, 2, 3)).returncode == 0
    again = build(cli, tmp_path, feed(tmp_path, 0, 1, 2, 3))
    assert "(0 written" in again.stdout
    newcomer = build(cli, tmp_path, feed(tmp_path, 4, 0, 1, 2, 3))  # 燕京啤酒 first: every position moves
    assert newcomer.returncode == 0, newcomer.stderr
    assert "(0 written" in newcomer.stdout, newcomer.stdout
    matching = build(cli, tmp_path, feed(tmp_path, 5, 4, 0, 1, 2, 3))  # 紫金矿业: the gold recipient's
    written = [line for line in matching.stdout.splitlines() if line.strip().startswith("written")]
    assert written and all("/recipients/gold/" in line for line in written), matching.stdout


BAD = """\
[[recipient]]
id = "ok"
audience = "executive"

[[recipient]]
id = "ok"
audience = "executive"

[[recipient]]
id = "typo"
audience = "executiv"

[[recipient]]
id = "filters"
audience = "executive"
[[recipient.filter]]
tickers = 601390

[[recipient]]
id = "sectors"
audience = "executive"
[[recipient.filter]]
sector = ["银行"]

[[recipient]]
id = "../escape"
audience = "executive"

[[recipient]]
id = "mail"
email = "not an address"

[[recipient]]
id = "wiki-pages"
audience = "executive"
formats = ["md"]
"""


def test_bad_entries_are_positioned_and_the_others_built(cli, tmp_path):
    result = build(cli, tmp_path, feed(tmp_path, 0, 2), BAD)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    listing = tmp_path / "recipients.toml"
    lines = result.stderr.splitlines()
    for where, words in [
        (6, "id 'ok' is used twice (first on line 2)"),
        (11, "unknown audience 'executiv'"),
        (17, "filter.tickers must be a list of non-empty texts"),
        (23, "unknown filter 'sector'"),
        (26, "id must be 1-64 letters"),
        (31, "email must be one address"),
        (33, "recipient 'wiki-pages': audience 'executive' has no template"),
    ]:
        assert any(line.startswith(f"{listing}:{where}:1: error: ") and words in line for line in lines), (
            where,
            result.stderr,
        )
    assert (tmp_path / "out" / "recipients" / "ok" / "feed.docx").is_file()
    assert sorted(p.name for p in (tmp_path / "out" / "recipients").iterdir() if p.name[0] != ".") == ["ok"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[recipient]]\nid = "a"\naudience = \n', ":3:12: not a valid recipients file"),
        ("[smtp]\nhost = 'x'\n", ":1:1: no recipients"),
        ('[recipients]\nid = "a"\n', ":1:1: unknown table 'recipients'"),
    ],
)
def test_an_unusable_file_stops_the_build(cli, tmp_path, text, message):
    result = build(cli, tmp_path, feed(tmp_path, 0), text)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_recipients_and_audiences_do_not_mix(cli, tmp_path):
    result = build(cli, tmp_path, feed(tmp_path, 0), RECIPIENTS, "-a", "analyst")
    assert result.returncode == 2 and "leave out -a" in result.stderr


def test_filters(tmp_path):
    listing = tmp_path / "recipients.toml"
    listing.write_text(RECIPIENTS, encoding="utf-8")
    diagnostics = Diagnostics()
    recipients = {r.id: r for r in load_recipients(listing, AudienceCatalog(), diagnostics)}
    assert not diagnostics.items
    digest = read(str(feed(tmp_path, 0, 1, 2, 3, 4, 5)))
    from publisher.build import find_facts

    find_facts([digest])
    index = ReportIndex()
    chosen = {
        rid: [r.title[:4] for d in select([digest], r, index) for r in d.reports] for rid, r in recipients.items()
    }
    assert chosen == {"guosen": ["海康威视", "联影医疗"], "railway": ["中国中铁", "美凯龙("], "gold": ["紫金矿业"]}
    for recipient in recipients.values():  # the index only narrows the search: the same reports as a full scan
        scan = [r for r in digest.reports if recipient.wants(r, index)]
        assert [r for d in select([digest], recipient, index) for r in d.reports] == scan
    assert recipients["gold"].audience.get("content.roles") == ["summary"]
    assert recipients["railway"].audience.messages.locale == "en"


def test_tickers_compare_as_listed_securities():
    assert normal_ticker("601390.sh") == normal_ticker("601390") == "601390"
    assert normal_ticker("0700.hk") == "0700.HK" and normal_ticker(" aapl.o ") == "AAPL.O"
