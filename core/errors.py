"""Errors shared by every entry point (app, CLI, worker)."""


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message says which and how to fix it."""
