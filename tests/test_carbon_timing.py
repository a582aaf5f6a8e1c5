"""Carbon-aware timing: intensity from a forecast file or a real loopback HTTP provider (falling over,
saying so), CO2 as energy over time × intensity then, and a run that waits for the cleanest window."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from greentui.carbon_window import best_window, emissions_kg, mean_intensity
from greentui.config import RunConfig
from greentui.events.log import EVENTS_FILE, read_all
from greentui.intensity import (
    IntensityError,
    IntensitySeries,
    describe_source,
    read_forecast_file,
    time_varying_source,
)
from greentui.runs.timing import plan_timing
from greentui.store.run_store import RunStore
from tests.support import fixture_record, greentui, isolated_env, make_store  # noqa: F401 - autouse fixture

H = 3600.0
SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32"]


def series(*points: tuple[float, float]) -> IntensitySeries:
    return IntensitySeries("test", tuple(points))


def write_forecast(path: Path, rows: list[tuple[float, float]], header: bool = True) -> Path:
    lines = (["timestamp,g_per_kwh"] if header else []) + [f"{t},{g}" for t, g in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_forecast_file_is_read_with_iso_or_epoch_times_and_a_bad_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "forecast.csv"
    path.write_text("timestamp,g_per_kwh\n2026-12-03T10:00:00Z,300\n1796295600,120.5\n\n")  # 11:00 UTC
    read = read_forecast_file(path)
    assert read.points == ((1796292000.0, 300.0), (1796295600.0, 120.5)) and read.source == f"forecast file {path}"
    path.write_text("timestamp,g_per_kwh\n2026-12-03T10:00:00Z,300\nsoon,lots\n")
    with pytest.raises(IntensityError, match=rf"{path}:3: 'soon', 'lots'"):
        read_forecast_file(path)
    path.write_text("timestamp,g_per_kwh\n1796292000,-5\n")
    with pytest.raises(IntensityError, match="not a time and an intensity"):
        read_forecast_file(path)


def test_each_value_holds_until_the_next_and_the_last_for_one_usual_step() -> None:
    s = series((0.0, 400.0), (H, 100.0), (2 * H, 300.0))
    assert (s.at(-1), s.at(0), s.at(H - 1), s.at(H), s.at(3 * H - 1), s.at(3 * H)) == (None, 400, 400, 100, 300, None)
    assert mean_intensity(s, 0.0, 2 * H, 475.0) == pytest.approx(250.0)
    assert mean_intensity(s, 2 * H, 4 * H, 475.0) == pytest.approx((300 + 475) / 2)  # uncovered: the static figure


def test_the_cleanest_window_that_still_meets_the_deadline_wins() -> None:
    s = series((0.0, 400.0), (H, 100.0), (3 * H, 50.0), (4 * H, 400.0))
    window = best_window(s, now=0.0, duration_s=H, deadline_s=3 * H, static_g=475.0)
    assert (window.start, window.mean_g, window.now_mean_g) == (H, 100.0, 400.0) and window.saving == pytest.approx(0.75)
    later = best_window(s, now=0.0, duration_s=H, deadline_s=4 * H, static_g=475.0)
    assert later.start == 3 * H and later.mean_g == 50.0  # a longer deadline reaches the 50 g hour
    late = best_window(s, now=0.0, duration_s=5 * H, deadline_s=2 * H, static_g=475.0)
    assert late.start == 0.0 and not late.fits_deadline  # cannot finish in time anywhere: start now


def test_co2_is_each_intervals_energy_times_the_intensity_then() -> None:
    s = series((0.0, 400.0), (10.0, 100.0), (20.0, 100.0))
    readings = [(2.0, 0.001), (10.0, 0.002), (20.0, 0.004), (40.0, 0.005)]  # the last interval is past the series
    kg, covered, (low, high) = emissions_kg(readings, s, 475.0)
    # The first reading's energy at its moment (400), then each interval at its middle.
    assert kg == pytest.approx((0.001 * 400 + 0.001 * 400 + 0.002 * 100 + 0.001 * 475) / 1000)
    assert covered == pytest.approx(0.8) and (low, high) == (100.0, 475.0)


class Provider(http.server.BaseHTTPRequestHandler):
    """Electricity Maps' shape: {"forecast": [{"datetime", "carbonIntensity"}]}; checks the token."""

    answer: bytes = b""
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Provider.seen.append((self.path, self.headers.get("auth-token")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(Provider.answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_http_provider_is_asked_with_the_token_and_its_forecast_used(provider, monkeypatch) -> None:
    Provider.answer = json.dumps({"zone": "FR", "forecast": [
        {"datetime": "2026-12-03T10:00:00.000Z", "carbonIntensity": 55},
        {"datetime": "2026-12-03T11:00:00.000Z", "carbonIntensity": 38}]}).encode()
    Provider.seen = []
    monkeypatch.setenv("GREENTUI_CARBON_URL", provider + "/v3/carbon-intensity/forecast?zone={country}")
    monkeypatch.setenv("GREENTUI_CARBON_TOKEN", "secret-token")
    got, note = time_varying_source("FRA")
    assert note == "" and got is not None and [g for _, g in got.points] == [55.0, 38.0]
    assert got.source.startswith("HTTP provider 127.0.0.1")
    assert Provider.seen == [("/v3/carbon-intensity/forecast?zone=FRA", "secret-token")]
    assert "HTTP provider 127.0.0.1" in describe_source("FRA")


def test_a_failing_provider_falls_over_to_the_file_then_the_table_saying_so(provider, monkeypatch, tmp_path) -> None:
    Provider.answer = b"<html>maintenance</html>"
    monkeypatch.setenv("GREENTUI_CARBON_URL", provider + "/forecast")
    monkeypatch.setenv("GREENTUI_CARBON_FORECAST", str(write_forecast(tmp_path / "f.csv", [(0, 200), (H, 100)])))
    got, note = time_varying_source("")
    assert got is not None and got.source.startswith("forecast file") and "not a list of datetime" in note
    monkeypatch.setenv("GREENTUI_CARBON_FORECAST", str(tmp_path / "missing.csv"))
    got, note = time_varying_source("")
    assert got is None and "missing.csv: cannot be read" in note and note.endswith("using the country table")
    assert "country table, 475 g/kWh" in describe_source("")


def test_low_carbon_without_a_forecast_is_refused_naming_the_key(store_path: Path) -> None:
    result = greentui("run", *SHORT, "--set", "start_when=low-carbon", store=store_path)
    assert result.returncode != 0 and "'start_when'" in result.stderr and "GREENTUI_CARBON_FORECAST" in result.stderr
    assert not store_path.exists() or RunStore(store_path).summaries() == []


def test_the_duration_comes_from_an_earlier_run_of_the_same_config(tmp_path: Path, monkeypatch) -> None:
    store = make_store(tmp_path, count=0)
    config = RunConfig.from_mapping({"train_samples": 320, "start_when": "low-carbon", "deadline": "1h"})
    earlier = fixture_record(0, store)
    store.insert(earlier.__class__(**{**earlier.__dict__, "config": {**config.to_dict(), "start_when": "now"},
                                      "metrics": {**earlier.metrics, "measured_s": 42.0}}))
    now = time.time()
    monkeypatch.setenv("GREENTUI_CARBON_FORECAST",
                       str(write_forecast(tmp_path / "f.csv", [(now - 60, 400), (now + 300, 100), (now + 900, 400)])))
    _series, doc = plan_timing(config, store, now)
    assert doc["estimated_s"] == 42.0 and doc["estimate_from"] == f"run {earlier.id}"
    assert doc["planned_start"] == now + 300 and doc["window_g"] == 100.0 and doc["now_g"] == 400.0
    assert doc["expected_saving"] == 0.75


@pytest.mark.slow
def test_a_low_carbon_run_waits_for_its_window_and_records_the_saving(store_path: Path, tmp_path: Path) -> None:
    store = RunStore(store_path)
    config = RunConfig.from_mapping({"train_samples": 320, "eval_samples": 200, "batch_size": 32})
    earlier = fixture_record(0, make_store(tmp_path / "unused", count=0))
    store.insert(earlier.__class__(**{**earlier.__dict__, "config": config.to_dict(),
                                      "metrics": {**earlier.metrics, "measured_s": 10.0}}))
    now = time.time()
    # Dirty now, clean from 30 s on for two minutes: the 10-second run should wait. The wait is long
    # enough that a slow launch (seconds on a busy machine) still starts well before the window.
    clean_from = 30.0
    forecast = write_forecast(tmp_path / "f.csv", [(now - 60, 400), (now + clean_from, 100), (now + 150, 400),
                                                   (now + 210, 400)])
    env = {"GREENTUI_CARBON_FORECAST": str(forecast)}
    result = greentui("run", *SHORT, "--set", "start_when=low-carbon", "--set", "deadline=5m", store=store_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    record = next(r for r in RunStore(store_path).all() if r.id != earlier.id)
    timing = record.measurement["carbon_timing"]
    assert timing["estimate_from"] == f"run {earlier.id}" and timing["window_g"] == 100.0
    # Started at launch (however long after `now` that was), its 10 s would have met this much of 400 g/kWh:
    launched = timing["launched_at"] - now
    dirty_s = max(0.0, min(10.0, clean_from - launched))
    assert 0 <= launched < clean_from - 10
    assert timing["now_g"] == pytest.approx((400 * dirty_s + 100 * (10 - dirty_s)) / 10, abs=0.1)
    assert timing["expected_saving"] == pytest.approx(1 - 100 / timing["now_g"], abs=1e-3)
    assert timing["started"] == "in the window" and timing["waited_s"] >= 5
    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    waits = [e for e in events if e.kind == "phase" and e.phase == "waiting"]
    assert waits and waits[0].detail.startswith("waiting for a low-carbon window at ")
    assert "(100 g/kWh, now 400)" in waits[0].detail  # the window's mean; the intensity at launch
    # The run's CO2 is its energy at 100 g/kWh (it ran inside the clean window), not at the yearly figure.
    metrics = record.metrics
    assert metrics["emissions_kg"] == pytest.approx(metrics["energy_kwh"] * 0.100, rel=0.02)
    assert metrics["emissions_kg_static"] == pytest.approx(metrics["energy_kwh"] * 0.475, rel=0.02)
    assert record.measurement["carbon_intensity_range_g_per_kwh"][0] == 100.0
    assert 0 < timing["realised_saving"] <= 0.75  # at launch it would have met some of the 400 g seconds


@pytest.mark.slow
def test_start_now_ends_the_wait_and_the_record_says_so(store_path: Path, tmp_path: Path) -> None:
    from tests.support import wait_until

    now = time.time()
    # Clean from 10 minutes on, for two hours: the run (1 h assumed, no earlier run) would wait 10 minutes.
    forecast = write_forecast(tmp_path / "f.csv", [(now - 60, 400), (now + 600, 100), (now + 7800, 400),
                                                   (now + 9000, 400)])
    env = {"GREENTUI_CARBON_FORECAST": str(forecast)}
    started = greentui("run", "--detach", *SHORT, "--set", "start_when=low-carbon", "--set", "deadline=3h",
                       store=store_path, env=env)
    assert started.returncode == 0, started.stderr
    record = RunStore(store_path).all()[0]
    events_path = store_path.parent / record.run_dir / EVENTS_FILE
    wait_until(lambda: any(e.kind == "phase" and e.phase == "waiting" for e in read_all(events_path)), "the wait",
               timeout=120)
    told = greentui("start-now", record.id, store=store_path)
    assert told.returncode == 0, told.stderr
    done = wait_until(lambda: (r := RunStore(store_path).get(record.id)) and r.finished and r, "the run to finish")
    timing = done.measurement["carbon_timing"]
    assert done.status == "completed" and timing["started"] == "told to start now" and timing["waited_s"] < 300
    assert timing["estimate_from"].startswith("assumed") and timing["estimated_s"] == 3600.0
    # It ran in the dirty hour, as told: its CO2 is at 400 g/kWh, and there was no saving.
    assert done.metrics["emissions_kg"] == pytest.approx(done.metrics["energy_kwh"] * 0.400, rel=0.02)
    assert timing["realised_saving"] == pytest.approx(0.0, abs=0.01)
    assert greentui("start-now", record.id, store=store_path).returncode == 1  # over: nothing to start


async def test_g_in_the_live_view_tells_a_waiting_run_to_start(tmp_path: Path) -> None:
    import dataclasses
    import os

    from greentui.runs.timing import START_NOW_FILE
    from greentui.tui.app import create_app
    from greentui.tui.screens.live import LiveScreen
    from tests.support import wait_until_pilot

    store = make_store(tmp_path, count=0)
    record = dataclasses.replace(fixture_record(0, store), status="running", pid=os.getpid(), metrics={},
                                 finished_at=None)  # this test process stands in for a waiting worker
    run_dir = store.runs_root / record.id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / EVENTS_FILE).write_text(
        json.dumps({"type": "status", "t": time.time(), "status": "running"}) + "\n"
        + json.dumps({"type": "phase", "t": time.time(), "phase": "waiting",
                      "detail": "waiting for a low-carbon window at 14:00:00 (100 g/kWh, now 400)"}) + "\n")
    store.insert(record)
    app = create_app(store.path)  # a running run opens its live view at start
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until_pilot(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.waiting_for_window(),
                               "the live view of the waiting run")
        assert "low-carbon window at 14:00:00" in str(app.screen.query_one("#strip").plain)
        await pilot.press("g")
        await pilot.pause()
        assert (run_dir / START_NOW_FILE).exists()


@pytest.mark.slow
def test_a_low_carbon_sweep_waits_once_for_a_window_all_its_runs_fit_in(store_path: Path, tmp_path: Path) -> None:
    now = time.time()
    # Two runs of 1 h each (no earlier run says otherwise): the clean stretch, from 25 s on, holds both
    # (25 s: the queue's runner and the worker take seconds to start on a busy machine, and must start before it).
    forecast = write_forecast(tmp_path / "f.csv", [(now - 60, 400), (now + 25, 100), (now + 3 * H, 400),
                                                   (now + 4 * H, 400)])
    result = greentui("sweep", *SHORT, "--set", "start_when=low-carbon", "--set", "deadline=5h",
                      "--techniques", "label_smoothing=0.1", store=store_path,
                      env={"GREENTUI_CARBON_FORECAST": str(forecast)})
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = sorted(RunStore(store_path).all(), key=lambda r: r.created_at)
    assert first.status == second.status == "completed"
    waited = first.measurement["carbon_timing"]
    assert waited["scope"] == "sweep of 2 runs" and waited["estimated_s"] == 2 * 3600.0
    assert waited["window_g"] == 100.0 and waited["waited_s"] > 0 and waited["started"] == "in the window"
    follower = second.measurement["carbon_timing"]
    assert follower["sweep_window"]["waited_in"] == first.id and follower.get("waited_s") == 0.0
    assert follower["sweep_window"]["planned_start"] == waited["planned_start"]
    assert second.metrics["emissions_kg"] == pytest.approx(second.metrics["energy_kwh"] * 0.100, rel=0.02)
