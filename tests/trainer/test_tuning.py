"""Hyperparameter search with Keras Tuner within a trial and a time budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from celery.result import AsyncResult

from pose_ml.experiments import load_config
from pose_trainer.celery_app import get_app
from pose_trainer.runner import connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job, send_job
from tests.trainer.conftest import QUICK, YOGA_DATA, Workers, job_row, wait_for_worker

pytestmark = pytest.mark.usefixtures("yoga_imported")
SPACE = {"tuning.epochs": 3, "tuning.hidden_units": [8, 16], "tuning.layers": [1, 2]}


def _tune_job(settings: TrainerSettings, overrides: dict) -> str:
    request = {"config": "yoga", "overrides": {**QUICK, **SPACE, **overrides}, "dataset": YOGA_DATA}
    with connect_db(settings) as conn:
        job_id, _ = create_checked_job(conn, kind="tune", request=request)
    return job_id


def test_tuning_records_the_best_config_within_the_trial_budget(
    trainer_settings: TrainerSettings,
) -> None:
    job_id = _tune_job(trainer_settings, {"tuning.max_trials": 3})
    seen: list[dict] = []
    result = run_job(job_id, settings=trainer_settings, on_progress=seen.append)
    assert result["trials_run"] == 3 and not result["stopped_by_budget"]
    best = result["best"]
    assert best["val_accuracy"] == max(t["val_accuracy"] for t in result["trials"])
    assert best["values"]["units"] in (8, 16) and best["values"]["layers"] in (1, 2)
    # The held-out subject (girl3) is never used to choose: validation is another subject.
    assert "girl3" not in result["validation_groups"]
    tuned = load_config(result["config_file"])
    assert tuned.architecture.hidden == [best["values"]["units"]] * best["values"]["layers"]
    assert tuned.training.learning_rate == best["values"]["learning_rate"]
    # Named as the file is, the name `posestream train FILE` and the registry will record.
    assert tuned.name == Path(result["config_file"]).stem == f"yoga-{job_id}"
    # Progress says which trial and which of its epochs, each trial counting from its start.
    epochs = [(p["trial"], p["epoch"], p["epochs"]) for p in seen if p.get("epoch")]
    assert epochs[:3] == [(1, 1, 3), (1, 2, 3), (1, 3, 3)] and epochs[3] == (2, 1, 3)


def test_tuning_stops_at_its_time_budget_in_the_worker(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _tune_job(trainer_settings, {"tuning.max_trials": 200, "tuning.time_budget_s": 1})
    send_job(trainer_settings, kind="tune", job_id=job_id)
    result = AsyncResult(job_id, app=get_app()).get(timeout=180)
    assert result["stopped_by_budget"] is True
    assert 1 <= result["trials_run"] < 200
    row = job_row(database_url, job_id)
    assert row["status"] == "succeeded" and row["progress"]["phase"] == "tuning"
