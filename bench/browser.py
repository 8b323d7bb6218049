"""MoveNet Lightning in headless Chromium: the page's own fps, beside the bare model's speed.

The backend serves the built page; Chromium's fake camera plays the squat video (or a test
pattern when ../shared is absent); the page streams to ingest while it is measured, first
with the model in its Web Worker (the default), then on the main thread, where the bare
model (predict on a fixed input, no video) is timed too.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

import httpx

from bench.environment import REPO_ROOT, BenchEnv
from bench.results import Figure
from tests.frontend.browser import chromium, fake_camera_file, offline_page
from tests.frontend.build import ensure_frontend_built
from tests.processes import free_port, start_service, stop_service, wait_until

SQUATS = REPO_ROOT.parent / "shared" / "media" / "pose_squats.mp4"
SECONDS = 6.0


def _camera(work_dir: Path) -> Path:
    """The squat video as a fake camera file, or ffmpeg's test pattern without ../shared."""
    target = work_dir / "camera.mjpeg"
    if SQUATS.exists():
        return fake_camera_file(SQUATS, target, filters="fps=30,scale=360:640")
    pattern = ["-f", "lavfi", "-i", "testsrc=size=360x640:rate=30", "-t", "4"]
    output = ["-q:v", "3", "-f", "mjpeg", str(target)]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *pattern, *output], check=True)
    return target


def _start_ingest(env: BenchEnv) -> tuple[object, str]:
    port = free_port()
    proc = start_service(
        "pose_ingest", env.service_env(POSE_INGEST_PORT=str(port)), env.work_dir / "logs"
    )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(base + "/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=60, what="ingest ready")
    return proc, base


def _page_fps(base: str, camera: Path, query: str) -> tuple[float, dict, float | None]:
    """The page's median fps while streaming, its stats, and (main thread) the bare model's."""
    with chromium(camera) as browser, offline_page(browser, f"{base}/?{query}") as page:
        wait_until(lambda: page.stats().get("detections", 0) > 20, timeout=120, what="detections")
        page.page.get_by_test_id("start-streaming").click()
        time.sleep(2.0)  # warm: JIT, caches, the stream open
        samples = []
        for _ in range(int(SECONDS)):
            time.sleep(1.0)
            samples.append(page.stats()["fps"])
        stats = page.stats()
        bare = None
        if "worker=0" in query:
            page.page.evaluate("window.__posestream.setDetecting(false)")
            bare = page.page.evaluate(f"window.__posestream.bareModelFps({SECONDS})")
        assert page.blocked == [], page.blocked
    return statistics.median(samples), stats, bare


def browser_fps(env: BenchEnv) -> list[Figure]:
    ensure_frontend_built()
    camera = _camera(env.work_dir)
    proc, base = _start_ingest(env)
    try:
        worker_fps, stats, _ = _page_fps(base, camera, "backend=wasm")
        main_fps, _, bare = _page_fps(base, camera, "backend=wasm&worker=0")
    finally:
        stop_service(proc)
    assert bare is not None
    baseline = "bare MoveNet Lightning predict, same run"
    return [
        Figure("browser_movenet_lightning_fps", worker_fps, "fps", bare, baseline, ">= 40"),
        Figure("browser_movenet_lightning_fps_main_thread", main_fps, "fps", bare, baseline),
        Figure(
            "browser_stream_cost_ms", stats["streamCostMs"], "ms/frame", 1.0, "target", "< 1 ms"
        ),
    ]
