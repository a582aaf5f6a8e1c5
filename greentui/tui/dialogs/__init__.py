"""Modal dialogs: confirm, text prompt, help."""
