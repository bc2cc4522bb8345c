"""Code context for findings from a repository checkout (`flywheel ingest --repo PATH`).

Each finding gets its flagged lines, a snippet with surrounding lines, the innermost
enclosing function or class, the language and, where detectable, the web framework.

A report path is read only when it resolves inside the repository root: `../../etc/passwd`,
absolute paths elsewhere and symlinks that leave the checkout are refused with a warning and
the finding keeps no context from the repository.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.finding import Finding
from core.lines import matched_span, split_lines
from core.python_syntax import parse_python

CONTEXT_LINES = 3  # lines shown above and below the flagged lines
MAX_CONTEXT_REACH = 20  # how far the snippet may grow past blank lines
MAX_FILE_BYTES = 2_000_000  # larger files (minified, generated) are not read for context

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".java": "java",
    ".kt": "kotlin",
    ".go": "go",
    ".rb": "ruby",
    ".php": "php",
    ".cs": "csharp",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".rs": "rust",
    ".scala": "scala",
    ".swift": "swift",
    ".sh": "bash",
    ".bash": "bash",
    ".tf": "terraform",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".xml": "xml",
    ".html": "html",
    ".sql": "sql",
    ".dockerfile": "dockerfile",
}
_FILENAMES = {
    "dockerfile": "dockerfile",
    "makefile": "make",
    "requirements.txt": "pip-requirements",
}

# (framework, pattern over the file's text). First match wins; order: most specific first.
_FRAMEWORKS = (
    ("fastapi", re.compile(r"^\s*(from fastapi\b|import fastapi\b)", re.M)),
    ("django", re.compile(r"^\s*(from django\b|import django\b)", re.M)),
    ("flask", re.compile(r"^\s*(from flask\b|import flask\b)", re.M)),
    ("express", re.compile(r"require\(['\"]express['\"]\)|from ['\"]express['\"]")),
    ("spring", re.compile(r"import org\.springframework\.")),
    ("rails", re.compile(r"<\s*(ApplicationController|ActiveRecord::Base)\b")),
)
# Scope openers for languages we do not parse: keyword scopes (class, function, fn, func ...),
# method declarations (an access modifier, a name, a parameter list) and JS function bindings.
_KEYWORD_SCOPE = re.compile(
    r"^\s*(?:(?:export|default|public|private|protected|internal|static|async|final|abstract|"
    r"sealed|open|pub|unsafe)\s+)*(class|interface|struct|enum|trait|impl|module|def|fn|func|"
    r"function)\b\s*\*?\s*(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)"
)
_METHOD_SCOPE = re.compile(
    r"^\s*(?:(?:public|private|protected|internal|static|final|synchronized|abstract|override|"
    r"virtual|async)\s+)+[\w<>\[\],.?\s]*?\b([A-Za-z_$][\w$]*)\s*\([^;]*$"
)
_BOUND_FUNCTION = re.compile(
    r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?"
    r"(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)"
)


@dataclass
class _Source:
    lines: list[str]
    language: str | None
    framework: str | None
    scopes: list[tuple[int, int, str]] | None = None  # (first, last, name), Python only


class ContextReader:
    """Reads source files under `root` once each and answers context questions."""

    def __init__(self, root: Path, context_lines: int = CONTEXT_LINES) -> None:
        self.root = root
        self.context_lines = context_lines
        self.warnings: list[str] = []
        self._cache: dict[str, _Source | None] = {}
        self._real_root = os.path.realpath(root)

    def relative_path(self, path: str) -> str | None:
        """The repository-relative POSIX path of a report path, or None when it is outside the
        root (lexically, or once symlinks are resolved) or cannot be a path at all."""
        if "\x00" in path:
            return None
        root = os.path.abspath(self.root)
        lexical = os.path.normpath(os.path.join(root, path))
        if lexical != root and not lexical.startswith(root + os.sep):
            # Absolute paths from another checkout, or ../../etc/passwd.
            real_lexical = os.path.realpath(lexical)
            if not (
                real_lexical == self._real_root or real_lexical.startswith(self._real_root + os.sep)
            ):
                return None
            lexical = os.path.join(root, os.path.relpath(real_lexical, self._real_root))
        real = os.path.realpath(lexical)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            return None  # a symlink inside the checkout that points out of it
        # Keep the path as the repository names it (a symlink stays the link): identity uses it.
        return PurePosixPath(Path(os.path.relpath(lexical, root))).as_posix()

    def apply(self, finding: Finding) -> None:
        """Fill the finding's code context from the file it names, when it is safe to read."""
        if not finding.path:
            return
        source = self._source(finding.path)
        if source is None:
            return
        # Report paths may be absolute or ./-prefixed; store them relative to the root.
        relative = self.relative_path(finding.path)
        if relative:
            finding.path = relative
        finding.language = source.language or finding.language
        finding.framework = source.framework or finding.framework
        start = finding.start_line
        if not start or start > len(source.lines):
            return
        lines = source.lines
        end = min(max(finding.end_line or start, start), len(lines))
        finding.flagged_text = "\n".join(lines[start - 1 : end])
        first = max(1, start - self.context_lines)
        last = min(len(lines), end + self.context_lines)
        # Reach past blank lines so the snippet shows real code on each side: the fingerprint
        # uses the nearest non-blank neighbours, which must not vanish behind blank lines.
        while (
            first > 1
            and start - first < MAX_CONTEXT_REACH
            and not any(line.strip() for line in lines[first - 1 : start - 1])
        ):
            first -= 1
        while (
            last < len(lines)
            and last - end < MAX_CONTEXT_REACH
            and not any(line.strip() for line in lines[end:last])
        ):
            last += 1
        finding.snippet = "\n".join(lines[first - 1 : last])
        finding.snippet_start_line = first
        finding.enclosing = _enclosing(source, start) or finding.enclosing

    def matched_text(self, finding: Finding) -> str | None:
        """The text the finding's lines and columns cover in its file; None without columns,
        or when the file cannot be read or is shorter."""
        start, first, after = finding.start_line, finding.start_column, finding.end_column
        if not (finding.path and start and first and after):
            return None
        # NUL stripped as the pipeline strips it before `apply`: one read, one warning.
        source = self._source(finding.path.replace("\x00", ""))
        end = finding.end_line or start
        if source is None or end > len(source.lines):
            return None
        return matched_span("\n".join(source.lines[start - 1 : end]), start, end, first, after)

    def _source(self, path: str) -> _Source | None:
        if path in self._cache:
            return self._cache[path]
        source = self._read(path)
        self._cache[path] = source
        return source

    def _read(self, path: str) -> _Source | None:
        relative = self.relative_path(path)
        if relative is None:
            self.warnings.append(
                f"{path}: resolves outside the repository root {self.root}; not read, "
                "the finding keeps no code context"
            )
            return None
        full = Path(self._real_root) / relative
        try:
            if not full.is_file():
                self.warnings.append(f"{path}: not found under {self.root}; no code context")
                return None
            if full.stat().st_size > MAX_FILE_BYTES:
                self.warnings.append(f"{path}: larger than {MAX_FILE_BYTES} bytes; no code context")
                return None
            # NUL: a binary file, or one the store could not keep (PostgreSQL refuses NUL).
            text = full.read_text(encoding="utf-8", errors="replace").replace("\x00", "")
        except OSError as exc:
            self.warnings.append(f"{path}: could not be read ({exc.strerror}); no code context")
            return None
        language = language_of(relative)
        framework = next((name for name, rx in _FRAMEWORKS if rx.search(text)), None)
        source = _Source(lines=split_lines(text), language=language, framework=framework)
        if language == "python":
            source.scopes = _python_scopes(text)
        return source


def language_of(path: str) -> str | None:
    name = PurePosixPath(path).name.lower()
    if name in _FILENAMES:
        return _FILENAMES[name]
    if name.startswith("dockerfile"):
        return "dockerfile"
    return LANGUAGES.get(PurePosixPath(name).suffix)


def _python_scopes(text: str) -> list[tuple[int, int, str]] | None:
    tree = parse_python(text)
    if tree is None:
        return None  # fall back to the indentation heuristic
    scopes: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                keyword = "class" if isinstance(child, ast.ClassDef) else "def"
                name = f"{prefix}{child.name}"
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                scopes.append((first, child.end_lineno or child.lineno, f"{keyword} {name}"))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return scopes


def _enclosing(source: _Source, line: int) -> str | None:
    if source.scopes is not None:
        inner = None
        for first, last, name in source.scopes:
            if first <= line <= last and (inner is None or first >= inner[0]):
                inner = (first, last, name)
        return inner[2] if inner else None
    # Other languages: the nearest line above, less indented, that opens a scope. Top-level
    # code (no indentation) belongs to no scope.
    flagged = source.lines[line - 1]
    indent = len(flagged) - len(flagged.lstrip())
    if indent == 0:
        return None
    for text in reversed(source.lines[: line - 1]):
        stripped = text.lstrip()
        if not stripped or len(text) - len(stripped) >= indent:
            continue
        if match := _KEYWORD_SCOPE.match(text):
            return f"{match.group(1)} {match.group(2)}"
        if match := _BOUND_FUNCTION.match(text):
            return f"function {match.group(1)}"
        if match := _METHOD_SCOPE.match(text):
            return f"method {match.group(1)}"
    return None


def git_commit(root: Path) -> str | None:
    """HEAD of the checkout at `root`, when it is a git repository."""
    return _git(root, "rev-parse", "HEAD")


def git_repository_name(root: Path) -> str:
    """A stable name for the checkout: its origin URL without credentials or `.git`, else the
    directory name."""
    url = _git(root, "config", "--get", "remote.origin.url")
    if url:
        url = re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/]*@", r"\1", url)
        url = re.sub(r"\.git$", "", url.strip())
        return url
    return Path(os.path.realpath(root)).name


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None
