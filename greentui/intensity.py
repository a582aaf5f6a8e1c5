"""Carbon intensity over time, and where it comes from: an HTTP provider, a forecast file, or the country table.

The country table (greentui.carbon) gives one yearly figure. A grid's intensity changes by the hour,
so where a source gives intensity over time, a run's CO2 is its energy at each moment times the
intensity then (greentui.carbon_window), and a run can wait for the cleanest window. Sources:

- GREENTUI_CARBON_URL: an HTTP provider, a URL template (`{country}` is the config key `country`);
  the token, if it needs one, from GREENTUI_CARBON_TOKEN, sent as the `auth-token` header (Electricity
  Maps' scheme). Its answer is JSON: a list of points, or an object holding one under `forecast`,
  `history` or `data`, each point `{"datetime": ISO-8601, "carbonIntensity": g/kWh}`.
- GREENTUI_CARBON_FORECAST: a CSV file of `timestamp,g_per_kwh` rows (ISO-8601 or epoch seconds), as
  exported from Electricity Maps, WattTime or a grid operator.

Never required: a provider that fails falls over to the file, and the file to the country table, and
the note says so. Everything read is untrusted: a bad row is an error naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import urllib.request
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

URL_ENV = "GREENTUI_CARBON_URL"
FILE_ENV = "GREENTUI_CARBON_FORECAST"
TOKEN_ENV = "GREENTUI_CARBON_TOKEN"
HTTP_TIMEOUT_S = 5.0
MAX_POINTS = 100_000  # a year of 5-minute points; more is not a forecast
MAX_BYTES = 8 * 2**20
MAX_G_PER_KWH = 5000.0  # the dirtiest grids are near 1,000; beyond this a value is a unit mistake


class IntensityError(ValueError):
    """A source's data cannot be read; the message names the file or the host, and the line where there is one."""


@dataclass(frozen=True)
class IntensitySeries:
    """Intensity (g CO2/kWh) from `points` (epoch seconds, value), each value holding until the next
    point; the last holds for as long as the points' usual spacing."""

    source: str
    points: tuple[tuple[float, float], ...]

    @property
    def end(self) -> float:
        """When the last value stops holding."""
        times = [t for t, _ in self.points]
        spacing = sorted(b - a for a, b in zip(times, times[1:], strict=False))
        return times[-1] + (spacing[len(spacing) // 2] if spacing else 3600.0)

    def at(self, t: float) -> float | None:
        """The intensity at `t`, or None outside what the series covers."""
        if not self.points or t < self.points[0][0] or t >= self.end:
            return None
        # A window's mean asks this at every point of the series: a search, not a scan.
        return self.points[bisect_right(self.points, (t, math.inf)) - 1][1]

    def to_doc(self) -> dict[str, Any]:
        """For the run folder: the series a run's CO2 was computed from, kept beside it."""
        return {"source": self.source, "points": [list(p) for p in self.points]}

    @classmethod
    def from_doc(cls, doc: Any) -> IntensitySeries:
        """The run folder's copy, checked again (it is read back from disk)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("points"), list):
            raise IntensityError("not an intensity series")
        return make_series(str(doc.get("source", "?")), [(p[0], p[1]) for p in doc["points"]
                                                          if isinstance(p, list) and len(p) == 2], "the run folder's copy")


def make_series(source: str, raw: list[tuple[Any, Any]], where: str) -> IntensitySeries:
    """Points checked and sorted: finite times, values from 0 to MAX_G_PER_KWH, at least one."""
    points: dict[float, float] = {}
    for t, g in raw[:MAX_POINTS + 1]:
        if not (_number(t) and _number(g) and 0 <= float(g) <= MAX_G_PER_KWH):
            raise IntensityError(f"{where}: point ({t!r}, {g!r}) is not a time and an intensity in g/kWh")
        points[float(t)] = float(g)
    if not points or len(points) > MAX_POINTS:
        raise IntensityError(f"{where}: {'no points' if not points else 'more than 100,000 points'}")
    return IntensitySeries(source, tuple(sorted(points.items())))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO-8601 time (UTC where it names no zone) or of a number of seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).timestamp()


def read_forecast_file(path: Path) -> IntensitySeries:
    """A `timestamp,g_per_kwh` CSV (a header row is allowed); IntensityError naming the path and line."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise IntensityError(f"{path}: larger than {MAX_BYTES // 2**20} MB; not a forecast")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise IntensityError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise IntensityError(f"{path}: not UTF-8 text") from None
    raw = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and not _starts_with_digit(row[0])):
            continue  # blank lines, and the header
        if len(row) < 2:
            raise IntensityError(f"{path}:{number}: expected timestamp,g_per_kwh")
        try:
            raw.append((parse_time(row[0]), float(row[1])))
        except ValueError:
            raise IntensityError(f"{path}:{number}: {row[0]!r}, {row[1]!r} is not a timestamp and g/kWh") from None
    return make_series(f"forecast file {path}", raw, str(path))


def _starts_with_digit(text: str) -> bool:
    return text.strip()[:1].isdigit()


def fetch_provider(template: str, country: str) -> IntensitySeries:
    """Ask the HTTP provider; IntensityError naming the host when it fails or answers nonsense."""
    url = template.replace("{country}", quote(country or ""))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntensityError(f"{URL_ENV}: {template!r} is not an http(s) URL")
    host = parts.hostname
    headers = {"Accept": "application/json"}
    token = os.environ.get(TOKEN_ENV)
    if token:
        headers["auth-token"] = token
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=HTTP_TIMEOUT_S) as answer:
            body = answer.read(MAX_BYTES + 1)
    except (OSError, ValueError) as err:  # URLError, HTTPError and timeouts are OSErrors
        raise IntensityError(f"carbon provider {host}: {getattr(err, 'reason', None) or err}") from None
    if len(body) > MAX_BYTES:
        raise IntensityError(f"carbon provider {host}: answer larger than {MAX_BYTES // 2**20} MB")
    try:
        doc = json.loads(body)
        items = doc if isinstance(doc, list) else next(doc[k] for k in ("forecast", "history", "data") if k in doc)
        raw = [(parse_time(str(item["datetime"])), item["carbonIntensity"]) for item in items]
    except (ValueError, TypeError, KeyError, StopIteration):
        raise IntensityError(f"carbon provider {host}: the answer is not a list of datetime and carbonIntensity") from None
    return make_series(f"HTTP provider {host}", raw, f"carbon provider {host}")


def time_varying_source(country: str) -> tuple[IntensitySeries | None, str]:
    """The configured time-varying series, and a note on what was tried; None: the country table stands.

    The provider first, then the file; each failure is in the note (`provider x failed (…); using …`)."""
    notes = []
    template = os.environ.get(URL_ENV)
    if template:
        try:
            return fetch_provider(template, country), ""
        except IntensityError as err:
            notes.append(f"{err}")
    path = os.environ.get(FILE_ENV)
    if path:
        try:
            series = read_forecast_file(Path(path).expanduser())
            return series, (f"{notes[0]}; using the forecast file" if notes else "")
        except IntensityError as err:
            notes.append(str(err))
    if notes:
        return None, "; ".join(notes) + "; using the country table"
    return None, ""


def describe_source(country: str) -> str:
    """`greentui doctor`'s line: which source is in use, and why not the others."""
    from greentui.carbon import carbon_intensity

    series, note = time_varying_source(country)
    if series is not None:
        first, end = series.points[0][0], series.end
        span = f"{_clock(first)} to {_clock(end)} UTC, {len(series.points)} points"
        return f"carbon intensity: {series.source} ({span})" + (f"; {note}" if note else "")
    g, source = carbon_intensity(country)
    told = f"{note}" if note else f"no {URL_ENV} or {FILE_ENV} set"
    return f"carbon intensity: country table, {g:.0f} g/kWh ({source}); {told}"


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")
