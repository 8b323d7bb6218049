"""Promotion and roll back: production moves only to a version that beats it on the same data.

Every published version keeps its evaluation split (eval_split.npz, frames of groups it never
trained on). To promote version v, both v and the current production version classify that
same split, and v is promoted only if its metric beats production's by the config's
min_improvement (or an admin forces it). A roll back points production at the version it
pointed at before (or a chosen one). Each decision is a model_events row, and the models
stream announces each alias change so every inference worker reloads at once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import psycopg

from pose_common import model_catalog as catalog
from pose_common.model_aliases import set_alias
from pose_common.redis_client import connect as connect_redis
from pose_common.streams import StreamKeys
from pose_ml.datasets.dataset import Dataset
from pose_ml.evaluation import classification_metrics
from pose_ml.model_inputs import dataset_inputs
from pose_trainer import metrics as trainer_metrics
from pose_trainer.errors import BadRequest
from pose_trainer.locks import model_lock
from pose_trainer.registry import production_history, record_event
from pose_trainer.settings import TrainerSettings

log = logging.getLogger(__name__)

EVAL_SPLIT_FILE = "eval_split.npz"


@dataclass(frozen=True, slots=True)
class Decision:
    promote: bool
    reason: str
    metric: str
    candidate: float
    production: float | None


def decide_promotion(
    *,
    candidate: dict[str, Any],
    production: dict[str, Any] | None,
    metric: str = "accuracy",
    min_improvement: float = 0.0,
    force: bool = False,
) -> Decision:
    """Whether a candidate with these metrics should replace production (pure)."""
    score = float(candidate[metric])
    if production is None:
        return Decision(True, "no production version yet", metric, score, None)
    current = float(production[metric])
    if force:
        return Decision(
            True, f"forced ({metric} {score:.4f} vs {current:.4f})", metric, score, current
        )
    if score > current + min_improvement:
        return Decision(
            True, f"{metric} {score:.4f} beats production's {current:.4f}", metric, score, current
        )
    return Decision(
        False,
        f"{metric} {score:.4f} does not beat production's {current:.4f}"
        + (f" by {min_improvement}" if min_improvement else ""),
        metric,
        score,
        current,
    )


def evaluate_loaded(loaded: Any, dataset: Dataset) -> dict[str, Any]:
    """A served model's metrics on a dataset; labels it does not know count as errors."""
    inputs, true_labels = dataset_inputs(dataset, loaded.feature_spec, window=loaded.window)
    if len(true_labels) == 0:
        raise BadRequest("the evaluation split has no frames (or windows) to classify")
    names = sorted(set(true_labels.tolist()) | set(loaded.labels.names))
    index = {name: i for i, name in enumerate(names)}
    probabilities = loaded.probabilities(inputs)
    predicted = [index[loaded.labels.name(int(i))] for i in np.argmax(probabilities, axis=1)]
    truth = [index[label] for label in true_labels.tolist()]
    return classification_metrics(np.array(truth), np.array(predicted), labels=names)


def load_eval_split(root: Path, model: str, version: int) -> Dataset:
    path = catalog.version_dir(root, model, version) / EVAL_SPLIT_FILE
    if not path.is_file():
        raise BadRequest(f"model {model!r} version {version} has no evaluation split stored")
    return Dataset.load(path)


def _load(root: Path, model: str, version: int) -> Any:
    from pose_ml.model_store import ModelLoadError, load_model

    try:
        return load_model(root=root, name=model, version=version)
    except ModelLoadError as exc:
        raise BadRequest(str(exc)) from None


def _check_version(root: Path, model: str, version: int) -> None:
    try:
        versions = catalog.list_versions(root, model)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if version not in versions:
        raise BadRequest(f"model {model!r} has no version {version}; versions: {versions}")


def _promotion_options(root: Path, model: str, version: int) -> tuple[str, float]:
    manifest = catalog.read_manifest(root, model, version)
    options = (manifest.get("config") or {}).get("promotion") or {}
    return str(options.get("metric", "accuracy")), float(options.get("min_improvement", 0.0))


class NoFairComparison(BadRequest):
    """No evaluation frames that neither version trained on."""


def _trained_groups(root: Path, model: str, version: int) -> set[str] | None:
    """The groups a version trained on (None: its manifest does not say)."""
    train = (catalog.read_manifest(root, model, version).get("training_data") or {}).get("train")
    groups = (train or {}).get("groups")
    return None if groups is None else {str(g) for g in groups}


def _unseen(split: Dataset, seen: set[str] | None) -> Dataset:
    if seen is None:
        return split
    return split.select(~np.isin(split.groups, sorted(seen)))


def fair_split(root: Path, model: str, version: int, production: int) -> tuple[Dataset, str]:
    """Frames neither version trained on: the candidate's evaluation split less the groups
    production trained on, else production's split less the candidate's training groups.

    Scoring production on frames it learnt would hold any candidate to an accuracy no
    unseen subject gets. Raises NoFairComparison when both are empty.
    """
    own = load_eval_split(root, model, version)
    unseen = _unseen(own, _trained_groups(root, model, production))
    if len(unseen):
        return unseen, f"version {version}'s evaluation split"
    path = catalog.version_dir(root, model, production) / EVAL_SPLIT_FILE
    if path.is_file():
        theirs = _unseen(Dataset.load(path), _trained_groups(root, model, version))
        if len(theirs):
            return theirs, f"version {production}'s evaluation split"
    raise NoFairComparison(
        f"no evaluation frames are unseen by both versions (version {version} is evaluated on"
        f" {own.group_names()}, which production version {production} trained on, and"
        f" version {version} trained on production's evaluation groups); force to promote"
        " anyway"
    )


def compare_on_split(
    *, root: Path, model: str, version: int, production: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """Metrics of `version` and of `production` on frames neither trained on (fair_split),
    and what they were: {"split": ..., "groups": {group: frames}}."""
    if production is None or production == version:
        split = load_eval_split(root, model, version)
        where = f"version {version}'s evaluation split"
        return evaluate_loaded(_load(root, model, version), split), None, _described(split, where)
    split, where = fair_split(root, model, version, production)
    candidate = evaluate_loaded(_load(root, model, version), split)
    baseline = evaluate_loaded(_load(root, model, production), split)
    return candidate, baseline, _described(split, where)


def _described(split: Dataset, where: str) -> dict[str, Any]:
    names, counts = np.unique(split.groups, return_counts=True)
    return {"split": where, "groups": {str(n): int(c) for n, c in zip(names, counts, strict=True)}}


def _summary(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    if metrics is None:
        return None
    return {k: metrics[k] for k in ("accuracy", "macro_f1", "frames")}


def point_alias(
    settings: TrainerSettings,
    *,
    model: str,
    version: int,
    alias: str = catalog.PRODUCTION,
    event: Literal["promoted", "rolled_back"] | None = None,
) -> int | None:
    """Move an alias and announce it on the models stream; returns the version it held."""
    client = connect_redis(settings.redis_url)
    try:
        return set_alias(
            root=settings.model_dir,
            name=model,
            version=version,
            alias=alias,
            redis=client,
            models_stream=StreamKeys(settings.key_prefix).models,
            event=event,
        )
    finally:
        client.close()


def promote_version(
    *,
    settings: TrainerSettings,
    model: str,
    version: int,
    force: bool = False,
    actor: str = "",
    job_id: str | None = None,
) -> dict[str, Any]:
    """Compare `version` with production on its split; promote it if it wins (or if forced).

    Holds the model's registry lock from reading production to moving it, so two promotions
    (or a promotion and a roll back) never decide against a production that has moved since.
    """
    root = settings.model_dir
    _check_version(root, model, version)
    with model_lock(settings.psycopg_url, model) as conn:
        return _promote_locked(
            conn,
            settings=settings,
            model=model,
            version=version,
            force=force,
            actor=actor,
            job_id=job_id,
        )


def _promote_locked(
    conn: psycopg.Connection,
    *,
    settings: TrainerSettings,
    model: str,
    version: int,
    force: bool,
    actor: str,
    job_id: str | None,
) -> dict[str, Any]:
    root = settings.model_dir
    current = catalog.resolve_alias(root, model, catalog.PRODUCTION)
    if current == version:
        return {
            "model": model,
            "version": version,
            "promoted": False,
            "reason": f"version {version} is production already",
            "production": current,
        }
    metric, min_improvement = _promotion_options(root, model, version)
    try:
        candidate, baseline, compared_on = compare_on_split(
            root=root, model=model, version=version, production=current
        )
        decision = decide_promotion(
            candidate=candidate,
            production=baseline,
            metric=metric,
            min_improvement=min_improvement,
            force=force,
        )
    except NoFairComparison as exc:
        candidate, _, compared_on = compare_on_split(
            root=root, model=model, version=version, production=None
        )
        baseline = None
        score = float(candidate[metric])
        reason = f"forced ({exc})" if force else str(exc)
        decision = Decision(force, reason, metric, score, None)
    return apply_decision(
        conn,
        settings=settings,
        model=model,
        version=version,
        decision=decision,
        previous=current,
        force=force,
        actor=actor,
        detail={
            "candidate_metrics": _summary(candidate),
            "production_metrics": _summary(baseline),
            "compared_on": compared_on,
            **({"job_id": job_id} if job_id else {}),
        },
    )


def apply_decision(
    conn: psycopg.Connection,
    *,
    settings: TrainerSettings,
    model: str,
    version: int,
    decision: Decision,
    previous: int | None,
    force: bool,
    actor: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """Move production (or not) as decided, and record the event either way.

    The event is written in a transaction committed only after the alias moved, so an alias
    that failed to move leaves no event, and the roll back history never misses a step.
    """
    event = (
        ("forced" if force and decision.production is not None else "promoted")
        if decision.promote
        else "refused"
    )
    with conn.transaction():
        record_event(
            conn,
            model=model,
            version=version,
            event=event,
            alias=catalog.PRODUCTION if decision.promote else None,
            actor=actor,
            detail={**detail, "reason": decision.reason, "previous": previous},
        )
        if decision.promote:
            point_alias(settings, model=model, version=version, event="promoted")
    trainer_metrics.PROMOTIONS.labels(model, event).inc()
    log.info("model %s version %d: %s (%s)", model, version, event, decision.reason)
    return {
        "model": model,
        "version": version,
        "promoted": decision.promote,
        "event": event,
        "reason": decision.reason,
        "previous": previous,
        "production": version if decision.promote else previous,
        "decision": asdict(decision),
        **detail,
    }


def rollback_model(
    *, settings: TrainerSettings, model: str, to_version: int | None = None, actor: str = ""
) -> dict[str, Any]:
    """Point production at `to_version`, else at the version production held before."""
    with model_lock(settings.psycopg_url, model) as conn:
        return _rollback_locked(
            conn, settings=settings, model=model, to_version=to_version, actor=actor
        )


def _rollback_locked(
    conn: psycopg.Connection,
    *,
    settings: TrainerSettings,
    model: str,
    to_version: int | None,
    actor: str,
) -> dict[str, Any]:
    root = settings.model_dir
    current = catalog.resolve_alias(root, model, catalog.PRODUCTION)
    if current is None:
        raise BadRequest(f"model {model!r} has no production version to roll back")
    if to_version is None:
        history = production_history(conn, model)
        earlier = (
            [v for v in history[: history.index(current)] if v != current]
            if current in history
            else history
        )
        older = [v for v in catalog.list_versions(root, model) if v < current]
        target = earlier[-1] if earlier else (older[-1] if older else None)
        if target is None:
            raise BadRequest(f"model {model!r} has no version before {current} to roll back to")
    else:
        target = to_version
    _check_version(root, model, target)
    if target == current:
        raise BadRequest(f"version {target} is production already")
    with conn.transaction():
        record_event(
            conn,
            model=model,
            version=target,
            event="rolled_back",
            alias=catalog.PRODUCTION,
            actor=actor,
            detail={"previous": current},
        )
        point_alias(settings, model=model, version=target, event="rolled_back")
    trainer_metrics.PROMOTIONS.labels(model, "rolled_back").inc()
    log.info("model %s: production rolled back %d -> %d", model, current, target)
    return {"model": model, "production": target, "previous": current, "event": "rolled_back"}


def evaluate_version(
    *, settings: TrainerSettings, model: str, version: int | None = None
) -> dict[str, Any]:
    """A version's metrics (production by default) on its own evaluation split."""
    root = settings.model_dir
    if version is None:
        version = catalog.resolve_alias(root, model, catalog.PRODUCTION)
        if version is None:
            raise BadRequest(f"model {model!r} has no production version")
    _check_version(root, model, version)
    split = load_eval_split(root, model, version)
    metrics = evaluate_loaded(_load(root, model, version), split)
    return {"model": model, "version": version, "metrics": metrics}
