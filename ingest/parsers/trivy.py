"""Trivy JSON: schema v2 (image, filesystem, repository, SBOM scans), the Kubernetes report,
and the legacy top-level array of results (Trivy before 0.20; `null` is an empty run).

What becomes a finding:
- `Vulnerabilities` -> SCA. `Status` ("fixed", "will_not_fix", "affected" ...) is the
  distribution's own status for the package, not a triage decision: kept in `raw` only.
  `VendorIDs` (DSA-..., RHSA-...) name fix advisories that may cover several CVEs, so they
  stay in `raw` rather than in `vuln_ids`; GHSA ids found in `References` URLs are aliases
  of the record's vulnerability and go into `vuln_ids`.
- `Misconfigurations` -> IAC. `PASS` results (`--include-non-failures`) are not findings;
  `EXCEPTION` means a policy exception the user wrote waived the check: a suppressed finding
  (suppression "trivy exception"), so it is not mistaken for fixed. A missing or other
  status is a failure (Trivy only writes failures by default).
- `Secrets` -> SECRET, CWE-798. Trivy masks the secret in `Match` ("*****"), so there is no
  secret value to hand on in `Finding.secrets`.
- `Licenses` (license compliance) are not security findings and are ignored.

`path`: the result's `Target` (a file for filesystem scans, "image (os version)" for OS
packages). When a vulnerability names the file holding the package (`PkgPath`) and it differs
from the target, path is "<Target> -> <PkgPath>", so two copies of a library inside one image
stay apart. In a Kubernetes report every path starts with the resource,
"<Namespace>/<Kind>/<Name>", followed by " -> <path above>" unless the target is that
resource itself (misconfigurations): the same image in two workloads is two findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.cwe import parse_cwe
from core.ecosystems import normalize_ecosystem
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import from_table
from ingest.errors import UnsupportedFormat
from ingest.parsers.fields import (
    clean_path,
    dicts,
    get_path,
    opt_datetime,
    opt_int,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    req_str,
    shown,
    strs,
    upgrade_guidance,
)

FORMAT = "trivy"
TOOL = "trivy"
SUPPORTED_SCHEMA = 2
_SECRET_CWES = [798]
_GHSA = re.compile(r"GHSA(?:-[0-9a-z]{4}){3}", re.IGNORECASE)
# Resource lists of the Kubernetes report: "Resources" ("Findings" when consolidated), or one
# list per scanner ("Vulnerabilities", "Misconfigurations") in older `trivy k8s` output.
_K8S_SECTIONS = ("Resources", "Findings", "Vulnerabilities", "Misconfigurations")

# Trivy's result `Type` (the package manager or OS it read) -> ecosystem, named as OSV names
# ecosystems (lower-cased) so Trivy, OSV-Scanner and pip-audit findings on one package agree.


def parse_trivy(document: Any) -> ParsedReport:
    run = ParsedRun(tool=TOOL)
    report = ParsedReport(format=FORMAT, runs=[run])
    if document is None:
        return report  # legacy Trivy writes `null` for a scan with nothing to report
    if isinstance(document, list):
        _parse_results(document, "document", None, run.findings)
        return report
    doc = req_dict(document, "document")
    if "SchemaVersion" in doc:
        version = doc["SchemaVersion"]
        if isinstance(version, bool) or version != SUPPORTED_SCHEMA:
            raise UnsupportedFormat(
                None,
                f"Trivy SchemaVersion {shown(version)} is not supported",
                detected=FORMAT,
                hint=f"only SchemaVersion {SUPPORTED_SCHEMA} (Trivy 0.20 and later) and the "
                "legacy array are read",
            )
    elif not any(key in doc for key in ("Results", "ClusterName", *_K8S_SECTIONS)):
        raise UnsupportedFormat(
            None,
            "not a Trivy report: no SchemaVersion, Results or ClusterName",
            detected=FORMAT,
            hint="write the report with `trivy ... --format json`",
        )
    run.tool_version = opt_str(get_path(doc, "Trivy", "Version"))
    run.scanned_at = opt_datetime(doc.get("CreatedAt"))
    if "ClusterName" in doc or "Resources" in doc or "Findings" in doc:
        _parse_kubernetes(doc, run.findings, report.warnings)
        return report
    results = doc.get("Results")
    if results is not None:  # Trivy omits Results when nothing was detected
        _parse_results(req_list(results, "Results"), "Results", None, run.findings)
    return report


def _parse_kubernetes(doc: dict[str, Any], out: list[Finding], warnings: list[str]) -> None:
    for section in _K8S_SECTIONS:
        resources = doc.get(section)
        if resources is None:
            continue
        for i, resource in enumerate(req_list(resources, section)):
            where = f"{section}[{i}]"
            resource = req_dict(resource, where)
            name = (
                "/".join(
                    part
                    for part in (
                        opt_str(resource.get("Namespace")),
                        opt_str(resource.get("Kind")),
                        opt_str(resource.get("Name")),
                    )
                    if part
                )
                or None
            )
            error = opt_str(resource.get("Error"))
            if error:
                warnings.append(
                    f"{where} ({name or 'unnamed resource'}) was not fully scanned: {error}"
                )
            results = resource.get("Results")
            if results is not None:
                _parse_results(req_list(results, f"{where}.Results"), f"{where}.Results", name, out)


def _parse_results(
    results: list[Any], where: str, resource: str | None, out: list[Finding]
) -> None:
    for i, result in enumerate(results):
        at = f"{where}[{i}]"
        result = req_dict(result, at)
        location = _Location(
            resource,
            clean_path(opt_str(result.get("Target"))),
            normalize_ecosystem(opt_str(result.get("Type"))),
        )
        for key, parse in (
            ("Vulnerabilities", _vulnerability),
            ("Misconfigurations", _misconfiguration),
            ("Secrets", _secret),
        ):
            records = result.get(key)
            if records is None:
                continue
            for j, record in enumerate(req_list(records, f"{at}.{key}")):
                finding = parse(req_dict(record, f"{at}.{key}[{j}]"), f"{at}.{key}[{j}]", location)
                if finding is not None:
                    out.append(finding)


@dataclass(frozen=True)
class _Location:
    """What every record of one result shares."""

    resource: str | None  # "<Namespace>/<Kind>/<Name>" in a Kubernetes report
    target: str | None
    ecosystem: str | None

    def path(self, inner: str | None = None) -> str | None:
        """resource -> target -> inner, leaving out a part that repeats the one before it."""
        path = None
        for part in (self.resource, self.target, inner):
            if part is None:
                continue
            if path is None:
                path = part
            elif part != path and not path.endswith("/" + part):
                path = f"{path} -> {part}"
        return path


def _vulnerability(vuln: dict[str, Any], where: str, location: _Location) -> Finding:
    vuln_id = req_str(vuln.get("VulnerabilityID"), f"{where}.VulnerabilityID")
    package = opt_str(vuln.get("PkgName"))
    installed = opt_str(vuln.get("InstalledVersion"))
    fixed = opt_str(vuln.get("FixedVersion"))  # Trivy already joins several with ", "
    title = opt_str(vuln.get("Title"))
    severity = opt_str(vuln.get("Severity"))
    references = _references(vuln)
    ids = [vuln_id]
    for url in references:
        if "ghsa-" in url.lower():
            ids.extend("GHSA" + match[4:].lower() for match in _GHSA.findall(url))
    description = opt_str(vuln.get("Description"))
    # Trivy fills a missing title with the description cut short ("... do not correctly
    # valid ..."): the message is then the whole description.
    message = description if description and (not title or title.endswith("...")) else title
    return Finding(
        tool=TOOL,
        rule_id=vuln_id,
        rule_name=title,
        message=message or " ".join(filter(None, (package, installed, "is affected by", vuln_id))),
        kind=Kind.SCA,
        severity=from_table(TOOL, severity),
        tool_severity=severity,
        cwe_ids=parse_cwe(vuln.get("CweIDs")),
        vuln_ids=order_vuln_ids(ids),
        fix_guidance=_package_upgrade(package, fixed),
        references=references,
        package=package,
        package_version=installed,
        fixed_version=fixed,
        ecosystem=location.ecosystem,
        path=location.path(clean_path(opt_str(vuln.get("PkgPath")))),
        raw=vuln,
    )


def _misconfiguration(misconf: dict[str, Any], where: str, location: _Location) -> Finding | None:
    status = (opt_str(misconf.get("Status")) or "FAIL").upper()
    if status == "PASS":
        return None
    rule_id = opt_str(misconf.get("ID")) or req_str(misconf.get("AVDID"), f"{where}.ID")
    title = opt_str(misconf.get("Title"))
    severity = opt_str(misconf.get("Severity"))
    cause = misconf.get("CauseMetadata")
    flagged, snippet, snippet_start = _code(get_path(cause, "Code", "Lines"))
    excepted = status == "EXCEPTION"
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=title,
        message=opt_str(misconf.get("Message"))
        or opt_str(misconf.get("Description"))
        or title
        or rule_id,
        kind=Kind.IAC,
        severity=from_table(TOOL, severity),
        tool_severity=severity,
        fix_guidance=opt_str(misconf.get("Resolution")),
        references=_references(misconf),
        path=location.path(),
        start_line=opt_int(get_path(cause, "StartLine")),
        end_line=opt_int(get_path(cause, "EndLine")),
        flagged_text=flagged,
        snippet=snippet,
        snippet_start_line=snippet_start,
        suppressed=excepted,
        suppression="trivy exception" if excepted else None,
        raw=misconf,
    )


def _secret(secret: dict[str, Any], where: str, location: _Location) -> Finding:
    rule_id = req_str(secret.get("RuleID"), f"{where}.RuleID")
    title = opt_str(secret.get("Title"))
    severity = opt_str(secret.get("Severity"))
    match = secret.get("Match")  # the flagged line, the secret masked with "*****"
    _, snippet, snippet_start = _code(get_path(secret, "Code", "Lines"))
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=title,
        message=title or opt_str(secret.get("Category")) or rule_id,
        kind=Kind.SECRET,
        severity=from_table(TOOL, severity),
        tool_severity=severity,
        cwe_ids=list(_SECRET_CWES),
        path=location.path(),
        start_line=opt_int(secret.get("StartLine")),
        end_line=opt_int(secret.get("EndLine")),
        flagged_text=match if isinstance(match, str) and match.strip() else None,
        snippet=snippet,
        snippet_start_line=snippet_start,
        raw=secret,
    )


def _code(lines: object) -> tuple[str | None, str | None, int | None]:
    """(flagged lines, flagged lines with context, first line number) from `Code.Lines`.

    The snippet is given only when Trivy wrote context lines around the cause and their
    numbers follow each other, so the pipeline adds context from the repository otherwise.
    A "Truncated" line marks where Trivy cut the excerpt: nothing after it is shown.
    """
    flagged: list[str] = []
    shown: list[str] = []
    first: int | None = None
    contiguous = True
    for line in dicts(lines):
        content = line.get("Content")
        if line.get("Truncated") is True or not isinstance(content, str):
            break
        number = opt_int(line.get("Number"))
        if first is None:
            first = number
        contiguous = contiguous and number is not None and number == first + len(shown)
        shown.append(content)
        if line.get("IsCause") is True:
            flagged.append(content)
    flagged_text = "\n".join(flagged) if flagged else None
    if len(shown) == len(flagged) or not contiguous:
        return flagged_text, None, None
    return flagged_text, "\n".join(shown), first


def _references(record: dict[str, Any]) -> list[str]:
    urls = strs(record.get("PrimaryURL")) + strs(record.get("References"))
    return list(dict.fromkeys(urls)) if len(urls) > 1 else urls


def _package_upgrade(package: str | None, fixed: str | None) -> str | None:
    return upgrade_guidance(package, fixed) if package else None
