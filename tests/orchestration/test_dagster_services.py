"""Production-shaped Dagster: `dagster-webserver` and `dagster-daemon` on 127.0.0.1 with the
production instance file (infra/dagster/dagster.yaml: PostgreSQL storage in a fresh database,
the queued run coordinator). ingest_job is
launched through the GraphQL API; the daemon dequeues it, a run worker executes it, and the
findings land in the store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store import FindingsStore
from tests.conftest import EXAMPLES, seed_models
from tests.servers import free_port, fresh_database, stop, wait_for_http

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
INFRA_INSTANCE = REPO / "infra" / "dagster" / "dagster.yaml"
BIN = Path(sys.executable).parent


def test_ingest_job_launched_through_graphql_runs_via_the_daemon(
    tmp_path: Path, onnx_cache: Path
) -> None:
    from dagster_graphql import DagsterGraphQLClient

    dagster_home, home = tmp_path / "dagster", seed_models(tmp_path / "flywheel", onnx_cache)
    dagster_home.mkdir()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n      module_name: orchestration.definitions\n"
        f"      working_directory: {REPO}\n"
    )
    with fresh_database("dagster") as database:
        # The production instance file itself, pointed at the fresh database.
        shutil.copy(INFRA_INSTANCE, dagster_home / "dagster.yaml")
        env = {
            **os.environ,
            "DAGSTER_PG_HOST": database.host,
            "DAGSTER_PG_USER": database.username,
            "DAGSTER_PG_PASSWORD": database.password or "trust-auth-ignores-it",
            "DAGSTER_PG_DB": database.database,
            "DAGSTER_HOME": str(dagster_home),
            "FLYWHEEL_HOME": str(home),
            "FLYWHEEL_RETRAIN_INTERVAL_S": "3600",  # the growth sensor stays out of the way
            "HF_HUB_OFFLINE": "1",
        }
        env.pop("FLYWHEEL_REPORT_DIRS", None)  # the report sensor skips: no folder watched
        port = free_port()
        web_log, daemon_log = tmp_path / "webserver.log", tmp_path / "daemon.log"
        webserver = subprocess.Popen(
            [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)]
            + ["-w", str(workspace)],
            env=env,
            stdout=open(web_log, "w"),
            stderr=subprocess.STDOUT,
        )
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
            env=env,
            stdout=open(daemon_log, "w"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/server_info", webserver, web_log, "webserver")
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            reports = [str(p) for p in sorted((EXAMPLES / "reports").glob("*.json"))]
            run_id = client.submit_job_execution(
                "ingest_job",
                run_config={
                    "ops": {
                        "findings": {
                            "config": {
                                "files": reports,
                                "repo": str(EXAMPLES / "sample_service"),
                                "repository": "examples/sample_service",
                                "service": "sample-service",
                            }
                        }
                    }
                },
            )
            status = _wait_for_run(client, run_id, webserver, daemon, daemon_log, 300)
            assert status == "SUCCESS", daemon_log.read_text()[-3000:]
        finally:
            stop(daemon)
            stop(webserver)

        store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
        try:
            # bandit 17 + gitleaks 2 + pip-audit 11, with code context from the sample service
            assert store.count_by_tool() == {"bandit": 17, "gitleaks": 2, "pip-audit": 11}
        finally:
            store.close()
        queue = json.loads((home / "review_queue.json").read_text())
        assert len(queue) == 30 and all(item["suggestion"] for item in queue)

        # The run and its materializations are in PostgreSQL, where the webserver reads them.
        import sqlalchemy as sa

        engine = sa.create_engine(database)
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("select status from runs")).scalars().all()
            assets = conn.execute(sa.text("select asset_key from asset_keys")).scalars().all()
        engine.dispose()
        assert statuses == ["SUCCESS"]
        assert {json.loads(key)[0] for key in assets} >= {
            "findings",
            "finding_embeddings",
            "review_queue",
        }


def _wait_for_run(client, run_id, webserver, daemon, daemon_log: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get_run_status(run_id).value
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        if daemon.poll() is not None or webserver.poll() is not None:
            pytest.fail("a Dagster service exited:\n" + daemon_log.read_text()[-3000:])
        if time.monotonic() > deadline:
            pytest.fail(f"run {run_id} still {status}:\n" + daemon_log.read_text()[-3000:])
        time.sleep(1)
