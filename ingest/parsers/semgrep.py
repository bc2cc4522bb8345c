"""Semgrep JSON: the CLI's `--json` output, and the Semgrep App supply-chain export.

CLI (`semgrep --json`): `{"version"?, "results": [...], "errors": [...], "paths"?, ...}`. A
result is `{check_id, path, start {line, col, offset}, end, extra {message, severity, metadata,
lines, fingerprint, is_ignored, fix, sca_info?, historical_info?}}`.
- kind: SCA when the result carries `extra.sca_info` (or the rule's `sca-*` metadata); SECRET
  when the rule is a secrets rule (metadata `category: secrets`, a `secret_type`, `secrets` in
  `technology`, or a `secrets` segment in the rule id such as `generic.secrets.security.*`);
  SAST otherwise.
- severity: `extra.severity` through the "semgrep" table (old ERROR/WARNING/INFO and new
  CRITICAL/HIGH/MEDIUM/LOW/INFO); for SCA the advisory's `sca-severity` wins when present.
- `extra.lines` and `extra.fingerprint` are "requires login" when the scan was not logged in
  (Semgrep >= 1.98): treated as absent. `lines` holds the whole matched lines: flagged_text.
- SCA: package/version/ecosystem from `sca_info.dependency_match.found_dependency`, fixed version
  from the rule's `sca-fix-versions` for that package, vuln ids from
  `sca-vuln-database-identifier` and the CVE/GHSA ids in the rule's reference URLs. The path is
  the lockfile: a reachable match lies in first-party code, but the finding is about the
  dependency, so its location is the lockfile line (`found_dependency.line_number`); the code
  location stays in `raw`.
- SECRET: the matched text (the span of `lines` between `start.col` and `end.col` on a one-line
  match) goes to `secrets`, so the pipeline redacts it.
- `extra.is_ignored: true` (a `nosemgrep` comment) -> suppressed, suppression "nosemgrep".
- `errors` are scan errors, not findings: a warning counts them.

App supply-chain export (`{"vulns": [...], "hasMore", "cursor"}`, from the Semgrep API): every
vuln is an SCA finding. The ecosystem is the advisory's unless the advisory names other packages
than the matched one (one advisory covers grpc on RubyGems and grpcio on PyPI): then the
matched package's namespace is read from the rule text. Triage status IGNORED -> suppressed
("semgrep triage: IGNORED (<dismissReason>)"); other statuses are not suppressions. `hasMore:
true` means the export is one page of several: a warning says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.cwe import parse_cwe
from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.lines import matched_span
from core.severity import from_table
from core.tools import normalize_rule_id, normalize_tool_name
from ingest.errors import UnsupportedFormat
from ingest.parsers.fields import (
    clean_path,
    dicts,
    fail,
    get_path,
    opt_dict,
    opt_int,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    secrets_rule_id,
    strs,
    upgrade_guidance,
)

FORMAT = "semgrep"
TOOL = normalize_tool_name("semgrep")

# Semgrep writes this instead of `lines` and `fingerprint` when the user is not logged in.
_PLACEHOLDER = "requires login"

# Semgrep's ecosystem names -> OSV names, lower-cased (as the other SCA parsers write them).

# CVE and GHSA ids inside advisory URLs (nvd.nist.gov/vuln/detail/CVE-...,
# github.com/advisories/GHSA-...).
_VULN_ID_RE = re.compile(
    r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b", re.IGNORECASE
)


def parse_semgrep(document: Any) -> ParsedReport:
    if document is None or (isinstance(document, list) and not document):
        return ParsedReport(format=FORMAT, runs=[ParsedRun(tool=TOOL)])
    document = req_dict(document, "document")
    if "results" not in document:
        if "vulns" in document:
            return _parse_app_export(document)
        if "runs" in document:
            raise UnsupportedFormat(
                None,
                "document: a SARIF log, not Semgrep JSON",
                detected="sarif",
                hint="read it with --format sarif",
            )
        raise fail(
            "results",
            "missing: not Semgrep JSON (`semgrep --json` writes `results`, "
            "a supply-chain export `vulns`)",
        )
    return _parse_cli(document)


# --- semgrep --json ------------------------------------------------------------------------


def _parse_cli(document: dict[str, Any]) -> ParsedReport:
    results = req_list(document.get("results"), "results")
    run = ParsedRun(tool=TOOL, tool_version=opt_str(document.get("version")))
    report = ParsedReport(format=FORMAT, runs=[run])
    findings = run.findings
    for i, result in enumerate(results):
        findings.append(_cli_finding(req_dict(result, f"results[{i}]"), i, run.tool_version))

    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        report.warnings.append(
            f"Semgrep reported {len(errors)} scan error{'s' if len(errors) != 1 else ''} "
            "(not findings): files or rules it could not process may hide findings"
        )
    return report


def _cli_finding(result: dict[str, Any], i: int, version: str | None) -> Finding:
    check_id = opt_str(result.get("check_id"))
    if check_id is None:
        raise fail(f"results[{i}].check_id", "missing: every Semgrep result names its rule")
    check_id = normalize_rule_id(check_id)
    extra = opt_dict(result.get("extra"))
    metadata = opt_dict(extra.get("metadata"))
    start = opt_dict(result.get("start"))
    end = opt_dict(result.get("end"))

    path = _path(result.get("path"))
    start_line = opt_int(start.get("line"))
    end_line = opt_int(end.get("line"))
    start_column = opt_int(start.get("col"))
    end_column = opt_int(end.get("col"))
    lines = _real(extra.get("lines"))
    flagged_text = (lines.rstrip("\r\n") or None) if lines is not None else None
    severity_word = opt_str(extra.get("severity"))
    fix = opt_str(extra.get("fix"))

    sca_info = extra.get("sca_info")
    is_sca = isinstance(sca_info, dict) or (
        "sca-vuln-database-identifier" in metadata or "sca-kind" in metadata
    )
    package = package_version = fixed_version = ecosystem = None
    vuln_ids: list[str] = []
    secrets: list[str] = []
    references = _references(metadata)
    if is_sca:
        kind = Kind.SCA
        match = get_path(sca_info, "dependency_match")
        found = opt_dict(get_path(match, "found_dependency"))
        pattern = opt_dict(get_path(match, "dependency_pattern"))
        package = opt_str(found.get("package")) or opt_str(pattern.get("package"))
        package_version = opt_str(found.get("version"))
        ecosystem = normalize_ecosystem(
            opt_str(found.get("ecosystem")) or opt_str(pattern.get("ecosystem"))
        )
        fixed_version = _fix_versions(metadata.get("sca-fix-versions"), package)
        vuln_ids = order_vuln_ids(
            strs(metadata.get("sca-vuln-database-identifier")) + _ids_in_urls(references)
        )
        severity_word = opt_str(metadata.get("sca-severity")) or severity_word
        lockfile = _path(found.get("lockfile_path")) or _path(get_path(match, "lockfile"))
        if lockfile is not None and lockfile != path:
            # A reachable match: the result points at first-party code; the finding is about
            # the dependency, so it sits on the lockfile line (the code location stays in raw).
            path = lockfile
            start_line = opt_int(found.get("line_number"))
            end_line = start_column = end_column = None
            flagged_text = None
        if fix is None and package:
            fix = upgrade_guidance(package, fixed_version)
    elif _is_secret(check_id, metadata):
        kind = Kind.SECRET
        matched = matched_span(lines, start_line, end_line, start_column, end_column)
        if matched is not None:
            secrets.append(matched)
    else:
        kind = Kind.SAST

    confidence = opt_str(metadata.get("confidence"))
    suppressed = extra.get("is_ignored") is True
    return Finding(
        tool=TOOL,
        tool_version=version,
        rule_id=check_id,
        message=_text(extra.get("message")) or check_id,
        kind=kind,
        severity=from_table(TOOL, severity_word),
        tool_severity=severity_word,
        confidence=confidence.lower() if confidence else None,
        cwe_ids=parse_cwe(metadata.get("cwe")),
        vuln_ids=vuln_ids,
        fix_guidance=fix,
        references=references,
        package=package,
        package_version=package_version,
        fixed_version=fixed_version,
        ecosystem=ecosystem,
        commit=opt_str(get_path(extra, "historical_info", "git_commit")),
        path=path,
        start_line=start_line,
        end_line=end_line,
        start_column=start_column,
        end_column=end_column,
        flagged_text=flagged_text,
        suppressed=suppressed,
        suppression="nosemgrep" if suppressed else None,
        tool_fingerprint=_real(extra.get("fingerprint")),
        raw=result,
        secrets=secrets,
    )


def _is_secret(check_id: str, metadata: dict[str, Any]) -> bool:
    category = metadata.get("category")
    if isinstance(category, str) and category.strip().lower() == "secrets":
        return True
    if opt_str(metadata.get("secret_type")) is not None:
        return True
    if any(t.strip().lower() == "secrets" for t in strs(metadata.get("technology"))):
        return True
    return secrets_rule_id(check_id)


def _references(metadata: dict[str, Any]) -> list[str]:
    """The rule's references, then the rule's origin and its registry page."""
    refs = strs(metadata.get("references"))
    for key in ("source-rule-url", "source"):
        url = opt_str(metadata.get(key))
        if url is not None and url.startswith(("http://", "https://")):
            refs.append(url)
    return list(dict.fromkeys(r.strip() for r in refs)) if refs else refs


def _fix_versions(value: object, package: str | None) -> str | None:
    """`sca-fix-versions` is `[{package: version}, ...]`: the versions given for `package`."""
    versions: list[str] = []
    wanted = package.lower() if package else None
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            continue
        for name, version in item.items():
            text = opt_str(version)
            if text and (wanted is None or str(name).lower() == wanted) and text not in versions:
                versions.append(text)
    return ", ".join(versions) or None


# --- Semgrep App supply-chain export ------------------------------------------------------


def _parse_app_export(document: dict[str, Any]) -> ParsedReport:
    vulns = req_list(document.get("vulns"), "vulns")
    run = ParsedRun(tool=TOOL)
    report = ParsedReport(format=FORMAT, runs=[run])
    namespaces: dict[tuple[str, str], str | None] = {}  # (rule text id, package) -> namespace
    for i, vuln in enumerate(vulns):
        run.findings.append(_app_finding(req_dict(vuln, f"vulns[{i}]"), i, namespaces))
    if document.get("hasMore") is True:
        cursor = opt_str(document.get("cursor"))
        report.warnings.append(
            "this Semgrep supply-chain export is one page of several (hasMore: true"
            + (f", next cursor {cursor}" if cursor else "")
            + "): findings on the other pages are not in it, so do not let it close findings"
        )
    return report


def _app_finding(
    vuln: dict[str, Any], i: int, namespaces: dict[tuple[str, str], str | None]
) -> Finding:
    advisory = opt_dict(vuln.get("advisory"))
    refs = opt_dict(advisory.get("references"))
    cves = strs(refs.get("cveIds"))
    title = opt_str(advisory.get("title")) or opt_str(vuln.get("title"))
    rule_id = opt_str(advisory.get("ruleId")) or (cves[0] if cves else None) or title
    if rule_id is None:
        raise fail(f"vulns[{i}].advisory.ruleId", "missing: the vuln names no advisory")
    urls = strs(refs.get("urls"))

    matched = opt_dict(vuln.get("matchedDependency"))
    package = opt_str(matched.get("name"))
    version = opt_str(matched.get("versionSpecifier"))
    fixed = _safe_version(vuln, advisory, package)
    location = opt_dict(vuln.get("dependencyFileLocation"))

    status = opt_str(get_path(vuln, "triage", "status"))
    suppression = None
    if status is not None and status.strip().upper() == "IGNORED":
        reason = opt_str(get_path(vuln, "triage", "dismissReason"))
        suppression = f"semgrep triage: {status.strip()}" + (f" ({reason})" if reason else "")

    severity_word = opt_str(advisory.get("severity"))
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=title,
        message=_text(advisory.get("description")) or title or rule_id,
        kind=Kind.SCA,
        severity=from_table(TOOL, severity_word),
        tool_severity=severity_word,
        cwe_ids=parse_cwe(refs.get("cweIds")),
        vuln_ids=order_vuln_ids(cves + strs(refs.get("ghsaIds")) + _ids_in_urls(urls)),
        fix_guidance=upgrade_guidance(package, fixed) if package else None,
        references=urls,
        package=package,
        package_version=version,
        fixed_version=fixed,
        ecosystem=_appnormalize_ecosystem(advisory, package, namespaces),
        path=_path(location.get("path")),
        start_line=opt_int(location.get("startLine")),
        end_line=opt_int(location.get("endLine")),
        start_column=opt_int(location.get("startCol")),
        end_column=opt_int(location.get("endCol")),
        suppressed=suppression is not None,
        suppression=suppression,
        raw=vuln,
    )


def _safe_version(
    vuln: dict[str, Any], advisory: dict[str, Any], package: str | None
) -> str | None:
    """The closest safe version of the matched package (else the advisory's safe versions of it)."""
    closest = opt_dict(vuln.get("closestSafeDependency"))
    name = opt_str(closest.get("name"))
    version = opt_str(closest.get("versionSpecifier"))
    if version and (name is None or package is None or name.lower() == package.lower()):
        return version
    if package is None:
        return None
    wanted = package.lower()
    versions = [
        v
        for dep in dicts(advisory.get("safeDependencies"))
        if (opt_str(dep.get("name")) or "").lower() == wanted
        and (v := opt_str(dep.get("versionSpecifier")))
    ]
    return ", ".join(dict.fromkeys(versions)) or None


def _appnormalize_ecosystem(
    advisory: dict[str, Any], package: str | None, namespaces: dict[tuple[str, str], str | None]
) -> str | None:
    ecosystem = opt_str(advisory.get("ecosystem"))
    if package is None:
        return normalize_ecosystem(ecosystem)
    wanted = package.lower()
    vulnerable = {
        (opt_str(d.get("name")) or "").lower()
        for d in dicts(advisory.get("vulnerableDependencies"))
    }
    rule_text = advisory.get("ruleText")
    if wanted in vulnerable or not isinstance(rule_text, str):
        return normalize_ecosystem(ecosystem)
    # The advisory names other packages (grpc on RubyGems) than the one matched (grpcio):
    # the rule's dependency patterns say which ecosystem the matched one is from.
    key = (opt_str(advisory.get("ruleId")) or rule_text, wanted)
    if key not in namespaces:
        namespaces[key] = _namespace_in_rule(rule_text, wanted)
    return normalize_ecosystem(namespaces[key])


def _namespace_in_rule(rule_text: str, package: str) -> str | None:
    try:
        rule = json.loads(rule_text)
    except (ValueError, RecursionError):
        return None
    depends = get_path(rule, "r2c-internal-project-depends-on")
    if not isinstance(depends, dict):
        return None
    patterns = dicts(depends.get("depends-on-either")) or [depends]
    for pattern in patterns:
        if (opt_str(pattern.get("package")) or "").lower() == package:
            return opt_str(pattern.get("namespace"))
    return None


# --- shared helpers -----------------------------------------------------------------------


def _ids_in_urls(urls: list[str]) -> list[str]:
    ids = []
    for url in urls:
        for found in _VULN_ID_RE.findall(url):
            ids.append(found.upper() if found[:3].upper() == "CVE" else "GHSA" + found[4:].lower())
    return ids


def _real(value: object) -> str | None:
    """A string unless it is Semgrep's "requires login" placeholder."""
    text = opt_str(value)
    if text is None or text.strip().lower() == _PLACEHOLDER:
        return None
    return text


def _text(value: object) -> str | None:
    text = opt_str(value)
    return text.strip() if text is not None else None


def _path(value: object) -> str | None:
    return clean_path(opt_str(value))
