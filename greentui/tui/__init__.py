"""The greentui terminal UI (Textual). Imports nothing heavier than Textual and the light core."""
