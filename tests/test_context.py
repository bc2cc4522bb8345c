"""Code context from a repository checkout (`ingest.code_context.ContextReader`, git helpers)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.finding import Finding
from core.severity import Severity
from ingest.code_context import MAX_FILE_BYTES, ContextReader, git_commit, git_repository_name


def make(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "tool": "semgrep",
        "rule_id": "python.lang.security.audit.dangerous-call",
        "message": "Dangerous call",
        "severity": Severity.HIGH,
    }
    values.update(overrides)
    return Finding(**values)


APP_PY = """\
import os
from flask import Flask, request

app = Flask(__name__)


def outer(x):
    def inner(y):
        return eval(y)
    return inner(x)


class Foo:
    def method(self, cmd):
        os.system(cmd)

    @staticmethod
    @app.route("/run")
    def decorated():
        return request.args["q"]

    class Inner:
        async def fetch(self):
            await run()


async def top_async():
    return os.popen("id")
"""
APP_LINES = APP_PY.splitlines()


def line_of(needle: str) -> int:
    """1-based number of the first line of APP_PY containing `needle`."""
    return next(i for i, text in enumerate(APP_LINES, 1) if needle in text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text(APP_PY)
    return root


def apply(root: Path, finding: Finding) -> Finding:
    ContextReader(root).apply(finding)
    return finding


ENCLOSING_CASES = [
    # A nested function: dotted with its parent.
    pytest.param("return eval(y)", "def outer.inner", id="nested-function"),
    # The parent's own body after the nested def.
    pytest.param("return inner(x)", "def outer", id="outer-function"),
    # A method: "def Class.method".
    pytest.param("os.system(cmd)", "def Foo.method", id="method"),
    # A decorator line belongs to the function it decorates.
    pytest.param('@app.route("/run")', "def Foo.decorated", id="decorator-line"),
    # The body of a decorated function.
    pytest.param('return request.args["q"]', "def Foo.decorated", id="decorated-body"),
    # An async method of a nested class.
    pytest.param("await run()", "def Foo.Inner.fetch", id="async-method-of-nested-class"),
    # The `class` line itself: the class is its own scope.
    pytest.param("class Inner:", "class Foo.Inner", id="class-line"),
    # A top-level async def.
    pytest.param('return os.popen("id")', "def top_async", id="top-level-async"),
    # Module level: no enclosing scope.
    pytest.param("app = Flask(__name__)", None, id="module-level"),
]


@pytest.mark.parametrize(("needle", "enclosing"), ENCLOSING_CASES)
def test_python_enclosing_scope(repo: Path, needle: str, enclosing: str | None) -> None:
    finding = apply(repo, make(path="app/views.py", start_line=line_of(needle)))
    assert finding.enclosing == enclosing
    assert finding.flagged_text is not None and needle in finding.flagged_text
    assert finding.language == "python"
    assert finding.framework == "flask"


def test_blank_line_inside_a_class_is_in_the_class(repo: Path) -> None:
    # The blank line between two methods of Foo.
    blank = line_of("os.system(cmd)") + 1
    assert APP_LINES[blank - 1] == ""
    assert apply(repo, make(path="app/views.py", start_line=blank)).enclosing == "class Foo"


SNIPPET_CASES = [
    # One line in the middle: the whole line, 3 lines above and below.
    pytest.param(line_of("os.system(cmd)"), None, id="middle"),
    # Line 1: nothing above, the snippet starts at line 1.
    pytest.param(1, None, id="clipped-at-start"),
    # Line 2: one line above only.
    pytest.param(2, None, id="partly-clipped-at-start"),
    # The last line: nothing below.
    pytest.param(len(APP_LINES), None, id="clipped-at-end"),
    # Several flagged lines: all of them, with 3 lines on each side.
    pytest.param(line_of("def outer"), line_of("return inner(x)"), id="multi-line"),
    # end_line before start_line (a tool's slip): read as a one-line finding.
    pytest.param(line_of("os.system(cmd)"), 2, id="end-before-start"),
    # end_line past the end of the file: clipped to the last line.
    pytest.param(len(APP_LINES) - 1, len(APP_LINES) + 10, id="end-past-eof"),
]


@pytest.mark.parametrize(("start", "end"), SNIPPET_CASES)
def test_flagged_text_and_snippet(repo: Path, start: int, end: int | None) -> None:
    finding = apply(repo, make(path="app/views.py", start_line=start, end_line=end))
    last_flagged = min(max(end or start, start), len(APP_LINES))
    first = max(1, start - 3)
    last = min(len(APP_LINES), last_flagged + 3)
    assert finding.flagged_text == "\n".join(APP_LINES[start - 1 : last_flagged])
    assert finding.snippet == "\n".join(APP_LINES[first - 1 : last])
    assert finding.snippet_start_line == first


def test_context_lines_setting(repo: Path) -> None:
    start = line_of("os.system(cmd)")
    finding = make(path="app/views.py", start_line=start)
    ContextReader(repo, context_lines=1).apply(finding)
    lines = finding.snippet.split("\n")
    assert lines[:3] == APP_LINES[start - 2 : start + 1]
    assert finding.snippet_start_line == start - 1
    # The line below is blank, so the snippet reaches on to the next line of code: the
    # fingerprint's neighbours must not vanish behind blank lines.
    assert APP_LINES[start].strip() == "" and lines[-1].strip() == "@staticmethod"


@pytest.mark.parametrize(
    "start",
    [
        # Past the end of the file: no lines to show, but the file was read.
        pytest.param(len(APP_LINES) + 5, id="past-eof"),
        # No line at all (a file-level finding).
        pytest.param(None, id="no-line"),
    ],
)
def test_finding_without_a_readable_line_keeps_file_facts_only(
    repo: Path, start: int | None
) -> None:
    finding = apply(repo, make(path="./app/views.py", start_line=start))
    assert finding.path == "app/views.py"
    assert finding.language == "python"
    assert finding.framework == "flask"
    assert finding.flagged_text is None
    assert finding.snippet is None
    assert finding.enclosing is None


def test_finding_without_a_path_is_left_alone(repo: Path) -> None:
    finding = make(start_line=3)
    reader = ContextReader(repo)
    reader.apply(finding)
    assert finding == make(start_line=3)
    assert reader.warnings == []


FRAMEWORK_CASES = [
    # Flask by `from flask import`.
    pytest.param("from flask import Flask\n", "flask", id="flask"),
    # Django by `from django...`.
    pytest.param("from django.db import connection\n", "django", id="django"),
    # FastAPI by `import fastapi`.
    pytest.param("import fastapi\n", "fastapi", id="fastapi"),
    # FastAPI and Flask in one file: the more specific wins (fastapi is checked first).
    pytest.param(
        "from flask import Flask\nfrom fastapi import FastAPI\n",
        "fastapi",
        id="fastapi-before-flask",
    ),
    # An import inside a function still counts.
    pytest.param("def f():\n    import django\n", "django", id="indented-import"),
    # A commented-out import does not.
    pytest.param("# from flask import Flask\nx = 1\n", None, id="commented-import"),
    # A module whose name merely starts with flask.
    pytest.param("import flask_login_helpers_x as y\n", None, id="prefix-only"),
    # Plain Python.
    pytest.param("import os\n", None, id="none"),
]


@pytest.mark.parametrize(("text", "framework"), FRAMEWORK_CASES)
def test_framework_detection(tmp_path: Path, text: str, framework: str | None) -> None:
    (tmp_path / "m.py").write_text(text + "x = 1\n")
    assert apply(tmp_path, make(path="m.py", start_line=1)).framework == framework


JS = """\
const express = require('express');
const app = express();

function handler(req, res) {
    if (req.query.x) {
        eval(req.query.x);
    }
}

class Repo {
    find(id) {
        return db.query("SELECT " + id);
    }
}
"""
JAVA = """\
import org.springframework.web.bind.annotation.RestController;

public class UserController {
    public String find(String id) {
        return jdbc.query("SELECT * FROM u WHERE id=" + id);
    }
}
"""
BROKEN_PY = """\
def broken(x):
    eval(x)
    if (
"""

HEURISTIC_CASES = [
    # JS: nested block inside a function: the nearest less-indented scope opener, skipping
    # `if (...) {`, is the function: its keyword and name.
    pytest.param("h.js", JS, 6, "function handler", "javascript", "express", id="js-function"),
    # JS: a method without a keyword is not recognised; the class is.
    pytest.param("h.js", JS, 12, "class Repo", "javascript", "express", id="js-class-method"),
    # Java: the method, by name.
    pytest.param("C.java", JAVA, 5, "method find", "java", "spring", id="java-method"),
    # Python that does not parse falls back to the heuristic, in the parser's style.
    pytest.param("b.py", BROKEN_PY, 2, "def broken", "python", None, id="python-syntax-error"),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "enclosing", "language", "framework"), HEURISTIC_CASES
)
def test_indentation_heuristic_for_other_languages(
    tmp_path: Path,
    name: str,
    text: str,
    line: int,
    enclosing: str,
    language: str,
    framework: str | None,
) -> None:
    (tmp_path / name).write_text(text)
    finding = apply(tmp_path, make(path=name, start_line=line))
    assert finding.enclosing == enclosing
    assert finding.language == language
    assert finding.framework == framework
    assert finding.flagged_text == text.splitlines()[line - 1]
    assert finding.snippet is not None


def test_top_level_statement_after_a_function_has_no_enclosing_scope(tmp_path: Path) -> None:
    # Regression: the heuristic accepts any scope opener above when the flagged line has indent 0
    # (`or indent == 0` in _enclosing), so a top-level statement after a closed function is
    # attributed to that function ("function a()"). The docstring says "less indentation",
    # which no line has here; expected None.
    (tmp_path / "t.js").write_text("function a() {\n    return 1;\n}\n\neval(location.hash);\n")
    assert apply(tmp_path, make(path="t.js", start_line=5)).enclosing is None


LANGUAGE_CASES = [
    pytest.param("src/a.py", "python", id="python"),
    pytest.param("web/a.tsx", "typescript", id="tsx"),
    pytest.param("Dockerfile", "dockerfile", id="dockerfile"),
    pytest.param("docker/Dockerfile.prod", "dockerfile", id="dockerfile-suffixed"),
    pytest.param("requirements.txt", "pip-requirements", id="requirements"),
    pytest.param("k8s/deploy.YAML", "yaml", id="upper-case-suffix"),
    pytest.param("notes.unknownext", None, id="unknown"),
]


@pytest.mark.parametrize(("path", "language"), LANGUAGE_CASES)
def test_language_from_path(tmp_path: Path, path: str, language: str | None) -> None:
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text("x\n")
    assert apply(tmp_path, make(path=path, start_line=1)).language == language


# Paths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        # ./-prefixed, as Bandit writes it.
        pytest.param("./app/views.py", id="dot-slash"),
        # With a .. that stays inside.
        pytest.param("app/../app/views.py", id="inner-dotdot"),
        # Absolute, inside the root.
        pytest.param("{root}/app/views.py", id="absolute-inside"),
        # Already relative.
        pytest.param("app/views.py", id="relative"),
    ],
)
def test_report_paths_are_stored_relative_to_the_root(repo: Path, spelling: str) -> None:
    finding = apply(repo, make(path=spelling.format(root=repo), start_line=1))
    assert finding.path == "app/views.py"
    assert finding.flagged_text == "import os"


def test_absolute_path_through_a_symlinked_root_is_inside(tmp_path: Path, repo: Path) -> None:
    # The checkout is reached through a link; report paths use either spelling.
    alias = tmp_path / "alias"
    os.symlink(repo, alias)
    finding = make(path=f"{repo}/app/views.py", start_line=1)
    ContextReader(alias).apply(finding)
    assert finding.path == "app/views.py"
    assert finding.flagged_text == "import os"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file outside the repository (a sibling folder of it)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    secret = folder / "secret.py"
    secret.write_text("TOP_SECRET = 1\nTOP_SECRET_2 = 2\n")
    return secret


def _escape_cases(repo: Path, outside: Path) -> dict[str, str]:
    # Symlinks inside the checkout: to the outside file, and to the outside folder.
    os.symlink(outside, repo / "link.py")
    os.symlink(outside.parent, repo / "vendor")
    # A sibling folder whose name starts with the root's name (repo -> repo2).
    sibling = repo.parent / (repo.name + "2")
    sibling.mkdir()
    (sibling / "x.py").write_text("TOP_SECRET = 3\n")
    return {
        "dotdot": "../elsewhere/secret.py",
        "deep-dotdot": "../../../../../../../../etc/passwd",
        "etc-passwd": "/etc/passwd",
        "absolute-outside": str(outside),
        "symlink-file": "link.py",
        "symlink-dir": "vendor/secret.py",
        "sibling-prefix": str(sibling / "x.py"),
    }


@pytest.mark.parametrize(
    "case",
    [
        # ../ out of the checkout to a real file.
        pytest.param("dotdot", id="dotdot"),
        # ../ far past the filesystem root.
        pytest.param("deep-dotdot", id="deep-dotdot"),
        # An absolute system path.
        pytest.param("etc-passwd", id="etc-passwd"),
        # An absolute path to a real file outside.
        pytest.param("absolute-outside", id="absolute-outside"),
        # A link in the repository to a file outside it.
        pytest.param("symlink-file", id="symlink-to-file"),
        # A link in the repository to a folder outside it.
        pytest.param("symlink-dir", id="symlink-to-folder"),
        # /x/repo2 starts with the string /x/repo but is not inside it.
        pytest.param("sibling-prefix", id="sibling-with-root-prefix"),
    ],
)
def test_paths_outside_the_root_are_never_read(repo: Path, outside: Path, case: str) -> None:
    path = _escape_cases(repo, outside)[case]
    reader = ContextReader(repo)
    finding = make(path=path, start_line=1, end_line=2)
    reader.apply(finding)
    assert finding.flagged_text is None
    assert finding.snippet is None
    assert finding.enclosing is None
    assert finding.language is None
    assert finding.path == path  # left as reported
    assert "TOP_SECRET" not in finding.model_dump_json()
    assert len(reader.warnings) == 1
    assert path in reader.warnings[0]
    assert "outside the repository root" in reader.warnings[0]


def test_a_bad_path_is_warned_about_once(repo: Path) -> None:
    reader = ContextReader(repo)
    for line in (1, 2):
        reader.apply(make(path="../../etc/passwd", start_line=line))
    reader.apply(make(path="missing.py", start_line=1))
    reader.apply(make(path="missing.py", start_line=2))
    assert len(reader.warnings) == 2
    assert "outside the repository root" in reader.warnings[0]
    assert "not found" in reader.warnings[1]


@pytest.mark.parametrize(
    "path",
    [
        # A file that does not exist.
        pytest.param("app/gone.py", id="missing-file"),
        # A folder, not a file.
        pytest.param("app", id="folder"),
        # The root itself.
        pytest.param(".", id="root"),
    ],
)
def test_missing_file_gives_a_not_found_warning(repo: Path, path: str) -> None:
    reader = ContextReader(repo)
    finding = make(path=path, start_line=1)
    reader.apply(finding)
    assert finding.snippet is None and finding.flagged_text is None
    assert len(reader.warnings) == 1
    assert path in reader.warnings[0] and "not found" in reader.warnings[0]


def test_files_over_the_size_limit_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.min.js").write_text("var a = 1;\n" + "x" * MAX_FILE_BYTES)
    (tmp_path / "edge.js").write_text("y" * (MAX_FILE_BYTES - 1) + "\n")  # exactly the limit
    reader = ContextReader(tmp_path)
    big = make(path="big.min.js", start_line=1)
    edge = make(path="edge.js", start_line=1)
    reader.apply(big)
    reader.apply(edge)
    assert big.flagged_text is None and big.snippet is None and big.language is None
    assert len(reader.warnings) == 1
    assert "big.min.js" in reader.warnings[0] and str(MAX_FILE_BYTES) in reader.warnings[0]
    assert edge.flagged_text is not None


def test_each_file_is_read_once(repo: Path) -> None:
    # The second finding sees the file as it was when first read, though it changed since.
    reader = ContextReader(repo)
    first = make(path="app/views.py", start_line=1)
    reader.apply(first)
    (repo / "app" / "views.py").write_text("changed\n" * 50)
    second = make(path="app/views.py", start_line=1)
    reader.apply(second)
    assert first.flagged_text == second.flagged_text == "import os"


def test_undecodable_bytes_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"name = 'caf\xe9'\neval(name)\n")
    finding = apply(tmp_path, make(path="latin.py", start_line=1))
    assert finding.flagged_text == "name = 'caf\ufffd'"
    assert finding.snippet == "name = 'caf\ufffd'\neval(name)"


def test_crlf_line_endings(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_bytes(b"a = 1\r\nb = eval(x)\r\nc = 3\r\n")
    finding = apply(tmp_path, make(path="w.py", start_line=2))
    assert finding.flagged_text == "b = eval(x)"


def test_form_feed_does_not_shift_line_numbers(tmp_path: Path) -> None:
    # Regression: ContextReader splits files with str.splitlines(), which also breaks at \f, \v,
    # \x1c-\x1e, \x85, U+2028 and U+2029. Tools count lines by \n, so after a form feed (an
    # Emacs page break, common in older Python and C sources) every flagged line is off by
    # one: here line 3 is reported, and the reader shows a blank line instead of `eval`.
    # (identity.normalize_code/_neighbours split the same way.) Fix: text.split("\n") with
    # \r stripped, or splitlines on \n/\r\n only.
    (tmp_path / "ff.py").write_text("import os\n\x0c\nresult = eval(x)\n")
    finding = apply(tmp_path, make(path="ff.py", start_line=3))
    assert finding.flagged_text == "result = eval(x)"


def test_a_nul_byte_in_a_report_path_is_a_warning_not_a_crash(repo: Path) -> None:
    # Regression: report paths are untrusted; os.path.realpath raises ValueError ("embedded null
    # byte") inside relative_path, which is not caught, so one bad path aborts the whole
    # ingest. Expected: a warning and no context, like any unreadable path.
    reader = ContextReader(repo)
    finding = make(path="app/views.py\x00.txt", start_line=1)
    reader.apply(finding)
    assert finding.snippet is None
    assert len(reader.warnings) == 1


# git ----------------------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def no_outer_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep git from finding a repository above tmp_path."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def git_repo(tmp_path: Path, no_outer_git: None) -> Path:
    root = tmp_path / "service-a"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "Test")
    git(root, "config", "commit.gpgsign", "false")
    (root / "a.py").write_text("x = 1\n")
    git(root, "add", "a.py")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_git_commit_is_head(git_repo: Path) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    assert len(head) == 40
    assert git_commit(git_repo) == head


def test_git_commit_of_a_repository_without_commits(tmp_path: Path, no_outer_git: None) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q")
    assert git_commit(root) is None


def test_plain_folder_has_no_commit_and_is_named_after_itself(
    tmp_path: Path, no_outer_git: None
) -> None:
    root = tmp_path / "plain-folder"
    root.mkdir()
    assert git_commit(root) is None
    assert git_repository_name(root) == "plain-folder"


def test_missing_folder_has_no_commit(tmp_path: Path) -> None:
    assert git_commit(tmp_path / "nope") is None


def test_repository_without_origin_is_named_after_its_folder(git_repo: Path) -> None:
    assert git_repository_name(git_repo) == "service-a"


@pytest.mark.parametrize(
    ("origin", "name"),
    [
        # Credentials in an https origin are dropped, and so is .git.
        pytest.param(
            "https://user:token@github.com/org/repo.git",
            "https://github.com/org/repo",
            id="https-user-token",
        ),
        # A token alone as the user.
        pytest.param(
            "https://ghp_x1234567890@github.com/org/repo",
            "https://github.com/org/repo",
            id="https-token-only",
        ),
        # ssh:// with the git user.
        pytest.param(
            "ssh://git@github.com/org/repo.git", "ssh://github.com/org/repo", id="ssh-url"
        ),
        # scp-like syntax has no scheme: left as written but for .git.
        pytest.param("git@github.com:org/repo.git", "git@github.com:org/repo", id="scp-like"),
        # Nothing to strip.
        pytest.param(
            "https://gitlab.com/group/sub/repo", "https://gitlab.com/group/sub/repo", id="clean"
        ),
    ],
)
def test_repository_name_from_origin(git_repo: Path, origin: str, name: str) -> None:
    git(git_repo, "remote", "add", "origin", origin)
    assert git_repository_name(git_repo) == name


def test_matched_text_is_the_column_span_of_the_file_lines(tmp_path: Path) -> None:
    (tmp_path / "cfg.py").write_text('import os\nKEY = "abc123def456"\nx = 1\n')
    reader = ContextReader(tmp_path)
    span = {"path": "cfg.py", "start_line": 2, "start_column": 8, "end_column": 20}
    assert reader.matched_text(make(**span)) == "abc123def456"
    assert (
        reader.matched_text(make(**{**span, "end_line": 3, "end_column": 2})) == 'abc123def456"\nx'
    )
    # A NUL in the reported path is stripped, as the pipeline strips it before applying context.
    assert reader.matched_text(make(**{**span, "path": "cfg\x00.py"})) == "abc123def456"
    # Without columns, past the end of the file, or outside the root: nothing.
    assert reader.matched_text(make(path="cfg.py", start_line=2)) is None
    assert reader.matched_text(make(**{**span, "start_line": 9})) is None
    assert reader.matched_text(make(**{**span, "path": "../cfg.py"})) is None
    assert reader.warnings == [
        f"../cfg.py: resolves outside the repository root {tmp_path}; not read, the finding "
        "keeps no code context"
    ]
