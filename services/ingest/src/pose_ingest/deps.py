"""Dependencies as Annotated aliases, so routes read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from pose_common.sessions import parse_session_id
from pose_ingest import metrics
from pose_ingest.access import bearer_token, is_admin, may_access
from pose_ingest.session_store import SessionRecord
from pose_ingest.settings import IngestSettings
from pose_ingest.state import IngestState

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


# Dependencies are async even when trivial: FastAPI runs a plain `def` dependency in the
# thread pool, which cost a third of the frame POST's throughput.
async def get_state(request: Request) -> IngestState:
    return request.app.state.ingest


async def get_settings(request: Request) -> IngestSettings:
    return request.app.state.ingest.settings


StateDep = Annotated[IngestState, Depends(get_state)]
SettingsDep = Annotated[IngestSettings, Depends(get_settings)]


def _unauthorized(detail: str, reason: str) -> HTTPException:
    metrics.rejected(reason)
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=_CHALLENGE)


async def get_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The bearer token of the request; 401 when there is none."""
    token = bearer_token(authorization)
    if token is None:
        raise _unauthorized("missing bearer token", "missing_token")
    return token


TokenDep = Annotated[str, Depends(get_token)]


async def authorize_session(
    state: IngestState, *, session_id: str, authorization: str | None
) -> SessionRecord:
    """The session named in the path, if the bearer token may reach it.

    401 without a token, 404 for an unknown or malformed id, 401 for a token that does
    not grant the session.  Plain function as well as a dependency: the frame POST calls
    it directly, skipping the dependency machinery on the hot path.
    """
    token = bearer_token(authorization)
    if token is None:
        raise _unauthorized("missing bearer token", "missing_token")
    canonical = parse_session_id(session_id)
    session = None if canonical is None else await state.sessions.get(canonical)
    if session is None:
        metrics.rejected("unknown_session")
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown session {session_id[:64]!r}")
    if not may_access(token, session, state.settings):
        raise _unauthorized("token does not grant this session", "bad_token")
    return session


async def get_authorized_session(
    session_id: str,
    state: StateDep,
    authorization: Annotated[str | None, Header()] = None,
) -> SessionRecord:
    return await authorize_session(state, session_id=session_id, authorization=authorization)


SessionDep = Annotated[SessionRecord, Depends(get_authorized_session)]


async def require_admin(token: TokenDep, settings: SettingsDep) -> None:
    """Only the admin token passes (reading every session's data)."""
    if not is_admin(token, settings):
        raise _unauthorized("admin token required", "bad_token")


AdminDep = Depends(require_admin)
