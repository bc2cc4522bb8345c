"""Writing one report into the store: lifecycle reconciliation and bulk writes.

Everything for one report happens in the caller's transaction, so a failure leaves nothing.

Per run (one tool in one report), in the scope repository + service + tool:
1. Pair the run's findings with stored ones by fingerprint, then leftovers by match key (a
   finding whose neighbouring lines changed keeps its identity and its labels).
2. Paired: unchanged, reopened (it was fixed), suppressed or unsuppressed; its row is
   rewritten only when what the scan observed changed (`observed_hash`).
3. Stored but not reported: fixed, with the scan's commit, when the run is the newest of its
   scope and the scope is known (a report with neither repository nor service closes nothing).
4. Not stored: inserted, with a cross-tool key shared with other tools' findings on the same
   weakness. A run older than the newest stored one inserts what it alone saw as already fixed
   and changes no lifecycle.

Rows are written with driver-level executemany: SQLAlchemy's per-row processing cost more
than parsing at 100,000 findings.
"""

from __future__ import annotations

import hashlib
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, Field, SkipValidation
from sqlalchemy.engine import Connection

from core.finding import Finding, Kind, Status
from core.identity import (
    GroupCandidate,
    GroupMember,
    basis_of,
    cross_tool_basis,
    cross_tool_keys,
)
from core.severity import Severity
from store.tables import FindingRecord, Report, ScanRun

# Finding fields stored as columns of the same name (all but the transient `secrets`).
FINDING_FIELDS: tuple[str, ...] = tuple(name for name in Finding.model_fields if name != "secrets")
JSON_FIELDS = frozenset({"cwe_ids", "vuln_ids", "references", "raw"})
# Fields a rescan may observe differently for the same finding; the rest is identity.
OBSERVED_FIELDS: tuple[str, ...] = (
    "tool_version",
    "rule_name",
    "message",
    "severity",
    "tool_severity",
    "confidence",
    "cwe_ids",
    "vuln_ids",
    "fix_guidance",
    "package_version",
    "fixed_version",
    "commit",
    "path",
    "start_line",
    "end_line",
    "start_column",
    "end_column",
    "flagged_text",
    "snippet",
    "snippet_start_line",
    "enclosing",
    "language",
    "framework",
    "suppressed",
    "suppression",
    "baseline_state",
    "tool_fingerprint",
    "fingerprint",
    "match_key",
)
_LIFECYCLE_COLUMNS = (
    "observed_hash",
    "report_id",
    "first_scan_run_id",
    "first_seen_at",
    "status",
    "fixed_at",
    "fixed_commit",
    "fixed_scan_run_id",
    "reopened_count",
    "version",
)
INSERT_COLUMNS = FINDING_FIELDS + _LIFECYCLE_COLUMNS
UPDATE_OBSERVED = OBSERVED_FIELDS + ("raw", "observed_hash")


class PreparedFinding(NamedTuple):
    """A finding as the writer takes it: its columns ready for the driver, plus what lifecycle
    and grouping need beyond them. Plain tuples and strings, so forked workers can build them
    and send them back cheaply (a pydantic `Finding` costs ~5x more to pickle and unpickle)."""

    row: tuple[Any, ...]  # FINDING_FIELDS order: enums as text, lists and `raw` as JSON text
    observed_hash: str
    group: GroupMember  # for the cross-tool key, given when the finding is first stored
    order: int  # position in its run (workers' results are merged back in this order)

    @property
    def fingerprint(self) -> str:
        return self.row[_FINGERPRINT_AT]

    @property
    def match_key(self) -> str:
        return self.row[_MATCH_KEY_AT]

    @property
    def start_line(self) -> int | None:
        return self.row[_START_LINE_AT]

    @property
    def suppressed(self) -> bool:
        return self.row[_SUPPRESSED_AT]

    @property
    def severity(self) -> str:
        return self.row[_SEVERITY_AT]


def prepare_finding(
    finding: Finding, order: int = 0, raw_json: str | None = None
) -> PreparedFinding:
    """What the writer needs of a finding whose identity is assigned. `raw_json`: its raw
    record serialized already (the redactor does), else serialized here."""
    start = finding.start_line or 0
    return PreparedFinding(
        row=tuple(finding_row(finding, raw_json)),
        observed_hash=observed_hash(finding),
        group=GroupMember(
            basis_of(finding),
            finding.tool,
            finding.fingerprint,
            start,
            finding.end_line or start,
        ),
        order=order,
    )


class PreparedRun(BaseModel):
    """A parsed run ready to store: identities assigned, repeats dropped."""

    tool: str
    tool_version: str | None
    repository: str
    service: str
    commit: str | None
    scanned_at: datetime
    # Not validated: up to 100,000s of row tuples the preparation just built (speed).
    findings: SkipValidation[list[PreparedFinding]]
    record_count: int
    duplicates: int


class RunOutcome(BaseModel):
    tool: str
    scan_run_id: int
    applied_lifecycle: bool
    counts: Counter[str] = Field(default_factory=Counter)  # new/unchanged/fixed/reopened/suppressed
    by_severity: dict[str, Counter[str]] = Field(default_factory=lambda: defaultdict(Counter))
    duplicates: int = 0

    def add(self, outcome: str, severity: str) -> None:
        self.counts[outcome] += 1
        self.by_severity[severity][outcome] += 1


_observed = operator.itemgetter(*OBSERVED_FIELDS)
_columns = operator.itemgetter(*FINDING_FIELDS)
_ENUM_AT = tuple(FINDING_FIELDS.index(name) for name in ("kind", "severity"))
_JSON_AT = tuple(FINDING_FIELDS.index(name) for name in ("cwe_ids", "vuln_ids", "references"))
_RAW_AT = FINDING_FIELDS.index("raw")
_ENUM_TEXT: dict[Any, str] = {member: member.value for enum in (Kind, Severity) for member in enum}
_OBSERVED_AT = tuple(FINDING_FIELDS.index(name) for name in OBSERVED_FIELDS)
_CROSS_TOOL_KEY_AT = FINDING_FIELDS.index("cross_tool_key")
_FINGERPRINT_AT = FINDING_FIELDS.index("fingerprint")
_MATCH_KEY_AT = FINDING_FIELDS.index("match_key")
_START_LINE_AT = FINDING_FIELDS.index("start_line")
_SUPPRESSED_AT = FINDING_FIELDS.index("suppressed")
_SEVERITY_AT = FINDING_FIELDS.index("severity")
_FIXED, _SUPPRESSED, _OPEN = Status.FIXED.value, Status.SUPPRESSED.value, Status.OPEN.value
_CHUNK_ROWS = 5000


def observed_hash(finding: Finding) -> str:
    return hashlib.blake2b(orjson.dumps(_observed(finding.__dict__)), digest_size=16).hexdigest()


def finding_row(finding: Finding, raw_json: str | None = None) -> list[Any]:
    """The finding's columns in FINDING_FIELDS order, as the driver takes them."""
    row = list(_columns(finding.__dict__))
    for at in _ENUM_AT:
        row[at] = _ENUM_TEXT[row[at]]  # Enum.value is a slow descriptor; a dict is not
    for at in _JSON_AT:
        row[at] = orjson.dumps(row[at]).decode()
    row[_RAW_AT] = orjson.dumps(row[_RAW_AT]).decode() if raw_json is None else raw_json
    return row


class _Sql:
    """Driver-level statements in the connection's dialect (placeholders, JSON, timestamps)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def placeholder(self, column: str) -> str:
        if column in JSON_FIELDS and not self.sqlite:
            return f"{self.mark}::jsonb"
        return self.mark

    def time(self, value: datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        # SQLAlchemy's SQLite DateTime storage format, in UTC.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def executemany(self, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Execute for every row, in chunks: rows built on the fly never all exist at once
        (100,000 insert rows are ~50 MB beside the prepared ones)."""
        rows = iter(rows)
        while chunk := list(islice(rows, _CHUNK_ROWS)):
            self.conn.exec_driver_sql(statement, chunk)

    def insert_statement(self, table: str, columns: Iterable[str]) -> str:
        columns = list(columns)
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(self.placeholder(c) for c in columns)
        return f"INSERT INTO {table} ({names}) VALUES ({marks})"


def insert_report(conn: Connection, report: Report) -> int:
    values = report.model_dump(exclude={"id"})
    result = conn.execute(sa.insert(Report).values(**values).returning(Report.id))
    return int(result.scalar_one())


def write_run(conn: Connection, report_id: int, run: PreparedRun) -> RunOutcome:
    sql = _Sql(conn)
    scope = (
        (FindingRecord.repository == run.repository)
        & (FindingRecord.service == run.service)
        & (FindingRecord.tool == run.tool)
    )
    scoped = bool(run.repository or run.service)
    latest = conn.execute(
        sa.select(ScanRun.id, ScanRun.scanned_at)
        .where(
            ScanRun.repository == run.repository,
            ScanRun.service == run.service,
            ScanRun.tool == run.tool,
        )
        .order_by(ScanRun.scanned_at.desc(), ScanRun.id.desc())
        .limit(1)
    ).first()
    newest = latest is None or _aware(latest.scanned_at) <= run.scanned_at
    run_id = int(
        conn.execute(
            sa.insert(ScanRun)
            .values(
                report_id=report_id,
                repository=run.repository,
                service=run.service,
                tool=run.tool,
                tool_version=run.tool_version,
                commit=run.commit,
                scanned_at=run.scanned_at,
                record_count=run.record_count,
                duplicate_count=run.duplicates,
                applied_lifecycle=newest,
            )
            .returning(ScanRun.id)
        ).scalar_one()
    )
    outcome = RunOutcome(
        tool=run.tool, scan_run_id=run_id, applied_lifecycle=newest, duplicates=run.duplicates
    )

    existing = conn.execute(
        sa.select(
            FindingRecord.id,
            FindingRecord.fingerprint,
            FindingRecord.match_key,
            FindingRecord.status,
            FindingRecord.observed_hash,
            FindingRecord.start_line,
            FindingRecord.severity,
        ).where(scope)
    ).all()
    pairs, new = _pair(existing, run.findings)

    now = run.scanned_at
    changed_rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    seen_ids: list[int] = []
    for row, finding in pairs:
        seen_ids.append(row.id)
        if not newest:
            outcome.add("unchanged", row.severity)
            continue
        status, event, label = _transition(Status(row.status), finding.suppressed)
        hashed = finding.observed_hash
        if event is None and hashed == row.observed_hash:
            outcome.add("unchanged", finding.severity)
            continue
        outcome.add(label, finding.severity)
        columns = finding.row
        changed_rows.append(
            tuple(columns[at] for at in _OBSERVED_AT)
            + (columns[_RAW_AT], hashed, status.value, 1 if event == "reopened" else 0, row.id)
        )
        if event:
            events.append((row.id, run_id, event, run.commit, sql.time(now)))

    if changed_rows:
        assignments = ", ".join(f'"{c}" = {sql.placeholder(c)}' for c in UPDATE_OBSERVED)
        sql.executemany(
            f"UPDATE findings SET {assignments}, status = {sql.mark}, "
            f"fixed_at = NULL, fixed_commit = NULL, fixed_scan_run_id = NULL, "
            f"reopened_count = reopened_count + {sql.mark}, version = version + 1 "
            f"WHERE id = {sql.mark}",
            changed_rows,
        )

    if newest and scoped:
        paired = set(seen_ids)
        gone = [row for row in existing if row.id not in paired and row.status != Status.FIXED]
        sql.executemany(
            f"UPDATE findings SET status = 'fixed', fixed_at = {sql.mark}, "
            f"fixed_commit = {sql.mark}, fixed_scan_run_id = {sql.mark}, version = version + 1 "
            f"WHERE id = {sql.mark}",
            [(sql.time(now), run.commit, run_id, row.id) for row in gone],
        )
        events += [(row.id, run_id, "fixed", run.commit, sql.time(now)) for row in gone]
        for row in gone:
            outcome.add("fixed", row.severity)
        # Nothing to write for what is unchanged: after this scan, everything not fixed in the
        # scope was seen by it ("last seen" is the scope's newest scan, not a column to rewrite
        # on 100,000 rows).

    if new:
        keys = cross_tool_keys([f.group for f in new], _group_candidates(conn, run))
        fixed_before = None if newest or not scoped else latest
        _insert_findings(sql, new, keys, report_id, run_id, now, fixed_before)
        for finding in new:
            outcome.add("fixed" if fixed_before else "new", finding.severity)
            if finding.suppressed and not fixed_before:
                outcome.counts["suppressed"] += 1

    sql.executemany(
        sql.insert_statement(
            "finding_events", ("finding_id", "scan_run_id", "event", "commit", "at")
        ),
        events,
    )
    conn.execute(
        sa.update(ScanRun)
        .where(ScanRun.id == run_id)
        .values(
            new_count=outcome.counts["new"],
            unchanged_count=outcome.counts["unchanged"],
            fixed_count=outcome.counts["fixed"],
            reopened_count=outcome.counts["reopened"],
        )
    )
    return outcome


def _pair(
    existing: Sequence[Any], findings: list[PreparedFinding]
) -> tuple[list[tuple[Any, PreparedFinding]], list[PreparedFinding]]:
    """(stored row, finding) pairs by fingerprint, then by match key in line order; the rest
    of the findings are new."""
    by_fingerprint = {row.fingerprint: row for row in existing}
    pairs = []
    leftovers = []
    used: set[int] = set()
    for finding in findings:
        row = by_fingerprint.get(finding.fingerprint)
        if row is not None and row.id not in used:
            pairs.append((row, finding))
            used.add(row.id)
        else:
            leftovers.append(finding)
    if not leftovers or len(used) == len(existing):
        return pairs, leftovers
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in existing:
        if row.id not in used:
            by_key[row.match_key].append(row)
    for rows in by_key.values():
        rows.sort(key=lambda r: r.start_line or 0)
    new = []
    for finding in sorted(leftovers, key=lambda f: f.start_line or 0):
        candidates = by_key.get(finding.match_key)
        if candidates:
            pairs.append((candidates.pop(0), finding))
        else:
            new.append(finding)
    return pairs, new


def _transition(stored: Status, suppressed_now: bool) -> tuple[Status, str | None, str]:
    """(new status, event to record or None, outcome to count) for a finding seen again."""
    if suppressed_now:
        if stored is Status.SUPPRESSED:
            return Status.SUPPRESSED, None, "unchanged"
        return Status.SUPPRESSED, "suppressed", "suppressed"
    if stored is Status.FIXED:
        return Status.REOPENED, "reopened", "reopened"
    if stored is Status.SUPPRESSED:
        return Status.OPEN, "unsuppressed", "reopened"
    return stored, None, "unchanged"


def _group_candidates(conn: Connection, run: PreparedRun) -> list[GroupCandidate]:
    """Other tools' live findings in the same repository and service."""
    rows = conn.execute(
        sa.select(
            FindingRecord.tool,
            FindingRecord.kind,
            FindingRecord.path,
            FindingRecord.cwe_ids,
            FindingRecord.package,
            FindingRecord.vuln_ids,
            FindingRecord.rule_id,
            FindingRecord.start_line,
            FindingRecord.end_line,
            FindingRecord.cross_tool_key,
        ).where(
            FindingRecord.repository == run.repository,
            FindingRecord.service == run.service,
            FindingRecord.tool != run.tool,
            FindingRecord.status != Status.FIXED.value,
        )
    ).all()
    candidates = []
    for row in rows:
        basis = cross_tool_basis(
            Kind(row.kind),
            run.repository,
            run.service,
            row.path,
            row.cwe_ids or [],
            row.package,
            row.vuln_ids or [],
            row.rule_id,
        )
        if basis is not None:
            start = row.start_line or 0
            candidates.append(
                GroupCandidate(row.tool, basis, start, row.end_line or start, row.cross_tool_key)
            )
    return candidates


def _insert_findings(
    sql: _Sql,
    findings: list[PreparedFinding],
    keys: list[str],
    report_id: int,
    run_id: int,
    now: datetime,
    fixed_before: Any,
) -> None:
    stamp = sql.time(now)
    if fixed_before is not None:
        # Seen only by a scan older than the newest stored one: already gone there.
        fixed: tuple[Any, ...] = (sql.time(_aware(fixed_before.scanned_at)), None, fixed_before.id)
    else:
        fixed = (None, None, None)

    def rows() -> Iterator[tuple[Any, ...]]:
        for finding, key in zip(findings, keys, strict=True):
            if fixed_before is not None:
                status = _FIXED
            else:
                status = _SUPPRESSED if finding.suppressed else _OPEN
            row = list(finding.row)
            row[_CROSS_TOOL_KEY_AT] = key
            row += (finding.observed_hash, report_id, run_id, stamp, status)
            row += fixed
            row += (0, 1)
            yield tuple(row)

    sql.executemany(sql.insert_statement("findings", INSERT_COLUMNS), rows())


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
