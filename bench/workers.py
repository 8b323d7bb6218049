"""Inference and exporter throughput: a pre-filled stream drained by the real worker process."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
import psycopg

from bench.environment import BenchEnv, new_session
from bench.raw import copy_rows_per_s, read_ack_frames_per_s
from bench.results import Figure
from pose_common.codec import encode_frames
from tests import factories
from tests.processes import start_service, stop_service, wait_until

FRAMES_PER_ENTRY = 30


def fill_frames(env: BenchEnv, *, session: str, entries: int, sessions: int = 1) -> None:
    """`entries` entries of 30 frames; with sessions > 1 they take turns between that many
    sessions (named after `session`), each session's seqs consecutive."""
    client = env.redis()
    bodies = [
        orjson.dumps(factories.batch(i // sessions * FRAMES_PER_ENTRY, FRAMES_PER_ENTRY, seed=i))
        for i in range(entries)
    ]
    names = [session] if sessions == 1 else [f"{session[:-4]}{k:04x}" for k in range(sessions)]
    pipe = client.pipeline(transaction=False)
    for i, body in enumerate(bodies):
        name = names[i % sessions]
        pipe.xadd(env.keys.frames, encode_frames(session=name, model="yoga", body=body))
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    client.close()


def _rate(progress: Callable[[], int], total: int, *, timeout: float) -> float:
    """Frames/s from the first observed progress until total is reached (start-up excluded)."""
    wait_until(lambda: progress() > 0, timeout=120, interval=0.02, what="first output")
    start_count, start = progress(), time.perf_counter()
    wait_until(lambda: progress() >= total, timeout=timeout, interval=0.02, what="all output")
    return (total - start_count) / (time.perf_counter() - start)


def _serve_predictions(env: BenchEnv, entries: int) -> tuple[float, float]:
    """Run the inference worker until it predicted `entries` entries: (frames/s, baseline)."""
    client = env.redis()
    proc = start_service("pose_inference", env.service_env(), env.work_dir / "logs")
    try:
        entries_per_s = _rate(lambda: client.xlen(env.keys.predictions), entries, timeout=300)
    finally:
        stop_service(proc)
    baseline = read_ack_frames_per_s(client, env.prefix + "raw:readack")
    client.close()
    return entries_per_s * FRAMES_PER_ENTRY, baseline


def inference_throughput(env: BenchEnv, *, entries: int = 3000) -> Figure:
    from pose_ml.model_store import build_mlp, publish_model

    publish_model(
        root=env.work_dir / "models",
        name="yoga",
        model=build_mlp(8, seed=0),
        labels=[f"c{i}" for i in range(8)],
    )
    fill_frames(env, session="00000000-0000-0000-0000-0000000000aa", entries=entries)
    frames_per_s, baseline = _serve_predictions(env, entries)
    return Figure(
        "inference_frames_per_s",
        frames_per_s,
        "frames/s",
        baseline,
        "XREADGROUP+decode+XACK",
        ">= 150k",
    )


def temporal_inference_throughput(
    env: BenchEnv, *, entries: int = 1500, sessions: int = 50, window: int = 30
) -> Figure:
    """A GRU over 30-frame windows: features, the shared history in Redis, the model."""
    from pose_ml.classifiers import build_temporal
    from pose_ml.features import feature_spec
    from pose_ml.model_store import publish_model

    spec = feature_spec()
    publish_model(
        root=env.work_dir / "models",
        name="yoga",
        model=build_temporal(window=window, n_features=spec.size, n_labels=4, units=32),
        labels=[f"c{i}" for i in range(4)],
        feature_spec=spec,
        window=window,
    )
    fill_frames(
        env, session="00000000-0000-0000-0000-0000000000aa", entries=entries, sessions=sessions
    )
    frames_per_s, baseline = _serve_predictions(env, entries)
    return Figure(
        "inference_temporal_frames_per_s",
        frames_per_s,
        "frames/s",
        baseline,
        "XREADGROUP+decode+XACK",
        f"none (GRU, window {window}, {sessions} sessions)",
    )


def exporter_throughput(env: BenchEnv, *, entries: int = 3000) -> Figure:
    session = new_session(env.database_url)
    fill_frames(env, session=session, entries=entries)
    total = entries * FRAMES_PER_ENTRY

    def stored() -> int:
        with psycopg.connect(env.database_url) as conn:
            return int(conn.execute("SELECT count(*) FROM frames").fetchone()[0])  # type: ignore[index]

    proc = start_service(
        "pose_exporter", env.service_env(POSE_EXPORTER_DUMP_EVERY_S="0"), env.work_dir / "logs"
    )
    try:
        rows_per_s = _rate(stored, total, timeout=300)
    finally:
        stop_service(proc)
    baseline = copy_rows_per_s(env.database_url)
    return Figure(
        "exporter_frames_per_s",
        rows_per_s,
        "frames/s",
        baseline,
        "binary COPY rows/s",
        ">= 50k and >= 0.55",
    )
