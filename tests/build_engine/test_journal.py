"""The build's state tables: a snapshot and a log of changes, and nothing in them trusted."""

from __future__ import annotations

import json

from publisher import journal
from publisher.journal import Journal


def _reopen(path, version=1) -> tuple[Journal, dict]:
    j = Journal(path, version)
    return j, j.load()


def test_changes_are_logged_and_read_back(tmp_path):
    path = tmp_path / "state.json"
    j, table = _reopen(path)
    assert table == {}
    table.update({f"k{i}": [i, "x"] for i in range(1000)})
    j.save(table)  # no snapshot yet: one is written
    snapshot = path.read_bytes()
    j, table = _reopen(path)
    table["k1"] = [1, "changed"]
    table["new"] = ["é", "\ud800"]  # any text, lone surrogates too
    del table["k2"]
    j.save(table)
    assert path.read_bytes() == snapshot, "a few changes do not write the snapshot again"
    assert len(path.with_suffix(".log").read_bytes().splitlines()) == 4  # the header and three changes
    again = _reopen(path)[1]
    assert again == table and list(again)[-1] == "new"
    j, table = _reopen(path)
    j.save(table)  # nothing changed: nothing written
    assert len(path.with_suffix(".log").read_bytes().splitlines()) == 4


def test_a_long_log_is_folded_into_a_new_snapshot(tmp_path, monkeypatch):
    monkeypatch.setattr(journal, "FOLD_MIN", 500)
    path = tmp_path / "state.json"
    j, table = _reopen(path)
    table.update({f"k{i}": [i] for i in range(10)})
    j.save(table)
    sizes = []
    for round_ in range(200):
        j, table = _reopen(path)
        table["k0"] = [round_]
        j.save(table)
        sizes.append(path.with_suffix(".log").stat().st_size)
    assert max(sizes) <= 500 and min(sizes) < 100, "the log grows, then starts again from a new snapshot"
    assert _reopen(path)[1]["k0"] == [199]


def test_a_log_cut_short_or_left_by_another_snapshot_is_not_believed(tmp_path):
    path = tmp_path / "state.json"
    log = path.with_suffix(".log")
    j, table = _reopen(path)
    table.update({"a": [1], "b": [2]})
    j.save(table)
    j, table = _reopen(path)
    table["a"] = [10]
    table["b"] = [20]
    j.save(table)
    whole = log.read_bytes()
    log.write_bytes(whole[:-5])  # a crash in the middle of the last line
    j, table = _reopen(path)
    assert table == {"a": [10], "b": [2]}, "the lines before the cut stand"
    table["c"] = [3]
    j.save(table)  # after a damaged log, a new snapshot
    assert _reopen(path)[1] == {"a": [10], "b": [2], "c": [3]}
    # a log whose header names another snapshot (a crash between writing the two) is ignored
    head = json.loads(log.read_bytes().splitlines()[0])
    log.write_bytes(json.dumps({**head, "generation": head["generation"] - 1}).encode() + b'\n["a",[99]]\n')
    assert _reopen(path)[1]["a"] == [10]


def test_foreign_or_broken_files_read_as_empty(tmp_path):
    path = tmp_path / "state.json"
    for content in (b"", b"{", b"[]", b'{"version": 1}', b'{"version": 2, "generation": 1, "entries": {}}',
                    b'{"version": 1, "generation": "x", "entries": {}}', b"\xff\xfe",
                    b'{"version": 1, "generation": 1, "entries": []}'):  # fmt: skip
        path.write_bytes(content)
        assert _reopen(path)[1] == {}
    path.write_bytes(b'{"version": 1, "generation": 1, "entries": {"a": [1]}}')
    path.with_suffix(".log").write_bytes(b'{"version": 1, "generation": 1}\n[5, [1]]\n')
    assert _reopen(path)[1] == {"a": [1]}
