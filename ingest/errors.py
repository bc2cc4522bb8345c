"""Errors raised while ingesting reports.

Every error names the file and what was wrong with it, and says what to do. The pipeline
catches only these: anything else is a bug and propagates.
"""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Base class: a report could not be ingested. Nothing from it was written."""

    def __init__(self, path: str | Path | None, reason: str, hint: str = "") -> None:
        self.path = str(path) if path is not None else "<document>"
        self.reason = reason
        self.hint = hint
        message = f"{self.path}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)

    def with_path(self, path: str | Path) -> IngestError:
        """The same error, naming the file (parsers are pure and do not know it)."""
        clone = type(self).__new__(type(self))
        IngestError.__init__(clone, path, self.reason, self.hint)
        return clone


class EmptyReport(IngestError):
    """The file has no content at all (0 bytes or only whitespace)."""


class ReportTooLarge(IngestError):
    """The file is larger than the configured limit."""


class UnreadableReport(IngestError):
    """The file could not be opened or read (missing, a directory, no permission)."""


class MalformedReport(IngestError):
    """The file is not valid JSON (truncated, not UTF-8), or breaks the format it is in."""


class UnsupportedFormat(IngestError):
    """The document matches no known format, or a version of a format we do not read."""

    def __init__(
        self, path: str | Path | None, reason: str, detected: str | None = None, hint: str = ""
    ) -> None:
        self.detected = detected
        super().__init__(path, reason, hint)

    def with_path(self, path: str | Path) -> UnsupportedFormat:
        return UnsupportedFormat(path, self.reason, self.detected, self.hint)
