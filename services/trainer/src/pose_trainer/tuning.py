"""Hyperparameter search with Keras Tuner within a trial and a time budget.

The search space comes from the config's `tuning` section: layers, units per layer, dropout
and learning rate of the MLP member. Each trial trains on the training side's groups and is
scored on a grouped validation split of them (the config's held-out groups are never seen,
so the version trained afterwards is still tested on unseen people). The search stops at
max_trials or when time_budget_s has passed, whichever comes first; the best values are
returned as config overrides and written as a YAML config beside the data
({data_dir}/tuned/<config>-<job>.yaml) to train with.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import keras
import keras_tuner
import numpy as np
import yaml

from pose_ml.augment import augment_arrays
from pose_ml.classifiers import build_mlp_member
from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.splits import holdout_split
from pose_ml.experiments import ExperimentConfig, merge_overrides
from pose_trainer import shutdown
from pose_trainer.errors import BadRequest
from pose_trainer.jobs import JobCancelled
from pose_trainer.progress import Reporter
from pose_trainer.settings import TrainerSettings
from pose_trainer.training import check_trainable, evaluation_holdout, label_map_for, spec_for


class _StopFlag(keras.callbacks.Callback):
    """Per epoch: report progress, and end the trial early if the job must stop."""

    def __init__(self, tuner: BudgetedSearch) -> None:
        super().__init__()
        self.tuner = tuner

    def __deepcopy__(self, memo: dict[int, Any]) -> _StopFlag:
        return self  # Keras Tuner copies callbacks per trial; this one must stay shared

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        try:
            self.tuner.reporter.update(
                epoch=epoch + 1,
                epochs=(self.params or {}).get("epochs"),
                metrics={k: round(float(v), 5) for k, v in (logs or {}).items()},
            )
        except JobCancelled:
            self.tuner.cancelled = True
        if self.tuner.cancelled or shutdown.stopping():
            self.model.stop_training = True


class BudgetedSearch(keras_tuner.RandomSearch):
    """Random search that also stops when its time budget is spent (or the job is cancelled).

    Exceptions raised inside a trial are caught by Keras Tuner, so cancellation is noted
    there and raised between trials, where it reaches the job.
    """

    def __init__(self, *args: Any, budget_s: float, reporter: Reporter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget_s = budget_s
        self.reporter = reporter
        self.started = time.monotonic()
        self.cancelled = False
        self.stopped_by_budget = False

    def on_trial_begin(self, trial: Any) -> None:
        super().on_trial_begin(trial)
        self.reporter.update(
            phase="tuning",
            trial=len(self.oracle.trials),
            trials=self.oracle.max_trials,
            budget_s=self.budget_s,
            force=True,
        )

    def on_trial_end(self, trial: Any) -> None:
        super().on_trial_end(trial)
        if self.cancelled:
            raise JobCancelled("cancel requested")
        if shutdown.stopping():
            raise shutdown.JobInterrupted("the worker is shutting down")
        if time.monotonic() - self.started >= self.budget_s:
            self.stopped_by_budget = True
            self.oracle.max_trials = len(self.oracle.trials)  # the oracle stops here


def _build(config: ExperimentConfig, *, n_features: int, n_labels: int):  # type: ignore[no-untyped-def]
    space = config.tuning

    def build(hp: keras_tuner.HyperParameters) -> keras.Model:
        layers = hp.Choice("layers", space.layers)
        units = hp.Choice("units", space.hidden_units)
        dropout = hp.Float("dropout", *space.dropout, step=0.05)
        rate = hp.Choice("learning_rate", space.learning_rate)
        model = build_mlp_member(
            n_features=n_features,
            n_labels=n_labels,
            hidden=[units] * layers,
            dropout=dropout,
            seed=config.training.seed,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build


def run_tuning(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    reporter: Reporter,
    settings: TrainerSettings | None = None,
    job_id: str = "local",
) -> dict[str, Any]:
    """Search the config's space; the best values as overrides, and every trial's score."""
    labels = label_map_for(config, dataset)
    check_trainable(dataset, labels)
    spec = spec_for(config)
    train = dataset.select(evaluation_holdout(config, dataset).train)
    try:
        inner = holdout_split(train.groups, test_fraction=0.25, seed=config.training.seed + 1)
    except ValueError as exc:
        raise BadRequest(f"tuning needs groups to validate on: {exc}") from None
    fit, val = train.select(inner.train), train.select(inner.test)
    augmenter = config.augment.augmenter()
    augmented = augment_arrays(fit.keypoints, fit.labels, augmenter, seed=config.training.seed)

    def encode(names: np.ndarray) -> np.ndarray:
        return keras.utils.to_categorical([labels.index(n) for n in names.tolist()], len(labels))

    keras.utils.set_random_seed(config.training.seed)
    with tempfile.TemporaryDirectory(prefix="pose-tune-") as workdir:
        tuner = BudgetedSearch(
            _build(config, n_features=spec.size, n_labels=len(labels)),
            objective="val_accuracy",
            max_trials=config.tuning.max_trials,
            seed=config.training.seed,
            directory=workdir,
            project_name="search",
            overwrite=True,
            budget_s=config.tuning.time_budget_s,
            reporter=reporter,
        )
        tuner.search(
            spec.features(augmented["keypoints"]),
            encode(augmented["labels"]),
            validation_data=(spec.features(val.keypoints), encode(val.labels)),
            epochs=config.tuning.epochs,
            batch_size=config.training.batch_size,
            callbacks=[_StopFlag(tuner)],
            verbose=0,
        )
        trials = [
            {
                "trial": t.trial_id,
                "values": dict(t.hyperparameters.values),
                "val_accuracy": t.score,
                "status": str(t.status),
            }
            for t in tuner.oracle.trials.values()
        ]
        best = tuner.get_best_hyperparameters(1)
    if not best:
        raise BadRequest("no tuning trial finished within the budget")
    values = best[0].values
    overrides = {
        "architecture": {
            "hidden": [int(values["units"])] * int(values["layers"]),
            "dropout": round(float(values["dropout"]), 4),
        },
        "training": {"learning_rate": float(values["learning_rate"])},
    }
    best_score = max((t["val_accuracy"] or 0.0) for t in trials)
    result = {
        "model": config.model,
        "config": config.name,
        "best": {"values": values, "val_accuracy": best_score, "overrides": overrides},
        "trials": trials,
        "trials_run": len(trials),
        "stopped_by_budget": tuner.stopped_by_budget,
        "elapsed_s": round(time.monotonic() - tuner.started, 1),
        "validation_groups": list(inner.test_groups),
    }
    if settings is not None:
        result["config_file"] = str(_write_tuned_config(settings, config, overrides, job_id))
    return result


def _write_tuned_config(
    settings: TrainerSettings, config: ExperimentConfig, overrides: dict[str, Any], job_id: str
) -> Path:
    """The config with the best values, as a YAML file a later run can be pointed at."""
    directory = settings.data_dir / "tuned"
    directory.mkdir(parents=True, exist_ok=True)
    data = merge_overrides(config.to_dict(), overrides)
    path = directory / f"{config.name}-{job_id}.yaml"
    data["name"] = path.stem  # what `posestream train PATH` and the registry will call it
    data["description"] = f"{config.description} (tuned by job {job_id})".strip()
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
