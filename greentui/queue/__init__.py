"""The store's queue: one runner process per store works through every sweep and queued run, on an executor."""
