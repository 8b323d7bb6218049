"""Find the Redis and PostgreSQL `make run` talks to, or plan private ones under var/.

The URLs come from REDIS_URL / DATABASE_URL, defaulting to the local servers.  A private server
is started only when the default one is unreachable (or --private-servers asks for it) and its
binaries are installed; an explicitly configured URL that does not answer is an error, because
silently writing somewhere else would surprise whoever set it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

from devstack.services import ProcessSpec

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/posestream"
PRIVATE_REDIS_PORT = 6380
PRIVATE_POSTGRES_PORT = 5433


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do."""


@dataclass(frozen=True, slots=True)
class ServerPlan:
    """Where a server is, and the process to start when it is a private one."""

    kind: str
    url: str
    private: ProcessSpec | None = None
    reused_private: bool = False


def redis_reachable(url: str, *, timeout_s: float = 1.0) -> bool:
    """True when a Redis server answers PING at url."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def maintenance_url(database_url: str) -> str:
    """The same server's `postgres` database, which exists before ours does."""
    url = make_url(database_url).set(database="postgres", drivername="postgresql")
    return url.render_as_string(hide_password=False)


def postgres_reachable(database_url: str, *, timeout_s: float = 2.0) -> bool:
    """True when the PostgreSQL server of database_url accepts a connection."""
    try:
        with psycopg.connect(maintenance_url(database_url), connect_timeout=max(1, int(timeout_s))):
            return True
    except psycopg.Error:
        return False


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's /usr/lib/postgresql/N/bin, else PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def plan_redis(*, environ: Mapping[str, str], state_dir: Path, force_private: bool) -> ServerPlan:
    """Use the configured/default Redis, or plan a private one (AOF on, noeviction)."""
    explicit = environ.get("REDIS_URL") or environ.get("POSE_REDIS_URL")
    url = explicit or DEFAULT_REDIS_URL
    if not force_private and redis_reachable(url):
        return ServerPlan("redis", url)
    if explicit and not force_private:
        raise StackError(f"Redis at {url} (REDIS_URL) is not reachable")
    port = int(environ.get("POSE_PRIVATE_REDIS_PORT", PRIVATE_REDIS_PORT))
    private_url = f"redis://127.0.0.1:{port}/0"
    if redis_reachable(private_url):
        return ServerPlan("redis", private_url, reused_private=True)
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError(f"no Redis at {url} and no redis-server binary to start a private one")
    data_dir = state_dir / "redis"
    argv = (binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir))
    argv += ("--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "")
    log_file = state_dir / "log" / "redis.log"
    spec = ProcessSpec("redis", argv, dict(os.environ), log_file, dirs=(data_dir,))
    return ServerPlan("redis", private_url, private=spec)


def plan_postgres(
    *, environ: Mapping[str, str], state_dir: Path, force_private: bool
) -> ServerPlan:
    """Use the configured/default PostgreSQL, or plan a private cluster under state_dir."""
    explicit = environ.get("DATABASE_URL") or environ.get("POSE_DATABASE_URL")
    url = explicit or DEFAULT_DATABASE_URL
    if not force_private and postgres_reachable(url):
        return ServerPlan("postgres", url)
    if explicit and not force_private:
        raise StackError(f"PostgreSQL at {url} (DATABASE_URL) is not reachable")
    port = int(environ.get("POSE_PRIVATE_POSTGRES_PORT", PRIVATE_POSTGRES_PORT))
    database = make_url(url).database or "posestream"
    private_url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
    if postgres_reachable(private_url):
        return ServerPlan("postgres", private_url, reused_private=True)
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise StackError(f"no PostgreSQL at {url} and no initdb/postgres to start a private one")
    data_dir = state_dir / "postgres" / "data"
    argv = (str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port))
    # TCP on loopback only; no Unix socket, so no socket directory has to be writable.
    argv += ("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=")
    spec = ProcessSpec(
        "postgres",
        argv,
        dict(os.environ),
        state_dir / "log" / "postgres.log",
        user=server_user(),
        stop_signal=signal.SIGINT,  # "fast" shutdown: do not wait for clients to leave
    )
    return ServerPlan("postgres", private_url, private=spec)


def server_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as the `postgres` account then."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise StackError("as root, a private server needs a `postgres` account") from error
    return "postgres"


def init_postgres_cluster(spec: ProcessSpec) -> None:
    """initdb the private cluster's data directory once (trust auth, user postgres)."""
    data_dir = Path(spec.argv[spec.argv.index("-D") + 1])
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    if spec.user:
        shutil.chown(data_dir, user=spec.user, group=spec.user)
    data_dir.chmod(0o700)
    initdb = str(Path(spec.argv[0]).with_name("initdb"))
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_file.open("ab") as log:
        result = subprocess.run(
            [initdb, "-D", str(data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=spec.user,
            group=spec.user,
            extra_groups=[] if spec.user else None,
            check=False,
        )
    if result.returncode != 0:
        reach = f" (can the {spec.user} account reach {data_dir}?)" if spec.user else ""
        raise StackError(f"initdb failed{reach}; see {spec.log_file}")
