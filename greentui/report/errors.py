"""The report's error, importable without the report's machinery (the CLI catches it on every command)."""


class ReportError(ValueError):
    """A report, a figure or a model card cannot be made as asked; the message names the option, value or path."""
