"""scripts/devstack/servers.py: the private Redis and PostgreSQL `make run` falls back to."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from devstack.servers import (
    StackError,
    init_postgres_cluster,
    plan_postgres,
    plan_redis,
    postgres_bin_dir,
    postgres_reachable,
    redis_reachable,
)
from devstack.supervisor import Supervisor
from sqlalchemy.engine import make_url

from pose_common.db.migrate import ensure_database
from tests.processes import free_port, wait_until


def test_the_reachable_default_servers_are_used_as_they_are(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    environ = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    assert plan_redis(environ=environ, state_dir=tmp_path, force_private=False).private is None
    assert plan_postgres(environ=environ, state_dir=tmp_path, force_private=False).private is None


def test_an_unreachable_configured_redis_is_not_replaced(tmp_path: Path) -> None:
    environ = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with pytest.raises(StackError, match="REDIS_URL"):
        plan_redis(environ=environ, state_dir=tmp_path, force_private=False)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_private_redis_persists_streams_and_never_evicts(tmp_path: Path) -> None:
    port = free_port()
    plan = plan_redis(
        environ={"POSE_PRIVATE_REDIS_PORT": str(port)}, state_dir=tmp_path, force_private=True
    )
    assert plan.private is not None and plan.url == f"redis://127.0.0.1:{port}/0"
    supervisor = Supervisor(say=lambda _line: None)
    supervisor.start(plan.private, tier=0)
    try:
        wait_until(lambda: redis_reachable(plan.url), timeout=20, what="private redis")
        client = redis.Redis.from_url(plan.url)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        client.close()
    finally:
        supervisor.stop_all(grace_s=10)
    assert (tmp_path / "redis").is_dir()
    assert not redis_reachable(plan.url)


@pytest.fixture
def open_state_dir() -> Iterator[Path]:
    """A state dir the `postgres` account can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="posestream-stack-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(postgres_bin_dir() is None, reason="PostgreSQL server binaries not installed")
def test_private_postgres_is_initialised_started_and_stopped(open_state_dir: Path) -> None:
    tmp_path = open_state_dir
    port = free_port()
    environ = {
        "POSE_PRIVATE_POSTGRES_PORT": str(port),
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/stackdb",
    }
    plan = plan_postgres(environ=environ, state_dir=tmp_path, force_private=True)
    assert plan.private is not None
    assert make_url(plan.url).port == port and make_url(plan.url).database == "stackdb"
    init_postgres_cluster(plan.private)
    supervisor = Supervisor(say=lambda _line: None)
    supervisor.start(plan.private, tier=0)
    try:
        wait_until(lambda: postgres_reachable(plan.url), timeout=60, what="private postgres")
        assert ensure_database(plan.url) is True
        with psycopg.connect(plan.url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("stackdb",)
    finally:
        supervisor.stop_all(grace_s=30)
    assert not supervisor.running("postgres")
    assert (tmp_path / "postgres" / "data" / "PG_VERSION").exists()
