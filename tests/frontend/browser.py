"""Headless Debian Chromium with a fake camera, offline: only localhost may be reached."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without these Chromium stalls on the closed network (DESIGN.md section 3).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "frontend"


def require_tools() -> None:
    for tool in (CHROMIUM, Path("/usr/bin/ffmpeg")):
        if not tool.exists():
            pytest.skip(f"{tool} is missing: scripts/ensure_system_packages.sh installs it")


def fake_camera_file(source: Path, target: Path, *, filters: str) -> Path:
    """Convert a video or image to the MJPEG Chromium's fake camera plays (in a loop)."""
    command = ["ffmpeg", "-loglevel", "error", "-y"]
    if source.suffix.lower() in {".jpg", ".jpeg", ".png"}:
        command += ["-loop", "1", "-t", "2"]
    command += ["-i", str(source), "-vf", filters, "-q:v", "3", "-f", "mjpeg", str(target)]
    subprocess.run(command, check=True)
    return target


@dataclass
class OfflinePage:
    """A page whose requests outside localhost are refused (and remembered)."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def stats(self) -> dict:
        return self.page.evaluate("window.__posestream ? window.__posestream.stats() : {}")


@contextmanager
def chromium(camera: Path | None = None) -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded one), with `camera` as the fake webcam."""
    args = list(CHROMIUM_FLAGS)
    if camera is not None:
        args += [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    with sync_playwright() as playwright:
        browser = _launch(playwright, args)
        try:
            yield browser
        finally:
            browser.close()


def _launch(playwright: Playwright, args: list[str]) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


@contextmanager
def offline_page(browser: Browser, url: str) -> Iterator[OfflinePage]:
    """Open url in a fresh context that may reach only localhost."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    offline = OfflinePage(page)

    def only_local(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            offline.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page.on("console", lambda message: offline.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: offline.console.append(f"pageerror: {error}"))
    page.goto(url)
    try:
        yield offline
    finally:
        context.close()
