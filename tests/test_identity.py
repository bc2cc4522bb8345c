"""Identity (`core.identity`): fingerprints, match keys, cross-tool keys; and `core.cwe`.

The core promise: a finding keeps its fingerprint when the file changes around it (lines
inserted above, blank lines, re-indentation), because line numbers are never part of it.
Findings here are built the way the pipeline builds them: context from a real file, then
`assign_identities`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.cwe import cwe_class, cwes_from_tags, parse_cwe
from core.finding import Finding, Kind
from core.identity import (
    GroupCandidate,
    assign_identities,
    basis_of,
    cross_tool_keys,
    digest,
    identity_basis,
)
from core.severity import Severity
from ingest.code_context import ContextReader
from store.writer import prepare_finding


def make(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "tool": "bandit",
        "rule_id": "B602",
        "message": "subprocess call with shell=True identified, security issue.",
        "severity": Severity.HIGH,
        "path": "app.py",
    }
    values.update(overrides)
    return Finding(**values)


APP = """\
import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)
    return 0


def other(cmd):
    subprocess.call(cmd, shell=True)
    return 1


def twice(cmd):
    log(cmd)
    subprocess.call(cmd, shell=True)
    log(cmd)
    subprocess.call(cmd, shell=True)
    log(cmd)
"""


def lines_of(text: str, needle: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line]


def scan(root: Path, text: str, specs: list[dict[str, Any]]) -> list[Finding]:
    """Write app.py, build one finding per spec, add context, assign identities."""
    (root / "app.py").write_text(text)
    reader = ContextReader(root)
    findings = [make(**spec) for spec in specs]
    for finding in findings:
        reader.apply(finding)
    unique, repeats = assign_identities(findings)
    assert repeats == 0
    return unique


def shell_calls(root: Path, text: str) -> list[Finding]:
    """A B602 finding on every `subprocess.call` line of `text`, in line order."""
    return scan(root, text, [{"start_line": n} for n in lines_of(text, "subprocess.call")])


# Edits that must not change fingerprints: (edit of APP, comment).
STABLE_EDITS = [
    # Lines inserted at the top of the file: every finding moves down.
    pytest.param(
        lambda t: '"""Module docstring."""\nimport os\nimport sys\n' + t, id="lines-inserted-at-top"
    ),
    # A new function inserted between two others.
    pytest.param(
        lambda t: t.replace("def other", "def added():\n    pass\n\n\ndef other"),
        id="function-inserted-between",
    ),
    # One blank line right above each flagged line.
    pytest.param(
        lambda t: t.replace("    subprocess.call", "\n    subprocess.call"),
        id="one-blank-line-above",
    ),
    # Two blank lines right above each flagged line (still inside the 3-line snippet).
    pytest.param(
        lambda t: t.replace("    subprocess.call", "\n\n    subprocess.call"),
        id="two-blank-lines-above",
    ),
    # Blank lines below each flagged line.
    pytest.param(lambda t: t.replace("shell=True)\n", "shell=True)\n\n\n"), id="blank-lines-below"),
    # Unrelated lines re-indented (import moved into a try block).
    pytest.param(
        lambda t: t.replace(
            "import subprocess\n", "try:\n    import subprocess\nexcept ImportError:\n    raise\n"
        ),
        id="unrelated-lines-reindented",
    ),
    # Whole file re-indented: every function moved into a class (indentation is folded).
    pytest.param(
        lambda t: (
            "class Tasks:\n"
            + "".join(
                ("    " + line if line.strip() else line) for line in t.splitlines(keepends=True)
            )
        ),
        id="everything-reindented-into-class",
    ),
    # Runs of spaces/tabs inside the flagged line, and trailing spaces (each run folds to one
    # space; adding a space where there was none is a change).
    pytest.param(
        lambda t: t.replace("call(cmd, shell=True)", "call(cmd,\t  shell=True)   "),
        id="inner-whitespace-folded",
    ),
]


@pytest.mark.parametrize("edit", STABLE_EDITS)
def test_fingerprints_survive_edits_around_findings(tmp_path: Path, edit: Any) -> None:
    before = shell_calls(tmp_path, APP)
    after = shell_calls(tmp_path, edit(APP))
    assert len(before) == len(after) == 4
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]
    assert [f.match_key for f in after] == [f.match_key for f in before]
    assert len({f.fingerprint for f in before}) == 4


def test_inserting_lines_moves_findings_but_keeps_fingerprints(tmp_path: Path) -> None:
    before = shell_calls(tmp_path, APP)
    after = shell_calls(tmp_path, "# header\n" * 10 + APP)
    for old, new in zip(before, after, strict=True):
        assert new.start_line == old.start_line + 10
        assert new.fingerprint == old.fingerprint


def test_three_blank_lines_above_keep_the_fingerprint(tmp_path: Path) -> None:
    # Regression: the neighbour above is taken from the snippet, which holds only CONTEXT_LINES (3)
    # lines. With 3 blank lines between `def run(cmd):` and the flagged line, the snippet above
    # is all blank, the "nearest non-blank line above" becomes "" and the fingerprint changes,
    # though only blank lines were added (normalize_code promises blank lines do not count).
    # Fix: look for neighbours in the file (or widen the snippet past blank lines).
    before = shell_calls(tmp_path, APP)
    after = shell_calls(tmp_path, APP.replace("    subprocess.call", "\n\n\n    subprocess.call"))
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]


def test_same_line_in_different_functions_differs_by_neighbours(tmp_path: Path) -> None:
    run, other, *_ = shell_calls(tmp_path, APP)
    assert run.flagged_text == other.flagged_text
    assert run.fingerprint != other.fingerprint
    # The looser key ignores neighbours: the same flagged text in the same file.
    assert run.match_key == other.match_key


def test_identical_lines_with_identical_neighbours_get_ordinals_in_line_order(
    tmp_path: Path,
) -> None:
    lines = lines_of(APP, "subprocess.call")[2:]  # the two calls in twice(), both log-wrapped
    # Given in reverse order: ordinals still follow line order.
    second, first = scan(tmp_path, APP, [{"start_line": lines[1]}, {"start_line": lines[0]}])
    assert identity_basis(first) == identity_basis(second)
    assert first.fingerprint == digest("bandit", *identity_basis(first), 0)
    assert second.fingerprint == digest("bandit", *identity_basis(second), 1)


def test_changed_neighbour_gives_new_fingerprint_but_same_match_key(tmp_path: Path) -> None:
    run, *_ = shell_calls(tmp_path, APP)
    edited = APP.replace(
        "    subprocess.call(cmd, shell=True)\n    return 0",
        "    subprocess.call(cmd, shell=True)\n    return 42",
    )
    run_after, *_ = shell_calls(tmp_path, edited)
    assert run_after.fingerprint != run.fingerprint
    assert run_after.match_key == run.match_key


def test_changed_flagged_line_changes_both_keys(tmp_path: Path) -> None:
    run, *_ = shell_calls(tmp_path, APP)
    run_after, *_ = shell_calls(
        tmp_path,
        APP.replace("call(cmd, shell=True)\n    return 0", "call(cmd2, shell=True)\n    return 0"),
    )
    assert run_after.fingerprint != run.fingerprint
    assert run_after.match_key != run.match_key


REPEAT_CASES = [
    # The same rule at the same place twice (a tool printing a result twice): one dropped.
    pytest.param([{}, {}], 1, id="exact-repeat"),
    # Same place, same rule, a different message: the basis is the code, so still a repeat.
    pytest.param([{}, {"message": "other words"}], 1, id="repeat-with-other-message"),
    # Same place, another rule: two findings.
    pytest.param([{}, {"rule_id": "B605"}], 0, id="other-rule"),
    # Same code basis, another column: another place, so kept (ordinal 1).
    pytest.param([{"start_column": 5}, {"start_column": 9}], 0, id="other-column"),
    # Three copies: two dropped.
    pytest.param([{}, {}, {}], 2, id="three-copies"),
]


@pytest.mark.parametrize(("overrides", "dropped"), REPEAT_CASES)
def test_exact_repeats_are_dropped_and_counted(
    tmp_path: Path, overrides: list[dict[str, Any]], dropped: int
) -> None:
    (tmp_path / "app.py").write_text(APP)
    line = lines_of(APP, "subprocess.call")[0]
    reader = ContextReader(tmp_path)
    findings = [make(start_line=line, **o) for o in overrides]
    for finding in findings:
        reader.apply(finding)
    unique, repeats = assign_identities(findings)
    assert repeats == dropped
    assert len(unique) == len(findings) - dropped
    assert unique[0] is findings[0]  # the first one is kept, in order
    assert len({f.fingerprint for f in unique}) == len(unique)


def sca(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "tool": "snyk",
        "kind": Kind.SCA,
        "rule_id": "SNYK-PYTHON-JINJA2-1012994",
        "message": "Regular Expression Denial of Service (ReDoS)",
        "package": "jinja2",
        "package_version": "2.10.1",
        "path": "requirements.txt",
        "vuln_ids": ["CVE-2020-28493"],
        "cwe_ids": [400],
    }
    values.update(overrides)
    return make(**values)


def test_sca_one_finding_per_advisory_package_and_manifest(tmp_path: Path) -> None:
    # Snyk lists the package once per dependency path: one finding.
    findings = [
        sca(raw={"from": ["app@1.0", "flask@1.0", "jinja2@2.10.1"]}),
        sca(raw={"from": ["app@1.0", "jinja2@2.10.1"]}),
    ]
    unique, repeats = assign_identities(findings)
    assert (len(unique), repeats) == (1, 1)
    assert unique[0].raw == {"from": ["app@1.0", "flask@1.0", "jinja2@2.10.1"]}


@pytest.mark.parametrize(
    ("overrides", "same"),
    [
        # A new installed version (still vulnerable): same finding.
        pytest.param({"package_version": "2.11.0"}, True, id="installed-version-ignored"),
        # Package name case: same.
        pytest.param({"package": "Jinja2"}, True, id="package-case-ignored"),
        # Advisory id case: same.
        pytest.param({"rule_id": "snyk-python-jinja2-1012994"}, True, id="advisory-case-ignored"),
        # Lines in the manifest: ignored.
        pytest.param({"start_line": 12}, True, id="manifest-line-ignored"),
        # Another manifest: another finding.
        pytest.param({"path": "services/api/requirements.txt"}, False, id="other-manifest"),
        # Another advisory: another finding.
        pytest.param({"rule_id": "SNYK-PYTHON-JINJA2-174126"}, False, id="other-advisory"),
        # Another package: another finding.
        pytest.param({"package": "markupsafe"}, False, id="other-package"),
    ],
)
def test_sca_fingerprint(overrides: dict[str, Any], same: bool) -> None:
    (base,), _ = assign_identities([sca()])
    (other,), _ = assign_identities([sca(**overrides)])
    assert (base.fingerprint == other.fingerprint) is same


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        # The tool's own fingerprint wins over different code text.
        pytest.param(
            {"tool_fingerprint": "abc123", "flagged_text": "x = 1"},
            {"tool_fingerprint": "abc123", "flagged_text": "y = 2"},
            True,
            id="tool-fingerprint-wins-over-code",
        ),
        # ... and over a different rule and path.
        pytest.param(
            {"tool_fingerprint": "abc123", "path": "a.py"},
            {"tool_fingerprint": "abc123", "path": "b.py", "rule_id": "B605"},
            True,
            id="tool-fingerprint-wins-over-place",
        ),
        # Different tool fingerprints on the same code: different findings.
        pytest.param(
            {"tool_fingerprint": "abc123", "flagged_text": "x = 1"},
            {"tool_fingerprint": "def456", "flagged_text": "x = 1"},
            False,
            id="different-tool-fingerprints",
        ),
        # No code: the message is the basis, with numbers masked (line numbers, counters).
        pytest.param(
            {"message": "Found 3 issues at line 12"},
            {"message": "Found 4 issues at   line 40"},
            True,
            id="message-digits-and-spaces-masked",
        ),
        # No code, different words: different findings.
        pytest.param(
            {"message": "Weak hash md5"},
            {"message": "Weak hash sha1"},
            False,
            id="message-words-differ",
        ),
        # Code beats message: same code, different messages, same finding.
        pytest.param(
            {"flagged_text": "eval(x)", "message": "a"},
            {"flagged_text": "eval(x)", "message": "b"},
            True,
            id="code-beats-message",
        ),
        # Blank flagged text counts as no code: the message decides.
        pytest.param(
            {"flagged_text": "   \n", "message": "a"},
            {"flagged_text": "   \n", "message": "b"},
            False,
            id="blank-code-falls-back-to-message",
        ),
        # Line numbers are not part of the code basis.
        pytest.param(
            {"flagged_text": "eval(x)", "start_line": 3},
            {"flagged_text": "eval(x)", "start_line": 300},
            True,
            id="line-number-ignored",
        ),
        # The same code in another file: another finding.
        pytest.param(
            {"flagged_text": "eval(x)", "path": "a.py"},
            {"flagged_text": "eval(x)", "path": "b.py"},
            False,
            id="other-path",
        ),
        # The same everything from another tool: another fingerprint.
        pytest.param(
            {"flagged_text": "eval(x)"},
            {"flagged_text": "eval(x)", "tool": "semgrep"},
            False,
            id="other-tool",
        ),
        # Even with the same tool fingerprint value.
        pytest.param(
            {"tool_fingerprint": "abc123"},
            {"tool_fingerprint": "abc123", "tool": "codeql"},
            False,
            id="other-tool-same-tool-fingerprint",
        ),
    ],
)
def test_fingerprint_basis(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    (fa,), _ = assign_identities([make(**a)])
    (fb,), _ = assign_identities([make(**b)])
    assert fa.fingerprint and fb.fingerprint
    assert (fa.fingerprint == fb.fingerprint) is same


def test_fingerprint_is_deterministic() -> None:
    (a,), _ = assign_identities([make(flagged_text="eval(x)")])
    (b,), _ = assign_identities([make(flagged_text="eval(x)")])
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 32 and int(a.fingerprint, 16) >= 0


# Cross-tool keys -----------------------------------------------------------------------------


def code_finding(
    tool: str, cwe: int | None, start: int, end: int | None = None, **overrides: Any
) -> Finding:
    values: dict[str, Any] = {
        "tool": tool,
        "rule_id": f"{tool}-rule",
        "repository": "github.com/org/repo",
        "service": "api",
        "path": "app/tasks.py",
        "cwe_ids": [cwe] if cwe else [],
        "start_line": start,
        "end_line": end,
        "flagged_text": f"line {start}",
    }
    values.update(overrides)
    (finding,), _ = assign_identities([make(**values)])
    return finding


def stored(finding: Finding) -> GroupCandidate:
    """A finding already in the store, as the store offers it to a new one."""
    basis = basis_of(finding)
    assert basis is not None
    start = finding.start_line or 0
    return GroupCandidate(
        finding.tool, basis, start, finding.end_line or start, finding.cross_tool_key
    )


def assign_cross_tool_keys(new: list[Finding], candidates: list[GroupCandidate]) -> None:
    """Key the findings the way the writer does: from what `prepare_finding` keeps of them."""
    keys = cross_tool_keys([prepare_finding(f).group for f in new], candidates)
    for finding, key in zip(new, keys, strict=True):
        finding.cross_tool_key = key


def first_key(finding: Finding) -> Finding:
    assign_cross_tool_keys([finding], [])
    return finding


CROSS_CASES = [
    # Bandit CWE-78 on lines 5-6, Semgrep CWE-77 on line 6: same class, overlapping lines.
    pytest.param(
        ("bandit", 78, 5, 6, {}), ("semgrep", 77, 6, None, {}), True, id="cwe-78-vs-77-overlapping"
    ),
    # Weak hash: 327 vs 328 are one class.
    pytest.param(
        ("bandit", 327, 10, None, {}), ("semgrep", 328, 10, 11, {}), True, id="cwe-327-vs-328"
    ),
    # Same CWE, lines touch at one line (end == start).
    pytest.param(("bandit", 89, 3, 7, {}), ("codeql", 89, 7, 9, {}), True, id="touching-lines"),
    # Same CWE, lines apart.
    pytest.param(
        ("bandit", 78, 5, 6, {}), ("semgrep", 78, 7, 8, {}), False, id="non-overlapping-lines"
    ),
    # Different classes on the same line.
    pytest.param(
        ("bandit", 78, 5, None, {}), ("semgrep", 89, 5, None, {}), False, id="different-cwe-class"
    ),
    # Another file.
    pytest.param(
        ("bandit", 78, 5, None, {}),
        ("semgrep", 78, 5, None, {"path": "b.py"}),
        False,
        id="different-path",
    ),
    # Another repository.
    pytest.param(
        ("bandit", 78, 5, None, {}),
        ("semgrep", 78, 5, None, {"repository": "github.com/org/other"}),
        False,
        id="different-repository",
    ),
    # Another service of the same repository.
    pytest.param(
        ("bandit", 78, 5, None, {}),
        ("semgrep", 78, 5, None, {"service": "web"}),
        False,
        id="different-service",
    ),
    # The same tool never groups with itself through candidates (overlapping, other line).
    pytest.param(
        ("semgrep", 78, 5, 8, {}),
        ("semgrep", 78, 6, None, {"rule_id": "other"}),
        False,
        id="same-tool",
    ),
    # The specific CWE decides the class, not a generic parent listed first ([20, 78] is 78).
    pytest.param(
        ("bandit", 78, 5, None, {}),
        ("semgrep", 20, 5, None, {"cwe_ids": [20, 78]}),
        True,
        id="specific-cwe-decides",
    ),
    # Two CWEs, neither in a known class: the first one decides.
    pytest.param(
        ("bandit", 1321, 5, None, {}),
        ("semgrep", 20, 5, None, {"cwe_ids": [20, 1321]}),
        False,
        id="else-first-cwe-decides",
    ),
]


@pytest.mark.parametrize(("old", "new", "grouped"), CROSS_CASES)
def test_cross_tool_key_with_stored_candidates(
    old: tuple[Any, ...], new: tuple[Any, ...], grouped: bool
) -> None:
    earlier = first_key(code_finding(old[0], old[1], old[2], old[3], **old[4]))
    later = code_finding(new[0], new[1], new[2], new[3], **new[4])
    assign_cross_tool_keys([later], [stored(earlier)])
    assert later.cross_tool_key
    assert (later.cross_tool_key == earlier.cross_tool_key) is grouped


def test_sca_groups_by_package_and_advisory_regardless_of_lines() -> None:
    trivy = sca(tool="trivy", rule_id="CVE-2020-28493", start_line=3, path="poetry.lock")
    grype = sca(tool="grype", rule_id="GHSA-g3rq-g295-4j3m", package="Jinja2", start_line=90)
    osv = sca(
        tool="osv-scanner",
        rule_id="PYSEC-2021-66",
        vuln_ids=["CVE-2020-28493"],
        path="requirements.txt",
        start_line=None,
    )
    assign_cross_tool_keys([trivy], [])
    assign_cross_tool_keys([grype, osv], [stored(trivy)])
    assert trivy.cross_tool_key == grype.cross_tool_key == osv.cross_tool_key


def test_sca_other_advisory_or_package_does_not_group() -> None:
    first = first_key(sca(tool="trivy"))
    other_cve = sca(tool="grype", vuln_ids=["CVE-2024-22195"])
    other_pkg = sca(tool="osv-scanner", package="markupsafe")
    assign_cross_tool_keys([other_cve, other_pkg], [stored(first)])
    assert len({first.cross_tool_key, other_cve.cross_tool_key, other_pkg.cross_tool_key}) == 3


@pytest.mark.parametrize(
    "overrides",
    [
        # No CWE: nothing to compare, a key of its own.
        pytest.param({"cwe_ids": []}, id="no-cwe"),
        # No path: same.
        pytest.param({"path": None}, id="no-path"),
    ],
)
def test_findings_without_cwe_or_path_get_a_singleton_key(overrides: dict[str, Any]) -> None:
    a = code_finding("bandit", 78, 5, **overrides)
    b = code_finding("semgrep", 78, 5, **overrides)
    assign_cross_tool_keys([a, b], [])
    assert a.cross_tool_key == digest("single", "bandit", a.fingerprint)
    assert b.cross_tool_key == digest("single", "semgrep", b.fingerprint)
    assert a.cross_tool_key != b.cross_tool_key


def test_new_key_is_stable_across_ingests() -> None:
    # With nothing to join, the key depends only on the basis and the first line, so the same
    # finding ingested into two fresh stores gets the same key.
    a = first_key(code_finding("bandit", 78, 5, 6))
    b = first_key(code_finding("bandit", 78, 5, 6))
    assert a.cross_tool_key == b.cross_tool_key


def test_a_chain_of_tools_shares_the_first_key() -> None:
    # Runs are stored one after another: each later tool sees the earlier ones as stored.
    bandit = first_key(code_finding("bandit", 78, 5, 6))
    semgrep = code_finding("semgrep", 77, 6, 6)
    assign_cross_tool_keys([semgrep], [stored(bandit)])
    codeql = code_finding("codeql", 88, 5, 5)
    assign_cross_tool_keys([codeql], [stored(bandit), stored(semgrep)])
    assert bandit.cross_tool_key == semgrep.cross_tool_key == codeql.cross_tool_key


# CWE ids ------------------------------------------------------------------------------------

PARSE_CWE_CASES = [
    # Every spelling of core/cwe.py's docstring.
    pytest.param("CWE-79", [79], id="CWE-79"),
    pytest.param(
        "CWE-79: Improper Neutralization of Input During Web Page Generation",
        [79],
        id="CWE-with-title",
    ),
    pytest.param("external/cwe/cwe-079", [79], id="codeql-tag-zero-padded"),
    pytest.param("79", [79], id="bare-string"),
    pytest.param(79, [79], id="int"),
    pytest.param({"id": 79}, [79], id="dict-id"),
    pytest.param("https://cwe.mitre.org/data/definitions/79.html", [79], id="mitre-url"),
    # Other separators and casing.
    pytest.param("cwe_79", [79], id="underscore"),
    pytest.param("CWE 79", [79], id="space"),
    pytest.param("CWE:0089", [89], id="colon-zero-padded"),
    pytest.param(" 22 ", [22], id="bare-padded"),
    # Several ids in one string, and de-duplication (first seen order).
    pytest.param("CWE-89, CWE-79, cwe-89", [89, 79], id="several-deduped"),
    # Lists and tuples of mixed shapes.
    pytest.param(["CWE-78", 77, {"id": "CWE-88"}], [78, 77, 88], id="mixed-list"),
    pytest.param(("CWE-22",), [22], id="tuple"),
    # Other dict keys tools use.
    pytest.param({"cweId": "CWE-22"}, [22], id="dict-cweId"),
    pytest.param({"cwe_id": 611}, [611], id="dict-cwe_id"),
    pytest.param({"value": "89"}, [89], id="dict-value"),
    # A dict inside a dict.
    pytest.param({"cwe": {"id": 79}}, [79], id="nested-dict"),
    # The largest id accepted.
    pytest.param(99_999, [99_999], id="largest"),
    # Junk: nothing, never an error.
    pytest.param("CWE-", [], id="junk-cwe-dash"),
    pytest.param("cwe-abc", [], id="junk-cwe-letters"),
    pytest.param("CWE-0", [], id="junk-cwe-zero"),
    pytest.param(0, [], id="junk-zero"),
    pytest.param(-5, [], id="junk-negative"),
    pytest.param(100_000, [], id="junk-too-large-int"),
    pytest.param("100000", [], id="junk-too-large-bare"),
    pytest.param(True, [], id="junk-true"),
    pytest.param(False, [], id="junk-false"),
    pytest.param(None, [], id="junk-none"),
    pytest.param(79.0, [], id="junk-float"),
    pytest.param("", [], id="junk-empty"),
    pytest.param("A03:2021-Injection", [], id="junk-owasp-tag"),
    pytest.param({"name": "XSS"}, [], id="junk-dict-without-id"),
    pytest.param([None, "x", {}], [], id="junk-list"),
    # Nesting deeper than 4 levels is ignored (no unbounded recursion on odd documents).
    pytest.param([[[[[79]]]]], [], id="nested-beyond-depth-4"),
    pytest.param([[[[79]]]], [79], id="nested-at-depth-4"),
    pytest.param({"cwe": {"cwe": {"cwe": {"cwe": {"cwe": 79}}}}}, [], id="dict-beyond-depth-4"),
    # Regression: an id longer than 5 digits is cut to its first 5 ("CWE-123456" -> 12345) instead of
    # being rejected like the int 123456 and the bare "123456" are: _CWE_RE has no boundary
    # after (\d{1,5}). Fix: add (?!\d) after the group.
    pytest.param("CWE-123456", [], id="was-bug-six-digit-id-truncated"),
]


@pytest.mark.parametrize(("value", "expected"), PARSE_CWE_CASES)
def test_parse_cwe(value: object, expected: list[int]) -> None:
    assert parse_cwe(value) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # Semgrep/CodeQL tags: only those that say CWE count.
        pytest.param(
            ["security", "external/cwe/cwe-89", "owasp-a1", "CWE-79"], [89, 79], id="mixed-tags"
        ),
        # A bare number tag is not a CWE.
        pytest.param(["79", "A03:2021"], [], id="bare-number-tag"),
        # Non-strings ignored.
        pytest.param([None, 79, {"id": 79}], [], id="non-strings"),
    ],
)
def test_cwes_from_tags(tags: list[object], expected: list[int]) -> None:
    assert cwes_from_tags(tags) == expected


@pytest.mark.parametrize(
    ("cwe", "canonical"),
    [
        # OS command injection class.
        pytest.param(78, 78, id="78"),
        pytest.param(77, 78, id="77"),
        pytest.param(88, 78, id="88"),
        # XSS class.
        pytest.param(80, 79, id="80"),
        # SQL injection class.
        pytest.param(564, 89, id="564"),
        # Path traversal class.
        pytest.param(23, 22, id="23"),
        pytest.param(73, 22, id="73"),
        # Weak crypto/hash class.
        pytest.param(328, 327, id="328"),
        pytest.param(916, 327, id="916"),
        # Hard-coded credentials class.
        pytest.param(259, 798, id="259"),
        # ReDoS / resource consumption class.
        pytest.param(400, 1333, id="400"),
        # In no class: itself.
        pytest.param(352, 352, id="unclassed"),
        pytest.param(99_999, 99_999, id="unknown"),
    ],
)
def test_cwe_class(cwe: int, canonical: int) -> None:
    assert cwe_class(cwe) == canonical
