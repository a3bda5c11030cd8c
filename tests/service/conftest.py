"""Fixtures of the farm's tests: job stores on SQLite and PostgreSQL, settings, a farm without workers.

PostgreSQL runs when HUSH_TEST_POSTGRES_URL names a database the tests may wipe (.ci/run starts one);
Redis tests start their own redis-server on a free port when the binary is installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from farmkit import PG_URL, FakeFarm, fresh_postgres, make_settings

from service.store import JobStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    if not PG_URL:
        pytest.skip("HUSH_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    fresh_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def store(store_url) -> Iterator[JobStore]:
    s = JobStore(store_url)
    yield s
    s.dispose()


@pytest.fixture
def fake_farm(tmp_path) -> Iterator[FakeFarm]:
    f = FakeFarm(make_settings(tmp_path))
    yield f
    f.close()
