"""Errors that reach a user as one sentence (the CLI prints them and exits with status 2)."""


class InputError(ValueError):
    """Bad input from a user (a negative target, an empty reason, an unknown rep): nothing was
    written, and the message says what to change."""
