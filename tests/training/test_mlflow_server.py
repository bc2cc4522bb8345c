"""The registry through a real `mlflow server` on 127.0.0.1 with a PostgreSQL backend store
(a fresh database, dropped afterwards) and proxied artifact storage."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from registry.tracking import ModelRegistry
from tests.servers import fresh_database, mlflow_server
from tests.training.test_registry import _log

pytestmark = pytest.mark.postgres


@pytest.fixture
def mlflow_on_postgres(tmp_path: Path):
    with fresh_database("mlflow") as database:
        backend = database.render_as_string(hide_password=False)
        artifacts = ["--artifacts-destination", (tmp_path / "artifacts").as_uri()]
        with mlflow_server(backend, tmp_path / "server.log", *artifacts) as url:
            yield url, backend


def test_a_model_is_registered_through_an_mlflow_server_on_postgres(
    mlflow_on_postgres, tmp_path: Path
):
    url, backend = mlflow_on_postgres
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
