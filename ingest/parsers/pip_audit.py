"""pip-audit JSON (`pip-audit -f json`), old and new shapes.

- old (older releases): a top-level array of dependencies;
- new: `{"dependencies": [...], "fixes": [...]}` (`fixes` lists what `--fix` upgraded: not
  findings).
A dependency is `{name, version, vulns: [{id, fix_versions, aliases?, description?}]}`, or
`{name, skip_reason}` when pip-audit could not audit it: skipped dependencies are not findings,
a warning counts them. pip-audit rates nothing (severity "medium", see core/severity.py) and
does not say which requirements file it read (path is None).
"""

from __future__ import annotations

from typing import Any

from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import from_table
from ingest.parsers.fields import (
    fail,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    req_str,
    strs,
    upgrade_guidance,
)

FORMAT = "pip-audit"
TOOL = "pip-audit"
ECOSYSTEM = "pypi"
_SKIPPED_NAMED = 10  # names listed in the "skipped" warning; the rest are counted


def parse_pip_audit(document: Any) -> ParsedReport:
    run = ParsedRun(tool=TOOL)
    report = ParsedReport(format=FORMAT, runs=[run])
    if document is None:
        return report
    if isinstance(document, list):
        dependencies, where = document, "document"
    elif isinstance(document, dict):
        dependencies = req_list(document.get("dependencies"), "dependencies")
        where = "dependencies"
    else:
        raise fail(
            "document",
            "expected an array of dependencies or an object with "
            f"`dependencies`, found {type(document).__name__}",
        )

    skipped: list[str] = []
    severity = from_table(TOOL, None)
    for i, dependency in enumerate(dependencies):
        at = f"{where}[{i}]"
        dependency = req_dict(dependency, at)
        vulns = dependency.get("vulns")
        if vulns is None:
            if "skip_reason" in dependency:
                skipped.append(opt_str(dependency.get("name")) or at)
            continue
        vulns = req_list(vulns, f"{at}.vulns")
        if not vulns:
            continue
        name = req_str(dependency.get("name"), f"{at}.name")
        version = opt_str(dependency.get("version"))
        for j, vuln in enumerate(vulns):
            vuln = req_dict(vuln, f"{at}.vulns[{j}]")
            vuln_id = req_str(vuln.get("id"), f"{at}.vulns[{j}].id")
            fixed = ", ".join(dict.fromkeys(strs(vuln.get("fix_versions")))) or None
            run.findings.append(
                Finding(
                    tool=TOOL,
                    rule_id=vuln_id,
                    message=opt_str(vuln.get("description"))
                    or " ".join(filter(None, (name, version, "is affected by", vuln_id))),
                    kind=Kind.SCA,
                    severity=severity,
                    vuln_ids=order_vuln_ids([vuln_id, *strs(vuln.get("aliases"))]),
                    fix_guidance=_package_upgrade(name, fixed),
                    package=name,
                    package_version=version,
                    fixed_version=fixed,
                    ecosystem=ECOSYSTEM,
                    raw=vuln,
                )
            )

    if skipped:
        named = ", ".join(skipped[:_SKIPPED_NAMED])
        more = f" and {len(skipped) - _SKIPPED_NAMED} more" if len(skipped) > _SKIPPED_NAMED else ""
        report.warnings.append(
            f"pip-audit skipped {len(skipped)} "
            f"{'dependency' if len(skipped) == 1 else 'dependencies'} it could not audit "
            f"(not findings): {named}{more}"
        )
    return report


def _package_upgrade(package: str | None, fixed: str | None) -> str | None:
    return upgrade_guidance(package, fixed) if package else None
