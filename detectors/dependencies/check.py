"""The offline dependency check: every declaration that admits an affected version becomes an
SCA finding on the line that declares it (tool `depcheck`, the same `Finding` as ingest).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.lines import split_lines
from detectors.dependencies.advisories import AdvisoryDB, Match
from detectors.dependencies.declarations import Declaration, declared_dependencies
from ingest.parsers.fields import (
    order_vuln_ids,
    upgrade_guidance,
)

TOOL = "depcheck"
TOOL_VERSION = "0.1.0"
FORMAT = "depcheck"


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
