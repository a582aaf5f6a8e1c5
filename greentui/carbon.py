"""Carbon-intensity facts read from CodeCarbon's own data file, without importing CodeCarbon.

The TUI and the CLI need these to validate a country and to show what a run assumes,
and importing codecarbon (pandas, psutil, …) would cost them their fast start.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

# CodeCarbon's offline fallback when no country is given (g CO2 per kWh).
WORLD_AVERAGE_G_PER_KWH = 475.0


@lru_cache(maxsize=1)
def _energy_mix() -> dict[str, dict]:
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        return {}
    mix_file = Path(next(iter(spec.submodule_search_locations))) / "data" / "private_infra" / "global_energy_mix.json"
    try:
        return json.loads(mix_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_known_country(code: str) -> bool:
    """True when `code` is a 3-letter ISO code that CodeCarbon has a carbon intensity for."""
    mix = _energy_mix()
    if not mix:  # CodeCarbon's table is missing: accept any well-formed code.
        return len(code) == 3 and code.isalpha() and code.isupper()
    return code in mix


def carbon_intensity(country: str) -> tuple[float, str]:
    """Grams of CO2 per kWh assumed for `country`, and where that figure comes from."""
    if not country:
        return WORLD_AVERAGE_G_PER_KWH, "world average (assumed: no country set)"
    entry = _energy_mix().get(country)
    if entry is None:
        return WORLD_AVERAGE_G_PER_KWH, f"world average (assumed: {country} not in CodeCarbon's table)"
    year = entry.get("year", "")
    return float(entry["carbon_intensity"]), f"CodeCarbon energy mix for {entry['country_name']} ({year})"
