"""Guideline edits are optimistic: a stale save is refused, names who saved, writes nothing."""

from __future__ import annotations

import pytest

from store.audit import audit_entries
from store.guidelines import guideline, save_guideline
from store.labels import ConcurrentEdit


def test_a_stale_guideline_edit_is_refused(store) -> None:
    save_guideline(store.engine, 89, "Parameters, always.", "lena", expected_version=0)
    save_guideline(store.engine, 89, "Parameters, always. ORMs too.", "omar", expected_version=1)
    with pytest.raises(ConcurrentEdit, match="saved by omar while you edited it"):
        save_guideline(store.engine, 89, "lena's older draft", "lena", expected_version=1)
    with pytest.raises(ConcurrentEdit):
        save_guideline(store.engine, 78, "new", "lena", expected_version=3)
    current = guideline(store.engine, 89)
    assert (current.text, current.version) == ("Parameters, always. ORMs too.", 2)
    assert guideline(store.engine, 78) is None
    edits = audit_entries(store.engine, action="guideline.edit")
    assert [(e.actor, e.after["version"]) for e in edits] == [("omar", 2), ("lena", 1)]
