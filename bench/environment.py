"""A private database, key prefix and model directory for one benchmark run, and process helpers."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from pose_common.db.migrate import ensure_database, upgrade_database
from pose_common.streams import StreamKeys

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# POSE_ENV=test refuses the default admin token.
BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class BenchEnv:
    run_id: str
    database_url: str
    prefix: str
    work_dir: Path

    @property
    def keys(self) -> StreamKeys:
        return StreamKeys(self.prefix)

    def service_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSE_")}
        env.update(
            {
                "POSE_ENV": "test",
                "POSE_ADMIN_TOKEN": BENCH_ADMIN_TOKEN,
                "REDIS_URL": REDIS_URL,
                "DATABASE_URL": self.database_url,
                "POSE_KEY_PREFIX": self.prefix,
                "POSE_DATA_DIR": str(self.work_dir / "data"),
                "POSE_MODEL_DIR": str(self.work_dir / "models"),
                "POSE_METRICS_PORT": "0",
                "POSE_LOG_LEVEL": "WARNING",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                **extra,
            }
        )
        return env

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(REDIS_URL)


@contextmanager
def bench_env() -> Iterator[BenchEnv]:
    """Create the private database and prefix; remove both afterwards."""
    run_id = uuid.uuid4().hex[:8]
    name = f"pose_bench_{run_id}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    ensure_database(url)
    upgrade_database(url)
    with tempfile.TemporaryDirectory(prefix="posebench-") as tmp:
        env = BenchEnv(run_id, url, f"bench:{run_id}:", Path(tmp))
        try:
            yield env
        finally:
            client = env.redis()
            keys = list(client.scan_iter(match=env.prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def new_session(database_url: str, model: str = "yoga") -> str:
    sid = str(uuid.uuid4())
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO sessions (id, token_hash, model) VALUES (%s, %s, %s)",
            (sid, "0" * 64, model),
        )
    return sid
