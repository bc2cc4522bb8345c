"""Which dependencies a file declares (requirements files, `pyproject.toml` and Poetry tables,
inline `pip install` lines), and which version of a declaration to check.

Which version is checked (a declaration names a set of versions, an advisory a set of affected
ones):
- pinned (`==1.2.3`, `===1.2.3`, Poetry's bare `1.2.3`): that version; confidence "high".
- a lower bound (`>=1.2`, `~=1.2`, `==1.2.*`, Poetry's `^1.2` / `~1.2`): the lowest version the
  specifier admits, which is what a lowest-first resolution (`uv --resolution lowest`) installs
  and what an old lock file or an existing environment may still hold; confidence "medium",
  and the message says the specifier "allows" it. For an exclusive bound (`>1.2`) or one that
  `!=` excludes, the lowest admitted version the advisories name (introduced, fixed,
  last_affected, listed versions) is checked.
- no lower bound (`flask`, `<2`, `!=1.0`): not checked, because nothing tells which version
  would be installed; when the database has advisories for the package, the report warns.
Pre-releases are admitted only where the specifier names one (pip's rule).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict

from core.lines import split_lines
from ingest.parsers.fields import (
    strs,
)

PYPI = "pypi"
LOWEST_VERSION = Version("0")  # before every version


# --- Declarations -------------------------------------------------------------------------


class Declaration(BaseModel):
    """One dependency a file declares."""

    model_config = ConfigDict(frozen=True)

    name: str  # PEP 503-normalized: "pyyaml", "zope-interface"
    specifier: str  # PEP 440, lower bounds first: "==0.12.2", ">=1.0,<2"; "" for any version
    line: int  # 1-based, the line that names the package
    path: str
    ecosystem: str = PYPI


def declared_dependencies(path: str, text: str) -> list[Declaration]:
    """The Python dependencies `text` declares, by what `path` is.

    `pyproject.toml`: PEP 621 `[project]` dependencies and optional-dependencies, PEP 735
    `[dependency-groups]`, Poetry's dependency tables (a malformed file declares nothing).
    Requirements files (`requirements*.txt`, `*requirements*.txt`, `requirements/*.txt`,
    `*.in`): one requirement a line; options, `-r`/`-e` lines, URLs and paths are skipped.
    Anything else: inline `pip install` commands.
    """
    posix = PurePosixPath(path.replace("\\", "/"))
    name = posix.name.lower()
    if name == "pyproject.toml":
        return _pyproject(path, text)
    if _is_requirements_file(posix):
        return _requirements(path, text)
    if "pip" not in text:
        return []
    return _inline(path, text)


def _is_requirements_file(posix: PurePosixPath) -> bool:
    name = posix.name.lower()
    if name.endswith(".txt"):
        return "requirements" in name or posix.parent.name.lower() == "requirements"
    if name.endswith(".in"):  # pip-tools; not MANIFEST.in, Makefile.in, config.h.in
        return name.count(".") == 1 and name not in {"manifest.in", "makefile.in"}
    return False


def _declaration(path: str, line: int, text: str) -> Declaration | None:
    """A declaration from a PEP 508 string, or None when it is not one."""
    parsed = _parse_requirement(text)
    if parsed is None:
        return None
    return Declaration(name=parsed[0], specifier=parsed[1], line=line, path=path)


# `name`, `name==1.2.3`, `name>=1.2`: most requirements, read without the full PEP 508 parser
# (a release number is valid after every operator; `~=` needs two parts).
_SIMPLE_REQUIREMENT = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?:\s*(==|!=|<=|>=|<|>|~=(?=\s*\d+\.\d))\s*(\d+(?:\.\d+)*))?"
)


@lru_cache(maxsize=8192)  # samples repeat the same few requirements
def _parse_requirement(text: str) -> tuple[str, str] | None:
    """(normalized name, specifier) of a PEP 508 string, or None when it is not one."""
    simple = _SIMPLE_REQUIREMENT.fullmatch(text.strip())
    if simple:
        name, operator, version = simple.groups()
        return canonicalize_name(name), f"{operator}{version}" if operator else ""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    return canonicalize_name(req.name), _spec_text(req.specifier)


_OPERATOR_ORDER = {"===": 0, "==": 1, "~=": 2, ">=": 3, ">": 4, "<=": 5, "<": 6, "!=": 7}


def _spec_text(spec: SpecifierSet) -> str:
    ordered = sorted(spec, key=lambda s: (_OPERATOR_ORDER.get(s.operator, 9), s.version))
    return ",".join(str(s) for s in ordered)


# Requirements files ---------------------------------------------------------------------

_COMMENT = re.compile(r"(?:^|\s)#.*$")
_TRAILING_OPTIONS = re.compile(r"\s--?[A-Za-z].*$")  # `pkg==1 --hash=sha256:...`


def _requirements(path: str, text: str) -> list[Declaration]:
    out = []
    lines = split_lines(text)
    i = 0
    while i < len(lines):
        start = i
        parts = [lines[i]]
        # pip joins a line ending in a backslash with the next one (not in a comment)
        while parts[-1].endswith("\\") and not parts[-1].lstrip().startswith("#"):
            parts[-1] = parts[-1][:-1]
            if i + 1 >= len(lines):
                break
            i += 1
            parts.append(lines[i])
        i += 1
        logical = _COMMENT.sub("", "".join(parts)).strip()
        if not logical or logical.startswith("-"):  # -r, -c, -e, --index-url ...
            continue
        declaration = _declaration(path, start + 1, _TRAILING_OPTIONS.sub("", logical))
        if declaration:
            out.append(declaration)
    return out


# pyproject.toml -------------------------------------------------------------------------


def _pyproject(path: str, text: str) -> list[Declaration]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    lines = split_lines(text)
    used: set[int] = set()
    out: list[Declaration] = []

    pep508: list[str] = []
    project = _table(data.get("project"))
    pep508 += strs(project.get("dependencies"))
    for group in _table(project.get("optional-dependencies")).values():
        pep508 += strs(group)
    for group in _table(data.get("dependency-groups")).values():
        pep508 += strs(group)  # `{include-group = ...}` entries are not strings
    for requirement in pep508:
        line = _string_line(lines, requirement, used)
        declaration = _declaration(path, line, requirement)
        if declaration:
            out.append(declaration)

    poetry = _table(_table(data.get("tool")).get("poetry"))
    tables = [_table(poetry.get("dependencies")), _table(poetry.get("dev-dependencies"))]
    tables += [_table(_table(g).get("dependencies")) for g in _table(poetry.get("group")).values()]
    for table in tables:
        for key, value in table.items():
            if key.lower() == "python":
                continue
            specifier = _poetry_value(value)
            if specifier is None:
                continue
            out.append(
                Declaration(
                    name=canonicalize_name(key),
                    specifier=specifier,
                    line=_key_line(lines, key, used),
                    path=path,
                )
            )
    return out


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string_line(lines: list[str], value: str, used: set[int]) -> int:
    """The first line not yet claimed that holds `value` as a TOML string (else 1)."""
    quoted = (f'"{value}"', f"'{value}'")
    for index, line in enumerate(lines):
        if index not in used and (quoted[0] in line or quoted[1] in line):
            used.add(index)
            return index + 1
    return 1


def _key_line(lines: list[str], key: str, used: set[int]) -> int:
    """The first line not yet claimed where `key = ...` or `[... .key]` is written (else 1)."""
    name = re.escape(key)
    pattern = re.compile(rf"^\s*(?:[\"']?{name}[\"']?\s*=|\[[^\]]*\.[\"']?{name}[\"']?\s*\])")
    for index, line in enumerate(lines):
        if index not in used and pattern.match(line):
            used.add(index)
            return index + 1
    return 1


def _poetry_value(value: object) -> str | None:
    """A Poetry dependency's versions as a PEP 440 specifier; None for git/path/url sources
    and constraints that cannot be read."""
    if isinstance(value, str):
        return poetry_constraint(value)
    if isinstance(value, dict):
        version = value.get("version")
        if isinstance(version, str):
            return poetry_constraint(version)
        return None if {"git", "path", "url"} & value.keys() else ""
    if isinstance(value, list):  # multiple constraints, one per python/platform marker
        alternatives = [s for v in value if (s := _poetry_value(v)) is not None]
        return _lowest(alternatives) if alternatives else None
    return None


_POETRY_PART = re.compile(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*(v?[0-9][0-9A-Za-z.*+!_-]*)")


def poetry_constraint(constraint: str) -> str | None:
    """Poetry's constraint syntax as a PEP 440 specifier: `^1.2.3` -> `>=1.2.3,<2`,
    `~1.2` -> `>=1.2,<1.3`, bare `1.2` -> `==1.2`, `*` -> `` (any); None when unreadable.

    `a || b` cannot be written in PEP 440: the alternative that admits the lowest versions is
    kept, because that is the one the lowest-version policy checks.
    """
    text = constraint.strip()
    if text in ("", "*"):
        return ""
    alternatives = []
    for alternative in text.split("||"):
        if _POETRY_PART.sub("", alternative).strip(" ,"):
            return None  # something that is no constraint
        parts: list[str] = []
        for operator, version in _POETRY_PART.findall(alternative):
            try:
                if operator in ("^", "~"):
                    parts += _poetry_range(operator, version)
                elif operator in ("", "="):
                    parts.append(f"=={version}")
                else:
                    parts.append(f"{operator}{version}")
            except InvalidVersion:
                return None
        try:
            alternatives.append(_spec_text(SpecifierSet(",".join(parts))))
        except InvalidSpecifier:
            return None
    return _lowest(alternatives)


def _poetry_range(operator: str, version: str) -> list[str]:
    release = list(Version(version).release)  # the parts as written: "0.2" -> [0, 2]
    if operator == "^":  # bump the first non-zero part (the last one when all are zero)
        bump = next((i for i, part in enumerate(release) if part), len(release) - 1)
    else:  # "~": bump the minor when one was written, else the major
        bump = 1 if len(release) > 1 else 0
    upper = release[:bump] + [release[bump] + 1]
    return [f">={version}", "<" + ".".join(str(p) for p in upper)]


def _lowest(specifiers: list[str]) -> str:
    """The specifier admitting the lowest versions (one without a lower bound wins)."""

    def key(specifier: str) -> tuple[int, Version]:
        bound = _lower_bound(SpecifierSet(specifier))
        return (0, LOWEST_VERSION) if bound is None else (1, bound)

    return min(specifiers, key=key)


def _lower_bound(spec: SpecifierSet) -> Version | None:
    bounds = []
    for clause in spec:
        if clause.operator in (">=", ">", "~=", "==", "==="):
            text = clause.version.removesuffix(".*")
            try:
                bounds.append(Version(text))
            except InvalidVersion:
                continue
    return max(bounds) if bounds else None


# Inline `pip install` ---------------------------------------------------------------------

# `pip install` where a command starts: at the start of a line (after a prompt, a comment
# mark or a list bullet), after a shell separator, or at the start of a string; after `sudo`,
# `RUN`, YAML's `run:`/`script:`, `VAR=value`, `!`/`%` magics, `python -m`, `uv`, a path.
# Prose ("you can pip install it") does not start a command there and is not read.
# `pip install` is found first and only a bounded stretch before it is matched against the
# command start, so a long line costs linear time (`\S*` scanned from every quote would not).
_PIP_INSTALL = re.compile(r"\bpip[\d.]*[ \t]+install(?=\s|$|\\)")
_COMMAND_START = re.compile(
    r"""
    (?: ^[\s#$>*\-]* | [;&|(`'"]\s* )
    (?: (?: sudo | (?i:run|script|cmd|command):? | exec | then | do | time | env ) \s+
        (?:-\S+\s+)* )*
    (?: [A-Za-z_]\w*=\S*\s+ )*
    [!%]?
    (?: \S*(?:python[\d.]*|executable\}?|\bpy) \s+ (?:-\S+\s+)*? -m\s+ )?
    (?: uv\s+ )?
    (?: [^\s'"`]*/ )?
    $
    """,
    re.VERBOSE,
)
_COMMAND_REACH = 160  # characters before `pip` that may hold the command's start
# How far one command's arguments are read: every `pip install` on a long line must not read
# the rest of the line again (quadratic), and no real command is longer.
_ARGS_REACH = 4096  # characters a line
_MAX_COMMAND_LINES = 256  # lines continued with a backslash
_MAX_ARGS = 256
# The argv form: subprocess.run([sys.executable, "-m", "pip", "install", "flask==1.0"]),
# Dockerfile RUN ["pip", "install", ...].
_PIP_ARGV = re.compile(r"""["']pip[\d.]*["']\s*,\s*["']install["']""")
_ARGV_ITEM = re.compile(r"""\s*,\s*(["'])(.*?)\1""")

# Options that take a value (`-r requirements.txt` names a file, not a package).
_OPTIONS_WITH_VALUE = frozenset(
    "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url "
    "-f --find-links -t --target --prefix --root --src --upgrade-strategy --platform "
    "--python-version --implementation --abi --no-binary --only-binary --progress-bar "
    "--cache-dir --trusted-host --proxy --retries --timeout --log --log-file -C "
    "--config-settings --global-option --report --python --exists-action --cert "
    "--client-cert --keyring-provider --group".split()
)
_NOT_PACKAGE = re.compile(r"[/\\{}$%@:]|\.(?:whl|zip|tar\.gz|tgz|tar\.bz2)$", re.IGNORECASE)
_QUOTES = "\"'`"


def _inline(path: str, text: str) -> list[Declaration]:
    lines = split_lines(text)
    out: list[Declaration] = []
    seen: set[tuple[int, str, str]] = set()
    for index, line in enumerate(lines):
        if "pip" not in line:
            continue
        words: list[tuple[str, int]] = []
        matches = list(_PIP_INSTALL.finditer(line))
        for k, match in enumerate(matches):
            if not _starts_command(line, match.start()):
                continue
            # the next `pip install` ends this one's arguments: each stretch is read once
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line)
            words += _shell_words(lines, index, match.end(), end)
            words.append(("", -1))  # end of this command's arguments
        for match in _PIP_ARGV.finditer(line):
            at = match.end()
            while item := _ARGV_ITEM.match(line, at):
                words.append((item.group(2), index))
                at = item.end()
            words.append(("", -1))
        for declaration in _from_arguments(path, words):
            key = (declaration.line, declaration.name, declaration.specifier)
            if key not in seen:
                seen.add(key)
                out.append(declaration)
    return out


def _starts_command(line: str, at: int) -> bool:
    """Whether the `pip` at `at` starts a command (see `_COMMAND_START`)."""
    if at <= _COMMAND_REACH:
        return _COMMAND_START.search(line, 0, at) is not None
    # a cut-off stretch must not pass for the start of the line
    return _COMMAND_START.search("\x00" + line[at - _COMMAND_REACH : at]) is not None


def _shell_words(lines: list[str], index: int, start: int, end: int) -> list[tuple[str, int]]:
    """The words in `lines[index][start:end]` after `pip install` (with their 0-based line), up
    to the end of the command: a shell separator, a comment, the end of the string that holds
    it, or the end of the line unless it ends with a backslash."""
    words: list[tuple[str, int]] = []
    rest = lines[index][start : min(end, start + _ARGS_REACH)]
    for _ in range(_MAX_COMMAND_LINES):
        cut = rest.find("\\n")  # a literal \n: the end of a notebook source line or a string
        if cut >= 0:
            rest = rest[:cut]
        rest = rest.replace('\\"', '"').replace("\\'", "'")
        line_words, continues = _line_words(rest)
        words += [(word, index) for word in line_words]
        if not continues or index + 1 >= len(lines) or len(words) >= _MAX_ARGS:
            break
        index += 1
        rest = lines[index][:_ARGS_REACH]
        if following := _PIP_INSTALL.search(rest):  # a new command, read on its own line
            rest = rest[: following.start()]
    return words[:_MAX_ARGS]


def _line_words(rest: str) -> tuple[list[str], bool]:
    """(words, the command continues on the next line)."""
    words: list[str] = []
    i, n = 0, len(rest)
    while i < n and len(words) < _MAX_ARGS:
        char = rest[i]
        if char.isspace():
            i += 1
            continue
        if char in "\"'":
            close = rest.find(char, i + 1)
            if close < 0:  # the string holding the command ends here
                return words, False
            words.append(rest[i + 1 : close])
            i = close + 1
            continue
        j = i
        while j < n and not rest[j].isspace() and rest[j] not in _QUOTES:
            j += 1
        word = rest[i:j]
        if word == "\\" and rest[j:].strip() == "":
            return words, True
        if word.startswith("#") or word.startswith((">", "1>", "2>")):
            return words, False
        separator = min((k for k in (word.find(s) for s in ";&|") if k >= 0), default=-1)
        if separator >= 0:
            if separator:
                words.append(word[:separator])
            return words, False
        stripped = word.rstrip(".,:)}")
        if stripped != word or (j < n and rest[j] in _QUOTES):
            # sentence punctuation, a closing bracket, or a bare word running into a quote (the
            # end of the string that holds the command): the command ends with this word
            if stripped:
                words.append(stripped)
            return words, False
        words.append(word)
        i = j
    return words, False


def _from_arguments(path: str, words: list[tuple[str, int]]) -> list[Declaration]:
    out = []
    skip_value = False
    for word, index in words:
        if index < 0:  # the end of one command's arguments
            skip_value = False
            continue
        if skip_value:
            skip_value = False
            continue
        word = word.strip()
        if not word:
            continue
        if word.startswith("-"):
            skip_value = word in _OPTIONS_WITH_VALUE
            continue
        if _NOT_PACKAGE.search(word.split(";", 1)[0]) or word == ".":
            continue
        declaration = _declaration(path, index + 1, word)
        if declaration:
            out.append(declaration)
    return out


# --- Which version to check ----------------------------------------------------------------


_SIMPLE_PIN = re.compile(r"===?\s*(\d+(?:\.\d+)*)")
_SIMPLE_FLOOR = re.compile(r"(?:>=|~=(?=\s*\d+\.\d))\s*(\d+(?:\.\d+)*)")


def version_to_check(specifier: str, known: Iterable[Version] = ()) -> tuple[str, bool] | None:
    """(version, pinned) for a declaration's specifier, or None when it is not checked.

    Pinned (`==`, `===`) -> that version. A lower bound -> the lowest admitted version: the
    bound itself, else (`>`, `!=`) the lowest admitted version among `known` (the versions the
    advisories for the package name). No lower bound -> None. See the module docstring.
    """
    pin = _SIMPLE_PIN.fullmatch(specifier)
    if pin:
        return pin.group(1), True
    floor = _SIMPLE_FLOOR.fullmatch(specifier)  # a lone `>=X` / `~=X.Y` admits X itself
    if floor:
        return floor.group(1), False
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    for clause in spec:
        if clause.operator == "===" or (
            clause.operator == "==" and not clause.version.endswith(".*")
        ):
            return clause.version, True
    candidates: list[Version] = []
    bounded = False
    for clause in spec:
        if clause.operator in (">=", "~=", "==", ">"):
            bounded = True
            if clause.operator != ">":
                try:
                    candidates.append(Version(clause.version.removesuffix(".*")))
                except InvalidVersion:
                    continue
    if not bounded:
        return None
    prereleases = bool(spec.prereleases)  # only where a clause names one (pip's rule)
    admitted = [v for v in (*candidates, *known) if spec.contains(v, prereleases=prereleases)]
    return (str(min(admitted)), False) if admitted else None
