"""The filter language of the history and `report --where`: text, status:, tech:, and comparisons of figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from greentui.cli.main import main
from greentui.store.query import QueryError, compile_query
from greentui.store.run_store import RunStore

REPO_RUNS = Path(__file__).resolve().parent.parent / "runs.json"


@pytest.fixture
def reference(tmp_path: Path) -> RunStore:
    shutil.copy(REPO_RUNS, tmp_path / "runs.json")
    return RunStore(tmp_path / "runs.json")


def names(store: RunStore, query: str) -> set[str]:
    test = compile_query(query)
    return {r.name for r in store.all() if test(r)}


def test_comparisons_use_the_units_the_tables_show(reference: RunStore) -> None:
    runs = reference.all()
    every = {r.name for r in runs}
    low = {r.name for r in runs if (r.metric("accuracy") or 0) < 0.9}
    assert names(reference, "acc<0.9") == low and low and low < every
    assert names(reference, "acc>=0.9") == every - low  # every reference run has an accuracy
    fast = {r.name for r in runs if (r.metric("duration_s") or 1e9) < 60}
    assert names(reference, "time<60s") == names(reference, "time<1m") == names(reference, "time<60") == fast
    small = {r.name for r in runs if (r.metric("emissions_kg") or 1) * 1000 < 0.2}  # CO₂ is shown in g
    assert names(reference, "co2<0.2") == small and small
    assert names(reference, "kwh<0.0003 tech:n2500") == {r.name for r in runs if "n2500" in r.techniques()
                                                         and (r.metric("energy_kwh") or 1) < 0.0003}
    assert names(reference, "samples_per_s>1e9") == set()  # any metric key; a bound no run reaches


@pytest.mark.parametrize(("query", "message"), [
    ("acc>", "'acc>': '' is not a number"),
    ("acc>high", "'high' is not a number"),
    ("kwh<5s", "'5s' is not a number"),
    ("accuracy>0.9 wattage>3", "no figure 'wattage'"),
    ("acc>1e999", "not a finite number"),
])
def test_a_comparison_that_cannot_be_read_says_which(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        compile_query(query)


def test_report_where_names_a_bad_comparison(reference: RunStore, capsys: pytest.CaptureFixture) -> None:
    assert main(["--store", str(reference.path), "report", "--where", "sweep a69c acc>>0.9"]) == 2
    err = capsys.readouterr().err
    assert "--where: filter 'acc>>0.9'" in err and len(err.strip().splitlines()) == 1
    assert main(["--store", str(reference.path), "report", "--where", "sweep a69c acc>0.9"]) == 0
    table = capsys.readouterr().out
    assert "| lora |" not in table and "| lora8 |" not in table  # LoRA's runs reached 0.86: filtered out
