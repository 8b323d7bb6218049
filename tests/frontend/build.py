"""Make sure frontend/dist is built from the current sources before the browser tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
DIST_INDEX = FRONTEND / "dist" / "index.html"
SOURCES = ("src", "scripts", "index.html", "package-lock.json", "vite.config.ts")


def newest_source_mtime() -> float:
    """The latest modification time among the files the build reads."""
    newest = 0.0
    for name in SOURCES:
        path = FRONTEND / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_frontend_built() -> Path:
    """frontend/dist, rebuilt (npm ci if needed, npm run build) when older than its sources."""
    if DIST_INDEX.is_file() and DIST_INDEX.stat().st_mtime >= newest_source_mtime():
        return DIST_INDEX.parent
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("frontend/dist is missing or stale and npm is not installed to build it")
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True, capture_output=True)
    return DIST_INDEX.parent
