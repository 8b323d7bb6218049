"""Promotion on the same evaluation split: a worse candidate never replaces production."""

from __future__ import annotations

import psycopg
import pytest

from pose_common import model_catalog as catalog
from pose_trainer.celery_app import TASK_PROMOTE, TASK_ROLLBACK, get_app
from pose_trainer.promotion import decide_promotion
from pose_trainer.runner import connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job
from tests.trainer.conftest import QUICK, YOGA_DATA, Workers, wait_for_worker

GOOD = {**QUICK, "training.epochs": 25, "architecture.hidden": [64]}
# One epoch of a 2-unit network at a tiny learning rate, without the k-NN head (which alone
# would classify well): barely better than chance.
BAD = {
    **QUICK,
    "training.epochs": 1,
    "architecture.hidden": [2],
    "architecture.knn": None,
    "training.learning_rate": 1e-5,
}


def _train(settings: TrainerSettings, overrides: dict) -> dict:
    request = {"config": "yoga", "overrides": overrides, "dataset": YOGA_DATA}
    with connect_db(settings) as conn:
        job_id, _ = create_checked_job(conn, kind="train", request=request)
    return run_job(job_id, settings=settings)


def _events(database_url: str) -> list[tuple[int, str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT version, event FROM model_events WHERE model = 'yoga' ORDER BY id"
        ).fetchall()
    return [(int(v), e) for v, e in rows]


def test_the_decision_needs_a_strictly_better_score_unless_forced() -> None:
    assert decide_promotion(candidate={"accuracy": 0.9}, production=None).promote
    assert decide_promotion(candidate={"accuracy": 0.9}, production={"accuracy": 0.8}).promote
    tie = decide_promotion(candidate={"accuracy": 0.8}, production={"accuracy": 0.8})
    assert not tie.promote and "does not beat" in tie.reason
    small = decide_promotion(
        candidate={"accuracy": 0.81}, production={"accuracy": 0.8}, min_improvement=0.02
    )
    assert not small.promote
    assert decide_promotion(
        candidate={"accuracy": 0.1}, production={"accuracy": 0.8}, force=True
    ).promote


@pytest.mark.usefixtures("yoga_imported")
def test_a_worse_candidate_is_published_but_not_promoted(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    good = _train(trainer_settings, GOOD)
    bad = _train(trainer_settings, BAD)
    root = trainer_settings.model_dir
    assert good["promotion"]["promoted"] and good["version"] == 1
    assert bad["version"] == 2 and bad["promotion"]["promoted"] is False
    decision = bad["promotion"]
    assert "does not beat" in decision["reason"]
    # Both were measured on the candidate's split (the same frames).
    candidate, production = decision["candidate_metrics"], decision["production_metrics"]
    assert candidate["frames"] == production["frames"]
    assert candidate["accuracy"] < production["accuracy"]
    assert catalog.resolve_alias(root, "yoga", catalog.PRODUCTION) == 1
    assert catalog.resolve_alias(root, "yoga", catalog.CANDIDATE) == 2
    assert (2, "refused") in _events(database_url)


@pytest.mark.usefixtures("yoga_imported")
def test_promote_and_rollback_through_the_control_worker(
    workers: Workers, trainer_settings: TrainerSettings, database_url: str
) -> None:
    _train(trainer_settings, GOOD)
    _train(trainer_settings, BAD)
    workers.start("control")
    wait_for_worker(workers, trainer_settings, "control")
    app, root = get_app(), trainer_settings.model_dir

    refused = app.send_task(TASK_PROMOTE, kwargs={"model": "yoga", "version": 2}).get(timeout=60)
    assert refused["promoted"] is False and "does not beat" in refused["reason"]
    assert catalog.resolve_alias(root, "yoga") == 1

    forced = app.send_task(
        TASK_PROMOTE, kwargs={"model": "yoga", "version": 2, "force": True, "actor": "admin"}
    ).get(timeout=60)
    assert forced["promoted"] is True and forced["event"] == "forced"
    assert catalog.resolve_alias(root, "yoga") == 2

    back = app.send_task(TASK_ROLLBACK, kwargs={"model": "yoga"}).get(timeout=60)
    assert back == {"model": "yoga", "production": 1, "previous": 2, "event": "rolled_back"}
    assert catalog.resolve_alias(root, "yoga") == 1
    assert [e for e in _events(database_url) if e[1] != "published"][-3:] == [
        (2, "refused"),
        (2, "forced"),
        (1, "rolled_back"),
    ]
    with pytest.raises(Exception, match="no version 9") as unknown:
        app.send_task(TASK_PROMOTE, kwargs={"model": "yoga", "version": 9}).get(timeout=60)
    assert type(unknown.value).__name__ == "BadRequest"


def test_a_promotion_waits_for_the_one_in_progress_and_compares_with_its_outcome(
    trainer_settings: TrainerSettings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production is v1 (0.85); v2 (0.95) is being promoted when v3 (0.87) is asked for.

    Without the model lock both compare against v1 and the later write wins, leaving the worse
    v3 in production. The evaluation is replaced by fixed scores to fix the interleaving.
    """
    import json
    import threading

    from pose_common.model_aliases import set_alias
    from pose_trainer import promotion
    from pose_trainer.locks import model_lock

    root = trainer_settings.model_dir
    for version in (1, 2, 3):
        directory = catalog.version_dir(root, "race", version)
        directory.mkdir(parents=True)
        (directory / catalog.MANIFEST_FILE).write_text(json.dumps({"version": version}))
    set_alias(root=root, name="race", version=1)
    scores = {1: 0.85, 2: 0.95, 3: 0.87}

    def fixed_scores(*, root, model, version, production):  # type: ignore[no-untyped-def]
        def metrics(v: int) -> dict:
            return {"accuracy": scores[v], "macro_f1": scores[v], "frames": 10}

        baseline = None if production is None else metrics(production)
        return metrics(version), baseline, {"split": "fixed scores", "groups": {}}

    monkeypatch.setattr(promotion, "compare_on_split", fixed_scores)
    results: dict[int, dict] = {}

    def promote(version: int) -> None:
        results[version] = promotion.promote_version(
            settings=trainer_settings, model="race", version=version, actor=f"job{version}"
        )

    later = threading.Thread(target=promote, args=(3,))
    with model_lock(trainer_settings.psycopg_url, "race"):  # v2's promotion is in progress
        later.start()
        later.join(timeout=1.5)
        assert later.is_alive() and 3 not in results  # v3 waits instead of reading production
        set_alias(root=root, name="race", version=2)  # what v2's promotion decides
    later.join(timeout=30)
    assert results[3]["promoted"] is False and results[3]["previous"] == 2
    assert "does not beat production's 0.9500" in results[3]["reason"]
    assert catalog.resolve_alias(root, "race") == 2


def test_production_is_never_scored_on_frames_it_trained_on(
    trainer_settings: TrainerSettings,
) -> None:
    """v1 is evaluated on girl3 and trained on the rest. A candidate evaluated on guy2 (which
    v1 learnt) and trained on girl3 has no frame unseen by both: not promoted, and said why.
    A candidate evaluated on girl3 and guy2 is compared on girl3 alone."""
    from pose_trainer.promotion import promote_version

    def train(holdout: list[str]) -> int:
        overrides = {**QUICK, "evaluation.holdout_groups": holdout}
        request = {"config": "yoga", "overrides": overrides, "dataset": YOGA_DATA}
        with connect_db(trainer_settings) as conn:
            job_id, _ = create_checked_job(
                conn, kind="train", request={**request, "promote": "never"}
            )
        return run_job(job_id, settings=trainer_settings)["version"]

    first = train(["girl3"])
    promote_version(settings=trainer_settings, model="yoga", version=first, force=True)
    crossed = train(["guy2"])
    refused = promote_version(settings=trainer_settings, model="yoga", version=crossed)
    assert refused["promoted"] is False
    assert "no evaluation frames are unseen by both versions" in refused["reason"]
    assert refused["production_metrics"] is None
    both = train(["girl3", "guy2"])
    compared = promote_version(settings=trainer_settings, model="yoga", version=both, force=True)
    assert compared["compared_on"] == {
        "split": f"version {both}'s evaluation split",
        "groups": {"girl3": 76},
    }
    assert compared["production_metrics"]["frames"] == compared["candidate_metrics"]["frames"] == 76
    assert catalog.resolve_alias(trainer_settings.model_dir, "yoga") == both
