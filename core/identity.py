"""Who is who: fingerprints, match keys and cross-tool keys (docs/identity.md says why).

- `fingerprint` identifies one finding of one tool across scans. From, in order of preference:
  the tool's own stable fingerprint; for dependencies, advisory + package + manifest; else
  rule + path + the normalized text of the flagged lines and their nearest non-blank
  neighbours. Line numbers are never part of it, so inserting lines above a finding keeps
  its identity. Identical candidates in one file are told apart by their order (ordinal).
- `match_key` is a looser key (rule + path + flagged text, no neighbours, no ordinal) used to
  recognise a finding whose neighbourhood changed: the store pairs leftovers by it.
- `cross_tool_key` groups the same weakness at the same place reported by several tools
  (same repository, service, path and CWE class, overlapping lines; for dependencies the same
  package and advisory).
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from core.cwe import primary_cwe_class
from core.finding import Finding, Kind
from core.lines import split_lines

_DIGITS = re.compile(r"\d+")
_SEP = "\x1f"


def digest(*parts: object) -> str:
    """A short, stable hex digest of the parts (128 bits: collisions are not a concern here)."""
    text = _SEP.join(map(str, parts))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def normalize_code(text: str) -> str:
    """Whitespace folded inside each line; blank lines dropped. Re-indenting or re-wrapping
    blank lines around a finding does not change what it is."""
    lines = (" ".join(line.split()) for line in split_lines(text))
    return "\n".join(line for line in lines if line)


def _neighbours(finding: Finding) -> tuple[str, str]:
    """The nearest non-blank line above and below the flagged lines, from the snippet."""
    if not (finding.snippet and finding.snippet_start_line and finding.start_line):
        return "", ""
    lines = split_lines(finding.snippet)
    first = finding.start_line - finding.snippet_start_line
    last = (finding.end_line or finding.start_line) - finding.snippet_start_line
    if not (0 <= first <= last < len(lines)):
        return "", ""
    above = next((ln for ln in reversed(lines[:first]) if ln.strip()), "")
    below = next((ln for ln in lines[last + 1 :] if ln.strip()), "")
    return normalize_code(above), normalize_code(below)


def _text_basis(finding: Finding) -> str:
    """What the finding says, when there is no code: its message without numbers (tools put
    line numbers and counters in messages)."""
    return _DIGITS.sub("#", " ".join(finding.message.split()))


def identity_basis(finding: Finding) -> tuple[str, ...]:
    """The parts of the fingerprint before the ordinal (see the module docstring).

    Every basis holds the tool's fingerprint or the path: `ingest.prepare` splits large runs
    by exactly that, so findings that may share a basis are numbered together."""
    if finding.tool_fingerprint:
        return ("tool", finding.tool_fingerprint)
    if finding.kind is Kind.SCA and finding.package:
        return ("sca", finding.rule_id.upper(), finding.package.lower(), finding.path or "")
    flagged = normalize_code(finding.flagged_text) if finding.flagged_text else ""
    if flagged:
        above, below = _neighbours(finding)
        return ("code", finding.rule_id, finding.path or "", above, flagged, below)
    return ("message", finding.rule_id, finding.path or "", _text_basis(finding))


def match_key(finding: Finding) -> str:
    flagged = normalize_code(finding.flagged_text) if finding.flagged_text else ""
    text = flagged or _text_basis(finding)
    if finding.kind is Kind.SCA and finding.package:
        text = finding.package.lower()
    return digest(finding.tool, finding.rule_id, finding.path, text)


def assign_identities(findings: list[Finding]) -> tuple[list[Finding], int]:
    """Fill fingerprint and match_key of one run's findings; drop exact repeats.

    A repeat is a record with the same identity basis at the same place (Snyk lists a
    vulnerable package once per dependency path; some tools print a result twice). Returns
    the unique findings, in their original order, and how many repeats were dropped.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    bases = []
    for i, finding in enumerate(findings):
        basis = identity_basis(finding)
        bases.append(basis)
        groups.setdefault(basis, []).append(i)

    keep = [True] * len(findings)
    for basis, members in groups.items():
        if len(members) > 1:
            members.sort(key=lambda i: _position(findings[i]))
        seen_places: set[tuple[object, ...]] = set()
        ordinal = 0
        for i in members:
            finding = findings[i]
            place = _place(finding)
            if place in seen_places:
                keep[i] = False
                continue
            seen_places.add(place)
            # Straight into __dict__ (plain strings; pydantic's __setattr__ costs ~1 us).
            values = finding.__dict__
            values["fingerprint"] = digest(finding.tool, *basis, ordinal)
            values["match_key"] = match_key(finding)
            ordinal += 1
    unique = [f for f, k in zip(findings, keep, strict=True) if k]
    return unique, len(findings) - len(unique)


def _position(finding: Finding) -> tuple[int, int, int]:
    return (finding.start_line or 0, finding.start_column or 0, finding.end_line or 0)


def _place(finding: Finding) -> tuple[object, ...]:
    if finding.kind is Kind.SCA:
        # One finding per advisory, package, manifest and installed version, whatever the
        # dependency path to it (Snyk lists each path); two versions of a package are two.
        return (finding.package_version,)
    return (finding.start_line, finding.start_column, finding.end_line, finding.end_column)


# Cross-tool grouping ------------------------------------------------------------------------


class GroupCandidate(NamedTuple):
    """A stored finding another tool reported, that a new finding may group with."""

    tool: str
    basis: tuple[str, ...]
    start_line: int
    end_line: int
    key: str


def cross_tool_basis(
    kind: Kind,
    repository: str,
    service: str,
    path: str | None,
    cwe_ids: list[int],
    package: str | None,
    vuln_ids: list[str],
    rule_id: str,
) -> tuple[str, ...] | None:
    """What must be equal for two tools' findings to be one weakness (lines aside)."""
    if kind is Kind.SCA and package:
        advisory = (vuln_ids[0] if vuln_ids else rule_id).upper()
        return ("sca", repository, service, package.lower(), advisory)
    if path and cwe_ids:
        return ("code", repository, service, path, str(primary_cwe_class(cwe_ids)))
    return None


def basis_of(finding: Finding) -> tuple[str, ...] | None:
    return cross_tool_basis(
        finding.kind,
        finding.repository,
        finding.service,
        finding.path,
        finding.cwe_ids,
        finding.package,
        finding.vuln_ids,
        finding.rule_id,
    )


class GroupMember(NamedTuple):
    """What grouping needs of a new finding (see `cross_tool_keys`)."""

    basis: tuple[str, ...] | None  # `basis_of` the finding
    tool: str
    fingerprint: str
    start_line: int
    end_line: int


def cross_tool_keys(new: list[GroupMember], candidates: list[GroupCandidate]) -> list[str]:
    """The cross-tool key of each new finding: the key of another tool's finding on the same
    weakness at overlapping lines when there is one, else a key of its own.

    Keys are assigned once, when a finding is first stored, so re-ingesting never moves a
    finding between groups. `new` is one run (one tool): the runs of a report are stored one
    after another, so a later run finds an earlier run's findings among the candidates.
    """
    by_basis: dict[tuple[str, ...], list[GroupCandidate]] = {}
    for candidate in candidates:
        by_basis.setdefault(candidate.basis, []).append(candidate)
    keys = []
    for basis, tool, fingerprint, start, end in new:
        if basis is None:
            keys.append(digest("single", tool, fingerprint))
            continue
        key = None
        for candidate in by_basis.get(basis, ()):
            if candidate.tool == tool:
                continue
            if basis[0] == "sca" or (candidate.start_line <= end and start <= candidate.end_line):
                key = candidate.key
                break
        if key is None:
            key = digest(*basis) if basis[0] == "sca" else digest(*basis, start)
        keys.append(key)
    return keys
