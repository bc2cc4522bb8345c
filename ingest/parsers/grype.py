"""Grype: `grype <target> -o json` (the document described by Grype's JSON schema).

What is read, beyond the obvious:
- Every `matches[]` entry is a finding; `ignoredMatches[]` (matches an ignore rule, VEX
  statement or `--only-fixed` filtered out) are findings too, marked suppressed with the
  rule that applied.
- vuln_ids: `vulnerability.id` and every `relatedVulnerabilities[].id` (Grype matches a GHSA
  or distro record and relates the CVE).
- severity: `vulnerability.severity` through the "grype" table (Negligible -> info). When the
  word is missing or "Unknown" and a CVSS base score exists (the vulnerability's, else a
  related record's; v3 preferred, then v4, then v2), the score decides; otherwise "Unknown" is
  medium.
- fixed_version: `fix.versions` (joined with ", ") unless `fix.state` says there is no fix
  ("not-fixed", "wont-fix", "unknown"); the state stays in `raw`.
- path: the first artifact location; ecosystem from the artifact's purl (pypi, npm, maven,
  go ...; for OS packages the distro in the purl: debian, alpine ...), else its type.
- CWEs from `vulnerability.cwes` (newer Grype versions), usually absent.
- tool_version from `descriptor.version`, scanned_at from `descriptor.timestamp`.
"""

from __future__ import annotations

from typing import Any

from core.cwe import parse_cwe
from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import (
    SEVERITY_TABLES,
    Severity,
    cvss3_base_score,
    from_score,
    from_table,
    parse_score,
)
from ingest.parsers.fields import (
    clean_path,
    dicts,
    fail,
    get_path,
    opt_datetime,
    opt_dict,
    opt_list,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    strs,
)

TOOL = "grype"
_TABLE = SEVERITY_TABLES[TOOL]
_NO_FIX_STATES = {"not-fixed", "wont-fix", "unknown", ""}

# purl types -> package registry (OSV-style, lower-cased).
# OS package purls name the distro in their namespace (pkg:deb/debian/..., pkg:apk/alpine/...).
_OS_PURL_TYPES = {"deb", "apk", "rpm", "alpm"}
# Artifact types (Syft package types) when there is no purl.


def parse_grype(document: Any) -> ParsedReport:
    report = ParsedReport(format="grype")
    if document is None or document == []:
        report.runs.append(ParsedRun(tool=TOOL))
        return report

    doc = req_dict(document, "document")
    if "matches" not in doc:
        raise fail("matches", "missing: not a Grype JSON report (`grype -o json`)")
    matches = doc.get("matches")
    matches = [] if matches is None else req_list(matches, "matches")
    descriptor = opt_dict(doc.get("descriptor"))
    run = ParsedRun(
        tool=TOOL,
        tool_version=opt_str(descriptor.get("version")),
        scanned_at=opt_datetime(descriptor.get("timestamp")),
    )
    report.runs.append(run)

    distro = opt_str(get_path(doc, "distro", "name"))
    version = run.tool_version
    for i, match in enumerate(matches):
        run.findings.append(_finding(match, f"matches[{i}]", distro, version, None))
    for i, match in enumerate(opt_list(doc.get("ignoredMatches"))):
        where = f"ignoredMatches[{i}]"
        rules = dicts(get_path(match, "appliedIgnoreRules"))
        run.findings.append(_finding(match, where, distro, version, _ignore_reason(rules)))
    return report


def _finding(
    match: object, where: str, distro: str | None, tool_version: str | None, suppression: str | None
) -> Finding:
    record = req_dict(match, where)
    vuln = req_dict(record.get("vulnerability"), f"{where}.vulnerability")
    artifact = req_dict(record.get("artifact"), f"{where}.artifact")
    related = dicts(record.get("relatedVulnerabilities"))

    vuln_id = opt_str(vuln.get("id"))
    ids = [vuln_id] if vuln_id else []
    for rel in related:
        rel_id = opt_str(rel.get("id"))
        if rel_id:
            ids.append(rel_id)
    rule_id = vuln_id or (ids[0] if ids else "grype-match")

    word = opt_str(vuln.get("severity"))
    severity, tool_severity = _severity(word, vuln, related)

    package = opt_str(artifact.get("name"))
    version = opt_str(artifact.get("version"))
    fix = opt_dict(vuln.get("fix"))
    state = (opt_str(fix.get("state")) or "").strip().lower()
    fixed_versions = strs(fix.get("versions"))
    fixed_version = (
        ", ".join(fixed_versions) if fixed_versions and state not in _NO_FIX_STATES else None
    )
    if fixed_version is None and not state and fixed_versions:
        fixed_version = ", ".join(fixed_versions)  # no state at all: trust the versions

    description = opt_str(vuln.get("description"))
    if description is None:
        for rel in related:
            description = opt_str(rel.get("description"))
            if description:
                break
    subject = f"{package}@{version}" if package and version else package
    message = f"{rule_id} in {subject}" if subject else rule_id
    if description:
        message = f"{message}: {description.strip()}"

    references: list[str] = []
    for url in [opt_str(vuln.get("dataSource")), *strs(vuln.get("urls"))]:
        if url and url not in references:
            references.append(url)
    for advisory in dicts(vuln.get("advisories")):
        link = opt_str(advisory.get("link"))
        if link and link not in references:
            references.append(link)

    cwes = parse_cwe(opt_list(vuln.get("cwes")))
    for rel in related:
        for cwe in parse_cwe(opt_list(rel.get("cwes"))):
            if cwe not in cwes:
                cwes.append(cwe)

    location = None
    for loc in dicts(artifact.get("locations")):
        location = opt_str(loc.get("path"))
        if location:
            break

    return Finding(
        tool=TOOL,
        tool_version=tool_version,
        rule_id=rule_id,
        message=message,
        kind=Kind.SCA,
        severity=severity,
        tool_severity=tool_severity,
        cwe_ids=cwes,
        vuln_ids=order_vuln_ids(ids),
        fix_guidance=_fix_guidance(record, package, fixed_version),
        references=references,
        package=package,
        package_version=version,
        fixed_version=fixed_version,
        ecosystem=_ecosystem(artifact, distro),
        path=clean_path(location),
        language=opt_str(artifact.get("language")),
        suppressed=suppression is not None,
        suppression=suppression,
        raw=record,
    )


def _severity(
    word: str | None, vuln: dict[str, Any], related: list[dict[str, Any]]
) -> tuple[Severity, str | None]:
    key = word.strip().lower() if word else ""
    if key in _TABLE and key != "unknown":
        return _TABLE[key], word
    score = _cvss_score(vuln.get("cvss"))
    if score is None:
        for rel in related:
            score = _cvss_score(rel.get("cvss"))
            if score is not None:
                break
    if score is not None:
        return from_score(score), word or f"{score:g}"
    return from_table(TOOL, word or "unknown"), word


def _cvss_score(entries: object) -> float | None:
    """The base score of the preferred CVSS entry: v3.x, then v4, then v2."""
    best: float | None = None
    best_rank = -1
    for entry in dicts(entries):
        score = parse_score(get_path(entry, "metrics", "baseScore"))
        if score is None:
            vector = opt_str(entry.get("vector"))
            score = cvss3_base_score(vector) if vector else None
        if score is None:
            continue
        version = opt_str(entry.get("version")) or ""
        rank = 3 if version.startswith("3") else 2 if version.startswith("4") else 1
        if rank > best_rank:
            best, best_rank = score, rank
    return best


def _fix_guidance(record: dict[str, Any], package: str | None, fixed: str | None) -> str | None:
    suggested = None
    for detail in dicts(record.get("matchDetails")):
        suggested = opt_str(get_path(detail, "fix", "suggestedVersion"))
        if suggested:
            break
    target = suggested or fixed
    if not target:
        return None
    if ", " in target:
        target = f"one of {target}"
    return f"Upgrade {package} to {target}" if package else f"Upgrade to {target}"


def _ignore_reason(rules: list[dict[str, Any]]) -> str:
    for rule in rules:
        parts = []
        for key in ("vulnerability", "fix-state", "vex-status", "match-type"):
            value = opt_str(rule.get(key))
            if value:
                parts.append(f"{key}={value}")
        reason = opt_str(rule.get("reason")) or opt_str(rule.get("vex-justification"))
        label = f"grype ignore ({', '.join(parts)})" if parts else "grype ignore"
        return f"{label}: {reason}" if reason else label
    return "grype ignore"


def _ecosystem(artifact: dict[str, Any], distro: str | None) -> str | None:
    purl = opt_str(artifact.get("purl"))
    if purl and purl.startswith("pkg:"):
        parts = purl[4:].split("?", 1)[0].split("/")
        purl_type = parts[0].strip().lower()
        if purl_type in _OS_PURL_TYPES:
            if len(parts) > 2 and parts[1]:
                return parts[1].lower()
            return distro.lower() if distro else purl_type
        if purl_type:
            return normalize_ecosystem(purl_type)
    art_type = opt_str(artifact.get("type"))
    if not art_type:
        return None
    art_type = art_type.strip().lower()
    if art_type in _OS_PURL_TYPES:
        return distro.lower() if distro else art_type
    return normalize_ecosystem(art_type)
