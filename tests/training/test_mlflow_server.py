"""The registry through a real `mlflow server` on 127.0.0.1 with a PostgreSQL backend store
(a fresh database, dropped afterwards) and proxied artifact storage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry.tracking import ModelRegistry
from tests.servers import free_port, fresh_database, stop, wait_for_http
from tests.training.test_registry import _log

pytestmark = pytest.mark.postgres


@pytest.fixture
def mlflow_server(tmp_path: Path):
    with fresh_database("mlflow") as database:
        port = free_port()
        backend = database.render_as_string(hide_password=False)
        log = tmp_path / "server.log"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backend-store-uri",
                backend,
                "--artifacts-destination",
                (tmp_path / "artifacts").as_uri(),
                "--workers",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(log, "w"),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/health", server, log, "mlflow server")
            yield url, backend
        finally:
            stop(server)


def test_a_model_is_registered_through_an_mlflow_server_on_postgres(mlflow_server, tmp_path: Path):
    url, backend = mlflow_server
    registry = ModelRegistry(url, "coder")
    run_id, version = _log(registry, tmp_path, "first")
    assert version == "1" and registry.alias_version("challenger") == "1"
    # Downloaded back through the server's artifact proxy, checksums verified.
    local = registry.resolve("models:/coder@challenger", tmp_path / "cache")
    assert (local / "adapters" / "sft" / "adapter_model.safetensors").read_bytes() == b"first"
    # The version lives in PostgreSQL.
    engine = sa.create_engine(backend)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select name, version, run_id from model_versions")).all()
    engine.dispose()
    assert [(r.name, int(r.version), r.run_id) for r in rows] == [("coder", 1, run_id)]
