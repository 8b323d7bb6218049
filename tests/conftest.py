"""Fixtures shared by every test: the real Redis and PostgreSQL, private to this run.

Each run gets its own database (pose_test_<id>) and Redis key prefix (test:<id>:), removed
at the end, so runs never collide.  Factories build valid frames.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from pose_common.db.migrate import ensure_database, upgrade_database
from pose_common.streams import StreamKeys
from pose_ml.datasets.formats import read_sessions
from pose_ml.datasets.store import import_sessions

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
# Services in POSE_ENV=test refuse the default admin token, as in prod: this is the tests' one.
TEST_ADMIN_TOKEN = "test-admin-token-0123456789"
YOGA_CSV = ("data", "yoga-train", "train_data.csv")
FITNESS_CSV = ("data", "mlkit-fitness", "fitness_pose_samples.csv")


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture(scope="session")
def key_prefix(run_id: str) -> Iterator[str]:
    prefix = f"test:{run_id}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


@pytest.fixture(scope="session")
def database_url(run_id: str) -> Iterator[str]:
    name = f"pose_test_{run_id}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    ensure_database(url)
    upgrade_database(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def unique_prefix(key_prefix: str) -> str:
    """A prefix for one test, inside the run's prefix (cleaned up with it)."""
    return f"{key_prefix}{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def keys(unique_prefix: str) -> StreamKeys:
    return StreamKeys(unique_prefix)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def service_env(
    redis_url: str, database_url: str, unique_prefix: str, tmp_path: Path
) -> dict[str, str]:
    """Environment for a service started as a subprocess in a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSE_") and k != "DATABASE_URL"}
    env.update(
        {
            "POSE_ENV": "test",
            "POSE_ADMIN_TOKEN": TEST_ADMIN_TOKEN,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "POSE_KEY_PREFIX": unique_prefix,
            "POSE_DATA_DIR": str(tmp_path / "data"),
            "POSE_MODEL_DIR": str(tmp_path / "models"),
            "POSE_METRICS_PORT": "0",
            "OPENBLAS_NUM_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    return env


def run_python_reporting_heavy(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `code` in a fresh Python; also the TensorFlow/Keras packages loaded when it ended."""
    script = (
        "import sys\ntry:\n"
        + textwrap.indent(code, "    ")
        + "\nfinally:\n    print('HEAVY', sorted({m.split('.')[0] for m in sys.modules}"
        " & {'tensorflow', 'keras'}), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout
    )
    marker = [line for line in result.stderr.splitlines() if line.startswith("HEAVY ")]
    assert marker, result.stderr
    return result, ast.literal_eval(marker[-1].removeprefix("HEAVY "))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip with the reason when it is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data directory is needed for this test")
    return path


def _import(database_url: str, parts: tuple[str, ...], *, format: str, model: str) -> None:
    sessions = read_sessions(shared_path(*parts), format=format)
    with psycopg.connect(database_url, autocommit=True) as conn:
        import_sessions(conn, sessions=sessions, model=model)


@pytest.fixture(scope="session")
def yoga_imported(database_url: str) -> None:
    """The yoga training CSV imported as five labelled sessions (one per subject)."""
    _import(database_url, YOGA_CSV, format="yoga", model="yoga")


@pytest.fixture(scope="session")
def fitness_imported(database_url: str) -> None:
    _import(database_url, FITNESS_CSV, format="mlkit", model="fitness")


@pytest.fixture
def clean_registry(database_url: str) -> None:
    """Empty registry tables: every test that trains has its own model store, but the run
    shares one database, and rows of another test's store would read as this one's."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE model_versions, model_events, training_jobs")
