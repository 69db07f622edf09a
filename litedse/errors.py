"""User-facing errors. The CLI turns these into one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER = 4


class LitedseError(Exception):
    """Base class of errors that are the user's to fix."""

    exit_code = EXIT_BAD_INPUT


class InputError(LitedseError):
    """Bad input: names the file, the key path, the value and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 value: object = None, expected: str | None = None):
        self.file, self.key, self.value, self.expected = file, key, value, expected
        parts = []
        if file:
            parts.append(str(file))
        if key:
            parts.append(key)
        head = ": ".join(parts)
        text = message
        if value is not None:
            text += f" (got {value!r})"
        if expected:
            text += f"; expected {expected}"
        super().__init__(f"{head}: {text}" if head else text)


class InternalError(LitedseError):
    """litedse disagrees with itself (a re-check failed): a bug, reported in one line, never a result."""

    exit_code = EXIT_INTERNAL


class SolverError(LitedseError):
    """The solver stopped without a result litedse can vouch for (neither an optimum, a proof of
    infeasibility nor a time limit): never reported as infeasible or optimal."""

    exit_code = EXIT_SOLVER


class InfeasibleError(LitedseError):
    """The instance is well formed but no design meets its requirements; says which and by how much."""

    exit_code = EXIT_INFEASIBLE
