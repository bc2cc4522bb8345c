"""Errors of the findings store: every message names what was wrong and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not be opened or migrated, or a write was refused; nothing was written."""
