"""Analysis of a 1-hour session (108,000 frames at 30 fps) read from PostgreSQL.

The session (synthetic squats, 3 px jitter) is stored with binary COPY, then analysed by a
fresh process exactly as the report endpoint does (server-side cursor in chunks, One Euro,
angles, every exercise's counter, timeline), twice: the whole hour and its first 6 minutes.
Memory is flat when the hour's peak RSS growth is about the 6 minutes'.  The baseline is the
raw time to read the same rows with psycopg's default types and no analysis at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psycopg

from bench.environment import REPO_ROOT, BenchEnv, new_session
from bench.results import Figure
from pose_ml.analysis.synthetic import synthetic_recording
from tests.ml.analysis.recordings import store_recording

FRAMES = 108_000  # one hour at 30 fps
SHORT_WINDOW_S = 360.0  # the 6-minute comparison for "memory flat"

# Runs in a fresh interpreter, so its peak RSS is the analysis' own.
_ANALYSE = """
import json, sys, threading, time
import psutil, psycopg
from pose_ml.analysis import storage
from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import SessionAnalyzer

url, session_id, end_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
process, peak, done = psutil.Process(), [0], threading.Event()

def sample() -> None:
    while not done.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.005)

with psycopg.connect(url) as conn:
    analyzer = SessionAnalyzer(default_exercises())
    before = process.memory_info().rss
    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    storage.analyse_stored_session(
        conn, session_id=session_id, model="yoga", analyzer=analyzer, window_s=(None, end_s)
    )
    report = analyzer.result().to_dict()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
print(json.dumps({"seconds": seconds, "rss_growth_mb": (peak[0] - before) / 2**20,
                  "frames": report["frames"], "squats": report["exercises"]["squat"]["count"]}))
"""


def _store_hour(database_url: str, session_id: str) -> None:
    times, keypoints = synthetic_recording(
        "squat", reps=FRAMES // 90 + 1, fps=30.0, period_s=2.0, rest_s=1.0, noise_px=3.0
    )
    with psycopg.connect(database_url) as conn:
        store_recording(
            conn, session_id=session_id, times=times[:FRAMES], keypoints=keypoints[:FRAMES]
        )
        conn.execute("ANALYZE frames")


def _raw_read_seconds(database_url: str, session_id: str) -> float:
    """Read the same rows through a server-side cursor with psycopg's default loaders."""
    with psycopg.connect(database_url) as conn, conn.cursor(name="raw") as cursor:
        start = time.perf_counter()
        cursor.execute(
            "SELECT t, keypoints FROM frames WHERE session_id = %s AND person = 0 ORDER BY seq",
            (session_id,),
        )
        rows = 0
        while chunk := cursor.fetchmany(5000):
            rows += len(chunk)
        elapsed = time.perf_counter() - start
    assert rows == FRAMES, rows
    return elapsed


def _analyse(database_url: str, session_id: str, end_s: float) -> dict[str, float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _ANALYSE, database_url, session_id, str(end_s)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=600,
    )
    return json.loads(out.stdout)


def analysis_speed(env: BenchEnv) -> list[Figure]:
    session_id = new_session(env.database_url)
    _store_hour(env.database_url, session_id)
    baseline = min(_raw_read_seconds(env.database_url, session_id) for _ in range(2))
    hour = _analyse(env.database_url, session_id, float("inf"))
    short = _analyse(env.database_url, session_id, SHORT_WINDOW_S)
    assert hour["frames"] == FRAMES, hour
    print(
        f"  analysed {hour['frames']:,} frames in {hour['seconds']:.2f} s "
        f"({hour['frames'] / hour['seconds']:,.0f} frames/s), {hour['squats']:,.0f} squats; "
        f"peak RSS growth {hour['rss_growth_mb']:.1f} MB (6 min: {short['rss_growth_mb']:.1f} MB)",
        flush=True,
    )
    return [
        Figure("analysis_1h_seconds", hour["seconds"], "s", baseline, "raw row read", "< 10 s"),
        Figure(
            "analysis_1h_rss_growth_mb",
            hour["rss_growth_mb"],
            "MB",
            short["rss_growth_mb"],
            "same, first 6 min",
            "flat (~6 min's)",
        ),
    ]
