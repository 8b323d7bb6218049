"""Everything the routes share in one process, opened by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from psycopg_pool import ConnectionPool

from pose_ingest.backpressure import BackpressureMonitor
from pose_ingest.publisher import FramePublisher
from pose_ingest.relay import PredictionHub, PredictionRelay
from pose_ingest.session_store import SessionStore
from pose_ingest.settings import IngestSettings


@dataclass(slots=True)
class IngestState:
    settings: IngestSettings
    redis: aioredis.Redis
    pool: ConnectionPool
    sessions: SessionStore
    publisher: FramePublisher
    backpressure: BackpressureMonitor
    hub: PredictionHub
    relay: PredictionRelay
