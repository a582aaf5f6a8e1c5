"""Reusable widgets: config form fields, charts, the live status strip."""
