"""Errors that stop a run before any rule can look at the design (exit code 2)."""
from __future__ import annotations


class InputError(Exception):
    """Unreadable or unusable input: a missing file, a malformed document, a catalog outside the repository.

    Carries the file and, where there is one, the JSON Pointer and line:col of the place.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, pointer: str | None = None,
                 line: int | None = None, col: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.pointer = pointer
        self.line = line
        self.col = col
        self.hint = hint

    def render(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        s = f"{where}: error: {self.message}"
        if self.pointer not in (None, ""):
            s += f" (at {self.pointer})"
        if self.hint:
            s += f"\n  hint: {self.hint}"
        return s


class InternalError(Exception):
    """A bug in rackforge met while checking a design (a rule or an analysis raised): exit code 3.

    ``where`` names the rule or stage ("rule RF105 (mount-wider-than-frame)"), ``file`` the design. The CLI
    prints one line asking for a report instead of a traceback (``--debug`` or ``RACKFORGE_DEBUG=1`` show it).
    """

    exit_code = 3

    def __init__(self, where: str, *, file: str | None = None) -> None:
        super().__init__(where)
        self.where = where
        self.file = file
