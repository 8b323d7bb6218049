"""Jobs through a real Celery worker process: progress while running, cancel, idempotency."""

from __future__ import annotations

import pytest
from celery.result import AsyncResult

from pose_common import model_catalog as catalog
from pose_trainer import jobs
from pose_trainer.celery_app import get_app
from pose_trainer.runner import connect_db
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job, send_job
from tests.processes import wait_until
from tests.trainer.conftest import QUICK, YOGA_DATA, Workers, job_row, wait_for_worker

pytestmark = pytest.mark.usefixtures("yoga_imported")


def _queue(settings: TrainerSettings, overrides: dict, job_id: str | None = None) -> str:
    request = {"config": "yoga", "overrides": overrides, "dataset": YOGA_DATA}
    with connect_db(settings) as conn:
        job_id, _ = create_checked_job(conn, kind="train", request=request, job_id=job_id)
    send_job(settings, kind="train", job_id=job_id)
    return job_id


def test_a_queued_job_reports_epochs_in_celery_state_and_its_row(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _queue(trainer_settings, {**QUICK, "training.epochs": 40})
    result = AsyncResult(job_id, app=get_app())
    seen: list[dict] = []

    def progressed() -> bool:
        # One read of the task's meta: reading .state then .info is two reads, and the job may
        # finish in between (the second then gives the job's result, not its progress).
        meta = result.backend.get_task_meta(job_id)
        if meta["status"] == "PROGRESS" and isinstance(meta["result"], dict):
            seen.append(meta["result"])
        return result.ready()

    wait_until(progressed, timeout=180, interval=0.05, what=f"job {job_id}\n{workers.logs()}")
    assert result.state == "SUCCESS", workers.logs()
    epochs = [p["epoch"] for p in seen if p.get("phase") == "training" and p.get("epoch")]
    assert epochs and max(epochs) <= 40 and seen[-1]["epochs"] == 40
    assert "loss" in next(p["metrics"] for p in seen if p.get("metrics"))
    row = job_row(database_url, job_id)
    assert row and row["status"] == "succeeded" and row["attempts"] == 1
    assert row["progress"]["phase"] == "deciding promotion"
    assert result.get()["version"] == row["result"]["version"] == 1


def test_a_running_job_stops_on_cancel_and_publishes_nothing(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _queue(trainer_settings, {**QUICK, "training.epochs": 5000})
    wait_until(
        lambda: ((job_row(database_url, job_id) or {}).get("progress") or {}).get("epoch"),
        timeout=120,
        what="the first epoch",
    )
    with connect_db(trainer_settings) as conn:
        assert jobs.request_cancel(conn, job_id) == ("running", True)
    row = wait_until(
        lambda: (r := job_row(database_url, job_id)) and r["status"] != "running" and r,
        timeout=60,
        what="the job to stop",
    )
    assert row["status"] == "cancelled", workers.logs()
    assert row["progress"]["epoch"] < 5000
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == []


def test_a_job_sent_twice_runs_once(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _queue(trainer_settings, QUICK, job_id="train-yoga-twice")
    send_job(trainer_settings, kind="train", job_id=job_id)  # a client retrying
    wait_until(
        lambda: (job_row(database_url, job_id) or {}).get("status") == "succeeded",
        timeout=120,
        what="the job",
    )
    second = AsyncResult(job_id, app=get_app())
    wait_until(second.ready, timeout=60, what="the second delivery")
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [1]
    assert job_row(database_url, job_id)["attempts"] == 1


def test_a_worker_stopped_mid_job_hands_it_back_and_another_finishes_it(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    first = workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _queue(trainer_settings, {**QUICK, "training.epochs": 120})
    wait_until(
        lambda: ((job_row(database_url, job_id) or {}).get("progress") or {}).get("epoch"),
        timeout=120,
        what="the first epoch",
    )
    first.terminate()  # SIGTERM: warm shutdown
    assert first.wait(timeout=60) == 0, workers.log("worker")
    row = job_row(database_url, job_id)
    assert row["status"] == "queued" and row["progress"]["epoch"] < 120, row
    workers.start("worker")  # a new worker takes the re-queued task at once
    done = wait_until(
        lambda: (r := job_row(database_url, job_id)) and r["status"] == "succeeded" and r,
        timeout=240,
        what=f"the second worker to finish the job\n{workers.logs()}",
    )
    assert done["attempts"] == 2
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [1]
