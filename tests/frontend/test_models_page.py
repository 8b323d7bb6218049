"""The Models page (#/models) in front of real trainer workers: train a yoga classifier and
watch its progress, read its report, train a worse one, see Promote refused with the reason,
force it, and roll back.

Real processes of its own: ingest (serving the built page), the trainer worker and the trainer
control worker, on the run's Redis/PostgreSQL with the yoga data imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from celery import Celery
from playwright.sync_api import Page

from pose_common import trainer_contract
from tests.conftest import TEST_ADMIN_TOKEN
from tests.frontend.browser import OfflinePage, chromium, offline_page
from tests.processes import free_port, start_service, stop_service, tail, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("yoga_imported", "clean_registry")]
# Seconds, not minutes: one member, no augmentation, no cross-validation.
QUICK = {
    "architecture.ensemble": 1,
    "architecture.hidden": [32],
    "augment.copies": 0,
    "evaluation.cross_validation": None,
}
# The first version trains long enough (smaller batches, more epochs) for a poll every second to
# see its bar part-way on a fast machine too, and cross-validates on two folds: three fits, over
# which the bar of the whole job must keep moving forward.
FIRST = {
    **QUICK,
    "training.batch_size": 16,
    "evaluation.cross_validation": "group_kfold",
    "evaluation.folds": 2,
}
# Far worse than the first version on the same held-out subject.
BAD = {
    **QUICK,
    "architecture.hidden": [2],
    "architecture.knn": None,
    "training.learning_rate": 1e-5,
}
YOGA_DATA = {"source_prefix": "import:yoga"}  # only the imported rows of the shared database
JOB_TIMEOUT_S = 240


@dataclass
class TrainingBackend:
    env: dict[str, str]
    log_dir: Path
    port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, module: str, *, tag: str = "", args: tuple[str, ...] = ()) -> None:
        self.processes[module + tag] = start_service(
            module, self.env, self.log_dir, tag=tag, args=args
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{tail(self.log_dir / f'{name}.log', 30)}" for name in self.processes
        )


def _wait_for_workers(backend: TrainingBackend) -> None:
    """Until the trainer worker and control worker both answer a Celery ping."""
    client = Celery("test_models_page", set_as_current=False)
    client.conf.update(
        trainer_contract.client_config(
            redis_url=backend.env["REDIS_URL"], key_prefix=backend.env["POSE_KEY_PREFIX"]
        )
    )

    def answered() -> bool:
        for name, proc in backend.processes.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited:\n{backend.logs()}")
        replies = client.control.ping(timeout=0.5) or []
        names = {name.split("@")[0] for reply in replies for name in reply}
        return {"worker", "control"} <= names

    try:
        wait_until(answered, timeout=90, interval=0.5, what="trainer worker and control")
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n{backend.logs()}") from None
    finally:
        client.close()


@pytest.fixture
def training_backend(
    frontend_dist: Path, redis_url: str, database_url: str, key_prefix: str, tmp_path: Path
) -> Iterator[TrainingBackend]:
    """Ingest, trainer worker and trainer control on one model store, started for this test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSE_") and k != "DATABASE_URL"}
    port = free_port()
    env.update(
        {
            "POSE_ENV": "test",
            "POSE_ADMIN_TOKEN": TEST_ADMIN_TOKEN,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "POSE_KEY_PREFIX": f"{key_prefix}{uuid.uuid4().hex[:8]}:",
            "POSE_DATA_DIR": str(tmp_path / "data"),
            "POSE_MODEL_DIR": str(tmp_path / "models"),
            "POSE_METRICS_PORT": "0",
            "POSE_INGEST_PORT": str(port),
            "POSE_INGEST_GRACEFUL_SHUTDOWN_S": "1",
            "POSE_TRAINER_SEED_DEFAULTS": "false",
            "OPENBLAS_NUM_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    backend = TrainingBackend(env, tmp_path / "logs", port)
    backend.start("pose_ingest")
    backend.start("pose_trainer", tag="-worker", args=("worker",))
    backend.start("pose_trainer", tag="-control", args=("control",))
    try:

        def ready() -> bool:
            try:
                return httpx.get(backend.base_url + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=60, what=f"ingest /readyz\n{backend.logs()}")
        _wait_for_workers(backend)
        yield backend
    finally:
        for proc in backend.processes.values():
            stop_service(proc, timeout=30)


def _text(page: Page, test_id: str) -> str:
    texts = page.get_by_test_id(test_id).all_inner_texts()
    return texts[0] if texts else ""


def _train(
    page: OfflinePage,
    backend: TrainingBackend,
    *,
    epochs: int,
    overrides: dict,
    promote: str,
    shot: str | None = None,
) -> tuple[str, list[float]]:
    """Fill the Train form, start the job, follow its bar to the end; (result, bar values)."""
    p = page.page
    p.get_by_test_id("train-epochs").fill(str(epochs))
    p.get_by_test_id("train-promote").select_option(promote)
    p.get_by_test_id("train-overrides").fill(json.dumps(overrides))
    p.get_by_test_id("train-dataset").fill(json.dumps(YOGA_DATA))
    progress = p.get_by_test_id("job-progress")
    before = progress.get_attribute("data-job") if progress.count() else None
    p.get_by_test_id("train-submit").click()
    wait_until(
        lambda: progress.count() == 1 and progress.get_attribute("data-job") not in (None, before),
        timeout=30,
        what=f"a new job's progress (train error: {_text(p, 'train-error')!r})",
    )
    bar = p.get_by_test_id("job-progress-bar")
    values: list[float] = []
    shot_taken = shot is None

    def finished() -> bool:
        nonlocal shot_taken
        # Status first, bar second: a render between the two reads then can only move the bar
        # forward, so the last value read belongs to the finished job, not the one before it.
        done = progress.get_attribute("data-status") in ("succeeded", "failed", "cancelled")
        values.append(float(bar.evaluate("bar => bar.value")))
        if not shot_taken and 0 < values[-1] < 1:
            page.screenshot(str(shot))
            shot_taken = True
        return done

    wait_until(finished, timeout=JOB_TIMEOUT_S, interval=0.1, what=f"the job\n{backend.logs()}")
    status = progress.get_attribute("data-status")
    assert status == "succeeded", f"{_text(p, 'job-result')}\n{backend.logs()}"
    assert _text(p, "job-phase"), "the job says where it is"
    return _text(p, "job-result"), values


def _production(page: Page) -> str:
    return _text(page, "production-version")


def _enter_token(page: Page) -> None:
    """A wrong token is refused with a clear message; the right one opens the yoga tab."""
    page.get_by_test_id("admin-token-input").fill("not-the-token")
    page.get_by_test_id("admin-token-save").click()
    page.get_by_test_id("admin-error").wait_for(timeout=15_000)
    assert "admin token was refused" in _text(page, "admin-error")
    page.get_by_test_id("admin-token-input").fill(TEST_ADMIN_TOKEN)
    page.get_by_test_id("admin-token-save").click()
    page.get_by_test_id("model-tab-yoga").click()
    page.get_by_test_id("train-form").wait_for(timeout=15_000)
    assert page.evaluate("localStorage.getItem('posestream.adminToken')") == TEST_ADMIN_TOKEN
    assert _production(page) == "none"


def _refused_request(page: Page) -> None:
    """A request the API refuses (400) shows its reason under the form."""
    page.get_by_text("Advanced overrides (JSON)").click()
    page.get_by_test_id("train-dataset").fill('{"labels": ["chair", "levitate"]}')
    page.get_by_test_id("train-submit").click()
    page.get_by_test_id("train-error").wait_for(timeout=15_000)
    assert "unknown label(s) ['levitate']" in _text(page, "train-error")


def _check_report(page: OfflinePage, version: int) -> None:
    """The version's report: a row per class, its two CV folds, both plots decoded."""
    p = page.page
    p.get_by_test_id(f"version-link-{version}").click()
    p.get_by_test_id("version-report").wait_for(timeout=15_000)
    p.get_by_test_id("per-class-table").wait_for(timeout=15_000)
    for label in ("chair", "cobra", "dog", "tree", "warrior"):
        assert p.get_by_test_id(f"per-class-{label}").count() == 1
    assert "Cross-validation (group_kfold)" in _text(p, "cv-summary")
    assert p.get_by_test_id("cv-folds").locator("tbody tr").count() == 2
    for plot in ("plot-confusion", "plot-learning-curves"):
        image = p.get_by_test_id(plot)
        image.wait_for(timeout=15_000)
        wait_until(
            lambda image=image: image.evaluate("img => img.complete && img.naturalWidth > 0"),
            timeout=10,
            what=f"{plot} decoded",
        )
        # Drawn at the plot's own proportions (a flex row once stretched it to its neighbour).
        drawn, natural = image.evaluate(
            "img => [img.width / img.height, img.naturalWidth / img.naturalHeight]"
        )
        assert abs(drawn / natural - 1) < 0.02, (plot, drawn, natural)
    page.screenshot("models-report")


def _promote_force_and_roll_back(page: OfflinePage, backend: TrainingBackend) -> None:
    """Promote v2 is refused with the reason; forced, it is production; roll back gives v1."""
    p = page.page
    message = p.get_by_test_id("registry-message")
    p.get_by_test_id("promote-2").click()
    wait_until(
        lambda: message.count() == 1 and message.get_attribute("data-outcome") == "refused",
        timeout=60,
        what=f"the promotion refused\n{backend.logs()}",
    )
    assert "does not beat" in _text(p, "registry-message"), _text(p, "registry-message")
    assert _production(p) == "v1"
    page.screenshot("models-promote-refused")

    p.get_by_test_id("promote-force-2").check()
    p.get_by_test_id("promote-2").click()
    wait_until(lambda: _production(p) == "v2", timeout=60, what="production v2 (forced)")
    assert message.get_attribute("data-outcome") == "ok", _text(p, "registry-message")
    assert not p.get_by_test_id("promote-force-2").is_checked()  # a force is for one click
    assert p.get_by_test_id("version-row-2").get_by_test_id("alias-production").count() == 1

    p.get_by_test_id("rollback-button").click()
    wait_until(lambda: _production(p) == "v1", timeout=60, what="production back at v1")
    assert "rolled back to v1" in _text(p, "registry-message")
    assert p.get_by_test_id("version-row-1").get_by_test_id("alias-production").count() == 1

    events = p.get_by_test_id("event-list").get_by_test_id("event")
    wait_until(
        lambda: (
            [e.get_attribute("data-event") for e in events.all()[:3]]
            == ["rolled_back", "forced", "refused"]
        ),
        timeout=15,
        what="the history of the promotions",
    )
    assert p.get_by_test_id("job-list").locator("tr[data-status=succeeded]").count() == 2
    p.get_by_test_id("event-list").scroll_into_view_if_needed()
    page.screenshot("models-rolled-back")


def _refresh_shows_changes_made_elsewhere(page: Page, backend: TrainingBackend) -> None:
    """Production forced to v2 through the API, not the page: Refresh shows it and its event."""
    answer = httpx.post(
        f"{backend.base_url}/v1/admin/models/yoga/promote",
        json={"version": 2, "force": True},
        headers={"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    page.get_by_test_id("models-refresh").click()
    events = page.get_by_test_id("event-list").get_by_test_id("event")
    wait_until(
        lambda: _production(page) == "v2" and events.first.get_attribute("data-event") == "forced",
        timeout=15,
        what="the registry and its history reloaded",
    )


def _older_events(page: Page, backend: TrainingBackend) -> None:
    """More history than a page: the list shows the newest 20, Older events shows the rest, then
    the button goes (no more to load)."""
    admin = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
    with httpx.Client(base_url=backend.base_url, headers=admin, timeout=60) as client:
        for version in [1, 2] * 10:  # production ends where it was: v2
            answer = client.post(
                "/v1/admin/models/yoga/promote", json={"version": version, "force": True}
            )
            assert answer.status_code == 200, answer.text
        history = client.get("/v1/admin/models/yoga/events", params={"limit": 500}).json()
    total = len(history["events"])
    assert 20 < total <= 40, total
    page.get_by_test_id("models-refresh").click()
    events = page.get_by_test_id("event-list").get_by_test_id("event")
    older = page.get_by_test_id("events-older")
    wait_until(
        lambda: events.count() == 20 and older.count() == 1,
        timeout=15,
        what="the first page of history with its Older events button",
    )
    older.click()
    wait_until(
        lambda: events.count() == total and older.count() == 0,
        timeout=15,
        what=f"all {total} events shown and no button left",
    )
    shown = [(e.get_attribute("data-event"), e.get_attribute("data-version")) for e in events.all()]
    expected = [(e["event"], str(e["version"] or "")) for e in history["events"]]
    assert shown == expected, (shown, expected)


def _tune(page: Page, backend: TrainingBackend) -> None:
    """A tuning job's epochs go to each trial; its result shows the best values to train with."""
    page.get_by_test_id("train-epochs").fill("1")
    page.get_by_test_id("train-overrides").fill(json.dumps({**FIRST, "tuning.max_trials": 2}))
    progress = page.get_by_test_id("job-progress")
    before = progress.get_attribute("data-job") if progress.count() else None
    page.get_by_test_id("tune-submit").click()
    wait_until(
        lambda: (
            progress.get_attribute("data-job") not in (None, before)
            and progress.get_attribute("data-status") in ("succeeded", "failed")
        ),
        timeout=JOB_TIMEOUT_S,
        what=f"the tuning job\n{backend.logs()}",
    )
    result = _text(page, "job-result")
    assert result.startswith("best of 2 trials") and "val_accuracy" in result, result
    overrides = json.loads(_text(page, "job-tuned-overrides"))
    assert set(overrides) >= {"architecture", "training"}, overrides


def _cancel_long_job(page: Page, backend: TrainingBackend) -> None:
    """A long job, cancelled from its progress panel once it is training, publishes nothing."""
    page.get_by_test_id("train-epochs").fill("2000")
    page.get_by_test_id("train-submit").click()
    progress = page.get_by_test_id("job-progress")
    wait_until(
        lambda: (
            progress.get_attribute("data-epoch") not in (None, "", "1")
            and progress.get_attribute("data-status") == "running"
        ),
        timeout=JOB_TIMEOUT_S,
        what=f"the long job training\n{backend.logs()}",
    )
    page.get_by_test_id("job-cancel").click()
    wait_until(
        lambda: progress.get_attribute("data-status") == "cancelled",
        timeout=60,
        what=f"the job cancelled\n{backend.logs()}",
    )
    assert _text(page, "job-result") == "cancelled"
    assert page.get_by_test_id("version-row-3").count() == 0


def test_models_page_trains_reports_promotes_and_rolls_back(
    training_backend: TrainingBackend,
) -> None:
    backend = training_backend
    with (
        chromium(camera=None) as browser,
        offline_page(browser, backend.base_url + "/#/models") as page,
    ):
        p = page.page
        _enter_token(p)
        _refused_request(p)

        # Version 1: trained, its bar moving epoch by epoch, promoted (no production yet).
        result, values = _train(
            page, backend, epochs=120, overrides=FIRST, promote="auto", shot="models-training"
        )
        assert "published v1 · promoted" in result, result
        assert any(0 < v < 1 for v in values), f"the bar never moved: {sorted(set(values))}"
        assert values[-1] == 1
        # One bar for the whole job: each fold's fit carries it on, none starts it again.
        assert values == sorted(values), f"the bar went back: {values}"
        assert any(0.4 < v < 0.9 for v in values), f"no later fit seen: {sorted(set(values))}"
        assert _text(p, "job-time-left") == "", "a finished job has no time left"
        wait_until(lambda: _production(p) == "v1", timeout=15, what="production v1")
        assert p.get_by_test_id("version-row-1").get_by_test_id("alias-production").count() == 1
        assert float(_text(p, "version-accuracy-1")) > 0.4
        _check_report(page, 1)

        # Version 2: deliberately bad, kept out of production.
        result, _ = _train(page, backend, epochs=1, overrides=BAD, promote="never")
        assert "published v2" in result and "not promoted" in result, result
        p.get_by_test_id("version-row-2").wait_for(timeout=15_000)
        assert _production(p) == "v1"

        _promote_force_and_roll_back(page, backend)
        _refresh_shows_changes_made_elsewhere(p, backend)
        _older_events(p, backend)
        _tune(p, backend)
        _cancel_long_job(p, backend)
        assert page.blocked == []
        assert not [line for line in page.console if line.startswith("pageerror")], page.console
