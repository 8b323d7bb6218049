"""The exporter worker: group "exporter" on the frames and predictions streams -> PostgreSQL.

main() migrates the schema, opens the pool, the metrics server and the signal handlers, then
runs ExporterWorker: one thread per stream consumer (frames x N, predictions x 1), one for
the dumps, and the main thread beating the heartbeat while every consumer loop is alive.
SIGTERM stops every consumer after the batch in hand (committed, then acknowledged).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from psycopg_pool import ConnectionPool

from pose_common import metrics as common_metrics
from pose_common.consumer import ConsumerConfig, Handler, StreamConsumer
from pose_common.db.migrate import upgrade_database
from pose_common.health import Heartbeat
from pose_common.logs import configure_logging
from pose_common.metrics import serve_metrics
from pose_common.redis_client import connect
from pose_common.shutdown import on_termination
from pose_common.streams import GROUP_EXPORTER, StreamKeys
from pose_exporter.database import DatabaseGate, open_pool
from pose_exporter.dumps import Dumper, DumpTracker
from pose_exporter.settings import ExporterSettings, get_settings
from pose_exporter.writer import FramesWriter, PredictionsWriter

log = logging.getLogger(__name__)

SERVICE = "exporter"
STALE_LOOP_S = 60.0  # a consumer loop silent this long is stuck: stop beating
JOIN_TIMEOUT_S = 60.0  # longest wait for a batch in hand at shutdown


class ConsumerLoop:
    """One StreamConsumer on its own thread: rides out Redis hiccups, pauses while
    PostgreSQL is down, and stops the whole worker if anything else goes wrong."""

    def __init__(
        self,
        *,
        consumer: StreamConsumer,
        gate: DatabaseGate,
        client: redis.Redis,
        on_failure: Callable[[], None],
    ) -> None:
        self.consumer = consumer
        self.gate = gate
        self.client = client
        self.on_failure = on_failure
        self.failed = False
        self.last_seen = time.monotonic()
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=consumer.config.consumer, daemon=True)

    def stop(self) -> None:
        self._stopping.set()
        self.consumer.stop()

    @property
    def healthy(self) -> bool:
        fresh = time.monotonic() - self.last_seen < STALE_LOOP_S
        return self.thread.is_alive() and not self.failed and fresh

    def idle(self) -> None:
        """Between batches: note progress; hold on while PostgreSQL is unreachable."""
        self._touch()
        if self.gate.is_down:
            self.gate.wait_until_up(stop=self._stopping, on_wait=self._touch)

    def _touch(self) -> None:
        self.last_seen = time.monotonic()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.consumer.run(idle_hook=self.idle)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("%s: Redis unavailable (%s); retrying", self.thread.name, exc)
                self._stopping.wait(1.0)
            except Exception:
                log.exception("%s: consumer loop failed; stopping the worker", self.thread.name)
                self.failed = True
                self.on_failure()
                return
        log.info("%s stopped after %d entries", self.thread.name, self.consumer.processed)


@dataclass(slots=True)
class ExporterWorker:
    """The consumer loops, the dumper and the heartbeat of one exporter process."""

    loops: list[ConsumerLoop]
    dumper: Dumper | None
    heartbeat: Heartbeat
    gate: DatabaseGate
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        """Ask every loop to finish the batch in hand, acknowledge it and return."""
        self.stop_event.set()
        for loop in self.loops:
            loop.stop()

    def run(self) -> int:
        """Run until stop(); 0 after a clean stop, 1 when a consumer loop failed."""
        dump_thread = None
        if self.dumper is not None:
            dump_thread = threading.Thread(target=self.dumper.run, name="dumps", daemon=True)
            dump_thread.start()
        for loop in self.loops:
            loop.thread.start()
        common_metrics.UP.labels(SERVICE).set(1)
        while not self.stop_event.wait(1.0):
            self.beat()
        self.stop()  # the event may come from a failed loop: stop the others too
        common_metrics.UP.labels(SERVICE).set(0)
        for loop in self.loops:
            loop.thread.join(timeout=JOIN_TIMEOUT_S)
        if dump_thread is not None:
            dump_thread.join(timeout=10.0)
        return 1 if any(loop.failed or loop.thread.is_alive() for loop in self.loops) else 0

    def beat(self) -> None:
        """Heartbeat only while every consumer loop makes progress."""
        if not all(loop.healthy for loop in self.loops):
            return
        status = {
            "service": SERVICE,
            "database": "down" if self.gate.is_down else "up",
            "processed": {loop.thread.name: loop.consumer.processed for loop in self.loops},
        }
        try:
            self.heartbeat.beat(status)
        except redis.RedisError as exc:
            log.warning("heartbeat failed: %s", exc)

    def close(self) -> None:
        for loop in self.loops:
            loop.client.close()
        self.heartbeat.client.close()


def consumer_config(*, settings: ExporterSettings, stream: str, keys: StreamKeys) -> ConsumerConfig:
    """The exporter group's consumer settings for one stream."""
    return ConsumerConfig(
        stream=stream,
        group=GROUP_EXPORTER,
        batch_entries=settings.exporter_batch_entries,
        block_ms=settings.exporter_block_ms,
        reclaim_idle_ms=settings.exporter_reclaim_idle_ms,
        reclaim_every_s=settings.exporter_reclaim_every_s,
        max_deliveries=settings.exporter_max_deliveries,
        dead_letter_stream=keys.dead_letter(stream),
        service=SERVICE,
    )


def build_worker(*, settings: ExporterSettings, pool: ConnectionPool) -> ExporterWorker:
    """Wire the worker from settings: Redis clients of its own, the given pool."""
    keys = StreamKeys(settings.key_prefix)
    gate = DatabaseGate(pool)
    tracker = DumpTracker() if settings.exporter_dump_every_s > 0 else None
    frames = FramesWriter(gate=gate, on_stored=tracker.mark if tracker else None)
    handlers: list[tuple[str, Handler]] = [
        (keys.frames, frames) for _ in range(settings.exporter_frames_consumers)
    ]
    handlers.append((keys.predictions, PredictionsWriter(gate=gate)))
    stop_event = threading.Event()
    loops: list[ConsumerLoop] = []
    for stream, handler in handlers:
        client = connect(settings.redis_url)
        config = consumer_config(settings=settings, stream=stream, keys=keys)
        consumer = StreamConsumer(client, config, handler)
        loops.append(
            ConsumerLoop(consumer=consumer, gate=gate, client=client, on_failure=stop_event.set)
        )
    dumper = None
    if tracker is not None:
        dumper = Dumper(
            pool=pool,
            root=settings.dumps_dir,
            tracker=tracker,
            every_s=settings.exporter_dump_every_s,
            stop=stop_event,
        )
    heartbeat_client = connect(settings.redis_url)
    heartbeat = Heartbeat(
        heartbeat_client,
        keys.heartbeat(SERVICE, loops[0].consumer.config.consumer),
        file=settings.heartbeat_path,
    )
    return ExporterWorker(loops, dumper, heartbeat, gate, stop_event)


def main() -> int:
    """Entry point of `python -m pose_exporter`; the exit status."""
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    upgrade_database(settings.database_url)
    pool = open_pool(
        url=settings.psycopg_url,
        max_size=settings.exporter_frames_consumers + 3,  # + predictions, dumps, outage pings
        timeout_s=settings.exporter_db_timeout_s,
    )
    worker = build_worker(settings=settings, pool=pool)
    try:
        serve_metrics(settings.metrics_port)
        on_termination(worker.stop)
        log.info(
            "exporter consumers %s on %s",
            [loop.thread.name for loop in worker.loops],
            sorted({loop.consumer.config.stream for loop in worker.loops}),
        )
        return worker.run()
    finally:
        worker.close()
        pool.close()
