"""Stored text never reaches the terminal as control codes or markup, and files are private and whole.

The names and errors here are what a colleague sharing the store (or a Latin-1 terminal) can
put in runs.json; the checks read the bytes greentui actually writes.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

from greentui.report.csv_export import neutralise
from greentui.report.printable import from_command_line, printable
from tests.support import greentui

HOSTILE = "\x1b]0;owned\x07\x1b[2J[wip] a[/b] caf\udce9 \u202eevil"


def hostile_store(store_path: Path) -> None:
    doc = {"id": "r1", "name": HOSTILE, "status": "failed", "created_at": "2026-11-30T10:00:00+00:00",
           "error": "\x1b[31mboom\x1b[0m", "config": {"model": "m\x1b[8m"}, "metrics": {"accuracy": 0.5}}
    # json.dumps escapes the lone surrogate as \udce9, as a store written from such a name holds it
    store_path.write_text(json.dumps({"runs": {"1": doc}}))


def in_a_terminal(*args: str, store: Path) -> bytes:
    """The bytes `greentui ARGS` writes to a pseudo-terminal (the Rich table path)."""
    leader, follower = pty.openpty()
    try:
        subprocess.run([sys.executable, "-m", "greentui", "--store", str(store), *args], stdout=follower,
                       stderr=subprocess.DEVNULL, timeout=120, check=False, env={**os.environ, "COLUMNS": "200"})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(leader)


def test_printable_escapes_controls_and_surrogates_visibly() -> None:
    shown = printable(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b]0;owned\\x07" in shown and "caf\\udce9" in shown and "[wip] a[/b]" in shown
    shown.encode("utf-8")  # no lone surrogate left to raise on print
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"
    assert from_command_line("caf\udce9") == "caf\\xe9"  # a Latin-1 byte from argv, kept visible


def test_cli_output_carries_no_escape_and_no_markup_is_read(store_path: Path) -> None:
    hostile_store(store_path)
    piped = greentui("ls", store=store_path)
    shown = greentui("show", "r1", store=store_path)
    tty = in_a_terminal("ls", store=store_path)
    for out in (piped.stdout, shown.stdout):
        assert "\x1b" not in out and "\u202e" not in out
    assert piped.returncode == 0 and shown.returncode == 0, piped.stderr + shown.stderr
    assert "[wip] a[/b]" in piped.stdout and "r1\t" in piped.stdout  # plain, tab-separated, markup kept as text
    assert b"]0;owned" not in tty.replace(b"\\x1b]0;owned", b"")  # the OSC title never reaches the terminal raw
    assert b"[wip]" in tty and b"Traceback" not in tty


def test_json_keeps_the_exact_strings(store_path: Path) -> None:
    hostile_store(store_path)
    record = json.loads(greentui("show", "r1", "--json", store=store_path).stdout)
    assert record["name"] == HOSTILE and record["error"] == "\x1b[31mboom\x1b[0m"


def test_export_is_whole_private_and_never_follows_a_symlink(store_path: Path) -> None:
    hostile_store(store_path)
    elsewhere = store_path.parent / "someone-elses.csv"
    elsewhere.write_text("keep me")
    os.chmod(elsewhere, 0o644)
    target = store_path.parent / "out.csv"
    target.symlink_to(elsewhere)

    result = subprocess.run([sys.executable, "-m", "greentui", "--store", str(store_path), "export", "--all",
                             "-o", str(target)], capture_output=True, text=True, timeout=120, check=False,
                            preexec_fn=lambda: os.umask(0))

    assert result.returncode == 0, result.stderr
    assert elsewhere.read_text() == "keep me"  # the link was replaced, its target untouched
    assert not target.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows[0]["id"] == "r1" and "caf\\udce9" in rows[0]["name"]


def test_export_to_dash_writes_stdout(store_path: Path) -> None:
    hostile_store(store_path)
    result = greentui("export", "--all", "-o", "-", store=store_path)
    assert result.returncode == 0 and result.stdout.startswith("id,") and not (store_path.parent / "-").exists()


def test_saved_files_are_private_under_any_umask(tmp_path: Path) -> None:
    code = ("import os, pathlib; os.umask(0); from greentui.config import RunConfig, save_toml; "
            "from greentui.tui.settings import save_last_config, config_dir; "
            f"save_toml(RunConfig(), pathlib.Path({str(tmp_path / 'a.toml')!r})); "
            "assert save_last_config(RunConfig()) is None; print(config_dir())")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg" / "deeper")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    folder = Path(out.strip())
    assert stat.S_IMODE((tmp_path / "a.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "last-config.toml").stat().st_mode) == 0o600
    for each in (folder, folder.parent, folder.parent.parent):  # greentui/, deeper/, xdg/ it created
        assert stat.S_IMODE(each.stat().st_mode) == 0o700


def test_formula_starts_are_neutralised_however_they_hide() -> None:
    for text in ("=1+1", " =1+1", "\n=1", "\xa0=1", "\uff1dSUM(A1)", "\uff0b1", "\uff0d1", "\ufe661", "@x"):
        assert neutralise(text).startswith("'"), text
    assert neutralise("plain") == "plain" and neutralise(-1.5) == -1.5


def test_bad_config_files_are_one_line_errors(store_path: Path) -> None:
    latin1 = store_path.parent / "latin1.toml"
    latin1.write_bytes(b'name = "caf\xe9"\n')
    for path, said in ((latin1, "is not UTF-8"), (Path("/dev/zero"), "larger than 1024 KiB")):
        result = greentui("run", "--config", str(path), store=store_path)
        assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr
    assert not store_path.exists()


def test_a_mistyped_store_is_said_not_silently_empty(store_path: Path) -> None:
    result = greentui("ls", store=store_path.parent / "runz.json")
    assert result.returncode == 2 and "no run store at" in result.stderr


async def test_the_history_shows_a_hostile_store_escaped_and_exports_it(store_path: Path) -> None:
    from textual.widgets import DataTable, Input

    from greentui.tui.app import create_app
    from greentui.tui.dialogs.prompt import PromptDialog
    from greentui.tui.screens.history import HistoryScreen
    from tests.support import SIZE, press_to, wait_until_pilot

    hostile_store(store_path)
    app = create_app(store_path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f3", HistoryScreen)
        table = app.screen.query_one(DataTable)
        await wait_until_pilot(pilot, lambda: table.row_count == 1, "the hostile run's row")
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert not any("\x1b" in cell or "\u202e" in cell for cell in cells)
        assert "[wip] a[/b]" in cells[0] or "\\x1b" in cells[0]  # the name column may be cut; never obeyed
        detail = app.screen.query_one("#detail")
        await wait_until_pilot(pilot, lambda: "\\x1b[31mboom" in str(detail.render()), "the escaped error")
        await pilot.press("space", "e")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        target = store_path.parent / "hostile.csv"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_until_pilot(pilot, lambda: target.exists(), "the export")
        assert app.is_running
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows[0]["id"] == "r1" and "caf\\udce9" in rows[0]["name"]
