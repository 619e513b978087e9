"""The error every user-facing failure of the world, site and tools layers is raised as.

The command line turns a ``HubError`` into one readable line and its exit code; the server
turns it into a refusal to start. Nothing below the CLI prints.
"""

from __future__ import annotations


class HubError(Exception):
    """A failure with a message meant for a person: what is wrong, and where."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(HubError):
    """The command was called wrongly (bad flag value, missing argument)."""

    exit_code = 2


class InputFileError(HubError):
    """A file given to us is missing, unreadable or not what it should be."""

    exit_code = 3
