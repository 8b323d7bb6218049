"""A training job run in-process end to end: data from PostgreSQL, model store, registry."""

from __future__ import annotations

import json

import numpy as np
import psycopg
import pytest

from pose_common import model_catalog as catalog
from pose_ml.datasets.dataset import Dataset
from pose_ml.model_store import load_model
from pose_trainer.runner import connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job
from tests.trainer.conftest import QUICK, YOGA_DATA

pytestmark = pytest.mark.usefixtures("yoga_imported")


def _train(settings: TrainerSettings, *, job_id: str | None = None, **request: object) -> dict:
    body = {"config": "yoga", "overrides": QUICK, "dataset": YOGA_DATA, **request}
    with connect_db(settings) as conn:
        job_id, _ = create_checked_job(conn, kind="train", request=body, job_id=job_id)
    return run_job(job_id, settings=settings)


def test_a_job_publishes_a_complete_version_and_its_registry_row(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    seen: list[dict] = []
    with connect_db(trainer_settings) as conn:
        job_id, created = create_checked_job(
            conn,
            kind="train",
            request={"config": "yoga", "overrides": QUICK, "dataset": YOGA_DATA},
        )
    assert created
    result = run_job(job_id, settings=trainer_settings, on_progress=seen.append)
    root = trainer_settings.model_dir
    assert result["status"] == "succeeded" and result["version"] == 1
    assert result["promotion"]["promoted"] is True  # nothing was in production
    assert catalog.resolve_alias(root, "yoga") == 1
    directory = catalog.version_dir(root, "yoga", 1)
    assert {p.name for p in directory.iterdir()} >= {
        "model.keras",
        "manifest.json",
        "report.json",
        "confusion.png",
        "learning_curves.png",
        "eval_split.npz",
    }
    assert (directory / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["config"]["name"] == "yoga" and manifest["job_id"] == job_id
    assert (
        manifest["feature_spec"]["kind"] == "embedding" and manifest["feature_spec"]["size"] == 44
    )
    assert manifest["labels"] == ["chair", "cobra", "dog", "tree", "warrior"]
    assert manifest["training_data"]["evaluation"]["groups"] == {"girl3": 76}
    assert manifest["metrics"]["accuracy"] == result["metrics"]["accuracy"]
    split = Dataset.load(directory / "eval_split.npz")
    assert split.group_names() == ["girl3"] and len(split) == 76
    # The served model gives the probabilities the evaluation was computed from.
    loaded = load_model(root=root, name="yoga", version=1)
    probabilities = loaded.probabilities(loaded.features(split.keypoints))
    predicted = np.array(loaded.labels.names)[probabilities.argmax(axis=1)]
    assert np.mean(predicted == split.labels) == pytest.approx(manifest["metrics"]["accuracy"])
    # The learning curves' held-out line scored that same served model after every epoch.
    history = json.loads((directory / "report.json").read_text())["history"]
    assert len(history["held_out_accuracy"]) == len(history["loss"]) == 3
    assert history["held_out_accuracy"][-1] == pytest.approx(manifest["metrics"]["accuracy"])
    # Progress went by phase and epoch.
    phases = [p.get("phase") for p in seen]
    assert "training" in phases and "evaluating" in phases
    assert max(p.get("epoch") or 0 for p in seen) == 3
    assert "held_out_accuracy" in next(p for p in seen if p.get("epoch") == 3)["metrics"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT version, config, metrics->>'accuracy' FROM model_versions WHERE job_id = %s",
            (job_id,),
        ).fetchone()
        events = conn.execute(
            "SELECT event FROM model_events WHERE model = 'yoga' AND detail->>'job_id' = %s"
            " OR (model = 'yoga' AND version = 1 AND event = 'promoted') ORDER BY id",
            (job_id,),
        ).fetchall()
        status = conn.execute(
            "SELECT status, result->>'version' FROM training_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    assert row is not None and row[0] == 1 and row[1] == "yoga"
    assert [e[0] for e in events][-2:] == ["published", "promoted"]
    assert status == ("succeeded", "1")


def test_running_a_finished_job_again_publishes_nothing(
    trainer_settings: TrainerSettings,
) -> None:
    first = _train(trainer_settings, job_id="train-yoga-once")
    again = run_job("train-yoga-once", settings=trainer_settings)
    assert again["version"] == first["version"]
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [first["version"]]
