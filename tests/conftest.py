"""Fixtures on real components: a SQLite file and a PostgreSQL schema per test.

PostgreSQL tests use the server at FLYWHEEL_TEST_PG_URL (default: 127.0.0.1:5432, database
`test`, trust auth). Elsewhere they skip with the reason; with FLYWHEEL_REQUIRE_POSTGRES=1
(set by .ci/run) an unreachable server fails them instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import signal

# `make test` runs one xdist worker per core. A worker's torch and ONNX Runtime would each
# start a thread per core too, so two workers training or embedding at once oversubscribe
# the machine (the slowest tests ran ~2.5x longer beside each other than alone). One thread
# per worker, set before torch is imported; subprocesses the tests start inherit it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

# A test run started as a background job (`make test &`, some CI runners) inherits SIGINT
# ignored. Dagster's in-process runs then map SIGTERM to that ignored SIGINT, and an ignored
# signal survives exec: every server a later test starts would ignore `terminate()`. Python's
# own SIGINT handler, as in a foreground run.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from filelock import FileLock

import training.base_model
import training.task_families
from store import FindingsStore
from training.base_model import TinySpec, build_tiny

PG_URL = os.environ.get("FLYWHEEL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

_pg_state: dict[str, str | None] = {}


def _postgres_unreachable() -> str | None:
    """None when the server answers, else why not (checked once per session)."""
    if "error" not in _pg_state:
        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _pg_state["error"] = None
        except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
            _pg_state["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _pg_state["error"]


def require_postgres() -> str:
    """The server URL, or skip (fail under FLYWHEEL_REQUIRE_POSTGRES=1) when it does not answer."""
    error = _postgres_unreachable()
    if error:
        message = f"PostgreSQL not reachable at {PG_URL} ({error})"
        if os.environ.get("FLYWHEEL_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + "; FLYWHEEL_REQUIRE_POSTGRES=1 makes this a failure")
        pytest.skip(message)
    return PG_URL


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (dropped afterwards)."""
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'findings.db'}"
    else:
        yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def store(db_url: str) -> Iterator[FindingsStore]:
    findings_store = FindingsStore(db_url)
    yield findings_store
    findings_store.close()


@pytest.fixture
def sample_service(tmp_path: Path) -> Path:
    """A private copy of the bundled sample service, free to edit."""
    import shutil

    target = tmp_path / "sample_service"
    shutil.copytree(EXAMPLES / "sample_service", target)
    return target


# The tiny local base model, built once per test session (shared by xdist workers).
@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp().parent  # the same folder for every xdist worker
    # Keyed by the code that builds it, so a changed recipe never reuses an old model.
    sources = [Path(training.base_model.__file__), Path(training.task_families.__file__)]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    folder = root / f"tiny-model-{key}"
    with FileLock(str(root / f"tiny-model-{key}.lock")):
        if not (folder / "flywheel_tiny.json").is_file():
            build_tiny(folder, TinySpec())
    return folder


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedding model exported to ONNX once per session (shared by xdist workers)."""
    from vector_memory.embedder import Embedder

    root = tmp_path_factory.getbasetemp().parent
    folder = root / "onnx-cache"
    with FileLock(str(root / "onnx-cache.lock")):
        if not any(folder.glob("*.onnx")):
            Embedder(cache_dir=folder)
    return folder


def seed_models(home: Path, onnx_cache: Path, tiny: Path | None = None) -> Path:
    """A data folder whose model cache already holds the session's ONNX export (hard links:
    no copy) and, when given, the tiny base model, so a command run on it exports and
    builds nothing."""
    models = home / "models"
    models.mkdir(parents=True, exist_ok=True)
    for exported in onnx_cache.glob("*.onnx"):
        os.link(exported, models / exported.name)
    if tiny is not None:
        import shutil

        shutil.copytree(tiny, models / "tiny")
    return home
