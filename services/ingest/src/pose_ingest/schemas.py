"""Response shapes of the read API (the wire contracts themselves live in pose_common)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SessionSummary(BaseModel):
    id: str
    name: str
    model: str
    created_at: datetime
    frames: int


class SessionPage(BaseModel):
    sessions: list[SessionSummary]
    limit: int
    offset: int


class SessionInfo(BaseModel):
    id: str
    name: str
    model: str
    created_at: datetime
    frames: int
    predictions: int
    last_seq: int | None


class Cursor(BaseModel):
    """Where the next page starts: pass these as after_seq / after_person."""

    after_seq: int
    after_person: int


class StoredFrame(BaseModel):
    seq: int
    person: int
    t: float
    detector: str
    detector_version: str
    width: int
    height: int
    label: str | None
    keypoints: list[list[float]]
    received_at: datetime


class FramePage(BaseModel):
    frames: list[StoredFrame]
    next: Cursor | None


class StoredPrediction(BaseModel):
    seq: int
    person: int
    model: str
    version: int
    label: str
    probability: float
    probabilities: dict[str, float]
    latency_ms: float
    created_at: datetime


class PredictionPage(BaseModel):
    predictions: list[StoredPrediction]
    next: Cursor | None


class ModelSummary(BaseModel):
    name: str
    versions: list[int]
    aliases: dict[str, int]
    production: int | None


class ModelList(BaseModel):
    default: str
    models: list[ModelSummary]
