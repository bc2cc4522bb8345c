"""Snyk Open Source: `snyk test --json` (one project object, or a list with `--all-projects`).

What is read, beyond the obvious:
- Every entry of `vulnerabilities`: Snyk lists a vulnerability once per dependency path
  (`from`), so the same `id` can appear several times; every entry becomes a finding (the
  pipeline dedups) and keeps its `from` in `raw`.
- `filtered.ignore` (vulnerabilities a `.snyk` policy or the Snyk app ignored) and
  `filtered.patch` (vulnerabilities fixed by `snyk protect` patches) are findings too, marked
  suppressed, with the ignore's reason.
- severity: the `severity` word through the "snyk" table (`severityWithCritical` first, as
  older CLIs capped `severity` at high); `cvssScore` when the word is missing or unknown.
- vuln_ids: `identifiers.CVE` and `identifiers.GHSA`, then the Snyk id (not for license
  issues, whose ids are policy names); CWEs from `identifiers.CWE`.
- ecosystem: the package manager mapped to the package registry (pip/poetry -> pypi,
  yarn -> npm, gradle -> maven ...) so findings meet other tools' on the same package.
- A `snyk test --json` error document (`{"ok": false, "error": ..., "path": ...}`) raises
  MalformedReport quoting the error: the scan did not run, and must not close findings.

Snyk Code (`snyk code test --json` / `--sarif`) writes SARIF: it is read by the SARIF parser,
and this parser refuses it with UnsupportedFormat. The document carries no CLI version and no
scan time.
"""

from __future__ import annotations

from typing import Any

from core.cwe import parse_cwe
from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import SEVERITY_TABLES, Severity, from_score, from_table, parse_score
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.fields import (
    clean_path,
    dicts,
    get_path,
    opt_dict,
    opt_list,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    strs,
)

TOOL = "snyk"
_TABLE = SEVERITY_TABLES[TOOL]
_SNYK_VULN_URL = "https://security.snyk.io/vuln/"

# Snyk package managers -> the registry the package comes from (OSV-style, lower-cased).


def parse_snyk(document: Any) -> ParsedReport:
    report = ParsedReport(format="snyk")
    run = ParsedRun(tool=TOOL)
    report.runs.append(run)
    if document is None or document == []:
        return report

    if isinstance(document, list):
        projects = [(req_dict(p, f"[{i}]"), f"[{i}]") for i, p in enumerate(document)]
    else:
        projects = [(req_dict(document, "document"), "")]
        _refuse_other_snyk_outputs(projects[0][0])

    errors: list[str] = []
    for project, where in projects:
        if "vulnerabilities" not in project and project.get("error") is not None:
            message = _error_text(project)
            if len(projects) == 1:
                raise MalformedReport(
                    None,
                    f"{where or 'document'}: Snyk reported an error instead of results: {message}",
                    hint="the scan did not run; fix the error and run `snyk test --json` again",
                )
            errors.append(message)
            report.warnings.append(f"{where}: Snyk reported an error for this project: {message}")
            continue
        if isinstance(document, list):
            _refuse_other_snyk_outputs(project, where)
        _parse_project(project, where, run.findings)

    if errors and len(errors) == len(projects):
        raise MalformedReport(
            None,
            f"Snyk reported an error for every project instead of results: {errors[0]}",
            hint="the scan did not run; fix the error and run `snyk test --json` again",
        )
    return report


def _refuse_other_snyk_outputs(doc: dict[str, Any], where: str = "") -> None:
    if "runs" in doc and ("$schema" in doc or "version" in doc):
        raise UnsupportedFormat(
            None,
            f"{where or 'document'}: this is SARIF (Snyk Code writes SARIF), "
            "not `snyk test --json`",
            detected="sarif",
            hint="ingest it with the sarif format",
        )
    if "infrastructureAsCodeIssues" in doc:
        raise UnsupportedFormat(
            None,
            f"{where or 'document'}: Snyk IaC JSON output is not read",
            detected="snyk",
            hint="run `snyk iac test --sarif` and ingest the SARIF",
        )


def _error_text(project: dict[str, Any]) -> str:
    error = project.get("error")
    text = (
        opt_str(error) or opt_str(get_path(error, "message")) or opt_str(get_path(error, "detail"))
    )
    text = repr(text.strip()) if text else "(no message)"
    path = opt_str(project.get("path"))
    return f"{text} (path {path})" if path else text


def _parse_project(
    project: dict[str, Any], where: str, out: list[Finding], nested: bool = False
) -> None:
    prefix = f"{where}." if where else ""
    vulns = req_list(project.get("vulnerabilities"), f"{prefix}vulnerabilities")
    target = opt_str(project.get("displayTargetFile")) or opt_str(project.get("targetFile"))
    context = _Project(
        path=clean_path(target),
        package_manager=opt_str(project.get("packageManager")),
    )
    for i, vuln in enumerate(vulns):
        record = req_dict(vuln, f"{prefix}vulnerabilities[{i}]")
        out.append(_finding(record, context, None))

    filtered = opt_dict(project.get("filtered"))
    for i, vuln in enumerate(opt_list(filtered.get("ignore"))):
        record = req_dict(vuln, f"{prefix}filtered.ignore[{i}]")
        out.append(_finding(record, context, _ignore_reason(record)))
    for i, vuln in enumerate(opt_list(filtered.get("patch"))):
        record = req_dict(vuln, f"{prefix}filtered.patch[{i}]")
        out.append(_finding(record, context, "snyk patch: patched by `snyk protect`"))

    # `snyk container test --json --app-vulns`: application projects found in the image.
    if not nested:
        for i, app in enumerate(opt_list(project.get("applications"))):
            app_where = f"{prefix}applications[{i}]"
            _parse_project(req_dict(app, app_where), app_where, out, nested=True)


class _Project:
    __slots__ = ("path", "package_manager")

    def __init__(self, path: str | None, package_manager: str | None) -> None:
        self.path = path
        self.package_manager = package_manager


def _ignore_reason(vuln: dict[str, Any]) -> str:
    for rule in dicts(get_path(vuln, "filtered", "ignored")):
        reason_type = opt_str(rule.get("reasonType"))
        reason = opt_str(rule.get("reason"))
        label = f"snyk ignore ({reason_type})" if reason_type else "snyk ignore"
        return f"{label}: {reason}" if reason else label
    return "snyk ignore"


def _finding(vuln: dict[str, Any], project: _Project, suppression: str | None) -> Finding:
    vuln_id = opt_str(vuln.get("id"))
    title = opt_str(vuln.get("title"))
    package = (
        opt_str(vuln.get("packageName"))
        or opt_str(vuln.get("name"))
        or opt_str(vuln.get("moduleName"))
    )
    version = opt_str(vuln.get("version"))
    is_license = opt_str(vuln.get("type")) == "license"

    identifiers = opt_dict(vuln.get("identifiers"))
    ids = strs(identifiers.get("CVE")) + strs(identifiers.get("GHSA"))
    if vuln_id and not is_license:
        ids.append(vuln_id)

    word = opt_str(vuln.get("severityWithCritical")) or opt_str(vuln.get("severity"))
    score = parse_score(vuln.get("cvssScore"))
    severity, tool_severity = _severity(word, score)

    fixed_in = strs(vuln.get("fixedIn"))
    fixed_version = ", ".join(fixed_in) if fixed_in else None

    references = []
    if vuln_id and not is_license:
        references.append(_SNYK_VULN_URL + vuln_id)
    for ref in dicts(vuln.get("references")):
        url = opt_str(ref.get("url"))
        if url and url not in references:
            references.append(url)

    subject = f"{package}@{version}" if package and version else package
    if title and subject:
        message = f"{title} in {subject}"
    else:
        message = title or subject or vuln_id or "Snyk vulnerability"

    package_manager = opt_str(vuln.get("packageManager")) or project.package_manager
    return Finding(
        tool=TOOL,
        rule_id=vuln_id or title or "snyk-vulnerability",
        rule_name=title,
        message=message,
        kind=Kind.SCA,
        severity=severity,
        tool_severity=tool_severity,
        cwe_ids=parse_cwe(identifiers.get("CWE")),
        vuln_ids=order_vuln_ids(ids),
        fix_guidance=_fix_guidance(vuln, package, fixed_version),
        references=references,
        package=package,
        package_version=version,
        fixed_version=fixed_version,
        ecosystem=normalize_ecosystem(package_manager),
        path=project.path,
        language=opt_str(vuln.get("language")),
        suppressed=suppression is not None,
        suppression=suppression,
        raw=vuln,
    )


def _severity(word: str | None, score: float | None) -> tuple[Severity, str | None]:
    if word and word.strip().lower() in _TABLE:
        return _TABLE[word.strip().lower()], word
    if score is not None:
        return from_score(score), word or f"{score:g}"
    return from_table(TOOL, word), word


def _fix_guidance(vuln: dict[str, Any], package: str | None, fixed: str | None) -> str | None:
    if fixed:
        target = f"one of {fixed}" if ", " in fixed else fixed
        guidance = f"Upgrade {package} to {target}" if package else f"Upgrade to {target}"
        # For a transitive dependency Snyk names the direct dependency's upgrade.
        upgrade_path = opt_list(vuln.get("upgradePath"))
        direct = upgrade_path[1] if len(upgrade_path) > 1 else None
        if (
            vuln.get("isUpgradable") is True
            and isinstance(direct, str)
            and direct.strip()
            and not (package and direct.startswith(f"{package}@"))
        ):
            guidance += f" (upgrade the direct dependency to {direct})"
        return guidance
    if vuln.get("isPatchable") is True:
        return "Apply the Snyk patch (`snyk protect`)"
    return None
