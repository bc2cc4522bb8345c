"""The store's schema: migrations build exactly the tables the code declares, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from core.finding import Finding, Status
from core.severity import Severity
from store import FindingFilter, FindingRecord, FindingsStore
from store.engine import current_revision, downgrade, head_revision, make_engine, upgrade
from store.writer import FINDING_FIELDS


def test_every_finding_field_has_a_column() -> None:
    # FindingRecord repeats the Finding's fields (see tables.py for why): they must not drift.
    columns = set(FindingRecord.__table__.columns.keys())
    assert set(FINDING_FIELDS) <= columns, set(FINDING_FIELDS) - columns
    assert "secrets" not in columns  # reported secret values are never stored
    assert set(Finding.model_fields) - set(FINDING_FIELDS) == {"secrets"}


def test_migrations_build_the_declared_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_removes_everything(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second upgrade on a live database changes nothing
    downgrade(engine, "base")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_opening_a_store_migrates_it(db_url: str) -> None:
    store = FindingsStore(db_url)
    assert current_revision(store.engine) == head_revision()
    assert store.count() == 0
    assert store.findings(FindingFilter(statuses=[Status.OPEN], min_severity=Severity.HIGH)) == []
    store.close()


def test_sqlite_store_uses_wal_and_large_pages(tmp_path) -> None:
    """The settings the ingest speed depends on (docs/benchmarks.md): a new file gets 16 KiB
    pages, WAL, and a 64 MiB cache on every connection."""
    FindingsStore(f"sqlite:///{tmp_path / 'f.db'}")
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 16384
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -65536
    engine.dispose()
