"""Jobs that lose their runner, their connection or a race: never stuck, never published twice.

Real PostgreSQL (advisory locks, terminated backends), real Redis, real Celery workers.
"""

from __future__ import annotations

import json
import signal
from typing import Any

import psycopg
import pytest

from pose_common import model_catalog as catalog
from pose_trainer import jobs, locks, runner
from pose_trainer.promotion import promote_version
from pose_trainer.recovery import recover_orphaned_jobs
from pose_trainer.runner import RunningElsewhere, connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job, send_job
from tests.processes import wait_until
from tests.trainer.conftest import QUICK, YOGA_DATA, Workers, job_row, wait_for_worker

pytestmark = pytest.mark.usefixtures("yoga_imported")


def _create(settings: TrainerSettings, job_id: str, **request: Any) -> str:
    body = {"config": "yoga", "overrides": QUICK, "dataset": YOGA_DATA, **request}
    with connect_db(settings) as conn:
        created_id, _ = create_checked_job(conn, kind="train", request=body, job_id=job_id)
    return created_id


def _orphan(database_url: str, job_id: str) -> None:
    """What a killed runner leaves: the row claimed ("running"), nobody holding its lock."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert jobs.claim_job(conn, job_id, worker="killed") is not None


def _job_lock_holders(database_url: str) -> list[int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def test_a_job_whose_database_connection_is_lost_ends_failed_not_running(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    job_id = _create(trainer_settings, "train-yoga-lost-connection")
    killed: list[int] = []

    def kill_the_job_connection(progress: dict[str, Any]) -> None:
        if progress.get("phase") == "training" and not killed:
            holders = _job_lock_holders(database_url)  # the runner's session holds the lock
            assert len(holders) == 1
            with psycopg.connect(database_url, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (holders[0],))
            killed.extend(holders)

    with pytest.raises(psycopg.OperationalError):
        run_job(job_id, settings=trainer_settings, on_progress=kill_the_job_connection)
    assert killed
    row = job_row(database_url, job_id)
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert "terminating connection" in row["error"]
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == []


def test_a_second_runner_leaves_a_running_job_to_the_first(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    job_id = _create(trainer_settings, "train-yoga-two-runners")
    with psycopg.connect(database_url, autocommit=True) as first:
        assert locks.try_lock_job(first, job_id)
        jobs.claim_job(first, job_id, worker="first")
        with pytest.raises(RunningElsewhere, match="another runner"):
            run_job(job_id, settings=trainer_settings, worker="second")
        row = job_row(database_url, job_id)
        assert row["status"] == "running" and row["worker"] == "first" and row["attempts"] == 1
        with connect_db(trainer_settings) as conn:
            assert locks.job_has_runner(conn, job_id)
    # The first runner's session ended (it died): the lock went with it.
    with connect_db(trainer_settings) as conn:
        assert not locks.job_has_runner(conn, job_id)
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == []


def test_recovery_queues_an_orphaned_job_again_and_fails_one_that_keeps_dying(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    orphan = _create(trainer_settings, "train-yoga-orphan")
    _orphan(database_url, orphan)
    alive = _create(trainer_settings, "train-yoga-alive")
    doomed = _create(trainer_settings, "train-yoga-doomed")
    for _ in range(trainer_settings.trainer_max_attempts):
        _orphan(database_url, doomed)
    with psycopg.connect(database_url, autocommit=True) as holder:
        assert locks.try_lock_job(holder, alive)  # a live runner
        jobs.claim_job(holder, alive, worker="alive")
        outcome = recover_orphaned_jobs(settings=trainer_settings)
        assert job_row(database_url, alive)["status"] == "running"
    assert outcome == {"requeued": [orphan], "failed": [doomed]}
    assert job_row(database_url, orphan)["status"] == "queued"
    doomed_row = job_row(database_url, doomed)
    assert doomed_row["status"] == "failed"
    assert (
        f"stopped without finishing it, {trainer_settings.trainer_max_attempts} times"
        in (doomed_row["error"])
    )


def test_a_killed_worker_s_job_is_recovered_and_finished_by_another_worker(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    first = workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    job_id = _create(
        trainer_settings, "train-yoga-killed", overrides={**QUICK, "training.epochs": 200}
    )
    send_job(trainer_settings, kind="train", job_id=job_id)
    wait_until(
        lambda: ((job_row(database_url, job_id) or {}).get("progress") or {}).get("epoch"),
        timeout=120,
        what=f"the first epoch\n{workers.logs()}",
    )
    first.send_signal(signal.SIGKILL)  # no warm shutdown, no hand back: the task stays unacked
    first.wait(timeout=30)
    assert job_row(database_url, job_id)["status"] == "running"
    wait_until(
        lambda: not _job_lock_holders(database_url), timeout=30, what="PostgreSQL to drop the lock"
    )
    assert recover_orphaned_jobs(settings=trainer_settings)["requeued"] == [job_id]
    workers.start("worker")
    done = wait_until(
        lambda: (r := job_row(database_url, job_id)) and r["status"] == "succeeded" and r,
        timeout=300,
        what=f"the second worker to finish the job\n{workers.logs()}",
    )
    assert done["attempts"] == 2
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [1]


def test_beat_schedules_the_recovery_on_the_control_queue(
    trainer_settings: TrainerSettings,
) -> None:
    from pose_trainer.celery_app import TASK_RECOVER_JOBS, celery_config

    entry = celery_config(trainer_settings)["beat_schedule"]["recover-jobs"]
    assert entry["task"] == TASK_RECOVER_JOBS
    assert entry["schedule"].total_seconds() == trainer_settings.trainer_recover_every_s
    assert entry["options"]["queue"] == trainer_settings.trainer_control_queue


def test_a_runner_that_died_after_publishing_does_not_publish_again(
    trainer_settings: TrainerSettings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _create(trainer_settings, "train-yoga-died-after-publish")

    def die(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed between the store's publish and the registry row")

    with monkeypatch.context() as patch:
        patch.setattr(runner, "_register", die)
        with pytest.raises(SystemExit):
            run_job(job_id, settings=trainer_settings)
    assert job_row(database_url, job_id)["status"] == "running"  # as a killed worker leaves it
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [1]

    result = run_job(job_id, settings=trainer_settings)  # the re-delivery
    assert result["status"] == "succeeded" and result["version"] == 1
    assert catalog.list_versions(trainer_settings.model_dir, "yoga") == [1]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT version, config FROM model_versions WHERE job_id = %s", (job_id,)
        ).fetchone()
        published = conn.execute(
            "SELECT count(*) FROM model_events WHERE event = 'published' AND version = 1"
        ).fetchone()
    assert row == (1, "yoga") and published == (1,)


def test_a_cancel_after_publishing_lets_the_job_finish_what_it_published(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    job_id = _create(trainer_settings, "train-yoga-late-cancel")
    answers: list[tuple[str | None, bool]] = []

    def cancel_once_published(progress: dict[str, Any]) -> None:
        if progress.get("phase") == "deciding promotion":
            with psycopg.connect(database_url, autocommit=True) as conn:
                answers.append(jobs.request_cancel(conn, job_id))  # refused: it is publishing
                # A cancel that slipped in anyway (set before the phase was written) is
                # ignored by the runner from here on.
                conn.execute(
                    "UPDATE training_jobs SET cancel_requested = true WHERE id = %s", (job_id,)
                )

    result = run_job(job_id, settings=trainer_settings, on_progress=cancel_once_published)
    assert answers == [("running", False)]
    assert "too late to cancel" in jobs.cancel_refusal(job_id, "running")
    assert result["status"] == "succeeded" and result["promotion"]["promoted"] is True
    row = job_row(database_url, job_id)
    assert row["status"] == "succeeded" and row["result"]["version"] == 1
    assert catalog.resolve_alias(trainer_settings.model_dir, "yoga") == 1


def test_the_manifest_names_the_production_version_it_was_trained_against(
    trainer_settings: TrainerSettings,
) -> None:
    run_job(_create(trainer_settings, "train-yoga-parent-1"), settings=trainer_settings)
    run_job(_create(trainer_settings, "train-yoga-parent-2"), settings=trainer_settings)
    root = trainer_settings.model_dir
    manifests = [
        json.loads((catalog.version_dir(root, "yoga", v) / "manifest.json").read_text())
        for v in (1, 2)
    ]
    assert [m["parent_version"] for m in manifests] == [None, 1]


def test_a_redelivered_forced_job_keeps_its_decision_instead_of_forcing_again(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    forced = _create(trainer_settings, "train-yoga-forced", promote="force")
    assert run_job(forced, settings=trainer_settings)["version"] == 1
    newer = _create(trainer_settings, "train-yoga-newer", promote="never")
    assert run_job(newer, settings=trainer_settings)["version"] == 2
    promote_version(settings=trainer_settings, model="yoga", version=2, force=True, actor="admin")
    root = trainer_settings.model_dir
    assert catalog.resolve_alias(root, "yoga") == 2
    # The forced job's task comes back (visibility timeout): its row is running again.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE training_jobs SET status = 'running' WHERE id = %s", (forced,))
    again = run_job(forced, settings=trainer_settings)
    assert again["version"] == 1 and again["promotion"]["decided_before"] is True
    assert catalog.resolve_alias(root, "yoga") == 2
    assert catalog.list_versions(root, "yoga") == [1, 2]


def test_an_orphan_that_cannot_be_queued_yet_is_tried_again_at_the_next_check(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    from pose_trainer.celery_app import create_app

    orphan = _create(trainer_settings, "train-yoga-orphan-no-broker")
    _orphan(database_url, orphan)
    away = trainer_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    create_app(away)
    try:
        assert recover_orphaned_jobs(settings=away) == {"requeued": [], "failed": []}
    finally:
        create_app(trainer_settings)
    assert job_row(database_url, orphan)["status"] == "running"  # not stranded as "queued"
    assert recover_orphaned_jobs(settings=trainer_settings)["requeued"] == [orphan]
    assert job_row(database_url, orphan)["status"] == "queued"
