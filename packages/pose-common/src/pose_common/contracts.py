"""Wire contracts v1: what the browser sends and what flows on the Redis streams.

A batch is the unit everywhere: the client sends one, ingest publishes it as one stream
entry, consumers read it back.  Keypoints travel as 17 ``[x, y, score]`` triples in source
pixels (x, y) and confidence (score in [0, 1]).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pose_common.skeleton import NUM_KEYPOINTS

CONTRACT_VERSION: Final[str] = "1"
MAX_BATCH_FRAMES: Final[int] = 512
MAX_LABEL_LENGTH: Final[int] = 64

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Keypoint = tuple[FiniteFloat, FiniteFloat, Score]
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_LABEL_LENGTH, strip_whitespace=True)
]
ModelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


class Detector(BaseModel):
    """Which pose model produced the keypoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: Annotated[str, StringConstraints(max_length=64)] = ""


class Frame(BaseModel):
    """One detected pose of one person at one instant."""

    model_config = ConfigDict(extra="forbid")

    seq: Annotated[int, Field(ge=0, lt=2**62)]
    t: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        description="Capture time, seconds since the Unix epoch."
    )
    keypoints: Annotated[list[Keypoint], Field(min_length=NUM_KEYPOINTS, max_length=NUM_KEYPOINTS)]
    person: Annotated[int, Field(ge=0, le=255)] = 0
    label: Label | None = None


class Batch(BaseModel):
    """Frames of one session sent together (over HTTP POST or one WebSocket message)."""

    model_config = ConfigDict(extra="forbid")

    detector: Detector
    width: Annotated[int, Field(gt=0, le=16384)]
    height: Annotated[int, Field(gt=0, le=16384)]
    frames: Annotated[list[Frame], Field(min_length=1, max_length=MAX_BATCH_FRAMES)]


class SessionCreate(BaseModel):
    """Request body to open a capture session."""

    model_config = ConfigDict(extra="forbid")

    model: ModelName | None = Field(
        default=None, description="Classifier name; default if omitted."
    )
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="Who is recorded: training splits keep each subject's frames together "
        "(by session when unset).",
    )


class SessionCreated(BaseModel):
    """Answer to a session creation: the token is shown only once."""

    id: str
    token: str
    model: str
    stream_url: str


class Ack(BaseModel):
    """Acknowledgement of an accepted batch."""

    type: str = "ack"
    seq: int
    count: int


class Prediction(BaseModel):
    """One classified frame, as relayed to the browser and stored by the exporter."""

    seq: int
    person: int = 0
    label: str
    probability: float
    probabilities: dict[str, float]
    model: str
    version: int
    latency_ms: float
