"""OSV-Scanner JSON (`osv-scanner --format json`).

`{"results": [{"source": {path, type}, "packages": [{"package": {name, version, ecosystem,
commit?}, "vulnerabilities": [OSV records], "groups": [{ids, aliases?, max_severity?}]}]}]}`

One finding per package per group: OSV-Scanner groups the records that are aliases of one
vulnerability (a GHSA and its PYSEC twin), so a group is one weakness to fix. Output without
`groups` (older versions) gives one finding per record, and so does a record no group names.
- rule_id: the group's first id (OSV-Scanner sorts them); vuln_ids: every id and alias of the
  group and of its records.
- severity: the group's `max_severity` (a CVSS score), else the highest GHSA word of its
  records (`database_specific.severity`), else the highest CVSS v3 base score of their
  `severity` vectors, else "medium" (the "osv-scanner" table).
- fixed_version: the `fixed` events of the records' `affected` entries for this package
  (GIT ranges name commits, not versions, and are left out), lowest first.
- path: the scanned lockfile or directory (`source.path`); commit: the package's `commit`
  when OSV-Scanner scanned a git repository.
- raw: the record itself, or for a group `{"package", "group", "vulnerabilities"}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import Severity, from_score, parse_score
from ingest.parsers.fields import (
    clean_path,
    dicts,
    fail,
    get_path,
    opt_dict,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    req_str,
    strs,
    upgrade_guidance,
)
from ingest.parsers.osv_records import record_cwes, record_references, record_severity

FORMAT = "osv-scanner"
TOOL = "osv-scanner"
_VERSION_PART = re.compile(r"0*(\d+)|([^\d.\-+_~:]+)", re.ASCII)


def parse_osv_scanner(document: Any) -> ParsedReport:
    run = ParsedRun(tool=TOOL)
    report = ParsedReport(format=FORMAT, runs=[run])
    if document is None or document == []:
        return report
    doc = req_dict(document, "document")
    if "results" not in doc:
        raise fail("results", "missing (not an OSV-Scanner JSON report?)")
    results = doc["results"]
    if results is None:  # Go writes a nil slice as null
        return report
    for i, result in enumerate(req_list(results, "results")):
        at = f"results[{i}]"
        result = req_dict(result, at)
        path = clean_path(opt_str(get_path(result, "source", "path")))
        packages = result.get("packages")
        if packages is None:
            continue
        for j, entry in enumerate(req_list(packages, f"{at}.packages")):
            _package_findings(
                req_dict(entry, f"{at}.packages[{j}]"), f"{at}.packages[{j}]", path, run.findings
            )
    return report


def _package_findings(
    entry: dict[str, Any], where: str, path: str | None, out: list[Finding]
) -> None:
    package = opt_dict(entry.get("package"))
    context = _Package(
        name=opt_str(package.get("name")),
        version=opt_str(package.get("version")),
        ecosystem=normalize_ecosystem(opt_str(package.get("ecosystem"))),
        commit=opt_str(package.get("commit")),
        path=path,
    )
    records: list[tuple[str, dict[str, Any]]] = []
    vulns = entry.get("vulnerabilities")
    for k, record in enumerate(req_list(vulns, f"{where}.vulnerabilities") if vulns else []):
        record = req_dict(record, f"{where}.vulnerabilities[{k}]")
        records.append((req_str(record.get("id"), f"{where}.vulnerabilities[{k}].id"), record))
    by_id = {vuln_id: record for vuln_id, record in reversed(records)}  # the first one wins

    grouped: set[str] = set()
    groups = entry.get("groups")
    for k, group in enumerate(req_list(groups, f"{where}.groups") if groups else []):
        group = req_dict(group, f"{where}.groups[{k}]")
        ids = strs(group.get("ids"))
        if not ids:
            raise fail(f"{where}.groups[{k}].ids", "expected a non-empty array of ids")
        members = [by_id[vid] for vid in ids if vid in by_id]
        grouped.update(ids)
        raw = {"package": package, "group": group, "vulnerabilities": members}
        out.append(
            _finding(
                context,
                ids[0],
                [*ids, *strs(group.get("aliases"))],
                members,
                group.get("max_severity"),
                raw,
            )
        )
    for vuln_id, record in records:
        if vuln_id not in grouped:
            out.append(_finding(context, vuln_id, [vuln_id], [record], None, record))


@dataclass(frozen=True, slots=True)
class _Package:
    """What every finding of one package shares."""

    name: str | None
    version: str | None
    ecosystem: str | None
    commit: str | None
    path: str | None


def _finding(
    pkg: _Package,
    rule_id: str,
    ids: list[str],
    records: list[dict[str, Any]],
    max_severity: object,
    raw: dict[str, Any],
) -> Finding:
    primary = next((r for r in records if r.get("id") == rule_id), records[0] if records else {})
    summary = opt_str(primary.get("summary"))
    severity, tool_severity = _severity(max_severity, records)
    fixed = _fixed_versions(records, pkg.name)
    for record in records:
        ids.extend(strs(record.get("aliases")))
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=summary,
        message=summary
        or opt_str(primary.get("details"))
        or " ".join(filter(None, (pkg.name, pkg.version, "is affected by", rule_id))),
        kind=Kind.SCA,
        severity=severity,
        tool_severity=tool_severity,
        cwe_ids=record_cwes(records),
        vuln_ids=order_vuln_ids(ids),
        fix_guidance=_package_upgrade(pkg.name, fixed),
        references=record_references(records),
        package=pkg.name,
        package_version=pkg.version,
        fixed_version=fixed,
        ecosystem=pkg.ecosystem,
        commit=pkg.commit,
        path=pkg.path,
        raw=raw,
    )


def _severity(max_severity: object, records: list[dict[str, Any]]) -> tuple[Severity, str | None]:
    score = parse_score(max_severity)
    if score is not None:
        return from_score(score), opt_str(max_severity)
    return record_severity(records)


def _fixed_versions(records: list[dict[str, Any]], package: str | None) -> str | None:
    wanted = package.lower() if package else None
    fixed: dict[str, None] = {}
    for record in records:
        for affected in dicts(record.get("affected")):
            name = opt_str(get_path(affected, "package", "name"))
            if wanted is not None and name is not None and name.lower() != wanted:
                continue
            for rng in dicts(affected.get("ranges")):
                if rng.get("type") == "GIT":
                    continue
                for event in dicts(rng.get("events")):
                    version = opt_str(event.get("fixed"))
                    if version:
                        fixed[version] = None
    if not fixed:
        return None
    return ", ".join(sorted(fixed, key=_version_key))


def _version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Numbers compare as numbers (by length, then digits: no int() of untrusted text),
    words as text: "1.26.18" < "2.0.7". Enough to order one package's fixed versions."""
    return tuple(
        (0, len(number), number) if number else (1, 0, word)
        for number, word in _VERSION_PART.findall(version)
    )


def _package_upgrade(package: str | None, fixed: str | None) -> str | None:
    return upgrade_guidance(package, fixed) if package else None
