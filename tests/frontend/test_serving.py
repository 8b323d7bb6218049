"""pose_ingest.frontend: the built page, its assets and model files, served by the backend."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pose_ingest.frontend import default_dist_dir, mount_frontend


def app_serving(dist: Path) -> TestClient:
    app = FastAPI()

    @app.get("/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_frontend(app, dist_dir=dist)
    return TestClient(app)


def fake_build(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "models" / "movenet-lightning").mkdir(parents=True)
    (dist / "wasm").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>PoseStream</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "models" / "movenet-lightning" / "movenet-lightning.json").write_text("{}")
    (dist / "wasm" / "tfjs-backend-wasm-simd.wasm").write_bytes(b"\0asm")
    return dist


def test_serves_the_page_assets_weights_and_wasm(tmp_path: Path) -> None:
    client = app_serving(fake_build(tmp_path))
    page = client.get("/")
    assert page.status_code == 200
    assert "PoseStream" in page.text
    assert page.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    weights = client.get("/models/movenet-lightning/movenet-lightning.json")
    assert weights.status_code == 200
    assert weights.headers["content-type"].startswith("application/json")
    wasm = client.get("/wasm/tfjs-backend-wasm-simd.wasm")
    assert wasm.headers["content-type"] == "application/wasm"
    assert client.get("/models/nothing.json").status_code == 404
    assert client.get("/v1/ping").json() == {"pong": "yes"}  # the API is untouched


def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    client = app_serving(tmp_path / "missing")
    page = client.get("/")
    assert page.status_code == 503
    assert "make frontend" in page.text
    assert client.get("/assets/index.js").status_code == 404


def test_the_default_build_is_the_checkout_frontend_dist() -> None:
    assert default_dist_dir() == Path(__file__).resolve().parents[2] / "frontend" / "dist"
