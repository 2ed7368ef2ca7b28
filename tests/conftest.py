"""Shared fixtures: the pipeline is expensive to build, so tests share one per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eventcoder.muc4.data import ENV_VAR, default_data_dir

def require_muc4_dir() -> Path:
    """The MUC-4 folder; skip the test if it is missing, or fail when CI == "true"."""
    folder = default_data_dir()
    if not (folder / "gtt_dev.json").is_file():
        message = f"MUC-4 data not found at {folder}; set {ENV_VAR}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder

@pytest.fixture(scope="session")
def muc4_dir() -> Path:
    return require_muc4_dir()

@pytest.fixture
def require_muc4():
    """The skip-or-fail check itself, for tests of its behaviour."""
    return require_muc4_dir

@pytest.fixture(scope="session")
def pipeline():
    from eventcoder.pipeline import Pipeline

    return Pipeline()


# -- store backends ----------------------------------------------------------------------------

POSTGRES_ENV = "EVENTCODER_TEST_POSTGRES_URL"


def require_postgres_url() -> str:
    """The PostgreSQL server's URL; skip the test if it is not set, or fail when CI == "true"."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        message = f"set {POSTGRES_ENV} to a PostgreSQL server to run the store tests on it; .ci/run starts one"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its connections' search_path set to ``schema`` (a name we generate)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def require_postgres():
    """The skip-or-fail check itself, for tests of its behaviour."""
    return require_postgres_url


@pytest.fixture
def postgres_url():
    """A URL into a fresh, empty PostgreSQL schema of its own, dropped after the test."""
    import uuid

    import psycopg
    from psycopg import sql

    base = require_postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Where a store test keeps its store, once per backend: a new SQLite file, or a new
    PostgreSQL schema (from EVENTCODER_TEST_POSTGRES_URL; skipped without it, failing on CI)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_url")
