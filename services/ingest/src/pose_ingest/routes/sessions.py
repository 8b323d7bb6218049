"""Open capture sessions, list them (admin) and describe one."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, status

from pose_common.contracts import SessionCreate, SessionCreated
from pose_ingest import metrics, queries
from pose_ingest.deps import AdminDep, SessionDep, StateDep
from pose_ingest.schemas import SessionInfo, SessionPage, SessionSummary

log = logging.getLogger(__name__)
router = APIRouter(tags=["sessions"])


def stream_url(request: Request, session_id: str) -> str:
    """The WebSocket URL of a session, as seen by the client that asked (ws or wss)."""
    url = request.url_for("stream_frames", session_id=session_id)
    scheme = "wss" if url.scheme in ("https", "wss") else "ws"
    return str(url.replace(scheme=scheme))


@router.post("/v1/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionCreated)
async def create_session(
    request: Request,
    state: StateDep,
    body: Annotated[SessionCreate | None, Body()] = None,
) -> SessionCreated:
    """Open a capture session; the token in the answer is shown only this once."""
    body = body or SessionCreate()
    model = body.model or state.settings.default_model
    record, token = await state.sessions.create(model=model, name=body.name, subject=body.subject)
    metrics.SESSIONS_CREATED.inc()
    log.info("session created id=%s model=%s", record.id, record.model)
    return SessionCreated(
        id=record.id, token=token, model=record.model, stream_url=stream_url(request, record.id)
    )


@router.get("/v1/sessions", response_model=SessionPage, dependencies=[AdminDep])
def list_sessions(
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SessionPage:
    """Every session, newest first, with its stored frame count (admin token)."""
    with state.pool.connection() as conn:
        rows = queries.list_sessions(conn, limit=limit, offset=offset)
    return SessionPage(sessions=[SessionSummary(**row) for row in rows], limit=limit, offset=offset)


@router.get("/v1/sessions/{session_id}", response_model=SessionInfo)
def describe_session(session: SessionDep, state: StateDep) -> SessionInfo:
    """One session with its stored frame and prediction counts."""
    with state.pool.connection() as conn:
        counts = queries.count_session_rows(conn, session_id=session.id)
    return SessionInfo(
        id=session.id,
        name=session.name,
        model=session.model,
        created_at=session.created_at,
        **counts,
    )
