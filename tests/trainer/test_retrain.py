"""Retraining on a schedule once enough new labelled frames have arrived (Celery beat)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import psycopg
import pytest
import redis
import yaml

from pose_common.trainer_contract import celery_prefix
from pose_ml.datasets.formats import ImportedSession
from pose_ml.datasets.store import import_sessions
from pose_trainer.retrain import queue_due_retraining
from pose_trainer.runner import connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job
from tests.processes import wait_until
from tests.trainer.conftest import QUICK, Workers, job_row, wait_for_worker

pytestmark = pytest.mark.usefixtures("yoga_imported")
CONFIG = {
    "model": "rt",
    "dataset": {
        "labels": ["chair", "cobra", "dog", "tree", "warrior"],
        "source_prefix": "import:yoga",
    },
    "retrain": {"enabled": True, "min_new_frames": 50},
}


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "experiments"
    directory.mkdir()
    (directory / "rt.yaml").write_text(yaml.safe_dump(CONFIG))
    monkeypatch.setenv("POSE_EXPERIMENTS_DIRS", str(directory))
    return directory


def _new_frames(database_url: str, count: int) -> None:
    rng = np.random.default_rng(0)
    session = ImportedSession(
        name="more",
        subject="newcomer",
        source="import:yoga:more",
        detector="movenet",
        detector_version="4",
        width=300,
        height=300,
    )
    for _ in range(count):
        points = np.concatenate([rng.uniform(0, 300, (17, 2)), np.ones((17, 1))], axis=1)
        session.add(label="tree", points=points, frame_name="x")
    with psycopg.connect(database_url, autocommit=True) as conn:
        import_sessions(conn, sessions=[session], model="rt")


@pytest.mark.usefixtures("config_dir")
def test_a_retraining_is_queued_once_per_version_when_enough_frames_are_new(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    first = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert first["new_frames"] == 734 and first["queued"] is True
    assert first["job_id"] == "retrain-rt-rt-after-v0"
    again = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert again["queued"] is False and again["job_id"] == first["job_id"]

    request = {"config": "rt", "overrides": QUICK}
    with connect_db(trainer_settings) as conn:
        job_id, _ = create_checked_job(conn, kind="train", request=request)
    assert run_job(job_id, settings=trainer_settings)["version"] == 1
    quiet = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert quiet["new_frames"] == 0 and "job_id" not in quiet

    _new_frames(database_url, 30)
    short = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert short["new_frames"] == 30 and "job_id" not in short
    _new_frames(database_url, 60)  # seqs 30..59 are new; 0..29 were stored already
    due = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert due["new_frames"] == 60 and due["job_id"] == "retrain-rt-rt-after-v1"
    row = job_row(database_url, due["job_id"])
    assert row["status"] == "queued" and row["request"]["actor"] == "schedule"


def test_beat_runs_the_check_and_the_control_worker_queues_the_job(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str, config_dir: Path
) -> None:
    workers.env.update(
        {"POSE_EXPERIMENTS_DIRS": str(config_dir), "POSE_TRAINER_RETRAIN_EVERY_S": "1"}
    )
    workers.start("control")
    wait_for_worker(workers, trainer_settings, "control")
    workers.start("beat")
    row = wait_until(
        lambda: job_row(database_url, "retrain-rt-rt-after-v0"),
        timeout=90,
        interval=0.5,
        what=f"the scheduled retraining\n{workers.logs()}",
    )
    assert row["kind"] == "train" and row["model"] == "rt"


@pytest.mark.usefixtures("config_dir")
def test_a_retraining_whose_send_failed_is_sent_again_at_the_next_check(
    trainer_settings: TrainerSettings,
    database_url: str,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pose_trainer import retrain

    def broker_away(settings: TrainerSettings, *, kind: str, job_id: str) -> None:
        raise ConnectionError("Error 111 connecting to the broker")

    real_send = retrain.send_job
    monkeypatch.setattr(retrain, "send_job", broker_away)
    first = queue_due_retraining(settings=trainer_settings)["checked"]
    # Every due config was checked (one failed send does not stop the others) and kept.
    for name in ("rt", "yoga"):
        assert first[name]["queued"] is True and "not sent" in first[name]["error"], first
        assert job_row(database_url, first[name]["job_id"])["status"] == "queued"

    monkeypatch.setattr(retrain, "send_job", real_send)
    queue = celery_prefix(trainer_settings.key_prefix) + trainer_settings.trainer_queue
    assert redis_client.llen(queue) == 0
    second = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert second["queued"] is False and second["resent"] is True and "error" not in second
    sent = [json.loads(m)["headers"]["id"] for m in redis_client.lrange(queue, 0, -1)]
    assert "retrain-rt-rt-after-v0" in sent


def _end(database_url: str, job_id: str, status: str, *, ago_s: float) -> None:
    """Finish a job as a worker would have, `ago_s` seconds ago."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE training_jobs SET status = %s, error = 'worker ran out of memory',"
            " finished_at = now() - make_interval(secs => %s) WHERE id = %s",
            (status, ago_s, job_id),
        )


def test_a_failed_retraining_is_tried_again_after_a_while_then_given_up(
    trainer_settings: TrainerSettings,
    database_url: str,
    config_dir: Path,
    redis_client: redis.Redis,
) -> None:
    (config_dir / "rt.yaml").write_text(
        yaml.safe_dump(
            {**CONFIG, "retrain": {**CONFIG["retrain"], "retry_after_s": 600, "max_attempts": 3}}
        )
    )
    base = "retrain-rt-rt-after-v0"
    assert queue_due_retraining(settings=trainer_settings)["checked"]["rt"]["job_id"] == base
    _end(database_url, base, "failed", ago_s=60)
    waiting = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert waiting["job_id"] == base and waiting["failed_attempts"] == 1
    assert 530 <= waiting["retry_in_s"] <= 540 and "queued" not in waiting

    _end(database_url, base, "failed", ago_s=601)  # the wait is over: a second job
    second = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert second["job_id"] == f"{base}-try2" and second["queued"] is True
    assert job_row(database_url, f"{base}-try2")["status"] == "queued"
    queue = celery_prefix(trainer_settings.key_prefix) + trainer_settings.trainer_queue
    sent = [json.loads(m)["headers"]["id"] for m in redis_client.lrange(queue, 0, -1)]
    assert f"{base}-try2" in sent
    # While it is queued or running, nothing new is made.
    again = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert again["job_id"] == f"{base}-try2" and again["queued"] is False

    _end(database_url, f"{base}-try2", "failed", ago_s=601)
    third = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert third["job_id"] == f"{base}-try3" and third["queued"] is True
    _end(database_url, f"{base}-try3", "failed", ago_s=601)
    given_up = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert given_up["failed_attempts"] == 3 and "retrain.max_attempts 3" in given_up["gave_up"]
    assert job_row(database_url, f"{base}-try4") is None


def test_a_cancelled_retraining_is_not_tried_again_for_that_version(
    trainer_settings: TrainerSettings, database_url: str, config_dir: Path
) -> None:
    (config_dir / "rt.yaml").write_text(
        yaml.safe_dump({**CONFIG, "retrain": {**CONFIG["retrain"], "retry_after_s": 0}})
    )
    base = "retrain-rt-rt-after-v0"
    queue_due_retraining(settings=trainer_settings)
    _end(database_url, base, "cancelled", ago_s=10)
    later = queue_due_retraining(settings=trainer_settings)["checked"]["rt"]
    assert later["job_id"] == base and later["queued"] is False and "retry_in_s" not in later
    assert job_row(database_url, f"{base}-try2") is None
