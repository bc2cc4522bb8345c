"""Property tests: real reports, damaged, never make a parser fail with anything but IngestError.

Parsers read documents they did not write. Whatever shape a document has, `parse_document`
returns a `ParsedReport` or raises an `ingest.errors.IngestError` subclass saying what is
wrong; a KeyError, TypeError, ValidationError or RecursionError is a bug. The documents are
every real report we have (examples/reports, tests/fixtures/reports, and ../shared/data/scans
when it is there), damaged a few nodes at a time (at random, with hypothesis) and one field at a
time (every field, deterministically); the files' bytes are damaged for `load_document`.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.finding import ParsedReport
from ingest.errors import IngestError, MalformedReport
from ingest.parsers import EMPTY, detect_format, parse_document
from ingest.pipeline import load_document
from tests.shared_data import SHARED_DATA

REPO_ROOT = Path(__file__).resolve().parents[1]

# Long arrays are cut to their first items, and objects with very many keys (Bandit's
# per-file `metrics`) to their first keys: the parsers treat every item alike, and small
# documents keep each example fast enough for many examples.
MAX_ITEMS = 5
MAX_KEYS = 40

# FLYWHEEL_FUZZ_SCALE=20 (say) runs twenty times as many examples, at random: a longer hunt
# than CI's, for a nightly job or after changing a parser.
SCALE = max(1, int(os.environ.get("FLYWHEEL_FUZZ_SCALE", "1")))

SETTINGS = settings(
    deadline=None,
    derandomize=SCALE == 1,  # the same examples on every run: CI is stable
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _report_files() -> list[Path]:
    roots = [REPO_ROOT / "examples" / "reports", REPO_ROOT / "tests" / "fixtures" / "reports"]
    if (SHARED_DATA / "scans").is_dir():
        roots.append(SHARED_DATA / "scans")
    return [
        path
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in {".json", ".sarif"}
    ]


def _name(path: Path) -> str:
    for root in (REPO_ROOT, SHARED_DATA):
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def _trim(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _trim(value) for key, value in list(node.items())[:MAX_KEYS]}
    if isinstance(node, list):
        return [_trim(item) for item in node[:MAX_ITEMS]]
    return node


def _load_all() -> tuple[dict[str, bytes], dict[str, tuple[Any, str | None]]]:
    """Each file's bytes, and each loadable file's trimmed document and detected format."""
    raw: dict[str, bytes] = {}
    documents: dict[str, tuple[Any, str | None]] = {}
    for path in _report_files():
        data = path.read_bytes()
        name = _name(path)
        raw[name] = data
        if not data.strip():
            continue  # osv_scanner/no_findings.json: 0 bytes, the pipeline's EmptyReport
        document = load_document(data, path)
        fmt = detect_format(document)
        documents[name] = (_trim(document), None if fmt == EMPTY else fmt)
    return raw, documents


# Loaded once, at import.
RAW, DOCUMENTS = _load_all()
DOCUMENT_NAMES = sorted(DOCUMENTS)
RAW_NAMES = sorted(name for name, data in RAW.items() if data)


# ---- structural damage ----

Path_ = tuple[str | int, ...]

STRINGS = st.sampled_from(
    ["", " ", "requires login", "²", "9" * 5000, "-1", "0", "2.1.0", "CWE-79", "file:///", "null"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    STRINGS,
    st.text(max_size=10),
)
REPLACEMENTS = st.one_of(
    SCALARS, st.just([]), st.just({}), st.lists(SCALARS, min_size=1, max_size=1)
)


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """The path of every node in the tree, the root's () first."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _paths(item, (*prefix, i))
    return out


def _field(path: Path_) -> str:
    """The schema path of the node at `path`: keys, with [] for any array item."""
    return "/".join("[]" if isinstance(step, int) else step for step in path) or "$"


def _edit(node: Any, path: Path_, op: str, value: Any = None) -> Any:
    """A copy of the tree with one edit at `path`; only the containers on the path are copied."""
    if not path:
        return value if op == "replace" else [node] if op == "wrap" else node
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copied: Any = dict(node)
    else:
        copied = list(node)
    if rest:
        copied[head] = _edit(node[head], rest, op, value)
    elif op == "replace":
        copied[head] = value
    elif op == "wrap":
        copied[head] = [node[head]]
    elif op == "delete":
        del copied[head]
    elif op == "duplicate":
        copied.insert(head, copy.deepcopy(node[head]))
    return copied


@st.composite
def damaged(draw: st.DrawFn, document: Any) -> Any:
    """The document with one to three nodes replaced, deleted, duplicated or wrapped."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "wrap"]))
        if op == "delete":
            candidates = [p for p in paths if p]  # a key of an object, or an item of a list
        elif op == "duplicate":
            candidates = [p for p in paths if p and isinstance(p[-1], int)]
        else:
            candidates = paths
        if not candidates:
            op, candidates = "replace", paths
        if draw(st.booleans()):
            # Any node, uniformly.
            path = draw(st.sampled_from(candidates))
        else:
            # Any field, uniformly, then one of its occurrences: a field that appears once
            # (runs/[]/results/[]/kind) is as likely as one that appears a hundred times.
            fields: dict[str, list[Path_]] = {}
            for candidate in candidates:
                fields.setdefault(_field(candidate), []).append(candidate)
            field = draw(st.sampled_from(sorted(fields)))
            path = draw(st.sampled_from(fields[field]))
        value = draw(REPLACEMENTS) if op == "replace" else None
        document = _edit(document, path, op, value)
    return document


def _parses_or_ingest_error(document: Any, fmt: str | None) -> None:
    try:
        report = parse_document(document, fmt)
    except IngestError:
        return
    assert isinstance(report, ParsedReport)


def test_documents_loaded() -> None:
    # The repository's own reports are always there; the shared ones when present.
    assert "examples/reports/semgrep.sarif" in DOCUMENTS
    assert "tests/fixtures/reports/snyk/snyk_code.sarif" in DOCUMENTS
    assert len(DOCUMENTS) >= 11


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_undamaged_documents_parse(name: str) -> None:
    document, fmt = DOCUMENTS[name]
    _parses_or_ingest_error(document, None)
    _parses_or_ingest_error(document, fmt)


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
@settings(SETTINGS, max_examples=150 * SCALE)
@given(data=st.data())
def test_damaged_documents_fail_cleanly(name: str, data: st.DataObject) -> None:
    original, fmt = DOCUMENTS[name]
    document = data.draw(damaged(original), label="document")
    # With detection ...
    _parses_or_ingest_error(document, None)
    # ... and with the original's format named (skipping detection).
    if fmt is not None:
        _parses_or_ingest_error(document, fmt)


# Every field of every document (once per format and schema path), replaced in turn by each
# of these: deterministic, so a field that a parser mishandles is caught on every run, not
# only when the random examples happen to pick it.
def _deep(depth: int) -> Any:
    """An array nested `depth` deep: what a recursive reader would not survive."""
    node: Any = []
    for _ in range(depth):
        node = [node]
    return node


NASTY = {
    "null": None,
    "[]": [],
    "{}": {},
    '["x"]': ["x"],
    '"9" * 5000': "9" * 5000,
    "-1": -1,
    "true": True,
    "[[...]] 5000 deep": _deep(5000),
}


def _fields_by_document() -> dict[str, list[Path_]]:
    seen: set[tuple[str | None, str]] = set()
    out: dict[str, list[Path_]] = {}
    for name in DOCUMENT_NAMES:
        document, fmt = DOCUMENTS[name]
        for path in _paths(document):
            if (fmt, _field(path)) not in seen:
                seen.add((fmt, _field(path)))
                out.setdefault(name, []).append(path)
    return out


FIELDS = _fields_by_document()


EDITS = [(f"replace with {label}", value) for label, value in NASTY.items()]
EDITS += [("delete", None), ("wrap", None)]


# Regression: fails today, for these bugs in the parsers (each shown alone by a test named below):
# - scans/sarif/appendix_k.sarif, "runs/[]/results/[]/kind: replace with []": TypeError
#   "unhashable type: 'list'" from ingest/parsers/sarif.py (`result.get("kind") in
#   _NOT_FINDINGS`); tests/parsers/test_sarif.py::test_ill_typed_result_kind_is_absent.
# - examples/reports/semgrep.sarif "version", appendix_k.sarif
#   "runs/[]/results/[]/message/arguments", scans/trivy/all_statuses.json "SchemaVersion",
#   each "replace with [[...]] 5000 deep": RecursionError from repr()/str() of the value;
#   test_deeply_nested_valid_json_fails_cleanly below.
@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_replaced(name: str) -> None:
    original, fmt = DOCUMENTS[name]
    failures = []
    for path in FIELDS[name]:
        for op, value in EDITS:
            if op == "delete" and not path:
                continue
            document = _edit(original, path, op.split()[0], value)
            try:
                _parses_or_ingest_error(document, fmt)
                _parses_or_ingest_error(document, None)
            except Exception as error:
                failures.append(f"{_field(path)}: {op}: {type(error).__name__}: {error}"[:300])
    assert not failures, "\n".join(failures)


def _nested_json(document: Any) -> bytes:
    """The document as JSON, with its "DEEP" string replaced by an array nested 1,000 deep."""
    return json.dumps(document).replace('"DEEP"', "[" * 1000 + "]" * 1000).encode()


_ONE_RESULT_RUN = {
    "tool": {"driver": {"name": "x"}},
    "results": [{"ruleId": "R", "message": {"text": "{0}", "arguments": ["DEEP"]}}],
}


@pytest.mark.parametrize(
    "document",
    [
        # SARIF whose version is an array nested 1,000 deep.
        {"version": "DEEP", "runs": []},
        # A SARIF message argument nested 1,000 deep.
        {"version": "2.1.0", "runs": [_ONE_RESULT_RUN]},
        # Trivy whose SchemaVersion is an array nested 1,000 deep.
        {"SchemaVersion": "DEEP", "Results": []},
    ],
    ids=["sarif-version", "sarif-message-argument", "trivy-schema-version"],
)
def test_deeply_nested_valid_json_fails_cleanly(document: Any) -> None:
    # Regression: orjson loads JSON nested up to 1,024 deep, but Python's repr()/str() of a list
    # nested ~1,000 deep raises RecursionError. The parsers repr/str values they do not
    # control: ingest/parsers/sarif.py `f"SARIF version {version!r} ..."` and `str(a)` for
    # message arguments in `_message`, ingest/parsers/trivy.py `f"Trivy SchemaVersion
    # {version!r} ..."`. So a valid JSON file crashes ingest with RecursionError instead of an
    # IngestError naming the file. (The repr also puts the whole value, of any size, into the
    # error message: "9" * 5000 gives a 5,000-character message.)
    loaded = load_document(_nested_json(document), "/reports/deep.json")  # valid JSON
    _parses_or_ingest_error(loaded, None)


# ---- byte damage ----

BOM = b"\xef\xbb\xbf"


@st.composite
def damaged_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(RAW_NAMES))
    data = RAW[name]
    offset = draw(st.integers(min_value=0, max_value=len(data)))
    op = draw(st.sampled_from(["truncate", "flip", "insert", "bom-truncate"]))
    if op == "truncate":
        return name, data[:offset]
    if op == "bom-truncate":
        return name, (BOM + data)[: offset + draw(st.integers(min_value=0, max_value=3))]
    if op == "flip":
        offset = min(offset, len(data) - 1)
        mask = draw(st.integers(min_value=1, max_value=255))
        return name, data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1 :]
    inserted = draw(st.binary(min_size=1, max_size=8))
    return name, data[:offset] + inserted + data[offset:]


@settings(SETTINGS, max_examples=300 * SCALE)
@given(case=damaged_bytes())
def test_damaged_bytes_load_or_malformed(case: tuple[str, bytes]) -> None:
    name, data = case
    path = Path("/reports") / name
    try:
        document = load_document(data, path)
    except MalformedReport as error:
        assert error.path == str(path)
        assert str(error).startswith(f"{path}: not valid JSON")
        return
    # It still loads: then it parses, or fails with an IngestError.
    _parses_or_ingest_error(document, None)


@pytest.mark.parametrize("name", [name for name in RAW_NAMES if len(RAW[name]) <= 4096])
def test_every_truncation_of_small_files(name: str) -> None:
    # Every prefix of the small files (4 KiB or less), exhaustively: a cut anywhere (inside a
    # string, a number, a multi-byte UTF-8 character) loads or is a MalformedReport naming the
    # file.
    data = RAW[name]
    path = Path("/reports") / name
    for offset in range(len(data)):
        try:
            load_document(data[:offset], path)
        except MalformedReport as error:
            assert error.path == str(path)
            assert str(error).startswith(f"{path}: not valid JSON")
