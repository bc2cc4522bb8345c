"""Between parsing and storing: scope, code context, redaction, identity, and the rows to write.

Each finding's preparation is independent of the others except for identity: findings with
the same identity basis are numbered and de-duplicated together (`assign_identities`). Every
basis holds either the tool's own fingerprint or the finding's path, so a run split by
"tool fingerprint, else path" into shards gives every identity group to exactly one shard, and
the shards can be prepared apart with the very result a single pass gives.

With workers enabled (`FLYWHEEL_INGEST_WORKERS`; off by default: on two cores they measured
no gain and 600 MB more memory, because reference counting makes each process copy nearly
every page of the parsed findings it inherits, docs/benchmarks.md), a large run is prepared in
shards: the first in this process, the others in forked workers that inherit the parsed
findings (nothing is sent to them) and send back finished `PreparedFinding`s (tuples and
strings, cheap to pickle). The results are merged back in the run's order. Forking needs no
pickled input and no start-up; threads would hold the GIL.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from core.finding import Finding, Kind, ParsedReport
from core.identity import GroupMember, assign_identities
from ingest.code_context import ContextReader
from ingest.redact import Redactor
from store import PreparedFinding, PreparedRun, prepare_finding

Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Below this many findings in a run, one pass is about as fast as forking. Measured: a fork of
# a 1 GB process 0.02 s; sending a row back ~10 us; preparing a finding 30-70 us.
PARALLEL_MIN_FINDINGS = 10_000
_PROGRESS_EVERY = 5000

T = TypeVar("T")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _Scope:
    repository: str
    service: str
    commit: str | None
    holds_nul: bool


@dataclass
class _Shard:
    findings: list[PreparedFinding]
    repeats: int
    warnings: list[str] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent from a worker as plain tuples: pickling named tuples costs 1.5x as much.
        flat = [(f.row, f.observed_hash, tuple(f.group), f.order) for f in self.findings]
        return (_Shard.restore, (flat, self.repeats, self.warnings))

    @staticmethod
    def restore(flat: list[tuple[Any, ...]], repeats: int, warnings: list[str]) -> _Shard:
        findings = [
            PreparedFinding(row, hashed, GroupMember(*group), order)
            for row, hashed, group, order in flat
        ]
        return _Shard(findings, repeats, warnings)


def prepare_runs(
    parsed: ParsedReport,
    repository: str,
    commit: str | None,
    *,
    service: str = "",
    repo: os.PathLike[str] | str | None = None,
    scanned_at: datetime | None = None,
    workers: int = 1,
    warnings: list[str] | None = None,
    progress: Progress | None = None,
    holds_nul: bool = False,
) -> list[PreparedRun]:
    """Prepare every run of a parsed report for the store. This consumes the report: its
    findings are prepared in place (context, redaction, identity) and their raw records are
    dropped once serialized into the rows.

    `workers`: processes to use for a large run (0: one per available core; 1: none forked).
    Code context is read from the checkout `repo` when given; its warnings are appended to
    `warnings`.
    """
    reader = ContextReader(repo) if repo is not None else None
    secrets = [s for run in parsed.runs for f in run.findings for s in f.secrets]
    if reader is not None:
        # A secret finding whose report does not hold what its rule matched (Semgrep's JSON
        # says "requires login" without one) shows it in the code read from the checkout:
        # that text is the secret, redacted wherever it appears in the report.
        for run in parsed.runs:
            for finding in run.findings:
                if finding.kind is Kind.SECRET and not finding.secrets:
                    matched = reader.matched_text(finding)
                    if matched is not None:
                        secrets.append(matched)
    redactor = Redactor(secrets)
    workers = workers or available_cores()
    now = scanned_at or datetime.now(UTC)
    total = parsed.finding_count
    prepared = []
    done_before = 0
    for run in parsed.runs:
        run_commit = commit or run.commit
        scope = _Scope(repository, service, run_commit, holds_nul)
        count = len(run.findings)
        if workers > 1 and count >= PARALLEL_MIN_FINDINGS and hasattr(os, "fork"):
            shards = shard_by_identity(run.findings, workers, reader, holds_nul)
        else:
            shards = [list(enumerate(run.findings))]

        report = partial(_report_progress, progress, done_before, len(shards), total)
        work = partial(_prepare_part, shards, scope, reader, redactor, report)
        results = run_forked(work, len(shards))
        findings = results[0].findings
        if len(results) > 1:
            findings = sorted((f for r in results for f in r.findings), key=_order)
            if reader is not None:
                for result in results[1:]:
                    reader.warnings.extend(result.warnings)
        prepared.append(
            PreparedRun(
                tool=run.tool,
                tool_version=run.tool_version,
                repository=repository,
                service=service,
                commit=run_commit,
                scanned_at=run.scanned_at or now,
                findings=findings,
                record_count=count,
                duplicates=sum(r.repeats for r in results),
            )
        )
        done_before += count
    if reader is not None and warnings is not None:
        warnings.extend(dict.fromkeys(reader.warnings))  # once each, in order
    return prepared


def _order(finding: PreparedFinding) -> int:
    return finding.order


def shard_by_identity(
    findings: Sequence[Finding],
    shards: int,
    reader: ContextReader | None,
    holds_nul: bool = False,
) -> list[list[tuple[int, Finding]]]:
    """Split a run so that findings that may share an identity basis share a shard.

    The key is what `identity_basis` will use once the finding is prepared: the tool's
    fingerprint when it has one, else the path as the code context will leave it (NULs
    stripped, made repository-relative). A coarser key would be as safe; a finer one not.
    """
    parts: list[list[tuple[int, Finding]]] = [[] for _ in range(shards)]
    part_of: dict[str, int] = {}  # by the key as reported (paths are resolved once each)
    for i, finding in enumerate(findings):
        fingerprint = finding.tool_fingerprint
        if fingerprint and holds_nul:
            fingerprint = fingerprint.replace("\x00", "")
        reported = "t" + fingerprint if fingerprint else "p" + (finding.path or "")
        part = part_of.get(reported)
        if part is None:
            key = reported.replace("\x00", "") if holds_nul else reported
            if key[0] == "p" and reader is not None and len(key) > 1:
                key = "p" + (reader.relative_path(key[1:]) or key[1:])
            # crc32, not hash(): the same report always splits the same way.
            part = part_of[reported] = zlib.crc32(key.encode("utf-8", "surrogatepass")) % shards
        parts[part].append((i, finding))
    return [part for part in parts if part] or [[]]


def _report_progress(
    progress: Progress | None, base: int, parts: int, total: int, done: int
) -> None:
    # Only this process's part reports; the others advance at about the same pace.
    if progress:
        progress("prepared", min(total, base + done * parts), total)


def _prepare_part(
    shards: list[list[tuple[int, Finding]]],
    scope: _Scope,
    reader: ContextReader | None,
    redactor: Redactor,
    report: Callable[[int], None],
    k: int,
) -> _Shard:
    return _prepare_shard(shards[k], scope, reader, redactor, report if k == 0 else None)


def _prepare_shard(
    items: list[tuple[int, Finding]],
    scope: _Scope,
    reader: ContextReader | None,
    redactor: Redactor,
    report: Callable[[int], None] | None,
) -> _Shard:
    warnings_before = len(reader.warnings) if reader is not None else 0
    findings = [finding for _, finding in items]
    raw_json: dict[int, str] = {}
    for done, finding in enumerate(findings, 1):
        # Straight into __dict__: pydantic's __setattr__ costs ~1 us, and these are plain
        # strings of the right type.
        values = finding.__dict__
        values["repository"] = scope.repository
        values["service"] = scope.service
        if values["commit"] is None:
            values["commit"] = scope.commit
        if scope.holds_nul:
            strip_nul(finding)
        if reader is not None:
            reader.apply(finding)
        raw_json[id(finding)] = redactor.finding(finding)
        if report is not None and done % _PROGRESS_EVERY == 0:
            report(done)
    order = {id(finding): i for i, finding in items}
    unique, repeats = assign_identities(findings)
    prepared = []
    for finding in unique:
        prepared.append(prepare_finding(finding, order[id(finding)], raw_json.pop(id(finding))))
        # The raw record lives on as JSON in the row; the parsed copy (the largest part of a
        # finding) is dropped now, so the rows reuse its memory instead of adding to it.
        finding.__dict__["raw"] = {}
    return _Shard(
        findings=prepared,
        repeats=repeats,
        warnings=reader.warnings[warnings_before:] if reader is not None else [],
    )


def run_forked(work: Callable[[int], T], parts: int) -> list[T]:
    """[work(0), ..., work(parts - 1)]: work(0) here, the others in forked child processes
    whose results come back pickled through a pipe.

    A child that fails sends its traceback and the call raises `WorkerFailed`; if this
    process's own part fails, the children are killed and reaped before the error goes on.
    """
    children: list[tuple[int, int]] = []
    try:
        for k in range(1, parts):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _child(work, k, write_end)
            os.close(write_end)
            children.append((pid, read_end))
        results = [work(0)]
        for k, (pid, read_end) in enumerate(children, 1):
            with os.fdopen(read_end, "rb") as pipe:
                payload = pipe.read()
            children[k - 1] = (pid, -1)
            _, status = os.waitpid(pid, 0)
            if not payload:
                raise WorkerFailed(f"ingest worker {k} died ({_describe(status)})")
            ok, value = pickle.loads(payload)
            if not ok:
                raise WorkerFailed(f"ingest worker {k} failed:\n{value}")
            results.append(value)
        return results
    finally:
        for pid, read_end in children:
            if read_end != -1:
                os.close(read_end)
                _kill(pid)


def _child(work: Callable[[int], Any], k: int, write_end: int) -> None:
    status = 0
    try:
        try:
            payload = pickle.dumps((True, work(k)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            payload = pickle.dumps((False, traceback.format_exc()))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001 - the parent is gone or the pipe broke
        status = 1
    finally:
        # No atexit handlers, no flushing of buffers copied from the parent, no finalizers of
        # its connections: the child only computed.
        os._exit(status)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


class WorkerFailed(RuntimeError):
    """A forked ingest worker failed: a bug or the machine (memory), never the report."""


def strip_nul(finding: Finding) -> None:
    """Remove NUL characters from every string of a finding (PostgreSQL cannot store them)."""
    values = finding.__dict__
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            values[name] = value.replace("\x00", "")
        elif isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            values[name] = [v.replace("\x00", "") if isinstance(v, str) else v for v in value]
    # Iteratively, in place: raw records can nest past Python's recursion limit.
    stack: list[Any] = [finding.raw]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key in [k for k in current if "\x00" in k]:
                current[key.replace("\x00", "")] = current.pop(key)
            items = list(current.items())
        else:
            items = list(enumerate(current))
        for key, item in items:
            if isinstance(item, str) and "\x00" in item:
                current[key] = item.replace("\x00", "")
            elif isinstance(item, (dict, list)):
                stack.append(item)
