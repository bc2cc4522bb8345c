"""`detectors.suppressions.mark_suppressions`: which Semgrep and Bandit findings an inline
`# nosemgrep[: ids]` or `# nosec [ids]` comment in the original file suppresses (the comment on
the finding's lines; for Semgrep also the line above), the `suppression` text recorded, and what
it leaves alone: other tools, missing files, findings without a path or line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.finding import Finding
from core.severity import Severity
from detectors.suppressions import mark_suppressions

RULE = "python.lang.security.audit.dangerous-system-call"
CALL = "os.system(cmd)"


def finding(
    tool: str,
    rule_id: str,
    line: int | None = 2,
    end: int | None = None,
    path: str | None = "app.py",
) -> Finding:
    return Finding(
        tool=tool,
        rule_id=rule_id,
        message="m",
        severity=Severity.HIGH,
        path=path,
        start_line=line,
        end_line=end,
    )


def _mark(tmp_path: Path, text: str, *findings: Finding) -> list[Finding]:
    (tmp_path / "app.py").write_text(text, encoding="utf-8")
    mark_suppressions(findings, tmp_path)
    return list(findings)


AS_WRITTEN = "as written"  # the suppression names the comment exactly as it is in the file

# (id, comment after `os.system(cmd)` on line 2, rule id, recorded comment or None)
NOSEC = [
    ("bare", "# nosec", "B605", AS_WRITTEN),
    ("no-space", "#nosec", "B605", AS_WRITTEN),
    ("id-match", "# nosec B605", "B605", AS_WRITTEN),
    ("id-other", "# nosec B602", "B605", None),
    ("id-list", "# nosec B602, B605", "B605", AS_WRITTEN),
    ("id-colon", "# nosec: B605", "B605", AS_WRITTEN),
    ("id-prefix", "# nosec B6051", "B605", "# nosec B605"),
    ("lowercase-id-is-bare", "# nosec b602", "B605", "# nosec"),
    # Bandit itself reads a test name as that test (here B602) and would keep this finding.
    ("test-name-is-bare", "# nosec subprocess_popen_with_shell_equals_true", "B605", "# nosec"),
    ("upper-case", "# NOSEC", "B605", None),
    ("longer-word", "# nosecurity", "B605", None),
    ("after-other-comment", "# noqa: S605 # nosec", "B605", "# nosec"),
    ("nosemgrep-is-not-nosec", "# nosemgrep", "B605", None),
]

NOSEMGREP = [
    ("bare", "# nosemgrep", RULE, AS_WRITTEN),
    ("full-id", f"# nosemgrep: {RULE}", RULE, AS_WRITTEN),
    ("last-part", "# nosemgrep: dangerous-system-call", RULE, AS_WRITTEN),
    ("not-a-dotted-suffix", "# nosemgrep: system-call", RULE, None),  # ids end on a dot
    ("id-list", f"# nosemgrep: a.b, {RULE}", RULE, AS_WRITTEN),
    ("id-other", "# nosemgrep: other-rule", RULE, None),
    ("prefix-not-enough", "# nosemgrep: python.lang", RULE, None),
    ("any-case", "# NoSemGrep", RULE, AS_WRITTEN),
    ("short-nosem", "# nosem", RULE, None),
    ("nosec-is-not-nosemgrep", "# nosec", RULE, None),
]

# (id, file text, tool, rule id, start line, end line, recorded comment or None)
LAYOUTS = [
    ("nosec-line-above", f"# nosec\n{CALL}\n", "bandit", "B605", 2, None, None),
    ("nosec-span-end", "os.system(\n    cmd)  # nosec\n", "bandit", "B605", 1, 2, "# nosec"),
    ("nosec-end-before-start", f"x\n{CALL}  # nosec\n", "bandit", "B605", 2, 1, "# nosec"),
    ("nosemgrep-line-above", f"x\n# nosemgrep\n{CALL}\n", "semgrep", RULE, 3, None, "# nosemgrep"),
    # Semgrep itself wants a line above that holds only the comment; Bandit reads only real
    # comments (tokenize); here both are matched as text.
    ("nosec-in-string", 'x = 1\npassword = "#nosec"\n', "bandit", "B105", 2, None, "#nosec"),
    (
        "nosemgrep-code-above",
        "f()  # nosemgrep\nx\n",
        "semgrep",
        RULE,
        2,
        None,
        None,
    ),  # as Semgrep: alone above
    ("nosemgrep-two-above", f"# nosemgrep\n\n{CALL}\n", "semgrep", RULE, 3, None, None),
    ("nosemgrep-first-line", f"{CALL}  # nosemgrep\n", "semgrep", RULE, 1, None, "# nosemgrep"),
    ("nosemgrep-in-string", 'x\nf(c, "#nosemgrep")\n', "semgrep", RULE, 2, None, "#nosemgrep"),
    ("codeql-never", f"x\n{CALL}  # nosec nosemgrep\n", "codeql", "py/cmdi", 2, None, None),
    ("gitleaks-never", 'k = "x"  # nosec nosemgrep\n', "gitleaks", "api-key", 1, None, None),
    ("line-past-end", f"{CALL}  # nosec\n", "bandit", "B605", 5, None, None),
]


def _on_line_two(tool: str, cases: list) -> list:
    return [
        (f"{tool}-{name}", f"x\n{CALL}  {c}\n", tool, rule, 2, None, c if e is AS_WRITTEN else e)
        for name, c, rule, e in cases
    ]


CASES = _on_line_two("bandit", NOSEC) + _on_line_two("semgrep", NOSEMGREP) + LAYOUTS


@pytest.mark.parametrize(
    ("text", "tool", "rule_id", "line", "end", "comment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_suppression(
    tmp_path: Path,
    text: str,
    tool: str,
    rule_id: str,
    line: int,
    end: int | None,
    comment: str | None,
) -> None:
    (marked,) = _mark(tmp_path, text, finding(tool, rule_id, line, end))
    assert marked.suppressed is (comment is not None)
    if comment is None:
        assert marked.suppression is None
    else:
        name = "nosemgrep" if tool == "semgrep" else "nosec"
        assert marked.suppression == f"{name} comment (inline): {comment}"


def test_each_finding_is_judged_by_its_own_tool_and_lines(tmp_path: Path) -> None:
    text = f"import os\n{CALL}  # nosec B605\n{CALL}  # nosemgrep: other\n{CALL}\n"
    findings = _mark(
        tmp_path,
        text,
        finding("bandit", "B605", 2),
        finding("bandit", "B602", 2),
        finding("semgrep", RULE, 2),
        finding("semgrep", RULE, 3),
        finding("semgrep", RULE, 4),
        finding("bandit", "B605", 4),
    )
    assert [f.suppressed for f in findings] == [True, False, False, False, False, False]


def test_accepts_a_generator(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(f"{CALL}  # nosec\n", encoding="utf-8")
    findings = [finding("bandit", "B605", 1), finding("bandit", "B602", 1)]
    mark_suppressions((f for f in findings), tmp_path)
    assert [f.suppressed for f in findings] == [True, True]


def test_path_is_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(f"{CALL}  # nosec\n", encoding="utf-8")
    found = finding("bandit", "B605", 1, path="pkg/mod.py")
    mark_suppressions([found], tmp_path)
    assert found.suppressed


@pytest.mark.parametrize(
    "found",
    [
        finding("bandit", "B605", 2, path="missing.py"),
        finding("semgrep", RULE, 2, path="missing.py"),
        finding("bandit", "B605", 2, path=None),
        finding("bandit", "B605", None),
        finding("semgrep", RULE, None),
    ],
    ids=["missing-file-bandit", "missing-file-semgrep", "no-path", "no-line", "semgrep-no-line"],
)
def test_nothing_to_read_leaves_the_finding_alone(tmp_path: Path, found: Finding) -> None:
    (tmp_path / "app.py").write_text(f"# nosec nosemgrep\n{CALL}  # nosec nosemgrep\n")
    mark_suppressions([found], tmp_path)
    assert (found.suppressed, found.suppression) == (False, None)


def test_empty_file(tmp_path: Path) -> None:
    (marked,) = _mark(tmp_path, "", finding("bandit", "B605", 1))
    assert not marked.suppressed


def test_undecodable_bytes_do_not_stop_the_check(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(b"x = '\xff'\n" + CALL.encode() + b"  # nosec\n")
    found = finding("bandit", "B605", 2)
    mark_suppressions([found], tmp_path)
    assert found.suppressed
