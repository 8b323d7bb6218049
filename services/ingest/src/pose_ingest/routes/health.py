"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pose_ingest.deps import StateDep
from pose_ingest.health import OK, check_postgres, check_redis

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (says nothing about its dependencies)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is unreachable"}})
async def readyz(state: StateDep) -> JSONResponse:
    """Redis answers PING and PostgreSQL answers SELECT 1 with the schema in place."""
    redis_status, postgres_status = await asyncio.gather(
        check_redis(state.redis), check_postgres(state.pool)
    )
    checks = {"redis": redis_status, "postgres": postgres_status}
    ready = all(value == OK for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
