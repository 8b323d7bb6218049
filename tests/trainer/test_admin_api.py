"""The admin API of ingest in front of real trainer workers: train, poll, promote, roll back,
and bad requests refused at once with the reason."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from celery.result import AsyncResult
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from pose_ingest.app import create_app
from pose_trainer.celery_app import TASK_EVALUATE, TASK_TRAIN, get_app
from pose_trainer.settings import TrainerSettings
from tests.conftest import REPO_ROOT
from tests.ingest.conftest import ADMIN_TOKEN, SettingsFactory, auth, make_settings
from tests.processes import free_port, wait_until
from tests.trainer.conftest import QUICK, YOGA_DATA, Workers, job_row, wait_for_worker
from tests.trainer.test_promotion import BAD

YOGA_YAML = REPO_ROOT / "packages/pose-ml/src/pose_ml/experiments/yoga.yaml"

pytestmark = pytest.mark.usefixtures("yoga_imported")
__all__ = ["make_settings"]  # the ingest tests' settings fixture, used here too
ADMIN = auth(ADMIN_TOKEN)


@pytest.fixture
def api(make_settings: SettingsFactory, trainer_settings: TrainerSettings) -> Iterator[TestClient]:
    settings = make_settings(model_dir=trainer_settings.model_dir)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _jobs(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return int(conn.execute("SELECT count(*) FROM training_jobs").fetchone()[0])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"config": "no-such-config"}, "unknown config 'no-such-config'"),
        ({"overrides": {"training.epochs": 0}}, "training.epochs: Input should be greater"),
        ({"overrides": {"training.epoch": 5}}, "training.epoch: Extra inputs are not permitted"),
        ({"overrides": {"augment.transforms": {"spin": {}}}}, "unknown augmentation 'spin'"),
        ({"dataset": {"labels": ["chair", "levitate"]}}, "unknown label(s) ['levitate']"),
        ({"dataset": {"since": "2099-01-01T00:00:00Z"}}, "the dataset is empty"),
        ({"dataset": {"labels": ["chair"]}}, "at least 2 labels"),
        ({"config": "fitness"}, "trains model 'fitness', not 'yoga'"),
        # A path, even to a real config: the API never reads the host's files.
        ({"config": str(YOGA_YAML)}, "unknown config"),
    ],
)
def test_bad_training_requests_fail_at_once_with_the_reason(
    api: TestClient, database_url: str, body: dict, reason: str
) -> None:
    before = _jobs(database_url)
    response = api.post("/v1/admin/models/yoga/train", json=body, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert reason in response.json()["detail"]
    assert _jobs(database_url) == before  # nothing was queued


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_numbers_are_refused_with_the_reason(
    api: TestClient, database_url: str, value: str
) -> None:
    """Python's JSON reads them, PostgreSQL's jsonb does not: a 400, not a 503 or a 500."""
    before = _jobs(database_url)
    response = api.post(
        "/v1/admin/models/yoga/tune",
        content='{"overrides": {"tuning.time_budget_s": ' + value + "}}",
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "NaN or Infinity" in response.json()["detail"]
    assert _jobs(database_url) == before


def test_training_needs_the_admin_token(api: TestClient) -> None:
    assert api.post("/v1/admin/models/yoga/train", json={}).status_code == 401
    assert api.get("/v1/admin/models", headers=auth("not-the-admin")).status_code == 401


def test_a_bad_job_sent_straight_to_the_worker_fails_fast_with_the_reason(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    workers.start("worker")
    wait_for_worker(workers, trainer_settings, "worker")
    with psycopg.connect(database_url, autocommit=True) as conn:
        for job_id, request in (
            ("bad-config", {"config": "nope"}),
            ("bad-label", {"config": "yoga", "dataset": {"labels": ["chair", "levitate"]}}),
        ):
            conn.execute(
                "INSERT INTO training_jobs (id, kind, model, request) VALUES (%s, 'train',"
                " 'yoga', %s)",
                (job_id, Jsonb(request)),
            )
    app = get_app()
    for job_id, reason in (
        ("bad-config", "unknown config 'nope'"),
        ("bad-label", "unknown label(s) ['levitate']"),
    ):
        result = app.send_task(TASK_TRAIN, args=[job_id], task_id=job_id)
        with pytest.raises(
            Exception,
            match=reason.replace("(", r"\(")
            .replace(")", r"\)")
            .replace("[", r"\[")
            .replace("]", r"\]"),
        ) as failure:
            result.get(timeout=60)
        assert type(failure.value).__name__ == "BadRequest"
        row = job_row(database_url, job_id)
        assert row["status"] == "failed" and reason in row["error"]


def test_train_poll_promote_and_roll_back_through_the_api(
    api: TestClient, workers: Workers, trainer_settings: TrainerSettings
) -> None:
    workers.start("worker")
    workers.start("control")
    wait_for_worker(workers, trainer_settings, "worker")
    wait_for_worker(workers, trainer_settings, "control")

    def train(overrides: dict) -> dict:
        response = api.post(
            "/v1/admin/models/yoga/train",
            json={"overrides": overrides, "dataset": YOGA_DATA},
            headers=ADMIN,
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        return wait_until(
            lambda: (
                (job := api.get(f"/v1/admin/jobs/{job_id}", headers=ADMIN).json())
                and job["status"] in ("succeeded", "failed")
                and job
            ),
            timeout=180,
            interval=0.3,
            what=f"job {job_id}\n{workers.logs()}",
        )

    good = train({**QUICK, "training.epochs": 25, "architecture.hidden": [64]})
    assert good["status"] == "succeeded", good
    assert good["result"]["version"] == 1 and good["progress"]["epoch"] == 25
    bad = train(BAD)
    assert bad["result"]["promotion"]["promoted"] is False

    models = api.get("/v1/admin/models", headers=ADMIN).json()["models"]
    yoga = next(m for m in models if m["name"] == "yoga")
    assert yoga["aliases"] == {"production": 1, "candidate": 2}
    assert [v["version"] for v in yoga["versions"]] == [2, 1]
    report = api.get("/v1/admin/models/yoga/versions/1", headers=ADMIN).json()
    assert report["report"]["evaluation"]["labels"] == ["chair", "cobra", "dog", "tree", "warrior"]
    assert report["files"] == ["confusion.png", "learning_curves.png"]
    png = api.get("/v1/admin/models/yoga/versions/1/confusion.png", headers=ADMIN)
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"

    refused = api.post("/v1/admin/models/yoga/promote", json={"version": 2}, headers=ADMIN)
    assert refused.status_code == 409 and "does not beat" in refused.json()["reason"]
    forced = api.post(
        "/v1/admin/models/yoga/promote", json={"version": 2, "force": True}, headers=ADMIN
    )
    assert forced.status_code == 200 and forced.json()["production"] == 2
    back = api.post("/v1/admin/models/yoga/rollback", headers=ADMIN)  # no body: all optional
    assert back.status_code == 200 and back.json()["production"] == 1
    missing = api.post("/v1/admin/models/yoga/promote", json={"version": 42}, headers=ADMIN)
    assert missing.status_code == 400 and "no version 42" in missing.json()["detail"]
    events = api.get("/v1/admin/models/yoga/events", headers=ADMIN).json()["events"]
    assert [e["event"] for e in events[:3]] == ["rolled_back", "forced", "refused"]
    assert AsyncResult(good["id"], app=get_app()).state == "SUCCESS"
    late = api.post(f"/v1/admin/jobs/{good['id']}/cancel", headers=ADMIN)
    assert late.status_code == 409 and "has already succeeded" in late.json()["detail"]
    assert (
        api.get(f"/v1/admin/jobs/{good['id']}", headers=ADMIN).json()["cancel_requested"] is False
    )


def test_a_promotion_that_timed_out_does_not_happen_later(
    make_settings: SettingsFactory,
    workers: Workers,
    trainer_settings: TrainerSettings,
) -> None:
    from pose_common import model_catalog as catalog
    from pose_trainer.runner import connect_db, run_job
    from pose_trainer.submit import create_checked_job

    for promote in ("auto", "never"):
        request = {"config": "yoga", "overrides": QUICK, "dataset": YOGA_DATA, "promote": promote}
        with connect_db(trainer_settings) as conn:
            job_id, _ = create_checked_job(conn, kind="train", request=request)
        run_job(job_id, settings=trainer_settings)
    root = trainer_settings.model_dir
    assert catalog.resolve_alias(root, "yoga") == 1
    settings = make_settings(model_dir=root, ingest_trainer_answer_timeout_s=1.0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as api:
        # No control worker is running: nobody answers.
        forced = api.post(
            "/v1/admin/models/yoga/promote", json={"version": 2, "force": True}, headers=ADMIN
        )
    assert forced.status_code == 504 and "withdrawn" in forced.json()["detail"]
    workers.start("control")  # a control worker comes up after the client gave up
    wait_for_worker(workers, trainer_settings, "control")
    result = get_app().send_task(
        TASK_EVALUATE,
        kwargs={"model": "yoga", "version": 1},
        queue=trainer_settings.trainer_control_queue,
    )
    result.get(timeout=60)  # the control queue has been drained past the withdrawn request
    assert catalog.resolve_alias(root, "yoga") == 1
    with psycopg.connect(trainer_settings.psycopg_url) as conn:
        forced_events = conn.execute(
            "SELECT count(*) FROM model_events WHERE model = 'yoga' AND event = 'forced'"
        ).fetchone()
    assert forced_events == (0,)


def test_a_job_whose_task_cannot_be_sent_fails_with_503_instead_of_waiting_forever(
    make_settings: SettingsFactory, trainer_settings: TrainerSettings, database_url: str
) -> None:
    settings = make_settings(
        model_dir=trainer_settings.model_dir, REDIS_URL="redis://127.0.0.1:1/0"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as api:
        response = api.post(
            "/v1/admin/models/yoga/train",
            json={"overrides": QUICK, "dataset": YOGA_DATA, "job_id": "train-yoga-unsent"},
            headers=ADMIN,
        )
    assert response.status_code == 503, response.text
    assert "cannot reach the trainer queue" in response.json()["detail"]
    row = job_row(database_url, "train-yoga-unsent")
    assert row["status"] == "failed" and row["error"].startswith("could not be queued")


@dataclass
class OwnRedis:
    """A redis-server of the test's own on one port, started again after it was stopped."""

    port: int
    workdir: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> subprocess.Popen:
        server = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
        )
        self.started.append(server)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _answers(client), timeout=20, what="the test's own redis-server")
        client.close()
        return server


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    servers = OwnRedis(port=free_port(), workdir=tmp_path)
    yield servers
    for server in servers.started:
        server.terminate()
        server.wait(timeout=20)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_with_redis_away_a_job_is_refused_at_once_and_queued_again_once_it_is_back(
    make_settings: SettingsFactory,
    trainer_settings: TrainerSettings,
    database_url: str,
    own_redis: OwnRedis,
) -> None:
    """The same ingest process, no restart: Redis up (202), away (503), back (202)."""
    server = own_redis.start()
    settings = make_settings(model_dir=trainer_settings.model_dir, REDIS_URL=own_redis.url)

    def train(job_id: str) -> int:
        body = {"overrides": QUICK, "dataset": YOGA_DATA, "job_id": job_id}
        return api.post("/v1/admin/models/yoga/train", json=body, headers=ADMIN).status_code

    with TestClient(create_app(settings), raise_server_exceptions=False) as api:
        assert train("train-yoga-before-away") == 202
        server.terminate()
        server.wait(timeout=20)
        assert train("train-yoga-while-away") == 503
        own_redis.start()
        assert train("train-yoga-back") == 202
    statuses = {
        job: job_row(database_url, job)["status"]
        for job in ("train-yoga-before-away", "train-yoga-while-away", "train-yoga-back")
    }
    assert statuses == {
        "train-yoga-before-away": "queued",
        "train-yoga-while-away": "failed",
        "train-yoga-back": "queued",
    }
    # In seconds, not Celery's default 20 tries a second apart: what a client's result store
    # (ingest's here) does before it says Redis is away, beside the workers' own.
    client_policy = api.app.state.trainer_celery.backend.retry_policy
    worker_policy = get_app().backend.retry_policy
    assert client_policy["max_retries"] * client_policy["interval_max"] <= 3, client_policy
    assert worker_policy["max_retries"] == 20, worker_policy


def test_jobs_and_events_are_listed_a_page_at_a_time_to_the_start(
    api: TestClient, database_url: str
) -> None:
    from pose_trainer import jobs, registry

    with psycopg.connect(database_url, autocommit=True) as conn:
        for number in range(5):  # oldest first, each its own transaction: distinct times
            jobs.create_job(conn, job_id=f"page-{number}", kind="train", model="pager", request={})
        conn.execute("UPDATE training_jobs SET status = 'failed' WHERE id IN ('page-1', 'page-3')")
        for number in range(5):
            registry.record_event(conn, model="pager", version=number, event="published")

    def page(path: str) -> dict:
        answer = api.get(path, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return answer.json()

    seen, cursor = [], None
    while True:
        body = page("/v1/admin/jobs?model=pager&limit=2" + (f"&before={cursor}" if cursor else ""))
        seen.append([job["id"] for job in body["jobs"]])
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [["page-4", "page-3"], ["page-2", "page-1"], ["page-0"]]
    failed = page("/v1/admin/jobs?model=pager&status=failed")
    assert [j["id"] for j in failed["jobs"]] == ["page-3", "page-1"] and failed["next"] is None
    older = page("/v1/admin/jobs?model=pager&status=failed&before=page-3")
    assert [j["id"] for j in older["jobs"]] == ["page-1"]

    unknown = api.get("/v1/admin/jobs?before=no-such-job", headers=ADMIN)
    assert unknown.status_code == 404 and "no job 'no-such-job'" in unknown.json()["detail"]
    bad = api.get("/v1/admin/jobs?status=exploded", headers=ADMIN)
    assert bad.status_code == 422 and "status" in bad.text

    first = page("/v1/admin/models/pager/events?limit=3")
    assert [e["version"] for e in first["events"]] == [4, 3, 2]
    rest = page(f"/v1/admin/models/pager/events?limit=3&before={first['next']}")
    assert [e["version"] for e in rest["events"]] == [1, 0] and rest["next"] is None
