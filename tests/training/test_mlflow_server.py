"""The registry through a real `mlflow server` on 127.0.0.1 with a PostgreSQL backend store
(a fresh database, dropped afterwards) and proxied artifact storage."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry.tracking import ModelRegistry
from tests.conftest import require_postgres
from tests.training.test_registry import _log

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path):
    base = sa.engine.make_url(require_postgres())
    database = f"mlflow_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    port = _free_port()
    backend = base.set(database=database).render_as_string(hide_password=False)
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
        stderr=open(tmp_path / "server.log", "w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "mlflow server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        yield url, backend
    finally:
        server.terminate()
        server.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


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
