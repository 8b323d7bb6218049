"""What each `posestream` command does (argument parsing lives in pose_trainer.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pose_common import model_catalog as catalog
from pose_trainer.cli import CliError, _parse_set, follow_job
from pose_trainer.errors import BadRequest
from pose_trainer.runner import connect_db
from pose_trainer.settings import TrainerSettings


def run_import(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_ml.datasets.formats import FormatError, read_sessions
    from pose_ml.datasets.store import import_sessions

    if not catalog.NAME_PATTERN.match(args.model):
        raise CliError(f"invalid model name {args.model!r}")
    try:
        sessions = read_sessions(args.file, format=args.format)
    except FormatError as exc:
        raise CliError(str(exc)) from None
    with connect_db(settings) as conn:
        summary = import_sessions(conn, sessions=sessions, model=args.model, replace=args.replace)
    if summary.stale_sessions and not args.replace:
        print(
            f"posestream import: {len(summary.stale_sessions)} session(s) from an earlier import"
            f" of {args.file.name} are not in it as it is read now (e.g."
            f" {summary.stale_sessions[0]!r}); training still selects them. --replace removes"
            " them.",
            file=sys.stderr,
        )
    return {
        "file": str(args.file),
        "sessions": len(summary.sessions),
        "subjects": sorted({s.subject for s in sessions}),
        "frames": summary.frames_seen,
        "frames_inserted": summary.frames_inserted,
        "stale_sessions": len(summary.stale_sessions),
        "sessions_removed": summary.removed_sessions,
    }


def _config_value(args: argparse.Namespace) -> str | dict[str, Any]:
    """A registered name as it is; a YAML file's contents (a queued job's worker may run on
    another machine, where the path means nothing)."""
    from pose_ml.experiments import ConfigError, read_config_file, registered_configs

    if args.config in registered_configs() or not args.config.endswith((".yaml", ".yml")):
        return str(args.config)
    try:
        data = read_config_file(Path(args.config))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    data.setdefault("name", Path(args.config).stem)
    return data


def _request(args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    config = args.config if args.local else _config_value(args)
    request: dict[str, Any] = {"config": config, "overrides": overrides, "actor": "cli"}
    if args.data:
        request["dataset"] = _parse_set(args.data, flag="--data")
    if hasattr(args, "promote"):
        request["promote"] = args.promote
    return request


def _run_job(
    args: argparse.Namespace, settings: TrainerSettings, kind: str, overrides: dict[str, Any]
) -> dict[str, Any] | None:
    from pose_trainer.progress_display import progress_display
    from pose_trainer.runner import RunningElsewhere, run_job
    from pose_trainer.submit import create_checked_job, send_job

    with connect_db(settings) as conn:
        job_id, created = create_checked_job(
            conn,
            kind=kind,
            request=_request(args, overrides),
            job_id=args.job_id,  # type: ignore[arg-type]
        )
    if not created:
        print(f"job {job_id} exists already: following it", file=sys.stderr)
    if args.local:
        display = progress_display()
        try:
            return run_job(job_id, settings=settings, on_progress=display.show, worker="cli")
        except RunningElsewhere:
            print(f"job {job_id} is running in a worker: following it", file=sys.stderr)
        finally:
            display.close()
    elif created or _still_queued(settings, job_id):
        send_job(settings, kind=kind, job_id=job_id)
    if args.detach:
        return {"job_id": job_id, "queued": created}
    outcome = follow_job(settings, job_id)
    if outcome["status"] != "succeeded":
        raise CliError(f"job {job_id} {outcome['status']}: {outcome['error'] or ''}".strip())
    return outcome


def _still_queued(settings: TrainerSettings, job_id: str) -> bool:
    """An existing job nobody has started: its task may never have reached the broker."""
    from pose_trainer import jobs

    with connect_db(settings) as conn:
        job = jobs.get_job(conn, job_id)
    return job is not None and job.status == "queued"


def run_train(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any] | None:
    return _run_job(args, settings, "train", _parse_set(args.set))


def run_tune(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any] | None:
    overrides = _parse_set(args.set)
    if args.trials is not None:
        overrides["tuning.max_trials"] = args.trials
    if args.time_budget is not None:
        overrides["tuning.time_budget_s"] = args.time_budget
    return _run_job(args, settings, "tune", overrides)


def run_evaluate(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer.promotion import evaluate_version

    result = evaluate_version(settings=settings, model=args.model, version=args.version)
    metrics = result["metrics"]
    return {
        "model": args.model,
        "version": result["version"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "frames": metrics["frames"],
        "per_class": metrics["per_class"],
    }


def run_promote(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer.promotion import promote_version

    result = promote_version(
        settings=settings, model=args.model, version=args.version, force=args.force, actor="cli"
    )
    if not result["promoted"]:
        raise CliError(f"not promoted: {result['reason']}")
    return result


def run_rollback(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer.promotion import rollback_model

    return rollback_model(
        settings=settings, model=args.model, to_version=args.to_version, actor="cli"
    )


def run_export(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_ml.datasets.export import write_dataset
    from pose_ml.datasets.store import load_dataset
    from pose_ml.experiments import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise CliError(f"--out must end in .csv or .json, got {args.out.name!r}")
    with connect_db(settings) as conn:
        dataset = load_dataset(conn, config.dataset)
    if len(dataset) == 0:
        raise CliError(f"config {config.name!r} selects no labelled frames")
    try:
        write_dataset(dataset, args.out, format=suffix[1:])
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    return {"out": str(args.out), "frames": len(dataset), "labels": dataset.label_counts()}


def run_models(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_common import registry_listing

    with connect_db(settings) as conn:
        return {"models": registry_listing.list_models(conn, settings.model_dir)}


def run_jobs(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_common import registry_listing

    try:
        with connect_db(settings) as conn:
            return registry_listing.job_page(
                conn, model=args.model, limit=args.limit, status=args.status, before=args.before
            )
    except registry_listing.UnknownCursor as exc:
        raise CliError(f"--before: {exc}") from None
    except ValueError as exc:
        raise CliError(f"--limit: {exc}") from None


def run_configs(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_ml.experiments import ConfigError, load_config, registered_configs

    out = {}
    for name, path in registered_configs().items():
        try:
            config = load_config(name)
            out[name] = {
                "model": config.model,
                "description": config.description,
                "file": str(path),
            }
        except ConfigError as exc:
            out[name] = {"error": str(exc), "file": str(path)}
    return {"configs": out}


def run_cancel(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer import jobs
    from pose_trainer.celery_app import get_app

    with connect_db(settings) as conn:
        status, taken = jobs.request_cancel(conn, args.job_id)
        if status is None:
            raise CliError(f"unknown job {args.job_id!r}")
        if not taken:
            raise CliError(jobs.cancel_refusal(args.job_id, status))
    get_app().control.revoke(args.job_id)
    return {"job_id": args.job_id, "status": status, "cancel_requested": True}


def run_seed_defaults(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer.defaults import seed_default_models

    return {"installed": seed_default_models(settings=settings, actor="cli")}


def run_build_defaults(args: argparse.Namespace, settings: TrainerSettings) -> dict[str, Any]:
    from pose_trainer.defaults import DEFAULTS_DIR
    from pose_trainer.defaults_build import build_default_models

    try:
        return build_default_models(
            shared=args.shared,
            out=args.out or DEFAULTS_DIR,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except (FileNotFoundError, BadRequest) as exc:
        raise CliError(str(exc)) from None
