"""greentui: fine-tuning experiments and what they cost in energy, in a terminal."""

__version__ = "0.1.0"
