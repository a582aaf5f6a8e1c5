"""A Hugging Face model card for a run's saved model: the Hub's `co2_eq_emissions` metadata and a short body.

Pure: a record in, the README.md text out (`greentui card` writes it). The front matter carries
`co2_eq_emissions` as the Hub documents it (emissions in grams of CO2-eq, source, training_type,
geographical_location, hardware_used), plus `base_model` and `datasets` where the config names
them by a clean Hub id. The emissions are the run's *training* emissions: the run's less its
inference phase's, which measures the model as deployed and is not training.

Everything stored is untrusted (runs.json is anyone's to write): the YAML is made by
`yaml.safe_dump` from text with its control characters escaped, so no name can end the front
matter or add a key; in the body, identifiers go in code spans (nothing in one is markup) and
prose has every character that can start Markdown or HTML mid-line backslash-escaped.
"""

from __future__ import annotations

import re
from math import isfinite
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from greentui.metrics.quality import contention_text, is_simulated
from greentui.metrics.registry import as_number, fmt_duration
from greentui.report.errors import ReportError
from greentui.report.printable import printable
from greentui.report.reproduce import reproduce_command, stored_config
from greentui.store.record import RunRecord

if TYPE_CHECKING:
    from greentui.config import RunConfig

# The front matter's keys, in order; base_model and datasets only where the config names a Hub id.
TOP_LEVEL_KEYS = ("co2_eq_emissions", "base_model", "datasets", "metrics", "library_name", "pipeline_tag", "tags")
CO2_KEYS = ("emissions", "source", "training_type", "geographical_location", "hardware_used")
UNKNOWN_LOCATION = "unknown (world-average intensity assumed)"

# A Hub repository id: `name` or `owner/name`, letters, digits, `-`, `_`, `.`, at most 96 characters a
# part, no `--` or `..`, not starting or ending with `-` or `.` (bundled:, package:, paths are not ids).
_HUB_PART = r"(?!.*(?:--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_HUB_ID = re.compile(rf"{_HUB_PART}(?:/{_HUB_PART})?")
# What can start markup mid-line: emphasis, code, links and images, HTML and entities, tables, strike, math.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~&$])")


def hub_id(value: Any) -> str | None:
    """`value` if it is a clean Hugging Face Hub id, else None."""
    return value if isinstance(value, str) and _HUB_ID.fullmatch(value) else None


def text(value: Any) -> str:
    """Stored text as Markdown prose that shows literally: controls escaped, markup characters backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(value))


def code(value: Any) -> str:
    """Stored text as a Markdown code span: nothing inside is markup; the fence outgrows any backticks in it."""
    inner = printable(value)
    longest = max((len(run) for run in re.findall(r"`+", inner)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if inner.startswith("`") or inner.endswith("`") or not inner.strip(" ") else ""
    return f"{fence}{pad}{inner}{pad}{fence}"


def _number(mapping: Any, key: str) -> float | None:
    value = as_number(mapping.get(key)) if isinstance(mapping, Mapping) else None
    return value if value is not None and isfinite(value) else None


def _inference_phase(record: RunRecord) -> tuple[float, float] | None:
    """The inference phase's (kWh, kg CO2-eq), None where the run has none; missing figures read as 0."""
    phase = record.phases.get("inference")
    if not isinstance(phase, Mapping):
        return None
    kwh = _number(phase, "energy_kwh") or 0.0
    kg = _number(phase, "emissions_kg")
    if kg is None:  # an older record: the phase's energy at the run's intensity
        intensity = _number(record.measurement, "carbon_intensity_g_per_kwh") or 0.0
        kg = kwh * intensity / 1000
    return kwh, kg


def training_emissions_g(record: RunRecord) -> float:
    """Grams of CO2-eq the training cost: the run's emissions less its inference phase's; ReportError without them."""
    total = _number(record.metrics, "emissions_kg")
    if total is None:
        raise ReportError(f"run {record.id} has no measured emissions (emissions_kg): no model card without them")
    inference = _inference_phase(record)
    return (total - (inference[1] if inference else 0.0)) * 1000


def training_energy_kwh(record: RunRecord) -> float | None:
    """The run's energy less its inference phase's, None without the run's energy."""
    total = _number(record.metrics, "energy_kwh")
    inference = _inference_phase(record)
    return None if total is None else total - (inference[0] if inference else 0.0)


def training_type(record: RunRecord) -> str:
    """`fine-tuning`, `fine-tuning (LoRA)`, `knowledge distillation from X` (`… (LoRA)` with LoRA too)."""
    config = stored_config(record)
    kind = f"knowledge distillation from {printable(config.distill_from)}" if config.distill_from else "fine-tuning"
    return kind + (" (LoRA)" if config.lora else "")


def geographical_location(record: RunRecord) -> str:
    """The measurement's country (ISO code), or that the world average was assumed."""
    country = record.measurement.get("country")
    return printable(country) if isinstance(country, str) and country.strip() else UNKNOWN_LOCATION


def _simulated_gpus(record: RunRecord) -> list[str]:
    gpus = record.measurement.get("gpus")
    names = [g.get("name") for g in gpus if isinstance(g, Mapping)] if isinstance(gpus, list) else []
    return [printable(n) for n in names if isinstance(n, str) and n] or ["(unnamed)"]


def hardware_used(record: RunRecord) -> str:
    """`AMD EPYC (2 logical CPUs), 23.5 GiB RAM, no GPU`; a simulated GPU is named as simulated."""
    hw = record.hardware
    cpu = printable(hw.get("cpu_model")) if isinstance(hw.get("cpu_model"), str) and hw.get("cpu_model") else "unknown CPU"
    count = hw.get("cpu_count")
    parts = [cpu + (f" ({count} logical CPUs)" if type(count) is int and count > 0 else "")]
    ram = _number(hw, "ram_gb")
    if ram is not None:
        parts.append(f"{ram:g} GiB RAM")
    gpus = [printable(g) for g in hw.get("gpus") or [] if isinstance(g, str) and g] if isinstance(hw.get("gpus"), list) else []
    counted: dict[str, int] = {}
    for name in gpus:
        counted[name] = counted.get(name, 0) + 1
    parts += [f"{n} × {name}" for name, n in counted.items()]
    if is_simulated(record.measurement):
        parts.append("SIMULATED GPU " + ", ".join(_simulated_gpus(record))
                     + " (a test stand-in for NVML, not real hardware: the GPU figures are not a measurement)")
    elif not gpus:
        parts.append("no GPU")
    return ", ".join(parts)


def source(record: RunRecord) -> str:
    """`CodeCarbon 3.3.2 (offline), measured by greentui 0.1.0`."""
    versions, method = record.versions, record.measurement.get("method")

    def version(name: str) -> str:
        value = versions.get(name)
        return printable(value) if isinstance(value, str) and value else "(version unknown)"

    how = "offline" if method == "codecarbon-offline" else printable(method) if isinstance(method, str) else "method unknown"
    return f"CodeCarbon {version('codecarbon')} ({how}), measured by greentui {version('greentui')}"


def front_matter(record: RunRecord) -> dict[str, Any]:
    """The card's YAML metadata, as a plain mapping of TOP_LEVEL_KEYS."""
    config = stored_config(record)
    grams = training_emissions_g(record)
    meta: dict[str, Any] = {"co2_eq_emissions": {
        "emissions": float(f"{grams:.10g}"),
        "source": source(record),
        "training_type": training_type(record),
        "geographical_location": geographical_location(record),
        "hardware_used": hardware_used(record),
    }}
    if hub_id(config.model):
        meta["base_model"] = config.model
    if hub_id(config.dataset):
        meta["datasets"] = [config.dataset]
    measured = [name for name in ("accuracy", "f1") if _number(record.metrics, name) is not None]
    if measured:
        meta["metrics"] = measured
    meta.update({"library_name": "transformers", "pipeline_tag": "text-classification", "tags": ["greentui"]})
    return meta


def yaml_text(meta: Mapping[str, Any]) -> str:
    """`meta` as the card's front matter, fences included."""
    return "---\n" + yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=100_000) + "---\n"


def _fenced(command: str) -> list[str]:
    shown = printable(command)
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [f"{fence}sh", shown, fence]
    if shown != command:
        lines.append("(The stored config holds control characters, shown above as \\\\xNN escapes.)")
    return lines


def stated_uncertainty(record: RunRecord) -> str:
    """` ± 39 % (TDP model + RAM model; …)`: the energy's stated bound, from `measurement.uncertainty`."""
    bounds = record.measurement.get("uncertainty")
    bound = bounds.get("energy_kwh") if isinstance(bounds, Mapping) else None
    relative = _number(bound, "relative") if isinstance(bound, Mapping) else None
    if relative is None or not isinstance(bound, Mapping):
        return " (no stated uncertainty recorded)"
    why = [text(bound[key]) for key in ("method", "basis") if isinstance(bound.get(key), str) and bound.get(key)]
    return f" ± {relative * 100:.0f} % ({'; '.join([*why, 'a stated bound on the method, not a measured error'])})"


def _duration(seconds: float | None) -> str:
    """`0.4 s` under a minute (a tiny run trains in less than one), else `3 m 05 s`."""
    if seconds is None:
        return "not recorded"
    return f"{seconds:.1f} s" if seconds < 60 else fmt_duration(seconds)


def _figure(value: float | None, spec: str, unit: str) -> str:
    return "not recorded" if value is None else f"{format(value, spec)} {unit}"


def _intro(record: RunRecord, config: RunConfig) -> list[str]:
    lines = [f"# Model card: greentui run {code(record.id)}", "",
             f"{code(config.model)} fine-tuned on {code(config.dataset)} for text classification (text column "
             f"{code(config.text_column)}, label column {code(config.label_column)}) by greentui run {code(record.id)}, "
             f"named {code(record.name)}" + (f", finished {text(record.finished_at)}" if record.finished_at else "") + "."]
    if is_simulated(record.measurement):
        lines += ["", "> **Simulated GPU.** This run was measured on a simulated GPU (a test stand-in for NVML), "
                      "not real hardware: its GPU energy, and so its energy and emissions, are not a measurement."]
    contended = contention_text(record.measurement)
    if contended:
        lines += ["", f"> **Contended.** Other work shared this run's devices ({text(contended)}): its energy "
                      "and emissions may include that work's."]
    return lines


def _compression(config: RunConfig) -> list[str]:
    """What the inference phase applied to its deployed copy (the saved weights are before it)."""
    return ([f"quantization {code(config.quantization)}"] if config.quantization != "none" else []) + (
        [f"pruning {config.pruning:g} ({code(config.pruning_method)})"] if config.pruning > 0 else [])


def _training(record: RunRecord, config: RunConfig) -> list[str]:
    metrics, techniques = record.metrics, record.techniques()
    lines = ["## Training", "",
             "- Techniques: " + (", ".join(code(t) for t in techniques) if techniques else "none (plain fine-tuning)")]
    if config.distill_from:
        lines.append(f"- Training type: knowledge distillation from {code(config.distill_from)}"
                     + (" (LoRA)" if config.lora else "") + f", temperature {config.distill_temperature:g}, alpha "
                     f"{config.distill_alpha:g}; the teacher's forward passes were measured in training, so they are "
                     "in its energy and emissions")
    else:
        lines.append(f"- Training type: {text(training_type(record))}"
                     + (f", rank {config.lora_r}, adapters merged into the saved weights" if config.lora else ""))
    samples = [f"{int(n)} {what} examples" for key, what in (("train_samples", "training"), ("eval_samples", "evaluation"))
               if (n := _number(metrics, key)) is not None]
    epochs = f"{config.epochs:g} epoch" + ("" if config.epochs == 1 else "s")
    lines.append(f"- Data: {', '.join([*samples, epochs])}, batch size {config.batch_size}, learning rate "
                 f"{config.learning_rate:g}, optimizer {code(config.optimizer)}, seed {config.seed}")
    compression = _compression(config)
    if compression:
        lines.append(f"- These weights are the fine-tuned model before compression: {' and '.join(compression)} "
                     "applied only to the deployed copy that the inference phase measured")
    duration, measured_s = _number(metrics, "duration_s"), _number(metrics, "measured_s")
    lines.append(f"- Training time: {_duration(duration)}"
                 + (f" (the whole measured run, loading, evaluation, saving and the inference phase included: "
                    f"{_duration(measured_s)})" if measured_s is not None else ""))
    return lines


def _results(record: RunRecord, config: RunConfig) -> list[str]:
    metrics = record.metrics
    accuracy, held_out = _number(metrics, "accuracy"), _number(metrics, "eval_samples")
    lines = ["## Results", "", "- Accuracy: " + ("not recorded" if accuracy is None else f"{accuracy:.4f}" + (
        f" on {int(held_out)} held-out examples" if held_out is not None else ""))]
    f1, deployed, saved = (_number(metrics, k) for k in ("f1", "inference_accuracy", "saved_model_mb"))
    if f1 is not None:
        lines.append(f"- F1: {f1:.4f}")
    if deployed is not None and _compression(config):
        lines.append(f"- Accuracy of the deployed (compressed) copy: {deployed:.4f}")
    if saved is not None:
        lines.append(f"- Saved weights: {saved:.3f} MB")
    return lines


def _energy(record: RunRecord) -> list[str]:
    metrics, measurement = record.metrics, record.measurement
    kwh, inference = training_energy_kwh(record), _inference_phase(record)
    lines = ["## Energy and emissions", "",
             f"- Training energy: {_figure(kwh, '.4g', 'kWh')}" + (stated_uncertainty(record) if kwh is not None else ""),
             f"- Training emissions: {training_emissions_g(record):.4g} g CO2-eq, the metadata's "
             "`co2_eq_emissions.emissions`: the whole run (loading, training, evaluation, saving)"
             + (" less its inference phase" if inference else "")]
    if inference is not None:
        total_kg = _number(metrics, "emissions_kg")
        total_g = None if total_kg is None else total_kg * 1000
        lines.append(f"- Not training, so left out: the inference phase, which measured the model as deployed "
                     f"({inference[0]:.4g} kWh, {inference[1] * 1000:.4g} g CO2-eq); the whole run used "
                     f"{_figure(_number(metrics, 'energy_kwh'), '.4g', 'kWh')}, {_figure(total_g, '.4g', 'g CO2-eq')}")
    intensity_source = measurement.get("carbon_intensity_source")
    lines.append(f"- Carbon intensity: {_figure(_number(measurement, 'carbon_intensity_g_per_kwh'), '.0f', 'g CO2-eq/kWh')}"
                 + (f", {text(intensity_source)}" if isinstance(intensity_source, str) and intensity_source else "")
                 + f"; location: {text(geographical_location(record))}")
    how = [f"{what}: {text(measurement[key])}" for key, what in (("cpu", "CPU"), ("ram", "RAM"), ("gpu", "GPU"))
           if isinstance(measurement.get(key), str) and measurement.get(key)]
    interval = _number(measurement, "interval_s")
    lines.append(f"- Measurement: {text(source(record))}" + (f", sampling every {interval:g} s" if interval else "")
                 + ("; " + "; ".join(how) if how else ""))
    lines.append(f"- Hardware: {text(hardware_used(record))}")
    software = [f"{text(name)} {text(v)}" for name, v in record.versions.items() if isinstance(v, str)]
    if software:
        lines.append(f"- Software: {', '.join(software)}")
    return lines


def body(record: RunRecord) -> str:
    """The card's Markdown after the front matter."""
    config = stored_config(record)
    sections = [_intro(record, config), _training(record, config), _results(record, config), _energy(record),
                ["## Reproduce", "", "With greentui installed, in a folder of your choice:", "",
                 *_fenced(reproduce_command(record))]]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def model_card(record: RunRecord) -> str:
    """The whole README.md: front matter, then the body."""
    return yaml_text(front_matter(record)) + "\n" + body(record)
