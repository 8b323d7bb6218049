"""A training outcome into the model store: model, manifest, report, plots, evaluation split."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from pose_common.redis_client import connect as connect_redis
from pose_common.streams import StreamKeys
from pose_ml.experiments import ExperimentConfig
from pose_ml.model_store import publish_model
from pose_trainer.promotion import EVAL_SPLIT_FILE
from pose_trainer.settings import TrainerSettings
from pose_trainer.training import TrainOutcome


def eval_split_bytes(outcome: TrainOutcome) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / EVAL_SPLIT_FILE
        outcome.eval_split.save(path)
        return path.read_bytes()


def publish_outcome(
    outcome: TrainOutcome,
    *,
    config: ExperimentConfig,
    settings: TrainerSettings,
    job_id: str | None,
    data_until: datetime | None = None,
    parent_version: int | None = None,
    alias: str | None = None,
) -> int:
    """Publish as the next version of config.model (no alias moves unless `alias`)."""
    client = connect_redis(settings.redis_url)
    try:
        return publish_model(
            root=settings.model_dir,
            name=config.model,
            model=outcome.model,
            labels=outcome.labels,
            feature_spec=outcome.spec,
            metrics=outcome.summary_metrics(),
            training_data={
                **outcome.training_data,
                "data_until": data_until.isoformat() if data_until else None,
            },
            parent_version=parent_version,
            report=outcome.report(),
            alias=alias,
            redis=client,
            models_stream=StreamKeys(settings.key_prefix).models,
            files={**outcome.files, EVAL_SPLIT_FILE: eval_split_bytes(outcome)},
            window=outcome.window,
            manifest_extra={
                "config": config.to_dict(),
                "job_id": job_id,
                "evaluation_split": outcome.split,
            },
        )
    finally:
        client.close()
