"""Errors the core raises with a one-line message meant for the user."""


class ModelLoadError(ValueError):
    """A file could not be opened as a generator; the message says why, in one line."""
