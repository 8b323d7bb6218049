"""Session reports: summary JSON, angle and timeline plots (PNG/SVG), comparison to a reference.

Same access rule as the other read routes: the session's own token or the admin token.  Each
request analyses the stored frames afresh in one streaming pass (server-side cursor, flat
memory), so a report always reflects the current exercise definitions and every frame stored
so far; reps are not kept in a table (docs/analysis.md says why).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from psycopg_pool import ConnectionPool

from pose_ingest.deps import SessionDep, StateDep, authorize_session
from pose_ingest.session_store import SessionRecord
from pose_ml.analysis import storage
from pose_ml.analysis.compare import compare_angles
from pose_ml.analysis.exercises import Exercise, default_exercises
from pose_ml.analysis.report import AnalysisConfig, SessionAnalysis, SessionAnalyzer

router = APIRouter(tags=["analysis"])

Person = Annotated[int, Query(ge=0, le=255, description="Which person of a multi-pose session.")]
ExerciseNames = Annotated[
    list[str] | None, Query(alias="exercise", description="Count only these (repeatable).")
]
AngleNames = Annotated[list[str] | None, Query(alias="angle", description="Angles to plot.")]
Smooth = Annotated[bool, Query(description="One Euro smoothing before angles (default on).")]
ImageExtension = Literal["png", "svg"]
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
UNPROCESSABLE = 422
Window = tuple[float | None, float | None]


def _unprocessable(detail: str) -> HTTPException:
    return HTTPException(UNPROCESSABLE, detail)


def pick_exercises(names: list[str] | None) -> dict[str, Exercise]:
    """The requested definitions (all by default); 422 naming an unknown one."""
    known = default_exercises()
    if not names:
        return dict(known)
    if unknown := [name for name in names if name not in known]:
        raise _unprocessable(f"unknown exercises {unknown}; known: {sorted(known)}")
    return {name: known[name] for name in names}


def analyse(
    pool: ConnectionPool,
    session: SessionRecord,
    *,
    person: int,
    exercises: dict[str, Exercise],
    config: AnalysisConfig | None = None,
    window_s: Window = (None, None),
    predictions: bool = True,
) -> tuple[storage.FrameMeta | None, SessionAnalysis]:
    """One pass over the stored session; 422 if its stored frames cannot be analysed."""
    analyzer = SessionAnalyzer(exercises, config)
    try:
        with pool.connection() as conn:
            meta = storage.analyse_stored_session(
                conn,
                session_id=session.id,
                model=session.model,
                analyzer=analyzer,
                person=person,
                window_s=window_s,
                predictions=predictions,
            )
    except ValueError as exc:
        raise _unprocessable(f"stored frames cannot be analysed: {exc}") from exc
    return meta, analyzer.result()


def report_body(
    session: SessionRecord, person: int, meta: storage.FrameMeta | None, result: SessionAnalysis
) -> dict[str, Any]:
    base = f"/v1/sessions/{session.id}/report"
    return {
        "session_id": session.id,
        "name": session.name,
        "model": session.model,
        "person": person,
        "detector": None if meta is None else meta.detector_dict(),
        "width": None if meta is None else meta.width,
        "height": None if meta is None else meta.height,
        **result.to_dict(),
        "plots": {
            "angles_png": f"{base}/angles.png",
            "angles_svg": f"{base}/angles.svg",
            "timeline_png": f"{base}/timeline.png",
            "timeline_svg": f"{base}/timeline.svg",
        },
    }


def smoothing_config(smooth: bool) -> AnalysisConfig:
    return AnalysisConfig() if smooth else AnalysisConfig(smoothing=None)


@router.get("/v1/exercises")
def list_exercises() -> dict[str, Any]:
    """The exercise definitions the counters use (the browser's live counter included)."""
    return {"exercises": {name: ex.to_dict() for name, ex in default_exercises().items()}}


@router.get("/v1/sessions/{session_id}/report")
def session_report(
    session: SessionDep,
    state: StateDep,
    person: Person = 0,
    exercise: ExerciseNames = None,
    smooth: Smooth = True,
) -> dict[str, Any]:
    """Duration, frames, detector, confidence, angle ranges, reps per exercise, class timeline."""
    exercises = pick_exercises(exercise)
    config = smoothing_config(smooth)
    meta, result = analyse(state.pool, session, person=person, exercises=exercises, config=config)
    return report_body(session, person, meta, result)


def _image(content: bytes, extension: str, session_id: str, what: str) -> Response:
    disposition = f'inline; filename="session-{session_id}-{what}.{extension}"'
    return Response(
        content, media_type=MEDIA_TYPES[extension], headers={"Content-Disposition": disposition}
    )


@router.get(
    "/v1/sessions/{session_id}/report/angles.{extension}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def angle_plot(
    extension: ImageExtension,
    session: SessionDep,
    state: StateDep,
    person: Person = 0,
    exercise: ExerciseNames = None,
    angle: AngleNames = None,
    smooth: Smooth = True,
) -> Response:
    """Joint angles over time with each counted rep shaded (PNG or SVG)."""
    # matplotlib costs ~0.5 s to import: only the plot routes pay for it, on first use.
    from pose_ml.analysis import plots

    exercises = pick_exercises(exercise)
    config = smoothing_config(smooth)
    _meta, result = analyse(state.pool, session, person=person, exercises=exercises, config=config)
    try:
        content = plots.angle_plot(result, angles=angle, fmt=extension)
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc
    return _image(content, extension, session.id, "angles")


@router.get(
    "/v1/sessions/{session_id}/report/timeline.{extension}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def timeline_plot(
    extension: ImageExtension, session: SessionDep, state: StateDep, person: Person = 0
) -> Response:
    """The predicted class over time (PNG or SVG)."""
    from pose_ml.analysis import plots

    _meta, result = analyse(state.pool, session, person=person, exercises={})
    return _image(plots.timeline_plot(result, fmt=extension), extension, session.id, "timeline")


async def authorize_reference(
    state: StateDep,
    reference: Annotated[str, Query(description="Id of the reference session.")],
    authorization: Annotated[str | None, Header()] = None,
    x_reference_token: Annotated[str | None, Header()] = None,
) -> SessionRecord:
    """The reference session, if X-Reference-Token (else the bearer token) grants it."""
    granting = f"Bearer {x_reference_token}" if x_reference_token else authorization
    return await authorize_session(state, session_id=reference, authorization=granting)


ReferenceDep = Annotated[SessionRecord, Depends(authorize_reference)]
Seconds = Annotated[float | None, Query(ge=0, description="Seconds from the recording's start.")]


# A rep at 30 fps keeps every frame; an hour-long session is compared at ~5 points a second.
COMPARE_CONFIG = AnalysisConfig(series_points=20_000)


def window_angles(
    pool: ConnectionPool, session: SessionRecord, *, person: int, window_s: Window
) -> tuple[np.ndarray, np.ndarray]:
    """(seconds from the window's first frame, angles) of a stored session's window."""
    _meta, result = analyse(
        pool,
        session,
        person=person,
        exercises={},
        config=COMPARE_CONFIG,
        window_s=window_s,
        predictions=False,
    )
    return result.series_times - result.start_t, result.series_angles


@router.get("/v1/sessions/{session_id}/compare")
def compare_sessions(
    session: SessionDep,
    ref: ReferenceDep,
    state: StateDep,
    person: Person = 0,
    reference_person: Annotated[int, Query(ge=0, le=255)] = 0,
    joint: Annotated[list[str] | None, Query(description="Joints to compare.")] = None,
    start_s: Seconds = None,
    end_s: Seconds = None,
    reference_start_s: Seconds = None,
    reference_end_s: Seconds = None,
) -> dict[str, Any]:
    """Per-joint angle differences to a reference recording after DTW alignment, and the
    moments where they differ most.  To compare one rep, pass its start_s/end_s (from the
    report) and those of the reference's rep."""
    mine = window_angles(state.pool, session, person=person, window_s=(start_s, end_s))
    theirs = window_angles(
        state.pool, ref, person=reference_person, window_s=(reference_start_s, reference_end_s)
    )
    try:
        comparison = compare_angles(mine, theirs, **({"joints": joint} if joint else {}))
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc
    return {"session_id": session.id, "reference_id": ref.id, **comparison.to_dict()}
