"""Tags and notes on runs: `greentui tag`/`note`, the history's `t` and `N`, the filter `tag:`, the CSV."""

from __future__ import annotations

import csv
import json

import pytest
from textual.widgets import Input, Static

from greentui.cli.main import main
from greentui.store.index import HEADER, index_path
from greentui.store.run_store import RunStore
from greentui.store.summary import RunSummary
from greentui.tui.app import create_app
from tests.support import SIZE, isolated_env, make_store, wait_until_pilot  # noqa: F401 - autouse fixture
from tests.test_tui_history import answer_prompt, names, open_history


def run(store: RunStore, *args: str) -> int:
    return main(["--store", str(store.path), *args])


def test_tag_and_note_from_the_command_line(tmp_path, capsys):
    store = make_store(tmp_path)
    first = store.all()[0]
    assert run(store, "tag", first.id, "paper", "final", "paper") == 0
    assert capsys.readouterr().out.strip() == f"run {first.id}: paper, final"
    assert run(store, "tag", first.id, "--remove", "final") == 0
    assert RunStore(store.path).get(first.id).tags == ("paper",)
    assert run(store, "note", first.id, "  the one in table 2  ") == 0
    assert RunStore(store.path).get(first.id).notes == "the one in table 2"
    before = store.path.read_bytes()
    assert run(store, "tag", first.id, "has space?") == 2
    assert "tag 'has space?'" in capsys.readouterr().err
    assert run(store, "note", first.id, "x" * 2001) == 2 and "at most 2,000" in capsys.readouterr().err
    assert run(store, "tag", "20990101-000000-dead", "paper") == 2 and "no run" in capsys.readouterr().err
    assert store.path.read_bytes() == before  # refused: nothing written
    assert run(store, "note", first.id, "") == 0 and RunStore(store.path).get(first.id).notes == ""


def test_tags_reach_the_filter_the_index_and_the_csv(tmp_path, capsys):
    store = make_store(tmp_path)
    first, second = store.all()[:2]
    store.update(first.id, tags=["paper"], notes="=cmd|' /C calc'!A0")
    fresh = RunStore(store.path)
    assert [s.labels for s in fresh.summaries() if s.id == first.id] == [("paper",)]  # through the index
    record = fresh.get(first.id)
    assert RunSummary.from_line(RunSummary.of(record).line()).labels == ("paper",)
    assert run(store, "report", "--where", "tag:pap", "--baseline", first.id, "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in doc["runs"]] == [first.id]
    out = tmp_path / "runs.csv"
    assert run(store, "export", "--all", "-o", str(out)) == 0
    rows = {row["id"]: row for row in csv.DictReader(open(out, newline=""))}
    assert rows[first.id]["tags"] == "paper" and rows[second.id]["tags"] == ""
    assert rows[first.id]["notes"].startswith("'=")  # a note is neutralised like any cell


def test_an_index_from_before_tags_is_rebuilt(tmp_path):
    store = make_store(tmp_path)
    store.update(store.all()[0].id, tags=["paper"])
    RunStore(store.path).summaries()  # a listing writes the index
    lines = index_path(store.path).read_text().splitlines()
    assert json.loads(lines[0]) == HEADER
    index_path(store.path).write_text("\n".join([json.dumps(["greentui-run-index", 2]), *lines[1:]]) + "\n")
    assert any(s.labels == ("paper",) for s in RunStore(store.path).summaries())


@pytest.mark.parametrize("hostile", ["\x1b[2J", "a" * 41, ".leading", "a/b"])
def test_bad_tags_are_refused(tmp_path, capsys, hostile):
    store = make_store(tmp_path)
    assert run(store, "tag", store.all()[0].id, hostile) == 2
    assert "tag " in capsys.readouterr().err


async def test_t_and_shift_n_label_a_run_in_the_history(tmp_path):
    app = create_app(make_store(tmp_path).path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("t")
        await pilot.pause()
        await answer_prompt(pilot, "paper final")
        await wait_until_pilot(pilot, lambda: any(r.labels == ("paper", "final") for r in screen.runs), "the tags")
        await pilot.press("N")
        await pilot.pause()
        await answer_prompt(pilot, "best of the sweep")
        await wait_until_pilot(pilot, lambda: "note: best of the sweep" in str(screen.query_one("#detail", Static)
                                                                                 .render()), "the note")
        assert "tags: paper, final" in str(screen.query_one("#detail", Static).render())
        screen.query_one("#filter", Input).value = "tag:final"
        await pilot.pause()
        assert names(screen) == ["baseline"]
        await pilot.press("escape", "t")
        await pilot.pause()
        await answer_prompt(pilot, "bad/tag")
        assert any("tag 'bad/tag'" in n.message for n in app._notifications)
