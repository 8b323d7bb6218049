"""Serve the built browser app (frontend/dist): the page, its assets, model weights, wasm.

Everything the page loads comes from here, so it never needs a CDN or model hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

INDEX = "index.html"
# Vite names assets by content hash; models and wasm change only with a new build.
STATIC_DIRS = {
    "assets": "public, max-age=31536000, immutable",
    "models": "public, max-age=86400",
    "wasm": "public, max-age=86400",
}
NOT_BUILT = """<!doctype html><title>PoseStream</title>
<h1>The capture page is not built</h1>
<p>Run <code>make frontend</code> (or <code>make run</code>), then reload.
The API is up: see <a href="/docs">/docs</a>.</p>"""


def default_dist_dir() -> Path:
    """frontend/dist of the source checkout this module runs from."""
    return Path(__file__).resolve().parents[4] / "frontend" / "dist"


class CachedStaticFiles(StaticFiles):
    """Static files with a Cache-Control header and same-origin resource policy."""

    def __init__(self, *, directory: Path, cache_control: str) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.cache_control = cache_control

    async def check_config(self) -> None:
        # A missing build answers 404 per file (the page explains), not a 500.
        return None

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = self.cache_control
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def mount_frontend(app: FastAPI, *, dist_dir: Path) -> None:
    """Serve the app at / and its files under /assets, /models and /wasm.

    Without a build, / explains how to make one (503) rather than answering 404.
    """
    index = dist_dir / INDEX

    async def page() -> Response:
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route(f"/{INDEX}", page, methods=["GET", "HEAD"], include_in_schema=False)
    for name, cache_control in STATIC_DIRS.items():
        app.mount(
            f"/{name}",
            CachedStaticFiles(directory=dist_dir / name, cache_control=cache_control),
            name=f"frontend-{name}",
        )
