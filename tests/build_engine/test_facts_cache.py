"""Research facts are found when a report is read and remembered with its body (.publisher/bodies.json).

An incremental build shows the facts of reports whose bodies it does not parse; a body whose
rating changes renders the pages that show it; a tampered cache never becomes part of the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FEED = """\
尚品宅配(300616):三季报点评
华创证券· 2025-11-10 09:00
投资建议 - 维持“买入”评级,目标价18.2元 [1]
贵州茅台(600519):年报点评
国信证券· 2025-11-10 10:00
核心观点 - 维持“推荐”评级,目标价1800元 [1]
"""


def _build(feed: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher", "build", str(feed), "-a", "wiki", "-o", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )


def _companies(out: Path) -> str:
    return (out / "wiki" / "companies" / "index.md").read_text(encoding="utf-8")


def test_remembered_facts_show_and_a_changed_rating_renders_again(tmp_path):
    feed, out = tmp_path / "feed.txt", tmp_path / "out"
    feed.write_text(FEED, encoding="utf-8")
    _build(feed, out)
    cache = json.loads((out / ".publisher" / "bodies.json").read_text(encoding="utf-8"))
    assert any(entry[2].get("ratings") for entry in cache["entries"].values())
    # the second report's body changes: the first one's facts come from the cache
    feed.write_text(FEED.replace("维持“推荐”评级", "下调至“中性”评级"), encoding="utf-8")
    again = _build(feed, out)
    assert "companies/index.md" in again.stdout  # its row changed, so the page is written again
    page = _companies(out)
    assert "买入(维持)" in page and "中性(下调)" in page and "推荐(维持)" not in page
    front = next((out / "wiki" / "reports").rglob("shang-pin*.md")).read_text(encoding="utf-8")
    assert 'rating: "买入"' in front


def test_a_tampered_cache_is_not_believed(tmp_path):
    feed, out = tmp_path / "feed.txt", tmp_path / "out"
    feed.write_text(FEED, encoding="utf-8")
    _build(feed, out)
    path = out / ".publisher" / "bodies.json"
    cache = json.loads(path.read_text(encoding="utf-8"))
    for entry in cache["entries"].values():
        entry[2] = {"ratings": [{"grade": "<script>", "scale": "great", "pos": [["x", 1]]}]}
    path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
    feed.write_text(FEED.replace("三季报点评", "三季报点评(修订)"), encoding="utf-8")  # a build that runs
    _build(feed, out)
    page = _companies(out)
    assert "<script>" not in page and "买入(维持)" in page
