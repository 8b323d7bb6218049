"""`python -m pose_ingest`: serve the ingest app with uvicorn on POSE_INGEST_HOST:PORT."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from pose_common.logs import configure_logging
from pose_ingest.app import create_app
from pose_ingest.settings import IngestSettings, get_settings

# Room for the WebSocket frame header and permessage-deflate slack above the body limit.
WS_MAX_SIZE_SLACK = 1024


def server_config(app: FastAPI, settings: IngestSettings, **overrides: object) -> uvicorn.Config:
    """The uvicorn configuration for this service (tests reuse it with port 0)."""
    options: dict[str, object] = {
        "host": settings.ingest_host,
        "port": settings.ingest_port,
        "ws_max_size": settings.ingest_max_body_bytes + WS_MAX_SIZE_SLACK,
        "ws_per_message_deflate": settings.ingest_ws_per_message_deflate,
        "timeout_graceful_shutdown": settings.ingest_graceful_shutdown_s,
        "proxy_headers": True,
        "access_log": False,  # one line per batch is far too many at 100k frames/s
        "log_config": None,  # keep the structured logging configured in main()
        "lifespan": "on",
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)  # type: ignore[arg-type]


def main() -> None:
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    uvicorn.Server(server_config(create_app(settings), settings)).run()


if __name__ == "__main__":
    main()
