"""Preparing a large run in forked workers (`ingest.prepare`).

The promise: sharding changes nothing but the time. The same report prepared in one pass and
in several processes gives the same rows, fingerprints, repeats and warnings, including the
cases where findings in different files share an identity (a tool fingerprint reported on two
paths), where one file is named three ways (made repository-relative by the code context),
and where paths differ only by NUL characters. And a worker that fails or dies makes the
ingest fail loudly, with nothing written and no process left behind.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ingest.prepare
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.identity import identity_basis
from core.severity import Severity
from ingest.code_context import ContextReader
from ingest.pipeline import IngestOptions, ingest_report
from ingest.prepare import WorkerFailed, prepare_runs, run_forked, shard_by_identity
from store import FindingsStore
from store.writer import FINDING_FIELDS

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
SECRET = "AKIAIOSFODNN7EXAMPLE"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for n in range(12):
        folder = root / f"pkg{n % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"def view_{n}(request):"]
        for _ in range(20):
            lines += ["    run(request.args['q'], shell=True)", ""]
        (folder / f"mod{n}.py").write_text("\n".join(lines) + "\n")
    return root


def tricky_report(root: Path) -> ParsedReport:
    """One run whose identities only come out right if related findings share a shard."""
    findings = []
    for n in range(12):
        rel = f"pkg{n % 3}/mod{n}.py"
        # The same file under three names: all three become `rel` once context is read.
        spellings = [rel, f"./{rel}", str(root / rel)]
        for k in range(20):
            line = 2 + 2 * k
            findings.append(
                Finding(
                    tool="semgrep",
                    rule_id="shell-true",
                    message=f"shell=True with request data (key {SECRET})",
                    severity=Severity.HIGH,
                    cwe_ids=[78],
                    path=spellings[k % 3],
                    start_line=line,
                    end_line=line,
                    secrets=[SECRET],
                    raw={"line": line, "note": f"token {SECRET}"},
                )
            )
        # An exact repeat (same place): dropped, counted as a duplicate.
        findings.append(findings[-1].model_copy(deep=True))
    # One tool fingerprint on two different paths: one identity group, ordinals 0 and 1.
    for line, path in ((4, "pkg0/mod0.py"), (6, "pkg1/mod1.py")):
        findings.append(
            Finding(
                tool="semgrep",
                rule_id="fp-rule",
                message="same fingerprint",
                severity=Severity.LOW,
                path=path,
                start_line=line,
                tool_fingerprint="shared-fingerprint",
            )
        )
    # Paths that are one path once PostgreSQL's enemy, NUL, is stripped.
    for line, path in enumerate(("nul\x00.py", "nul.py", "n\x00ul.py"), 1):
        findings.append(
            Finding(
                tool="semgrep",
                rule_id="msg-rule",
                message="no code here",
                severity=Severity.MEDIUM,
                path=path,
                start_line=line,
            )
        )
    # No path at all: message identity, three of them numbered 0, 1, 2.
    for line in range(3):
        findings.append(
            Finding(
                tool="semgrep",
                rule_id="pathless",
                message="configuration problem",
                kind=Kind.IAC,
                severity=Severity.INFO,
                start_line=line + 1,
            )
        )
    # A file outside the checkout: a warning, no context.
    findings.append(
        Finding(
            tool="semgrep", rule_id="out", message="m", severity=Severity.LOW, path="../../x.py"
        )
    )
    run = ParsedRun(tool="semgrep", tool_version="1.0", findings=findings, scanned_at=T0)
    return ParsedReport(format="sarif", runs=[run])


def prepared(root: Path, workers: int) -> tuple[list[object], list[str]]:
    warnings: list[str] = []
    runs = prepare_runs(
        tricky_report(root),
        "acme/shop",
        "abc123",
        service="shop",
        repo=root,
        workers=workers,
        warnings=warnings,
        holds_nul=True,
    )
    return [(run.findings, run.duplicates, run.record_count) for run in runs], warnings


def test_sharded_preparation_equals_one_pass(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.prepare, "PARALLEL_MIN_FINDINGS", 1)
    one_pass, one_pass_warnings = prepared(checkout, workers=1)
    sharded, sharded_warnings = prepared(checkout, workers=3)
    assert sharded == one_pass
    assert sorted(sharded_warnings) == sorted(one_pass_warnings)
    assert any("x.py" in w for w in one_pass_warnings)

    ((findings, duplicates, records),) = one_pass
    assert duplicates == 12 and records == len(findings) + 12
    fingerprints = [f.fingerprint for f in findings]
    assert len(set(fingerprints)) == len(fingerprints)
    rows = [dict(zip(FINDING_FIELDS, f.row, strict=True)) for f in findings]
    # The three spellings became one path, and its findings told apart by their lines.
    assert {r["path"] for r in rows if r["rule_id"] == "shell-true"} == {
        f"pkg{n % 3}/mod{n}.py" for n in range(12)
    }
    assert {r["path"] for r in rows if r["rule_id"] == "msg-rule"} == {"nul.py"}
    assert all(SECRET not in str(value) for row in rows for value in row.values())


def test_shards_keep_identity_groups_together(checkout: Path) -> None:
    findings = tricky_report(checkout).runs[0].findings
    shards = shard_by_identity(findings, 3, ContextReader(checkout), holds_nul=True)
    assert len(shards) == 3
    shard_of = {i: k for k, shard in enumerate(shards) for i, _ in shard}
    # Every finding went to exactly one shard, in the run's order within it.
    assert sorted(shard_of) == list(range(len(findings)))
    assert all([i for i, _ in shard] == sorted(i for i, _ in shard) for shard in shards)
    # Once prepared (in place, in one pass), findings with one identity basis were in one shard.
    prepare_runs(
        ParsedReport(format="sarif", runs=[ParsedRun(tool="semgrep", findings=findings)]),
        "acme/shop",
        None,
        repo=checkout,
        workers=1,
        holds_nul=True,
    )
    shards_of_basis: dict[tuple[str, ...], set[int]] = {}
    for i, finding in enumerate(findings):
        shards_of_basis.setdefault(identity_basis(finding), set()).add(shard_of[i])
    assert all(len(parts) == 1 for parts in shards_of_basis.values())
    assert len(shards_of_basis) < len(findings)  # there were groups to keep together


def test_ingest_with_workers_stores_what_one_process_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.prepare, "PARALLEL_MIN_FINDINGS", 1)
    report = EXAMPLES / "reports" / "semgrep.sarif"
    stored = []
    for workers in (1, 2):
        store = FindingsStore(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        options = IngestOptions(
            repo=EXAMPLES / "sample_service", repository="acme/shop", workers=workers, scanned_at=T0
        )
        result = ingest_report(report, store, options)
        assert result.status == "ingested" and result.counts()["new"] > 5
        stored.append(
            [
                {k: v for k, v in r.model_dump().items() if k not in ("id", "first_seen_at")}
                for r in store.findings()
            ]
        )
        store.close()
    assert stored[0] == stored[1]


def test_run_forked_runs_each_part_in_its_own_process(no_workers_left: None) -> None:
    pids = run_forked(lambda k: (k, os.getpid()), 3)
    assert [k for k, _ in pids] == [0, 1, 2]
    assert pids[0][1] == os.getpid()
    assert len({pid for _, pid in pids}) == 3


def test_a_failing_worker_fails_the_call_with_its_traceback(no_workers_left: None) -> None:
    def work(k: int) -> int:
        if k == 1:
            raise ValueError("broken shard")
        return k

    with pytest.raises(WorkerFailed, match="(?s)worker 1 failed.*ValueError: broken shard"):
        run_forked(work, 2)


def test_a_worker_killed_by_a_signal_fails_the_call(no_workers_left: None) -> None:
    def work(k: int) -> int:
        if k == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return k

    with pytest.raises(WorkerFailed, match="worker 1 died \\(killed by signal 9\\)"):
        run_forked(work, 2)


def test_when_this_process_fails_its_workers_are_killed(no_workers_left: None) -> None:
    def work(k: int) -> int:
        if k == 0:
            raise KeyError("own part")
        time.sleep(120)
        return k

    started = time.monotonic()
    with pytest.raises(KeyError, match="own part"):
        run_forked(work, 3)
    assert time.monotonic() - started < 30


def test_a_failed_worker_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_workers_left: None
) -> None:
    monkeypatch.setattr(ingest.prepare, "PARALLEL_MIN_FINDINGS", 1)
    store = FindingsStore(f"sqlite:///{tmp_path / 'f.db'}")
    report = EXAMPLES / "reports" / "semgrep.sarif"
    first = ingest_report(report, store, IngestOptions(repository="acme/shop", workers=1))
    before = [r.model_dump() for r in store.findings()]
    assert first.status == "ingested" and before

    real = ingest.prepare._prepare_shard

    def failing(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise MemoryError("worker out of memory")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    parent = os.getpid()
    monkeypatch.setattr(ingest.prepare, "_prepare_shard", failing)
    rescan = tmp_path / "rescan.sarif"
    rescan.write_bytes(report.read_bytes().replace(b"}", b"} ", 1))  # other bytes, same findings
    with pytest.raises(WorkerFailed, match="MemoryError: worker out of memory"):
        ingest_report(rescan, store, IngestOptions(repository="acme/shop", workers=2))
    assert [r.model_dump() for r in store.findings()] == before
    store.close()


def child_pids() -> set[int]:
    """The processes whose parent is this one (zombies included: a worker not reaped stays)."""
    me = os.getpid()
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            pids.add(int(stat.parent.name))
    return pids


@pytest.fixture
def no_workers_left() -> Iterator[None]:
    """After the test, no child process that was not there before it (workers are reaped)."""
    before = child_pids()
    yield
    assert child_pids() <= before
