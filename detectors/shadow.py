"""The copy of the code the scanners read: Python spelled out and statically decided.

Both Semgrep and Bandit scan a scratch tree holding only the files asked for, each Python file
rewritten by `detectors.deobfuscate` (indirect calls spelled out) and then
`detectors.simplify` (constant conditions decided, dead branches removed, known container
reads resolved). Every rewrite keeps line numbers and the tree keeps relative paths, so a
finding on the copy names the user's file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from detectors.deobfuscate import deobfuscate
from detectors.scratch import scratch_directory
from detectors.simplify import simplify


def normalized_text(text: str) -> str:
    return simplify(deobfuscate(text))


@contextmanager
def normalized_copy(root: Path, files: Iterable[str], *, normalize: bool = True) -> Iterator[Path]:
    """A scratch tree with `files` (relative to `root`); Python normalized unless told not to."""
    with scratch_directory("flywheel-scan-") as folder:
        tree = Path(folder)
        for name in sorted(set(files)):
            try:
                text = (root / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # vanished or unreadable since it was listed: nothing to scan
            if normalize and name.endswith(".py"):
                text = normalized_text(text)
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield tree
