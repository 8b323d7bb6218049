"""Train and evaluate one experiment on one dataset (the heart of a training job).

train_experiment() reads top to bottom:
1. labels and the feature spec from the config;
2. the evaluation split: whole groups (subjects/sessions) held out, never random rows;
3. optional cross-validation over groups (leave one group out or grouped k-fold), each fold
   trained exactly like the final model, for an honest figure on unseen people;
4. the final model fitted on the training side: augmentations applied to keypoints, features
   computed by the one shared feature code, members trained, then assembled with mirror
   averaging and the k-NN head into the single served model;
5. metrics, confusion matrix and learning curves on the held-out split.
Progress (phase, fit of fits, fold, epoch, metrics) goes to the reporter at every epoch, which
also raises when the job is cancelled or the worker shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from pose_ml.augment import augment_arrays
from pose_ml.classifiers import (
    assemble_frame_classifier,
    build_mlp_member,
    build_temporal,
    ensemble_trainer,
)
from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.splits import Split, cross_validation, holdout_split
from pose_ml.datasets.windows import Windows, make_windows
from pose_ml.evaluation import (
    classification_metrics,
    confusion_png,
    learning_curves_png,
    summarise_folds,
)
from pose_ml.experiments import ExperimentConfig
from pose_ml.features import FeatureSpec
from pose_ml.labels import LabelMap
from pose_ml.model_inputs import dataset_inputs, window_inputs
from pose_ml.symmetry import feature_symmetry, mirror_keypoints
from pose_trainer import metrics as trainer_metrics
from pose_trainer import shutdown
from pose_trainer.errors import BadRequest
from pose_trainer.held_out_curve import HeldOutCurve
from pose_trainer.progress import NULL_REPORTER, Reporter

log = logging.getLogger(__name__)

PREDICT_BATCH = 4096


@dataclass
class TrainOutcome:
    """What a training run produced: the served model and everything its version records."""

    model: keras.Model
    labels: LabelMap
    spec: FeatureSpec
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    eval_split: Dataset
    split: dict[str, Any]
    training_data: dict[str, Any]
    cross_validation: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    window: int | None = None  # temporal models: frames per input window

    def summary_metrics(self) -> dict[str, Any]:
        """The headline figures kept in the manifest and the registry row."""
        out = {k: self.metrics[k] for k in ("accuracy", "macro_f1", "frames")}
        if self.cross_validation:
            out["cv_mean_accuracy"] = self.cross_validation["mean_accuracy"]
            out["cv_pooled_accuracy"] = self.cross_validation["pooled_accuracy"]
            out["cv_kind"] = self.cross_validation["kind"]
        return out

    def report(self) -> dict[str, Any]:
        return {
            "evaluation": self.metrics,
            "split": self.split,
            "cross_validation": self.cross_validation,
            "history": self.history,
            "training_data": self.training_data,
        }


class ProgressCallback(keras.callbacks.Callback):
    """Each epoch's metrics to the reporter; stops the fit on cancel or shutdown."""

    def __init__(self, reporter: Reporter, *, model_name: str, epochs: int, **context: Any):
        super().__init__()
        self.reporter = reporter
        self.model_name = model_name
        self.epochs = epochs
        self.context = context

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        trainer_metrics.EPOCHS.labels(self.model_name).inc()
        if shutdown.stopping():
            raise shutdown.JobInterrupted("the worker is shutting down")
        values = {k: round(v, 5) for k, v in epoch_metrics(logs or {}).items()}
        self.reporter.update(epoch=epoch + 1, epochs=self.epochs, metrics=values, **self.context)


def label_map_for(config: ExperimentConfig, dataset: Dataset) -> LabelMap:
    names = list(config.dataset.labels) if config.dataset.labels else dataset.label_names()
    return LabelMap.from_names(sorted(names))


def spec_for(config: ExperimentConfig) -> FeatureSpec:
    return config.features.spec()


def epoch_metrics(logs: Mapping[str, Any]) -> dict[str, float]:
    """One epoch's logs as one model's: a joint ensemble fit's loss and accuracy are its
    members' means.

    Keys of a single-output fit (loss, accuracy, val_loss, val_accuracy, held_out_*) pass
    through; the members' own keys (member_0_loss, member_1_accuracy, ...) are folded into
    loss and accuracy (Keras' own `loss` of a joint fit is the members' sum, on another scale
    than the held-out curve's).
    """
    out = {k: float(v) for k, v in logs.items() if "member_" not in k}
    for prefix in ("", "val_"):
        for metric in ("loss", "accuracy"):
            values = [
                float(v)
                for k, v in logs.items()
                if k.startswith(f"{prefix}member_") and k.endswith(f"_{metric}")
            ]
            if values:
                out[f"{prefix}{metric}"] = float(np.mean(values))
    return out


def member_history(history: Mapping[str, list[float]]) -> dict[str, list[float]]:
    """epoch_metrics() of every epoch of a fit's history, as lists per key."""
    epochs = len(next(iter(history.values()), []))
    rows = [epoch_metrics({k: v[i] for k, v in history.items()}) for i in range(epochs)]
    return {k: [row[k] for row in rows] for k in rows[0]} if rows else {}


def _label_indices(labels: LabelMap, names: np.ndarray) -> np.ndarray:
    return np.array([labels.index(name) for name in names.tolist()], dtype=np.int64)


def predict_probabilities(model: keras.Model, features: np.ndarray) -> np.ndarray:
    """The served model's output, batch by batch (model.predict is not for this: DESIGN 4)."""
    parts = [
        np.asarray(model(features[i : i + PREDICT_BATCH], training=False))
        for i in range(0, len(features), PREDICT_BATCH)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]))


def _validation_split(config: ExperimentConfig, train: Dataset) -> Split | None:
    fraction = config.training.validation_fraction
    if fraction <= 0 or len(train.group_names()) < 3 or config.training.patience is None:
        return None
    return holdout_split(train.groups, test_fraction=fraction, seed=config.training.seed + 1)


def fit_classifier(
    config: ExperimentConfig,
    train: Dataset,
    *,
    labels: LabelMap,
    spec: FeatureSpec,
    reporter: Reporter = NULL_REPORTER,
    context: dict[str, Any] | None = None,
    held_out: Dataset | None = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Fit the members on `train` (augmented) and assemble the served model.

    With `held_out` (the evaluation split), every epoch also scores the served model on it
    for the learning curves (pose_trainer.held_out_curve); training never looks at it.
    """
    arch, options = config.architecture, config.training
    if arch.kind == "temporal":
        return fit_temporal(
            config,
            train,
            labels=labels,
            spec=spec,
            reporter=reporter,
            context=context,
            held_out=held_out,
        )
    validation = _validation_split(config, train)
    fit_side = train if validation is None else train.select(validation.train)
    augmenter = config.augment.augmenter()
    augmented = augment_arrays(fit_side.keypoints, fit_side.labels, augmenter, seed=options.seed)
    x = spec.features(augmented["keypoints"])
    y = keras.utils.to_categorical(_label_indices(labels, augmented["labels"]), len(labels))
    validation_data = None
    if validation is not None:
        held = train.select(validation.test)
        validation_data = (
            spec.features(held.keypoints),
            keras.utils.to_categorical(_label_indices(labels, held.labels), len(labels)),
        )
    keras.utils.set_random_seed(options.seed)
    members = [
        build_mlp_member(
            n_features=spec.size,
            n_labels=len(labels),
            hidden=arch.hidden,
            dropout=arch.dropout,
            seed=options.seed * 1000 + index,
            name=f"member_{index}",
        )
        for index in range(arch.ensemble)
    ]
    trainer = ensemble_trainer(members, n_features=spec.size)
    # The served model shares the members' weights: assembled now, it is what the held-out
    # curve scores after every epoch, and what is returned once the fit ends.
    memory = None
    if arch.knn is not None:
        memory = (spec.features(fit_side.keypoints), _label_indices(labels, fit_side.labels))
    model = assemble_frame_classifier(
        members,
        n_features=spec.size,
        n_labels=len(labels),
        views=[feature_symmetry(spec, name) for name in arch.tta if name != "identity"],
        knn_memory=memory,
        knn_k=arch.knn.k if arch.knn else 5,
        knn_temperature=arch.knn.temperature if arch.knn else 0.1,
        knn_weight=arch.knn.weight if arch.knn else 0.0,
    )
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=options.label_smoothing)
    trainer.compile(
        optimizer=keras.optimizers.Adam(options.learning_rate),
        loss=[loss] * len(members),
        metrics=[["accuracy"]] * len(members),
    )
    callbacks: list[keras.callbacks.Callback] = [
        *_held_out_curve(model, held_out, labels=labels, spec=spec, window=None),
        ProgressCallback(
            reporter,
            model_name=config.model,
            epochs=options.epochs,
            members=arch.ensemble,
            **(context or {}),
        ),
    ]
    if validation_data is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=options.patience, restore_best_weights=True
            )
        )
        validation_data = (validation_data[0], [validation_data[1]] * len(members))
    fit = trainer.fit(
        x,
        [y] * len(members),
        epochs=options.epochs,
        batch_size=options.batch_size,
        shuffle=True,
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=0,
    )
    return model, member_history(fit.history)


def _mirrored_windows(windows: Windows, *, p: float, copies: int, seed: int) -> Windows:
    """The windows plus `copies` sets in which each window is mirrored whole with chance p."""
    rng = np.random.default_rng(seed)
    parts = [windows]
    for _ in range(copies):
        chosen = rng.random(len(windows)) < p
        points = windows.keypoints.copy()
        if chosen.any():
            shape = points[chosen].shape
            flat = points[chosen].reshape(-1, *shape[2:])
            points[chosen] = mirror_keypoints(flat).reshape(shape)
        parts.append(Windows(points, windows.labels, windows.groups, windows.last_rows))
    return Windows(
        *(
            np.concatenate([getattr(w, f) for w in parts])
            for f in ("keypoints", "labels", "groups", "last_rows")
        )
    )


def fit_temporal(
    config: ExperimentConfig,
    train: Dataset,
    *,
    labels: LabelMap,
    spec: FeatureSpec,
    reporter: Reporter = NULL_REPORTER,
    context: dict[str, Any] | None = None,
    held_out: Dataset | None = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """A GRU / 1D-conv over windows of consecutive same-label frames of `train`."""
    arch, options, temporal = config.architecture, config.training, config.architecture.temporal
    windows = make_windows(train, window=temporal.window, stride=temporal.stride)
    if len(windows) == 0:
        raise BadRequest(
            f"no run of {temporal.window} consecutive frames with one label in the training "
            "data: record longer clips or lower architecture.temporal.window"
        )
    mirror = config.augment.transforms.get("mirror")
    if mirror is not None:
        windows = _mirrored_windows(
            windows,
            p=float((mirror or {}).get("p", 0.5)),
            copies=max(config.augment.copies, 1),
            seed=options.seed,
        )
    x = window_inputs(windows, spec)
    y = keras.utils.to_categorical(_label_indices(labels, windows.labels), len(labels))
    keras.utils.set_random_seed(options.seed)
    model = build_temporal(
        window=temporal.window,
        n_features=spec.size,
        n_labels=len(labels),
        layer=temporal.layer,
        units=temporal.units,
        dropout=arch.dropout,
        seed=options.seed,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(options.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=options.label_smoothing),
        metrics=["accuracy"],
    )
    callbacks = [
        *_held_out_curve(model, held_out, labels=labels, spec=spec, window=temporal.window),
        ProgressCallback(
            reporter, model_name=config.model, epochs=options.epochs, **(context or {})
        ),
    ]
    fit = model.fit(
        x,
        y,
        epochs=options.epochs,
        batch_size=options.batch_size,
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    return model, {k: [float(v) for v in vs] for k, vs in fit.history.items()}


def _held_out_curve(
    model: keras.Model,
    held_out: Dataset | None,
    *,
    labels: LabelMap,
    spec: FeatureSpec,
    window: int | None,
) -> list[keras.callbacks.Callback]:
    """[HeldOutCurve] scoring `model` on the evaluation split; [] without one."""
    if held_out is None or len(held_out) == 0:
        return []
    inputs, names = dataset_inputs(held_out, spec, window=window)
    if len(names) == 0:  # no full window: evaluate_model says so after the fit
        return []
    return [
        HeldOutCurve(
            lambda x: predict_probabilities(model, x), inputs, _label_indices(labels, names)
        )
    ]


def input_window(config: ExperimentConfig) -> int | None:
    """Frames per model input: None for per-frame models."""
    if config.architecture.kind == "temporal":
        return config.architecture.temporal.window
    return None


def evaluate_model(
    model: keras.Model,
    dataset: Dataset,
    *,
    labels: LabelMap,
    spec: FeatureSpec,
    window: int | None = None,
) -> dict[str, Any]:
    """Metrics of a model (trained with these labels and spec) on a dataset."""
    inputs, names = dataset_inputs(dataset, spec, window=window)
    if len(names) == 0:
        raise BadRequest(f"no window of {window} consecutive same-label frames to evaluate on")
    probabilities = predict_probabilities(model, inputs)
    truth = _label_indices(labels, names)
    return classification_metrics(truth, probabilities.argmax(axis=1), labels=labels.names)


def cross_validate(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    labels: LabelMap,
    spec: FeatureSpec,
    splits: list[Split],
    reporter: Reporter = NULL_REPORTER,
) -> dict[str, Any]:
    """Train and test once per fold of whole groups (`splits`, from fold_splits); per-fold
    metrics and their summary."""
    kind = config.evaluation.cross_validation or "logo"
    folds: dict[str, dict[str, Any]] = {}
    for number, split in enumerate(splits, start=1):
        reporter.update(
            phase="cross-validation",
            fit=number,
            fold=number,
            folds=len(splits),
            fold_name=split.name,
            force=True,
        )
        model, _ = fit_classifier(
            config,
            dataset.select(split.train),
            labels=labels,
            spec=spec,
            reporter=reporter,
            context={"fold": number, "folds": len(splits), "fit": number},
        )
        folds[split.name] = {
            **evaluate_model(
                model,
                dataset.select(split.test),
                labels=labels,
                spec=spec,
                window=input_window(config),
            ),
            "test_groups": list(split.test_groups),
        }
        log.info("fold %s: accuracy %.4f", split.name, folds[split.name]["accuracy"])
        keras.backend.clear_session()
    summary = summarise_folds(folds)
    for name, fold in folds.items():
        summary["folds"][name]["per_class"] = fold["per_class"]
        summary["folds"][name]["test_groups"] = fold["test_groups"]
    return {"kind": kind, **summary}


def fold_splits(config: ExperimentConfig, dataset: Dataset) -> list[Split]:
    """The cross-validation folds of the config over the dataset's groups."""
    return cross_validation(
        dataset.groups,
        kind=config.evaluation.cross_validation or "logo",
        folds=config.evaluation.folds,
        seed=config.training.seed,
    )


def evaluation_holdout(config: ExperimentConfig, dataset: Dataset) -> Split:
    """The groups a version is evaluated on (and never trained on)."""
    try:
        return holdout_split(
            dataset.groups,
            test_groups=config.evaluation.holdout_groups,
            test_fraction=config.evaluation.holdout_fraction,
            seed=config.training.seed,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def check_trainable(dataset: Dataset, labels: LabelMap) -> None:
    if len(dataset) == 0:
        raise BadRequest("the dataset is empty")
    present = set(dataset.label_names())
    missing = [name for name in labels.names if name not in present]
    if missing:
        raise BadRequest(f"label(s) {missing} have no frames in the dataset")
    if len(present) < 2:
        raise BadRequest(f"a classifier needs at least 2 labels; the data has {sorted(present)}")
    if len(dataset.group_names()) < 2:
        raise BadRequest(
            f"grouped evaluation needs at least 2 subjects/sessions; the data has "
            f"{dataset.group_names()}"
        )


def train_experiment(
    config: ExperimentConfig, dataset: Dataset, *, reporter: Reporter = NULL_REPORTER
) -> TrainOutcome:
    """Train the experiment's model on the dataset and evaluate it on held-out groups."""
    labels = label_map_for(config, dataset)
    check_trainable(dataset, labels)
    spec = spec_for(config)
    holdout = evaluation_holdout(config, dataset)
    cv = None
    # One fit per fold and the final one: the shares of the job's progress (pose_trainer.progress).
    splits = fold_splits(config, dataset) if config.evaluation.cross_validation else []
    folds = len(splits)
    reporter.update(fits=folds + 1)
    if splits:
        cv = cross_validate(
            config, dataset, labels=labels, spec=spec, splits=splits, reporter=reporter
        )
    train, held_out = dataset.select(holdout.train), dataset.select(holdout.test)
    reporter.update(phase="training", fit=folds + 1, fold=None, folds=None, force=True)
    model, history = fit_classifier(
        config,
        train,
        labels=labels,
        spec=spec,
        reporter=reporter,
        context={"fit": folds + 1},
        held_out=held_out,
    )
    reporter.update(phase="evaluating", force=True)
    metrics = evaluate_model(model, held_out, labels=labels, spec=spec, window=input_window(config))
    files = {
        "confusion.png": confusion_png(metrics, title=f"{config.model}: held-out groups"),
        "learning_curves.png": learning_curves_png(history, title=config.name),
    }
    return TrainOutcome(
        model=model,
        labels=labels,
        spec=spec,
        metrics=metrics,
        history=history,
        eval_split=held_out,
        split={"test_groups": list(holdout.test_groups), "train_groups": train.group_names()},
        training_data={
            "train": train.summary(),
            "evaluation": held_out.summary(),
            "query": config.dataset.model_dump(mode="json", exclude_none=True),
        },
        cross_validation=cv,
        files=files,
        window=input_window(config),
    )
