"""The ingest application: built by create_app(settings); resources opened in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool, PoolTimeout
from redis.exceptions import RedisError

from pose_common.contracts import Batch
from pose_common.redis_client import connect_async
from pose_common.streams import StreamKeys
from pose_ingest.backpressure import BackpressureMonitor
from pose_ingest.frontend import default_dist_dir, mount_frontend
from pose_ingest.publisher import FramePublisher
from pose_ingest.relay import PredictionHub, PredictionRelay
from pose_ingest.routes import frames, health, models_admin, read, report, sessions, stream
from pose_ingest.session_store import SessionStore
from pose_ingest.settings import IngestSettings, get_settings
from pose_ingest.state import IngestState

log = logging.getLogger(__name__)
RETRY_LATER = {"Retry-After": "1"}
STOP_TIMEOUT_S = 3.0


def open_state(settings: IngestSettings) -> IngestState:
    """Clients and helpers of one process (nothing connects until used or opened)."""
    keys = StreamKeys(settings.key_prefix)
    client = connect_async(settings.redis_url)
    pool = ConnectionPool(
        settings.psycopg_url,
        min_size=1,
        max_size=8,
        open=False,
        timeout=5.0,
        check=ConnectionPool.check_connection,  # a restarted PostgreSQL hands out no dead ones
        name="ingest",
        kwargs={"application_name": "pose-ingest"},
    )
    hub = PredictionHub()
    return IngestState(
        settings=settings,
        redis=client,
        pool=pool,
        sessions=SessionStore(pool, cache_size=settings.ingest_session_cache_size),
        publisher=FramePublisher(client, stream=keys.frames),
        backpressure=BackpressureMonitor(
            client,
            stream=keys.frames,
            max_lag_entries=settings.ingest_max_lag_entries,
            interval_s=settings.ingest_backpressure_interval_s,
            retry_after_ms=settings.ingest_retry_after_ms,
        ),
        hub=hub,
        relay=PredictionRelay(client, stream=keys.predictions, hub=hub),
    )


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the pool and Redis, start the backpressure sampler and the relay; undo on exit."""
    state = open_state(app.state.settings)
    state.pool.open(wait=False)  # not ready until PostgreSQL is: /readyz tells
    try:
        await state.relay.prime()
        await state.backpressure.sample_once()
    except RedisError as exc:
        log.warning("Redis not reachable at start (%s); retrying in the background", exc)
    app.state.ingest = state
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(state.backpressure.run(stop), name="backpressure"),
        asyncio.create_task(state.relay.run(stop), name="prediction-relay"),
    ]
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
        await state.redis.aclose()
        await to_thread.run_sync(state.pool.close)


async def _redis_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Redis error: %s", exc)
    return JSONResponse({"detail": "Redis unavailable"}, status_code=503, headers=RETRY_LATER)


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("PostgreSQL error: %s", exc)
    return JSONResponse({"detail": "database unavailable"}, status_code=503, headers=RETRY_LATER)


def _openapi_with_batch(app: FastAPI) -> dict[str, Any]:
    """The frames POST reads its body raw (for speed), so add the Batch schema by hand."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        defs = Batch.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.pop("$defs", {}))
        components["Batch"] = defs
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    """A fresh ingest app (tests build their own with their own settings)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="PoseStream ingest",
        version="1",
        summary="Capture sessions, frame batches (HTTP and WebSocket), read API and exports.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if settings.allow_any_origin else settings.ingest_cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After", "Content-Disposition"],
    )
    app.add_exception_handler(RedisError, _redis_unavailable)
    app.add_exception_handler(psycopg.Error, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    # Hot routes first: the router tries routes in order.
    for module in (frames, stream, sessions, read, health):
        app.include_router(module.router)
    app.include_router(report.router)
    app.include_router(models_admin.router)
    mount_frontend(app, dist_dir=settings.ingest_frontend_dir or default_dist_dir())
    app.openapi = lambda: _openapi_with_batch(app)  # type: ignore[method-assign]
    return app
