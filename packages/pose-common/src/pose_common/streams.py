"""Redis stream names and entry field layout (DESIGN.md section 1).

Every key carries the configured prefix so test runs and deployments never collide.

Frames entry fields:      v=contract version, s=session id, m=model name, ts=ingest time (s),
                          d=the validated batch as JSON bytes.
Predictions entry fields: v, s, m=model name, n=model version, d=msgpack list of prediction dicts.
Models entry fields:      name, version, alias, event (published|promoted|rolled_back).
Dead-letter entry fields: stream, id, group, reason, plus the original fields prefixed "orig_".
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMES = "pose:frames:v1"
PREDICTIONS = "pose:predictions:v1"
MODELS = "pose:models:v1"
DEAD_LETTER_SUFFIX = ":dead"

GROUP_INFERENCE = "inference"
GROUP_EXPORTER = "exporter"


@dataclass(frozen=True, slots=True)
class StreamKeys:
    """Fully prefixed Redis keys of one deployment (or one test run)."""

    prefix: str = ""

    @property
    def frames(self) -> str:
        return self.prefix + FRAMES

    @property
    def predictions(self) -> str:
        return self.prefix + PREDICTIONS

    @property
    def models(self) -> str:
        return self.prefix + MODELS

    def dead_letter(self, stream: str) -> str:
        """Dead-letter stream for a (prefixed) stream key."""
        return stream + DEAD_LETTER_SUFFIX

    def heartbeat(self, service: str, consumer: str) -> str:
        return f"{self.prefix}pose:heartbeat:{service}:{consumer}"

    def feature_history(self, model: str, version: int, session: str, person: int) -> str:
        """Sorted set of one person's last feature rows (temporal models), scored by seq."""
        return f"{self.prefix}pose:history:v1:{model}:{version}:{session}:{person}"
