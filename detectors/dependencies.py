"""Offline dependency check: Python requirements declared in code, against OSV advisories.

Code samples declare dependencies in requirements files, in `pyproject.toml`, and inline
(`pip install flask==0.12.2` in a Dockerfile, a shell script, a notebook, a Python string).
`declared_dependencies` reads those; `AdvisoryDB.load` reads an OSV-format advisory directory
once; `check_dependencies` turns every declaration that admits an affected version into an SCA
finding, on the line that declares it.

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

Versions compare as PEP 440 versions (`packaging`), for ECOSYSTEM and SEMVER ranges alike; GIT
ranges name commits and are ignored. A version that is not PEP 440 is never affected, except
by an advisory that lists that exact string in `versions`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict

from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.lines import split_lines
from core.severity import Severity
from ingest.errors import AdvisoryError, MalformedReport
from ingest.parsers.fields import (
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    req_str,
    strs,
    upgrade_guidance,
)
from ingest.parsers.osv_records import record_cwes, record_references, record_severity

TOOL = "depcheck"
TOOL_VERSION = "0.1.0"
FORMAT = "depcheck"
PYPI = "pypi"


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
        return (0, _ZERO) if bound is None else (1, bound)

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


# --- Advisories ----------------------------------------------------------------------------


class Advisory(BaseModel):
    """What a finding needs from one OSV record (the record itself is not kept)."""

    model_config = ConfigDict(frozen=True)

    id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: Severity
    tool_severity: str | None  # GHSA's word, or the CVSS vector it was scored from
    cwe_ids: tuple[int, ...]
    references: tuple[str, ...]
    source: str  # the file it was read from


class Match(BaseModel):
    model_config = ConfigDict(frozen=True)

    advisory: Advisory
    fixed_version: str | None  # the lowest fixed version above the checked one


_ZERO = Version("0")
_Event = tuple[Version | None, int]  # (version, kind); None is "0", before every version
_INTRODUCED, _FIXED, _LAST_AFFECTED = 0, 1, 2
_EVENT_KINDS = {"introduced": _INTRODUCED, "fixed": _FIXED, "last_affected": _LAST_AFFECTED}


@dataclass(frozen=True, slots=True)
class _Affected:
    """One `affected` entry of one advisory, its versions parsed once."""

    advisory: Advisory
    ranges: tuple[tuple[_Event, ...], ...]  # each sorted
    versions: frozenset[Version]
    raw_versions: frozenset[str]
    fixed: tuple[tuple[Version, str], ...]  # sorted

    def affects(self, version: Version | None, raw: str) -> bool:
        if raw in self.raw_versions or (version is not None and version in self.versions):
            return True
        if version is None:
            return False
        for events in self.ranges:
            affected = False
            for at, kind in events:  # OSV's evaluation: the last event at or below wins
                if kind == _INTRODUCED:
                    if at is None or version >= at:
                        affected = True
                elif at is None:
                    continue
                elif kind == _FIXED:
                    if version >= at:
                        affected = False
                elif version > at:  # last_affected
                    affected = False
            if affected:
                return True
        return False


class AdvisoryDB:
    """OSV advisories indexed by (ecosystem, package): load once, query many times."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, str], list[_Affected]] = {}
        self._known: dict[tuple[str, str], tuple[Version, ...]] = {}
        self._warnings: dict[tuple[str, str], list[str]] = {}
        self._evaluated: dict[
            tuple[str, str, str], tuple[tuple[str, bool] | None, tuple[Match, ...]]
        ]
        self._evaluated = {}
        self.advisory_count = 0
        self.withdrawn_count = 0

    @classmethod
    def load(cls, directory: Path) -> AdvisoryDB:
        """Every `*.json` under `directory` (recursively), one OSV advisory a file.

        Raises AdvisoryError naming the file when one cannot be read or breaks the schema.
        Withdrawn advisories are left out.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise AdvisoryError(directory, "not a directory", "give the advisory directory")
        db = cls()
        for file in sorted(directory.rglob("*.json")):
            try:
                record = json.loads(file.read_bytes())
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise AdvisoryError(file, f"not a readable JSON file ({exc})") from exc
            try:
                db.add(record, source=str(file))
            except MalformedReport as exc:
                raise AdvisoryError(
                    file, exc.reason, "fix or remove the file: it is one OSV advisory"
                ) from exc
        return db

    def add(self, record: object, source: str = "<record>") -> None:
        """Index one OSV record; raises MalformedReport when it breaks the schema."""
        record = req_dict(record, "advisory")
        vuln_id = req_str(record.get("id"), "id").strip()
        if record.get("withdrawn"):
            self.withdrawn_count += 1
            return
        aliases = record.get("aliases")
        if aliases is not None:
            req_list(aliases, "aliases")
        severity, tool_severity = record_severity([record])
        advisory = Advisory(
            id=vuln_id,
            aliases=tuple(strs(aliases)),
            summary=opt_str(record.get("summary")),
            severity=severity,
            tool_severity=tool_severity,
            cwe_ids=tuple(record_cwes([record])),
            references=tuple(record_references([record])),
            source=source,
        )
        affected_list = record.get("affected")
        for i, entry in enumerate(req_list(affected_list, "affected") if affected_list else []):
            at = f"affected[{i}]"
            entry = req_dict(entry, at)
            package = req_dict(entry.get("package"), f"{at}.package")
            ecosystem = normalize_ecosystem(opt_str(package.get("ecosystem")))
            name = opt_str(package.get("name"))
            if not ecosystem or not name:
                raise MalformedReport(None, f"{at}.package: needs an ecosystem and a name")
            key = _key(ecosystem, name)
            self._index.setdefault(key, []).append(self._affected(advisory, entry, at, key))
            self._known.pop(key, None)
            self._evaluated.clear()
        self.advisory_count += 1

    def _affected(
        self, advisory: Advisory, entry: dict[str, Any], at: str, key: tuple[str, str]
    ) -> _Affected:
        ranges: list[tuple[_Event, ...]] = []
        fixed: list[tuple[Version, str]] = []
        raw_ranges = entry.get("ranges")
        for j, rng in enumerate(req_list(raw_ranges, f"{at}.ranges") if raw_ranges else []):
            where = f"{at}.ranges[{j}]"
            rng = req_dict(rng, where)
            if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue  # GIT ranges name commits
            events: list[_Event] = []
            for k, event in enumerate(req_list(rng.get("events"), f"{where}.events")):
                event = req_dict(event, f"{where}.events[{k}]")
                kind_name = next((name for name in _EVENT_KINDS if name in event), None)
                if kind_name is None:
                    if "limit" in event:
                        continue
                    raise MalformedReport(
                        None, f"{where}.events[{k}]: no introduced, fixed or last_affected"
                    )
                text = req_str(event[kind_name], f"{where}.events[{k}].{kind_name}").strip()
                if kind_name == "introduced" and text == "0":
                    events.append((None, _INTRODUCED))
                    continue
                try:
                    version = Version(text)
                except InvalidVersion:
                    self._warnings.setdefault(key, []).append(
                        f"{advisory.id} ({advisory.source}): {where} has {kind_name} "
                        f"{text!r}, not a PEP 440 version; that range is not checked"
                    )
                    events = []
                    break
                events.append((version, _EVENT_KINDS[kind_name]))
                if kind_name == "fixed":
                    fixed.append((version, text))
            if events:
                ranges.append(tuple(sorted(events, key=_event_order)))
        raw_versions = entry.get("versions")
        listed = [
            req_str(v, f"{at}.versions[{k}]").strip()
            for k, v in enumerate(req_list(raw_versions, f"{at}.versions") if raw_versions else [])
        ]
        parsed = set()
        for text in listed:
            try:
                parsed.add(Version(text))
            except InvalidVersion:
                pass  # still matched as a string
        return _Affected(
            advisory=advisory,
            ranges=tuple(ranges),
            versions=frozenset(parsed),
            raw_versions=frozenset(listed),
            fixed=tuple(sorted(fixed)),
        )

    def __len__(self) -> int:
        return self.advisory_count

    def knows(self, ecosystem: str, name: str) -> bool:
        """Whether any advisory names the package."""
        return _key(ecosystem, name) in self._index

    def matches(self, ecosystem: str, name: str, version: str) -> list[Match]:
        """The advisories affecting `name` at `version` (by id), each with its fix."""
        entries = self._index.get(_key(ecosystem, name))
        if not entries:
            return []
        raw = version.strip()
        try:
            parsed: Version | None = Version(raw)
        except InvalidVersion:
            parsed = None
        found: dict[str, Match] = {}
        for entry in entries:
            if entry.advisory.id in found or not entry.affects(parsed, raw):
                continue
            # every entry for this package and advisory can name a fix
            fixes = [
                (v, text)
                for other in entries
                if other.advisory.id == entry.advisory.id
                for v, text in other.fixed
                if parsed is not None and v > parsed
            ]
            fixed = min(fixes)[1] if fixes else None
            found[entry.advisory.id] = Match(advisory=entry.advisory, fixed_version=fixed)
        return [found[vuln_id] for vuln_id in sorted(found)]

    def affecting(self, ecosystem: str, name: str, version: str) -> list[Advisory]:
        """The advisories affecting `name` at `version`; none for a version PEP 440 cannot
        read (unless an advisory lists that exact string)."""
        return [match.advisory for match in self.matches(ecosystem, name, version)]

    def known_versions(self, ecosystem: str, name: str) -> tuple[Version, ...]:
        """Every version the package's advisories name (events and listed versions), sorted."""
        key = _key(ecosystem, name)
        if key not in self._known:
            versions: set[Version] = set()
            for entry in self._index.get(key, []):
                versions.update(entry.versions)
                versions.update(at for events in entry.ranges for at, _ in events if at)
            self._known[key] = tuple(sorted(versions))
        return self._known[key]

    def evaluate(
        self, ecosystem: str, name: str, specifier: str
    ) -> tuple[tuple[str, bool] | None, tuple[Match, ...]]:
        """(`version_to_check`'s answer, the advisories affecting that version, aliases merged)
        for a declared specifier; remembered, since samples repeat the same declarations."""
        memo_key = (ecosystem, name, specifier)
        if memo_key not in self._evaluated:
            check = version_to_check(specifier, self.known_versions(ecosystem, name))
            found = merge_aliases(self.matches(ecosystem, name, check[0])) if check else []
            self._evaluated[memo_key] = (check, tuple(found))
        return self._evaluated[memo_key]

    def warnings(self, ecosystem: str, name: str) -> list[str]:
        """What could not be read in the package's advisories."""
        return list(self._warnings.get(_key(ecosystem, name), ()))


def merge_aliases(matches: list[Match]) -> list[Match]:
    """One match per vulnerability: records that are aliases of each other (osv.dev's PyPI
    data has a GHSA and a PYSEC record for most) become one, under the GHSA id (else PYSEC,
    else the first id), with every id, reference and CWE of the group, the worst rated
    severity, and the highest of their fixes (the upgrade that clears all of them)."""
    groups: list[tuple[set[str], list[Match]]] = []
    for match in matches:
        ids = {i.upper() for i in (match.advisory.id, *match.advisory.aliases)}
        joined = [g for g in groups if g[0] & ids]
        for group in joined:
            ids |= group[0]
            groups.remove(group)
        groups.append((ids, [m for g in joined for m in g[1]] + [match]))
    out = []
    for _, members in groups:
        if len(members) == 1:
            out.append(members[0])
            continue
        members.sort(key=lambda m: (_id_preference(m.advisory.id), m.advisory.id))
        primary = members[0].advisory
        rated = [m.advisory for m in members if m.advisory.tool_severity is not None]
        worst = max(rated, key=lambda a: a.severity.rank) if rated else primary
        advisories = [m.advisory for m in members]
        merged = Advisory(
            id=primary.id,
            aliases=tuple(
                dict.fromkeys(i for a in advisories for i in (a.id, *a.aliases) if i != primary.id)
            ),
            summary=next((a.summary for a in advisories if a.summary), None),
            severity=worst.severity,
            tool_severity=worst.tool_severity,
            cwe_ids=tuple(dict.fromkeys(c for a in advisories for c in a.cwe_ids)),
            references=tuple(dict.fromkeys(r for a in advisories for r in a.references)),
            source=primary.source,
        )
        fixes = [m.fixed_version for m in members if m.fixed_version]
        out.append(Match(advisory=merged, fixed_version=max(fixes, key=Version) if fixes else None))
    return sorted(out, key=lambda m: m.advisory.id)


def _id_preference(vuln_id: str) -> int:
    upper = vuln_id.upper()
    return 0 if upper.startswith("GHSA-") else 1 if upper.startswith("PYSEC-") else 2


@lru_cache(maxsize=8192)
def _key(ecosystem: str, name: str) -> tuple[str, str]:
    eco = normalize_ecosystem(ecosystem) or ""
    return eco, canonicalize_name(name) if eco == PYPI else name


def _event_order(event: _Event) -> tuple[int, Version, int]:
    at, kind = event
    return (0, _ZERO, kind) if at is None else (1, at, kind)


# --- The check -----------------------------------------------------------------------------


def check_dependencies(files: Mapping[str, str], db: AdvisoryDB) -> ParsedReport:
    """Findings for every declaration in `files` (path -> text) that admits an affected
    version, one per advisory, in file order. Pure: `db` is loaded once by the caller."""
    run = ParsedRun(tool=TOOL, tool_version=TOOL_VERSION)
    report = ParsedReport(format=FORMAT, runs=[run])
    warned: set[str] = set()
    for path, text in files.items():
        declarations = declared_dependencies(path, text)
        if not declarations:
            continue
        lines: list[str] | None = None
        for declaration in declarations:
            eco, name = declaration.ecosystem, declaration.name
            if not db.knows(eco, name):
                continue
            for warning in db.warnings(eco, name):
                if warning not in warned:
                    warned.add(warning)
                    report.warnings.append(warning)
            check, found = db.evaluate(eco, name, declaration.specifier)
            if check is None:
                report.warnings.append(
                    f"{path}:{declaration.line}: {name}{declaration.specifier} names no "
                    "lowest version, so it was not checked against the package's advisories; "
                    "pin it or give it a lower bound"
                )
                continue
            version, pinned = check
            if found and lines is None:
                lines = split_lines(text)
            for match in found:
                run.findings.append(_finding(declaration, version, pinned, match, lines or []))
    return report


def _finding(
    declaration: Declaration, version: str, pinned: bool, match: Match, lines: list[str]
) -> Finding:
    advisory = match.advisory
    name = declaration.name
    if pinned:
        what = f"{name} {version} is affected"
    else:
        what = f"{name}{declaration.specifier} allows {version}, which is affected"
    line = declaration.line
    return Finding(
        tool=TOOL,
        tool_version=TOOL_VERSION,
        rule_id=advisory.id,
        rule_name=advisory.summary,
        message=f"{advisory.summary}: {what}" if advisory.summary else f"{what} ({advisory.id})",
        kind=Kind.SCA,
        severity=advisory.severity,
        tool_severity=advisory.tool_severity,
        confidence="high" if pinned else "medium",
        cwe_ids=list(advisory.cwe_ids),
        vuln_ids=order_vuln_ids([advisory.id, *advisory.aliases]),
        fix_guidance=upgrade_guidance(name, match.fixed_version),
        references=list(advisory.references),
        package=name,
        package_version=version,
        fixed_version=match.fixed_version,
        ecosystem=declaration.ecosystem,
        path=declaration.path,
        start_line=line,
        end_line=line,
        flagged_text=lines[line - 1] if 0 < line <= len(lines) else None,
        raw={
            "advisory": advisory.id,
            "declaration": {
                "name": name,
                "specifier": declaration.specifier,
                "line": line,
                "path": declaration.path,
            },
            "checked_version": version,
        },
    )


__all__ = [
    "Advisory",
    "AdvisoryDB",
    "Declaration",
    "Match",
    "TOOL",
    "TOOL_VERSION",
    "check_dependencies",
    "declared_dependencies",
    "merge_aliases",
    "poetry_constraint",
    "version_to_check",
]
