"""The trainer processes: `worker` (training/tuning jobs), `control` (promote, roll back,
evaluate, retrain checks, and installing the default models), `beat` (the schedule).

Each is a Celery process with this package's settings, a /metrics server and a heartbeat
file written from a background thread while the broker answers.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any

from celery import signals

from pose_common.health import Heartbeat
from pose_common.logs import configure_logging
from pose_common.metrics import UP, serve_metrics
from pose_common.redis_client import connect as connect_redis
from pose_common.streams import StreamKeys
from pose_trainer import metrics as _metrics  # noqa: F401  (served from the start)
from pose_trainer import shutdown
from pose_trainer.celery_app import create_app
from pose_trainer.settings import TrainerSettings, get_settings

log = logging.getLogger(__name__)
ROLES = ("worker", "control", "beat")
SERVICE = "trainer"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pose_trainer", description=__doc__)
    parser.add_argument("role", nargs="?", default="worker", choices=ROLES)
    return parser.parse_args(argv)


def service_name(role: str) -> str:
    """As deploy/services.toml names it: trainer, trainer-control, trainer-beat."""
    return SERVICE if role == "worker" else f"{SERVICE}-{role}"


def consumer_name(role: str) -> str:
    """Unique per live process (DESIGN.md section 7)."""
    return f"{role}@{socket.gethostname()}-{os.getpid()}"


def start_heartbeat(settings: TrainerSettings, role: str) -> threading.Event:
    """Touch the heartbeat (key + file) every few seconds while Redis answers."""
    stop = threading.Event()
    client = connect_redis(settings.redis_url)
    name = consumer_name(role)
    beat = Heartbeat(
        client,
        StreamKeys(settings.key_prefix).heartbeat(service_name(role), name),
        file=settings.heartbeat_path(role),
        every_s=settings.trainer_heartbeat_every_s,
    )

    def loop() -> None:
        while not stop.is_set():
            try:
                client.ping()
                beat.beat({"status": "ok", "role": role, "consumer": name}, force=True)
            except Exception as exc:  # broker down: no beat, so the healthcheck fails
                log.warning("heartbeat skipped: %s", exc)
            stop.wait(settings.trainer_heartbeat_every_s)

    threading.Thread(target=loop, name="heartbeat", daemon=True).start()
    return stop


def prepare_control(settings: TrainerSettings) -> None:
    """The schema up to date and the shipped default models installed where none exist."""
    from pose_common.db.migrate import ensure_database, upgrade_database

    ensure_database(settings.database_url)
    upgrade_database(settings.database_url)
    if settings.trainer_seed_defaults:
        from pose_trainer.defaults import seed_default_models

        seed_default_models(settings=settings, actor="trainer-control")


@signals.worker_shutting_down.connect
def _on_shutdown(**_: Any) -> None:
    shutdown.request_stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    app = create_app(settings)
    serve_metrics(settings.metrics_port)
    if args.role == "control":
        prepare_control(settings)
    stop_heartbeat = start_heartbeat(settings, args.role)
    service = service_name(args.role)
    UP.labels(service).set(1)
    level = settings.log_level.upper()
    try:
        if args.role == "beat":
            schedule = settings.data_dir / "celerybeat-schedule"
            schedule.parent.mkdir(parents=True, exist_ok=True)
            app.start(["beat", "--schedule", str(schedule), "--loglevel", level])
        else:
            queue = (
                settings.trainer_queue if args.role == "worker" else settings.trainer_control_queue
            )
            app.worker_main(
                [
                    "worker",
                    "--queues",
                    queue,
                    "--pool",
                    "solo",
                    "--concurrency",
                    "1",
                    "--hostname",
                    consumer_name(args.role),
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    level,
                ]
            )
    finally:
        stop_heartbeat.set()
        UP.labels(service).set(0)
    return 0
