"""`make run`: the whole PoseStream backend as local processes, supervised.

Finds Redis and PostgreSQL (REDIS_URL / DATABASE_URL, else the local defaults, else private
servers under var/), creates and migrates the database, then starts every service listed in
deploy/services.toml with the same command as docker-compose.yml, logging to var/log/<name>.log.
A crashed service is restarted with backoff; Ctrl-C or SIGTERM stops everything gracefully.

    uv run python scripts/run_stack.py [--dry-run] [--private-servers] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from devstack import REPO_ROOT
from devstack.servers import (
    ServerPlan,
    StackError,
    init_postgres_cluster,
    plan_postgres,
    plan_redis,
    postgres_reachable,
    redis_reachable,
)
from devstack.services import (
    CHILD_DEFAULTS,
    ProcessSpec,
    base_environment,
    build_process,
    load_services,
)
from devstack.supervisor import Supervisor, tail
from sqlalchemy.engine import make_url

from pose_common.db.migrate import ensure_database, upgrade_database
from pose_common.healthcheck import url_is_healthy

SERVER_TIER, SERVICE_TIER = 0, 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the plan as JSON and exit")
    parser.add_argument(
        "--private-servers", action="store_true", help="always use private Redis/PostgreSQL"
    )
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / "var", help="run state")
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to wait on stop")
    return parser.parse_args(argv)


def shown_env(env: dict[str, str]) -> dict[str, str]:
    """The part of a child's environment that PoseStream reads, secrets masked."""
    keep = {"REDIS_URL", "DATABASE_URL", *CHILD_DEFAULTS}
    shown = {k: v for k, v in sorted(env.items()) if k.startswith("POSE_") or k in keep}
    if "POSE_ADMIN_TOKEN" in shown:
        shown["POSE_ADMIN_TOKEN"] = "***"
    shown["DATABASE_URL"] = make_url(shown["DATABASE_URL"]).render_as_string(hide_password=True)
    return shown


def describe(plans: list[ServerPlan], processes: list[ProcessSpec], state_dir: Path) -> dict:
    """The resolved plan, as --dry-run prints it."""
    servers: dict[str, Any] = {
        plan.kind: {
            "url": plan.url,
            "private": plan.private is not None or plan.reused_private,
            "argv": list(plan.private.argv) if plan.private else None,
        }
        for plan in plans
    }
    services = [
        {
            "name": p.name,
            "argv": list(p.argv),
            "log_file": str(p.log_file),
            "health_url": p.health_url,
            "heartbeat_file": str(p.heartbeat_file) if p.heartbeat_file else None,
            "env": shown_env(p.env),
        }
        for p in processes
    ]
    return {"state_dir": str(state_dir), **servers, "services": services}


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    child_alive: Callable[[], bool],
    log_file: Path,
    stop: threading.Event,
    timeout_s: float = 30.0,
) -> None:
    """Block until ready() holds; a dead child, a stop request or the timeout raise StackError."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if stop.is_set():
            raise StackError(f"stopped while waiting for {what}")
        if not child_alive():
            detail = "\n  ".join(tail(log_file, lines=10))
            raise StackError(f"{what} exited during start-up; {log_file}:\n  {detail}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} not ready after {timeout_s:g} s; see {log_file}")
        time.sleep(0.2)


def start_servers(supervisor: Supervisor, plans: list[ServerPlan], stop: threading.Event) -> None:
    """Start the private servers that the plans call for and wait until they answer."""
    for plan in plans:
        if plan.reused_private:
            print(f"using the private {plan.kind} already running at {plan.url}")
        if plan.private is None:
            continue
        spec = plan.private
        if plan.kind == "postgres":
            init_postgres_cluster(spec)
        print(f"starting a private {plan.kind} at {plan.url} (log: {spec.log_file})")
        supervisor.start(spec, tier=SERVER_TIER)
        probe = redis_reachable if plan.kind == "redis" else postgres_reachable
        wait_until(
            lambda url=plan.url, probe=probe: probe(url),
            what=f"private {plan.kind}",
            child_alive=lambda name=spec.name: supervisor.running(name),
            log_file=spec.log_file,
            stop=stop,
        )


def prepare_database(database_url: str) -> None:
    """Create the database when missing and apply the migrations (idempotent, locked)."""
    if ensure_database(database_url):
        print(f"created database {make_url(database_url).database}")
    upgrade_database(database_url)


def on_stop_signals(stop: threading.Event) -> None:
    """SIGINT/SIGTERM ask the main loop to stop the children gracefully."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            print(f"\n{signal.Signals(signum).name}: stopping PoseStream ...")
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def supervise(supervisor: Supervisor, processes: list[ProcessSpec], stop: threading.Event) -> None:
    """Start the services, say where to go once ingest answers, restart crashes until stopped."""
    for process in processes:
        supervisor.start(process, tier=SERVICE_TIER)
    pending = [p for p in processes if p.health_url]
    while not stop.wait(0.5):
        supervisor.poll()
        for process in list(pending):
            if url_is_healthy(process.health_url or "", timeout_s=0.5):
                pending.remove(process)
                port = urlsplit(process.health_url).port
                print(f"PoseStream is up: http://localhost:{port}  (API docs at /docs)")
                print(f"logs in {process.log_file.parent}/<service>.log; Ctrl-C stops everything")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # piped to a log too
    state_dir = args.state_dir.resolve()
    private = args.private_servers
    try:
        plans = [
            plan_redis(environ=os.environ, state_dir=state_dir, force_private=private),
            plan_postgres(environ=os.environ, state_dir=state_dir, force_private=private),
        ]
    except StackError as error:
        print(f"run_stack: {error}", file=sys.stderr)
        return 1
    env = base_environment(redis_url=plans[0].url, database_url=plans[1].url, state_dir=state_dir)
    processes = [
        build_process(spec, base_env=env, state_dir=state_dir, python=sys.executable)
        for spec in load_services()
    ]
    if args.dry_run:
        print(json.dumps(describe(plans, processes, state_dir), indent=2))
        return 0
    stop = threading.Event()
    on_stop_signals(stop)
    supervisor = Supervisor(say=print)
    code = 0
    try:
        start_servers(supervisor, plans, stop)
        prepare_database(plans[1].url)
        supervise(supervisor, processes, stop)
    except StackError as error:
        print(f"run_stack: {error}", file=sys.stderr)
        code = 1
    finally:
        supervisor.stop_all(grace_s=args.grace)
    return code


if __name__ == "__main__":
    sys.exit(main())
