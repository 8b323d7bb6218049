"""POSE_INGEST_FRONTEND_DIR points ingest at a built page outside the checkout (the image's)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from pose_ingest.app import create_app
from tests.ingest.conftest import SettingsFactory


def test_configured_frontend_dir_is_served(make_settings: SettingsFactory, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>configured build</title>")
    (dist / "assets" / "app.js").write_text("console.log('x')")
    app = create_app(make_settings(ingest_frontend_dir=dist))
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "configured build" in page.text
        assert client.get("/assets/app.js").text == "console.log('x')"
