"""The CLI, the store, the config and the TUI must not import the heavy training stack."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "datasets", "codecarbon", "peft")


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_modules_stay_light() -> None:
    modules = imported_after(
        "import greentui.cli.main, greentui.store.run_store, greentui.config, greentui.cli.commands, "
        "greentui.runs.launch, greentui.runs.reconcile, greentui.report.csv_export, greentui.preflight, "
        "greentui.cli.doctor, greentui.events.log; greentui.cli.main.build_parser()"
    )
    assert not modules & set(HEAVY)


def test_help_stays_light() -> None:
    modules = imported_after("import greentui.cli.main as c; c.build_parser().format_help()")
    assert not modules & set(HEAVY)
    assert "textual" not in modules
