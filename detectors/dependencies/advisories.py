"""OSV advisories, read once from a folder, and which of them affect a package version.

Versions compare as PEP 440 versions (`packaging`), for ECOSYSTEM and SEMVER ranges alike; GIT
ranges name commits and are ignored. A version that is not PEP 440 is never affected, except
by an advisory that lists that exact string in `versions`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict

from core.ecosystems import normalize_ecosystem
from core.severity import Severity
from detectors.dependencies.declarations import LOWEST_VERSION, PYPI, version_to_check
from ingest.errors import IngestError, MalformedReport
from ingest.parsers.fields import (
    opt_str,
    req_dict,
    req_list,
    req_str,
    strs,
)
from ingest.parsers.osv_records import record_cwes, record_references, record_severity


class AdvisoryError(IngestError):
    """An advisory file (OSV format) could not be read, so the advisory database is incomplete.

    Raised rather than skipped: a silently skipped advisory is a silently missed vulnerability.
    """


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
    return (0, LOWEST_VERSION, kind) if at is None else (1, at, kind)
