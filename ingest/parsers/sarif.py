"""SARIF 2.1.0 from any tool, all runs.

What is read, beyond the obvious:
- CWE from the rule's `relationships` and the result's `taxa` (toolComponent "CWE"), rule and
  result property `tags` (`external/cwe/cwe-79`, `CWE-79: ...`) and `cwe` properties.
- severity from `security-severity` (result, then rule), else from a severity word the tool
  put in properties (`severity`, `issue_severity`), else from `level` (result, then the rule's
  `defaultConfiguration`, then "warning", the SARIF default).
- `fingerprints` as the tool's fingerprint, else `partialFingerprints.primaryLocationLineHash`
  (CodeQL's hash of the line's content and its occurrence: stable under line shifts).
  Other partial fingerprints are not known to be stable and are left in `raw`.
- suppressions: a result with a suppression whose status is absent or "accepted" is suppressed
  ("underReview" and "rejected" are not).
- `baselineState`; snippets of `region` and `contextRegion`; message templates (`message.id`
  + `arguments` resolved through the rule's `messageStrings`).
- Results whose `kind` is "pass" or "notApplicable" are not findings.
- Secrets: a rule tagged as a secrets rule, or with a "secrets" segment in its id, makes
  SECRET findings, as does every Gitleaks result; their `offender` property (Gitleaks 7), else
  Gitleaks 8's snippet (the secret itself), else the text their region covers, goes to
  `secrets` so that the pipeline redacts it everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from core.cwe import cwes_from_tags, parse_cwe
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.lines import matched_span, split_lines
from core.severity import SEVERITY_TABLES, Severity, from_score, parse_score
from core.tools import default_kind, normalize_rule_id, normalize_tool_name
from ingest.errors import UnsupportedFormat
from ingest.parsers.fields import (
    clean_path,
    dicts,
    get_path,
    opt_datetime,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    order_vuln_ids,
    req_dict,
    req_list,
    secrets_rule_id,
    shown,
    strs,
)

SUPPORTED_VERSION = "2.1.0"
_NOT_FINDINGS = {"pass", "notApplicable"}
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_VULN_ID = re.compile(r"^(CVE-\d{4}-\d+|GHSA(-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)$", re.IGNORECASE)
_SEVERITY_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "note": Severity.LOW,
}
# Values tools write instead of a fingerprint (Semgrep without a login).
_PLACEHOLDERS = {"", "requires login", "none", "null"}
_SECRET_TAGS = {"secret", "secrets", "credentials", "hardcoded-secret"}
_MAX_GUIDANCE = 4000


def parse_sarif(document: Any) -> ParsedReport:
    doc = req_dict(document, "document")
    version = doc.get("version")
    if version != SUPPORTED_VERSION:
        raise UnsupportedFormat(
            None,
            f"SARIF version {shown(version)} is not supported",
            detected="sarif",
            hint=f"only SARIF {SUPPORTED_VERSION} is read; export the report in that version",
        )
    runs = req_list(doc.get("runs"), "runs")
    report = ParsedReport(format="sarif")
    for i, run in enumerate(runs):
        report.runs.append(_parse_run(req_dict(run, f"runs[{i}]"), f"runs[{i}]"))
    if not runs:
        report.warnings.append("the SARIF log has no runs: nothing to ingest")
    return report


@dataclass
class _Rule:
    """What every result of one rule shares, computed once per rule."""

    id: str | None
    name: str | None = None
    cwe_ids: list[int] = field(default_factory=list)
    level: str | None = None
    security_severity: float | None = None
    severity_word: Severity | None = None
    severity_text: str | None = None  # the rule's own word for it, verbatim
    confidence: str | None = None
    fix_guidance: str | None = None
    references: list[str] = field(default_factory=list)
    message_strings: dict[str, str] = field(default_factory=dict)
    short_description: str | None = None
    is_secret: bool = False


def _parse_run(run: dict[str, Any], where: str) -> ParsedRun:
    driver = req_dict(get_path(run, "tool", "driver"), f"{where}.tool.driver")
    tool_name = opt_str(driver.get("name")) or "unknown"
    tool = normalize_tool_name(tool_name)
    version = opt_str(driver.get("semanticVersion")) or opt_str(driver.get("version"))
    if version is None:
        # Some tools put the version in the name ("Gitleaks v7.4.0").
        match = re.search(r"v?(\d+\.\d+(?:\.\d+)?)\s*$", tool_name[-40:])
        version = match.group(1) if match else None

    cwe_taxa = _cwe_taxonomy_indexes(run)
    rules = _rules(driver, cwe_taxa)
    extension_rules = [_rules(ext, cwe_taxa) for ext in dicts(get_path(run, "tool", "extensions"))]
    rules_by_id = {rule.id: rule for rule in rules if rule.id}
    for ext in extension_rules:
        for rule in ext:
            if rule.id:
                rules_by_id.setdefault(rule.id, rule)
    artifacts = [opt_str(get_path(a, "location", "uri")) for a in dicts(run.get("artifacts"))]
    kind_default = default_kind(tool)

    parsed = ParsedRun(tool=tool, tool_version=version)
    provenance = dicts(run.get("versionControlProvenance"))
    if provenance:
        parsed.repository = opt_str(provenance[0].get("repositoryUri"))
        parsed.commit = opt_str(provenance[0].get("revisionId"))
    for invocation in dicts(run.get("invocations")):
        parsed.scanned_at = opt_datetime(invocation.get("endTimeUtc")) or opt_datetime(
            invocation.get("startTimeUtc")
        )
        if parsed.scanned_at:
            break

    rule_ids: dict[str, str] = {}
    paths: dict[str, str | None] = {}
    results = run.get("results")
    if results is None:
        return parsed  # a run may omit results: "not run", not "no findings"
    for i, result in enumerate(req_list(results, f"{where}.results")):
        result = req_dict(result, f"{where}.results[{i}]")
        kind = result.get("kind")
        if isinstance(kind, str) and kind in _NOT_FINDINGS:
            continue
        # "absent": in the baseline but gone from this run (SARIF 3.27.24): not a finding now.
        if result.get("baselineState") == "absent":
            continue
        rule = _rule_of(result, rules, rules_by_id, extension_rules)
        parsed.findings.append(
            _finding(
                result, rule, tool, version, artifacts, cwe_taxa, kind_default, rule_ids, paths
            )
        )
    return parsed


def _cwe_taxonomy_indexes(run: dict[str, Any]) -> set[int]:
    """Indexes of run.taxonomies that are CWE, so taxa refs by index can be resolved."""
    return {
        i
        for i, taxonomy in enumerate(opt_list(run.get("taxonomies")))
        if isinstance(taxonomy, dict) and "cwe" in (opt_str(taxonomy.get("name")) or "").lower()
    }


def _rules(component: dict[str, Any], cwe_taxa: set[int]) -> list[_Rule]:
    out = []
    for raw in opt_list(component.get("rules")):
        if not isinstance(raw, dict):
            out.append(_Rule(id=None))
            continue
        props = opt_dict(raw.get("properties"))
        tags = strs(props.get("tags"))
        cwes = cwes_from_tags(tags)
        cwes += parse_cwe(props.get("cwe"))
        for rel in dicts(raw.get("relationships")):
            cwes += _taxon_cwes(opt_dict(rel.get("target")), cwe_taxa)
        help_text = opt_str(get_path(raw, "help", "text")) or opt_str(
            get_path(raw, "help", "markdown")
        )
        references = strs(raw.get("helpUri"))
        # Some tools name the CWE only as their help link (cwe.mitre.org/data/definitions/N).
        cwes += [c for ref in references if "cwe.mitre.org" in ref for c in parse_cwe(ref)]
        message_strings = {
            key: text
            for key, value in opt_dict(raw.get("messageStrings")).items()
            if (text := opt_str(get_path(value, "text")) or opt_str(get_path(value, "markdown")))
        }
        rule_id = opt_str(raw.get("id"))
        name = opt_str(raw.get("name"))
        short = opt_str(get_path(raw, "shortDescription", "text"))
        out.append(
            _Rule(
                id=rule_id,
                name=_rule_name(name, short, rule_id),
                cwe_ids=_unique(cwes) if len(cwes) > 1 else list(cwes),
                level=opt_str(get_path(raw, "defaultConfiguration", "level")),
                security_severity=parse_score(props.get("security-severity")),
                severity_word=_severity_word(props),
                severity_text=_severity_text(props),
                confidence=_lower(
                    opt_str(props.get("precision")) or opt_str(props.get("confidence"))
                ),
                fix_guidance=help_text[:_MAX_GUIDANCE] if help_text else None,
                references=references,
                message_strings=message_strings,
                short_description=short,
                is_secret=any(t.lower() in _SECRET_TAGS for t in tags) or secrets_rule_id(rule_id),
            )
        )
    return out


def _rule_name(name: str | None, short: str | None, rule_id: str | None) -> str | None:
    """A human name: `name` unless it only repeats the id, else a short description that does
    not merely restate the id (Semgrep writes "Semgrep Finding: <id>")."""
    if name and name != rule_id:
        return name
    if short and len(short) <= 200 and not (rule_id and rule_id in short):
        return short
    return None


def _rule_of(
    result: dict[str, Any],
    rules: list[_Rule],
    rules_by_id: dict[str, _Rule],
    extension_rules: list[list[_Rule]],
) -> _Rule:
    rule_ref = opt_dict(result.get("rule"))
    index = result.get("ruleIndex", rule_ref.get("index"))
    component = opt_dict(rule_ref.get("toolComponent")).get("index")
    table = rules
    if isinstance(component, int) and not isinstance(component, bool):
        table = extension_rules[component] if 0 <= component < len(extension_rules) else []
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(table):
        return table[index]
    rule_id = opt_str(result.get("ruleId")) or opt_str(rule_ref.get("id"))
    if rule_id and table is not rules:
        # A rule named by id in an extension (SARIF 3.52.7): that extension's rule.
        for rule in table:
            if rule.id == rule_id:
                return rule
    if rule_id and rule_id in rules_by_id:
        return rules_by_id[rule_id]
    # SARIF allows hierarchical ids ("C2001/1"): the base rule carries the metadata.
    if rule_id and "/" in rule_id and rule_id.split("/")[0] in rules_by_id:
        return rules_by_id[rule_id.split("/")[0]]
    if rule_id is None:
        # Gitleaks 7 names no rule in its results, only in the message ("AWS Access Key secret
        # detected"): the rule whose id starts the message.
        text = opt_str(get_path(result, "message", "text")) or ""
        for rule in rules:
            if rule.id and text.startswith(rule.id + " "):
                return rule
    return _Rule(id=rule_id)


def _finding(
    result: dict[str, Any],
    rule: _Rule,
    tool: str,
    version: str | None,
    artifacts: list[str | None],
    cwe_taxa: set[int],
    kind_default: Kind,
    rule_ids: dict[str, str],
    paths: dict[str, str | None],
) -> Finding:
    # Absent keys are the common case at 100,000 results: test presence before parsing.
    props = result.get("properties")
    props = props if isinstance(props, dict) and props else _EMPTY
    rule_id = opt_str(result.get("ruleId")) or opt_str(get_path(result, "rule", "id")) or rule.id
    rule_id = _cached(rule_ids, rule_id, normalize_rule_id) if rule_id else f"{tool}-result"

    # Severity: numeric score first, then the tool's word, then SARIF level.
    level = opt_str(result.get("level")) or rule.level or "warning"
    score = None
    if props:
        # security-severity (GitHub's convention), or a CVSS score a tool put in properties
        # (dependency-check: cvssv3_baseScore).
        for key in ("security-severity", "cvssv3_baseScore", "cvssv2_score"):
            score = parse_score(props.get(key))
            if score is not None:
                break
    if score is None:
        score = rule.security_severity
    own_word = _severity_word(props) if props else None
    word = own_word or rule.severity_word
    if score is not None:
        severity, tool_severity = from_score(score), f"{score:g}"
    elif word is not None:
        severity = word
        tool_severity = _severity_text(props) if own_word else rule.severity_text
    elif result.get("level") is None and rule.level is None and "" in SEVERITY_TABLES.get(tool, {}):
        # No level anywhere: the tool's own default (a Gitleaks secret is high, not "warning").
        severity, tool_severity = SEVERITY_TABLES[tool][""], None
    else:
        severity = SEVERITY_TABLES["sarif level"].get(level.lower(), Severity.MEDIUM)
        tool_severity = level

    cwes = rule.cwe_ids
    if props and ("tags" in props or "cwe" in props):
        cwes = cwes + cwes_from_tags(strs(props.get("tags"))) + parse_cwe(props.get("cwe"))
    if "taxa" in result:
        cwes = cwes + [c for taxon in dicts(result["taxa"]) for c in _taxon_cwes(taxon, cwe_taxa)]

    location = _primary_location(result)
    physical = opt_dict(location.get("physicalLocation"))
    artifact = opt_dict(physical.get("artifactLocation"))
    uri = opt_str(artifact.get("uri"))
    index = artifact.get("index")
    if (
        uri is None
        and isinstance(index, int)
        and not isinstance(index, bool)
        and 0 <= index < len(artifacts)
    ):
        uri = artifacts[index]
    if uri is None:
        uri = opt_str(get_path(result, "analysisTarget", "uri"))
    region = opt_dict(physical.get("region"))
    context = opt_dict(physical.get("contextRegion"))
    start_line = opt_int(region.get("startLine"))
    end_line = opt_int(region.get("endLine")) or start_line
    flagged, snippet, snippet_start = _code(region, context, start_line, end_line)

    enclosing = None
    if "logicalLocations" in location:
        for logical in dicts(location["logicalLocations"]):
            enclosing = opt_str(logical.get("fullyQualifiedName")) or opt_str(logical.get("name"))
            if enclosing:
                break

    fingerprints = result.get("fingerprints")
    tool_fingerprint = None
    if isinstance(fingerprints, dict) and fingerprints:
        tool_fingerprint = _fingerprint(fingerprints)
    if tool_fingerprint is None and "partialFingerprints" in result:
        line_hash = opt_str(get_path(result, "partialFingerprints", "primaryLocationLineHash"))
        tool_fingerprint = f"primaryLocationLineHash={line_hash}" if line_hash else None

    suppressed, suppression = _suppression(result) if "suppressions" in result else (False, None)
    kind = kind_default
    if rule.is_secret:
        kind = Kind.SECRET
    secrets = []
    if props and "offender" in props:
        offender = opt_str(props["offender"])
        if offender and "*" not in offender and offender != "REDACTED":
            secrets.append(offender)
    if tool == "gitleaks":
        kind = Kind.SECRET
        cwes = cwes or [798]
        if not secrets:
            # Gitleaks 8 names no offender: it writes the secret itself as the snippet.
            shown_secret = opt_str(get_path(region, "snippet", "text"))
            if shown_secret and "*" not in shown_secret and shown_secret != "REDACTED":
                secrets.append(shown_secret)
    if kind is Kind.SECRET and not secrets:
        # A secrets rule that names no offender (Semgrep's): what it matched is the secret.
        span = _matched(region, start_line, end_line)
        if span is not None:
            secrets.append(span)

    vuln_ids = [rule_id] if _VULN_ID.match(rule_id) else []
    fixes = []
    if "fixes" in result:
        fixes = [
            text
            for fix in dicts(result["fixes"])
            if (text := opt_str(get_path(fix, "description", "text")))
        ]
    confidence = None
    if props:
        confidence = _lower(
            opt_str(props.get("issue_confidence")) or opt_str(props.get("confidence"))
        )
    path = _cached(paths, uri, _clean_uri) if uri else None

    return Finding(
        tool=tool,
        tool_version=version,
        rule_id=rule_id,
        rule_name=rule.name,
        message=_message(result, rule) or rule.name or rule_id,
        kind=kind,
        severity=severity,
        tool_severity=tool_severity,
        confidence=confidence or rule.confidence,
        cwe_ids=_unique(cwes) if len(cwes) > 1 else list(cwes),
        vuln_ids=order_vuln_ids(vuln_ids),
        fix_guidance="\n".join(fixes) if fixes else rule.fix_guidance,
        references=rule.references,
        path=path,
        start_line=start_line,
        end_line=end_line,
        start_column=opt_int(region.get("startColumn")),
        end_column=opt_int(region.get("endColumn")),
        commit=opt_str(props.get("commit")),
        flagged_text=flagged,
        snippet=snippet,
        snippet_start_line=snippet_start,
        enclosing=enclosing,
        language=None,
        suppressed=suppressed,
        suppression=suppression,
        baseline_state=opt_str(result.get("baselineState")),
        tool_fingerprint=tool_fingerprint,
        raw=result,
        secrets=secrets,
    )


_EMPTY: dict[str, Any] = {}


def _cached(cache: dict[str, Any], key: str, compute: Any) -> Any:
    """compute(key), once per distinct key in a run (rule ids and paths repeat a lot)."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = compute(key)
    return value


def _clean_uri(uri: str) -> str | None:
    return clean_path(unquote(uri))


def _fingerprint(fingerprints: dict[str, Any]) -> str | None:
    """`key=value|...` of the real fingerprints (placeholders and non-scalars dropped)."""
    parts = []
    for key, value in sorted(fingerprints.items()):
        # A tuple, not `str | int`: that builds a union object on every call (hot path).
        if isinstance(value, _SCALARS) and not isinstance(value, bool):
            text = str(value)
            if len(text) > 16 or text.strip().lower() not in _PLACEHOLDERS:
                parts.append(f"{key}={text}")
    return "|".join(parts) or None


_SCALARS = (str, int)


def _matched(region: dict[str, Any], start: int | None, end: int | None) -> str | None:
    """The text a result's region covers: its snippet when that is the region itself (as SARIF
    defines it), else the columns' span of the whole lines the snippet holds (as Semgrep
    writes it); None without a snippet or columns."""
    text = opt_str(get_path(region, "snippet", "text"))
    first, after = opt_int(region.get("startColumn")), opt_int(region.get("endColumn"))
    if text is None or first is None or after is None:
        return None
    # One line as long as the columns' span (or one longer: some tools' end column is
    # inclusive): the snippet is the region's own text.
    if start == end and 0 <= len(text) - (after - first) <= 1 and "\n" not in text:
        return text if text.strip() else None
    return matched_span(text, start, end, first, after)


def _primary_location(result: dict[str, Any]) -> dict[str, Any]:
    locations = result.get("locations")
    if isinstance(locations, list):
        for location in locations:
            if isinstance(location, dict):
                return location
    return _EMPTY


def _code(
    region: dict[str, Any], context: dict[str, Any], start: int | None, end: int | None
) -> tuple[str | None, str | None, int | None]:
    """(flagged whole lines, snippet with surrounding lines, snippet's first line)."""
    region_text = opt_str(get_path(region, "snippet", "text"))
    context_text = opt_str(get_path(context, "snippet", "text"))
    context_start = opt_int(context.get("startLine"))
    flagged = None
    if context_text and context_start and start:
        lines = split_lines(context_text)
        first = start - context_start
        last = (end or start) - context_start
        if 0 <= first <= last < len(lines):
            flagged = "\n".join(lines[first : last + 1])
    if flagged is None and region_text:
        flagged = region_text.rstrip("\n")
    if context_text:
        return flagged, context_text, context_start
    if region_text:
        return flagged, region_text, start
    return flagged, None, None


def _message(result: dict[str, Any], rule: _Rule) -> str | None:
    message = opt_dict(result.get("message"))
    text = opt_str(message.get("text")) or opt_str(message.get("markdown"))
    if text is None:
        template_id = opt_str(message.get("id"))
        text = rule.message_strings.get(template_id) if template_id else None
    if text is None:
        return rule.short_description
    # Only scalars: str() of a nested structure can recurse too deep.
    arguments = [a if isinstance(a, str) else shown(a) for a in opt_list(message.get("arguments"))]
    if arguments and "{" in text:
        text = _PLACEHOLDER.sub(
            lambda m: (
                arguments[int(m.group(1))] if int(m.group(1)) < len(arguments) else m.group(0)
            ),
            text,
        )
    return text


def _suppression(result: dict[str, Any]) -> tuple[bool, str | None]:
    for suppression in dicts(result.get("suppressions")):
        # SARIF 2.1.0 says `status`; drafts (and the spec's own appendix K samples) say `state`.
        status = opt_str(suppression.get("status")) or opt_str(suppression.get("state"))
        if status in (None, "accepted"):
            kind = opt_str(suppression.get("kind")) or "suppressed"
            justification = opt_str(suppression.get("justification"))
            return True, f"{kind}: {justification}" if justification else kind
    return False, None


def _taxon_cwes(ref: dict[str, Any], cwe_taxa: set[int]) -> list[int]:
    component = opt_dict(ref.get("toolComponent"))
    name = (opt_str(component.get("name")) or "").lower()
    index = component.get("index")
    is_cwe = "cwe" in name or (isinstance(index, int) and index in cwe_taxa)
    ident = ref.get("id")
    if is_cwe:
        return parse_cwe(ident)
    # Without a component name, only ids that say CWE themselves ("CWE-79").
    return cwes_from_tags([ident]) if isinstance(ident, str) else []


def _severity_text(props: dict[str, Any]) -> str | None:
    for key in ("severity", "issue_severity"):
        word = opt_str(props.get(key))
        if word and word.lower() in _SEVERITY_WORDS:
            return word
    return None


def _severity_word(props: dict[str, Any]) -> Severity | None:
    for key in ("severity", "issue_severity"):
        word = opt_str(props.get(key))
        if word and word.lower() in _SEVERITY_WORDS:
            return _SEVERITY_WORDS[word.lower()]
    return None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))
