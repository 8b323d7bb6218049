"""Read back a session: stored frames and predictions page by page, streamed exports, models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from psycopg_pool import ConnectionPool

from pose_common import model_catalog
from pose_common.contracts import MAX_BATCH_FRAMES
from pose_common.export import csv_chunks, iter_frame_records, json_chunks
from pose_ingest import queries
from pose_ingest.deps import SessionDep, SettingsDep, StateDep
from pose_ingest.schemas import Cursor, FramePage, ModelList, ModelSummary, PredictionPage

router = APIRouter(tags=["read"])

MAX_PERSON = 255
Limit = Annotated[int, Query(ge=1, le=5000)]
AfterSeq = Annotated[int, Query(ge=-1, description="Return rows after this seq.")]
AfterPerson = Annotated[
    int,
    Query(ge=0, le=MAX_PERSON, description="With after_seq: resume after this person of that seq."),
]


def next_cursor(rows: list[dict[str, Any]], limit: int) -> Cursor | None:
    """Where the next page starts, or None when this page was the last."""
    if len(rows) < limit:
        return None
    return Cursor(after_seq=rows[-1]["seq"], after_person=rows[-1]["person"])


@router.get("/v1/sessions/{session_id}/frames", response_model=FramePage)
def read_frames(
    session: SessionDep,
    state: StateDep,
    limit: Limit = MAX_BATCH_FRAMES,
    after_seq: AfterSeq = -1,
    after_person: AfterPerson = MAX_PERSON,
) -> FramePage:
    """Stored frames of the session in (seq, person) order."""
    with state.pool.connection() as conn:
        rows = queries.read_frames(
            conn, session_id=session.id, after=(after_seq, after_person), limit=limit
        )
    return FramePage.model_validate({"frames": rows, "next": next_cursor(rows, limit)})


@router.get("/v1/sessions/{session_id}/predictions", response_model=PredictionPage)
def read_predictions(
    session: SessionDep,
    state: StateDep,
    limit: Limit = MAX_BATCH_FRAMES,
    after_seq: AfterSeq = -1,
    after_person: AfterPerson = MAX_PERSON,
) -> PredictionPage:
    """Stored predictions of the session in (seq, person) order."""
    with state.pool.connection() as conn:
        rows = queries.read_predictions(
            conn, session_id=session.id, after=(after_seq, after_person), limit=limit
        )
    return PredictionPage.model_validate({"predictions": rows, "next": next_cursor(rows, limit)})


def session_records(pool: ConnectionPool, session_id: str) -> Iterator[list[Any]]:
    """The session's export records; the pooled connection is held only while iterating."""
    with pool.connection() as conn:
        yield from iter_frame_records(conn, session_id=session_id)


def _attachment(session_id: str, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="session-{session_id}.{extension}"'}


@router.get("/v1/sessions/{session_id}/export.csv", response_class=StreamingResponse)
def export_csv(session: SessionDep, state: StateDep) -> StreamingResponse:
    """Every stored frame of the session as CSV (streamed: memory stays flat)."""
    return StreamingResponse(
        csv_chunks(session_records(state.pool, session.id)),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(session.id, "csv"),
    )


@router.get("/v1/sessions/{session_id}/export.json", response_class=StreamingResponse)
def export_json(session: SessionDep, state: StateDep) -> StreamingResponse:
    """Every stored frame of the session as a JSON array of records (streamed)."""
    return StreamingResponse(
        json_chunks(session_records(state.pool, session.id)),
        media_type="application/json",
        headers=_attachment(session.id, "json"),
    )


@router.get("/v1/models", response_model=ModelList, tags=["models"])
def list_models(settings: SettingsDep) -> ModelList:
    """Named classifiers with their versions and aliases; sessions choose one by name."""
    models = [
        ModelSummary(
            name=info.name,
            versions=info.versions,
            aliases=info.aliases,
            production=info.production,
        )
        for info in model_catalog.list_models(settings.model_dir)
    ]
    return ModelList(default=settings.default_model, models=models)
