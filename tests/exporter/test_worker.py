"""`python -m pose_exporter` as a real process: kill -9 mid-stream, SIGTERM, dumps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from pose_common.streams import StreamKeys
from tests.exporter.support import add_batch, backlog, count_frames
from tests.processes import kill_hard, start_service, stop_service, tail, wait_until

FAST = {
    "POSE_EXPORTER_BLOCK_MS": "100",
    "POSE_EXPORTER_BATCH_ENTRIES": "16",
    "POSE_EXPORTER_RECLAIM_IDLE_MS": "1000",
    "POSE_EXPORTER_RECLAIM_EVERY_S": "0.5",
    "POSE_EXPORTER_DUMP_EVERY_S": "0",
}


class Feeder(threading.Thread):
    """XADDs `entries` batches of `size` frames, one every `pause_s`, from its own thread."""

    def __init__(
        self, redis_url: str, stream: str, session: str, *, entries: int, size: int, pause_s: float
    ) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.stream, self.session = stream, session
        self.entries, self.size, self.pause_s = entries, size, pause_s
        self.stop = threading.Event()

    def run(self) -> None:
        for i in range(self.entries):
            if self.stop.is_set():
                break
            add_batch(
                self.client, self.stream, session=self.session, start=i * self.size, count=self.size
            )
            time.sleep(self.pause_s)
        self.client.close()


def start_exporter(env: dict[str, str], logs: Path, tag: str) -> subprocess.Popen:
    proc = start_service("pose_exporter", env, logs, tag=tag)
    heartbeat = Path(env["POSE_DATA_DIR"]) / "heartbeat" / "exporter.json"
    if heartbeat.exists():
        heartbeat.unlink()
    wait_until(
        lambda: heartbeat.exists() or proc.poll() is not None, timeout=60, what="exporter start"
    )
    assert proc.poll() is None, tail(logs / f"pose_exporter{tag}.log")
    return proc


def kill_while_holding_entries(proc: subprocess.Popen, client: redis.Redis, stream: str) -> int:
    """Freeze the process until a moment it holds read-but-unacknowledged entries, then
    SIGKILL it there; returns how many entries it left pending."""
    for _ in range(500):
        os.kill(proc.pid, signal.SIGSTOP)
        pending = backlog(client, stream)[1]
        if pending > 0:
            kill_hard(proc)
            return pending
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.003)
    kill_hard(proc)
    return 0


@pytest.mark.slow
def test_kill_9_mid_stream_then_a_new_process_stores_every_frame_once(
    service_env: dict[str, str],
    redis_client: redis.Redis,
    redis_url: str,
    keys: StreamKeys,
    database_url: str,
    new_session: Callable[[], str],
    tmp_path: Path,
) -> None:
    session, logs = new_session(), tmp_path / "logs"
    env = {**service_env, **FAST}
    procs = [start_exporter(env, logs, "-1")]
    feeder = Feeder(redis_url, keys.frames, session, entries=400, size=50, pause_s=0.01)
    feeder.start()
    try:
        wait_until(
            lambda: count_frames(database_url, session)[0] >= 3000,
            timeout=60,
            what="the first rows",
        )
        left_pending = kill_while_holding_entries(procs[0], redis_client, keys.frames)
        stored_at_kill = count_frames(database_url, session)[0]
        assert 0 < stored_at_kill < 20_000, "the kill must land mid-stream"
        assert left_pending > 0, "the killed process should hold unacknowledged entries"

        procs.append(start_exporter(env, logs, "-2"))  # a new consumer name: must reclaim
        feeder.join(timeout=60)
        wait_until(
            lambda: backlog(redis_client, keys.frames) == (0, 0),
            timeout=90,
            what="the exporter group to catch up",
        )
        assert count_frames(database_url, session) == (20_000, 20_000)
        assert redis_client.xlen(keys.dead_letter(keys.frames)) == 0
        assert stop_service(procs[1]) == 0, tail(logs / "pose_exporter-2.log")
    finally:
        feeder.stop.set()
        for proc in procs:
            if proc.poll() is None:
                kill_hard(proc)


def test_sigterm_finishes_the_batch_and_exits_0_with_nothing_pending(
    service_env: dict[str, str],
    redis_client: redis.Redis,
    redis_url: str,
    keys: StreamKeys,
    database_url: str,
    new_session: Callable[[], str],
    tmp_path: Path,
) -> None:
    session, logs = new_session(), tmp_path / "logs"
    env = {**service_env, **FAST, "POSE_EXPORTER_DUMP_EVERY_S": "0.5"}
    dumps = Path(env["POSE_DATA_DIR"]) / "dumps"
    # Recorded as dumped up to the future: only what this process writes gets dumped.
    dumps.mkdir(parents=True)
    clean_before = datetime.now(UTC) + timedelta(hours=1)
    (dumps / "state.json").write_text(json.dumps({"clean_before": clean_before.isoformat()}))
    proc = start_exporter(env, logs, "")
    feeder = Feeder(redis_url, keys.frames, session, entries=4000, size=30, pause_s=0.005)
    feeder.start()
    try:
        wait_until(
            lambda: count_frames(database_url, session)[0] >= 600, timeout=60, what="first rows"
        )
        dump = dumps / "sessions" / f"{session}.csv"
        wait_until(dump.exists, timeout=60, what="the session's dump")
        heartbeat = Path(env["POSE_DATA_DIR"]) / "heartbeat" / "exporter.json"
        status = json.loads(heartbeat.read_text())
        assert status["service"] == "exporter" and status["database"] == "up"

        assert feeder.is_alive(), "SIGTERM should arrive while frames still flow"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, tail(logs / "pose_exporter.log")
        assert time.monotonic() - started < 5
        assert backlog(redis_client, keys.frames)[1] == 0
        assert backlog(redis_client, keys.predictions)[1] == 0
        stored, distinct = count_frames(database_url, session)
        assert stored == distinct >= 600
        assert [p for p in dumps.rglob("*") if p.suffix == ".tmp"] == []
    finally:
        feeder.stop.set()
        feeder.join(timeout=10)
        stop_service(proc)
