"""What the machine can run, checked before a run starts: the rules, the probe, and the refusals in the CLI and the form."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch
from textual.widgets import Button, Select

from greentui.config import RunConfig
from greentui.runs.capabilities import MachineFacts, machine_facts, needs_facts, refusal
from greentui.store.run_store import RunStore
from greentui.tui.app import create_app
from greentui.worker.capabilities import facts_here
from tests.support import SIZE, greentui, isolated_env, wait_until_pilot  # noqa: F401 - autouse fixture

CPU_ONLY = MachineFacts(cpu_fp16_linear=True, cpu_bf16_linear=True, int8_engine=True)
GPU = MachineFacts(cuda=True, cuda_bf16=True, cpu_fp16_linear=True, cpu_bf16_linear=True, int8_engine=True)
OLD_GPU = replace(GPU, cuda_bf16=False)
NO_CUDA = not torch.cuda.is_available()


@pytest.mark.parametrize(("changes", "facts", "key", "says"), [
    ({"mixed_precision": "fp16"}, CPU_ONLY, "mixed_precision", "needs a CUDA GPU"),
    ({"mixed_precision": "bf16"}, OLD_GPU, "mixed_precision", "does not support bf16"),
    ({"quantization": "dynamic-int8"}, GPU, "quantization", "CPU only"),
    ({"quantization": "dynamic-int8"}, replace(CPU_ONLY, int8_engine=False), "quantization", "no quantized CPU engine"),
    ({"quantization": "fp16"}, replace(CPU_ONLY, cpu_fp16_linear=False), "quantization", "cannot run fp16"),
    ({"quantization": "bf16"}, OLD_GPU, "quantization", "does not support bf16"),
])
def test_what_a_machine_cannot_run_is_refused_naming_the_key(changes, facts, key, says) -> None:
    found = refusal(RunConfig.from_mapping(changes), facts)
    assert found is not None and found[0] == key and says in found[1]


@pytest.mark.parametrize(("changes", "facts"), [
    ({"mixed_precision": "fp16"}, GPU), ({"mixed_precision": "bf16"}, CPU_ONLY), ({"quantization": "dynamic-int8"}, CPU_ONLY),
    ({"quantization": "bf16"}, GPU), ({}, MachineFacts()),
])
def test_what_a_machine_can_run_passes(changes, facts) -> None:
    assert refusal(RunConfig.from_mapping(changes), facts) is None


def test_only_configs_that_depend_on_the_machine_need_the_probe() -> None:
    assert not needs_facts(RunConfig())
    assert needs_facts(RunConfig(mixed_precision="bf16")) and needs_facts(RunConfig(quantization="fp16"))


def test_the_probe_subprocess_reports_what_torch_here_says() -> None:
    assert machine_facts() == facts_here()
    assert machine_facts().cuda == torch.cuda.is_available()


def test_a_probe_answer_is_read_strictly() -> None:
    # Only a JSON true counts: "yes" or 1 from a broken probe never switches a capability on.
    facts = MachineFacts.from_json(json.dumps({"cuda": "yes", "cuda_bf16": 1, "int8_engine": True, "extra": True}))
    assert asdict(facts) == {**asdict(MachineFacts()), "int8_engine": True}
    with pytest.raises(ValueError):
        MachineFacts.from_json("[1, 2]")


@pytest.mark.skipif(not NO_CUDA, reason="fp16 is allowed where CUDA exists")
def test_the_cli_refuses_fp16_without_cuda_before_writing_anything(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.json"
    result = greentui("run", "--set", "mixed_precision=fp16", store=store_path)
    assert result.returncode != 0
    assert "'mixed_precision'" in result.stderr and "CUDA" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not store_path.exists() or RunStore(store_path).summaries() == []


@pytest.mark.skipif(not NO_CUDA, reason="fp16 is allowed where CUDA exists")
async def test_the_form_refuses_fp16_without_cuda_with_the_reason(tmp_path: Path) -> None:
    app = create_app(tmp_path / "runs.json")
    async with app.run_test(size=SIZE) as pilot:
        field = app.screen.fields()["mixed_precision"]
        field.query_one(Select).value = "fp16"
        await wait_until_pilot(pilot, lambda: field.has_class("invalid"), "the form to learn the machine has no CUDA")
        assert "needs a CUDA GPU" in str(field.query_one(".field-error").render())
        assert app.screen.query_one("#run-button", Button).disabled
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not (tmp_path / "runs.json").exists() or RunStore(tmp_path / "runs.json").summaries() == []
        field.query_one(Select).value = "bf16"  # autocasts on the CPU: allowed again
        await wait_until_pilot(pilot, lambda: not field.has_class("invalid"), "bf16 to be accepted")
