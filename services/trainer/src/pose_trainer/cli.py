"""`posestream`: train, tune, evaluate, promote, roll back, import and export from a shell.

    posestream import FILE --format yoga|mlkit --model NAME [--replace]
    posestream train CONFIG [--set KEY=VALUE ...] [--data KEY=VALUE ...]
                     [--promote auto|never|force] [--job-id ID] [--local | --detach]
    posestream tune CONFIG [--trials N] [--time-budget S] [--set KEY=VALUE ...]
                    [--data KEY=VALUE ...] [--local | --detach]
    posestream evaluate MODEL [--version N]
    posestream promote MODEL VERSION [--force]
    posestream rollback MODEL [--to VERSION]
    posestream export CONFIG --out FILE.csv|FILE.json
    posestream models | jobs [--model M] [--status S] [--limit N] [--before JOB]
    posestream configs | cancel JOB
    posestream seed-defaults | build-defaults

train and tune queue a job for the trainer workers and follow it with a progress bar (one
line per epoch when stderr is not a terminal; --local runs it in this process instead,
--detach returns the job id at once). Settings come
from the same POSE_* environment as the services. Errors print one line and exit with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pose_common.registry_listing import JOB_STATUSES
from pose_trainer.errors import BadRequest
from pose_trainer.settings import TrainerSettings, get_settings

EXIT_USAGE = 2


class CliError(Exception):
    """A message for the user, printed without a traceback."""


def _parse_set(values: Sequence[str], *, flag: str = "--set") -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CliError(f"{flag} wants KEY=VALUE (e.g. training.epochs=5), got {item!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise CliError(f"{flag} {key}: cannot read {raw!r} ({exc.problem})") from None
        # YAML reads 2026-12-01 as a date; the request is JSON, and dates travel as ISO text.
        overrides[key] = value.isoformat() if isinstance(value, date) else value
    return overrides


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, sort_keys=False))


def _settings() -> TrainerSettings:
    from pose_trainer.celery_app import create_app

    settings = get_settings()
    create_app(settings, client=True)
    return settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posestream",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="import a keypoint CSV as labelled sessions")
    p.add_argument("file", type=Path)
    p.add_argument("--format", required=True, choices=["yoga", "mlkit"])
    p.add_argument("--model", required=True, help="model name the sessions are recorded for")
    p.add_argument(
        "--replace",
        action="store_true",
        help="remove sessions an earlier import of this file made that it no longer makes",
    )

    for name, text in (("train", "train a model version"), ("tune", "search hyperparameters")):
        p = sub.add_parser(name, help=text)
        p.add_argument("config", help="registered config name or a YAML file")
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a config field, e.g. training.epochs=5 (repeatable)",
        )
        p.add_argument(
            "--data",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="select the dataset, e.g. source_prefix=import:yoga or "
            "labels=[chair,tree] (repeatable)",
        )
        where = p.add_mutually_exclusive_group()
        where.add_argument("--local", action="store_true", help="run in this process")
        where.add_argument("--detach", action="store_true", help="queue and print the job id")
        p.add_argument("--job-id", help="idempotency key (default: a new id)")
        if name == "train":
            p.add_argument("--promote", choices=["auto", "never", "force"], default="auto")
        else:
            p.add_argument("--trials", type=int, help="tuning.max_trials")
            p.add_argument("--time-budget", type=float, help="tuning.time_budget_s (seconds)")

    p = sub.add_parser("evaluate", help="metrics of a version on its evaluation split")
    p.add_argument("model")
    p.add_argument("--version", type=int, help="default: production")

    p = sub.add_parser("promote", help="promote a version if it beats production")
    p.add_argument("model")
    p.add_argument("version", type=int)
    p.add_argument("--force", action="store_true", help="promote even if it is not better")

    p = sub.add_parser("rollback", help="point production back at the previous version")
    p.add_argument("model")
    p.add_argument("--to", type=int, dest="to_version", help="a chosen version instead")

    p = sub.add_parser("export", help="write the frames a config selects as CSV or JSON")
    p.add_argument("config")
    p.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.json")

    sub.add_parser("models", help="models, versions, aliases and metrics")
    p = sub.add_parser("jobs", help="recent jobs, newest first")
    p.add_argument("--model", help="only this model's")
    p.add_argument("--limit", type=int, default=20, help="at most this many (1-200, default 20)")
    p.add_argument("--status", choices=JOB_STATUSES, help="only jobs in this status")
    p.add_argument(
        "--before", metavar="JOB", help="only jobs older than this one (a page's 'next')"
    )
    sub.add_parser("configs", help="registered experiment configs")
    p = sub.add_parser("cancel", help="cancel a queued or running job")
    p.add_argument("job_id")
    sub.add_parser("seed-defaults", help="install the shipped default models where missing")
    p = sub.add_parser("build-defaults", help="rebuild the shipped default models")
    p.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared"),
        help="directory holding data/yoga-train and data/mlkit-fitness",
    )
    p.add_argument("--out", type=Path, help="default: the package's default_models/")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pose_trainer import commands

    handler = getattr(commands, "run_" + args.command.replace("-", "_"))
    try:
        result = handler(args, _settings())
    except (CliError, BadRequest) as exc:
        print(f"posestream {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        unreachable = _unreachable(exc)
        if unreachable is None:
            raise
        print(f"posestream {args.command}: {unreachable}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"posestream {args.command}: interrupted", file=sys.stderr)
        return 130
    if result is not None:
        _print(result)
    return 0


def _unreachable(exc: Exception) -> str | None:
    """One line for a server the command could not reach (None: not that kind of error)."""
    import psycopg
    import redis
    from kombu.exceptions import OperationalError as BrokerError

    from pose_trainer.errors import QueueUnavailable

    if isinstance(exc, QueueUnavailable):
        return str(exc)
    if isinstance(exc, psycopg.OperationalError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot use PostgreSQL (DATABASE_URL): {first}"
    if isinstance(exc, redis.RedisError | BrokerError):
        return f"cannot reach Redis (REDIS_URL), the trainer's queue: {exc}"
    return None


def follow_job(
    settings: TrainerSettings, job_id: str, *, poll_s: float = 0.5, hint_after_s: float = 30.0
) -> dict[str, Any]:
    """Show a queued job's progress until it ends (pose_trainer.progress_display); its row.

    A job still queued after hint_after_s gets one line on stderr saying why that may be.
    """
    from pose_trainer import jobs
    from pose_trainer.progress_display import progress_display
    from pose_trainer.runner import connect_db

    display = progress_display()
    started, hinted = time.monotonic(), False
    try:
        with connect_db(settings) as conn:
            while True:
                job = jobs.get_job(conn, job_id)
                if job is None:
                    raise CliError(f"unknown job {job_id!r}")
                display.show(job.progress)
                if job.finished:
                    break
                waited = time.monotonic() - started
                if job.status == "queued" and not hinted and waited >= hint_after_s:
                    hinted = True
                    print(
                        f"job {job_id} is still queued after {waited:.0f} s: no trainer worker"
                        f" has taken it (are they busy, or not running? `make run` starts them;"
                        f" --local runs the job here). Ctrl-C stops following; the job stays.",
                        file=sys.stderr,
                    )
                time.sleep(poll_s)
    finally:
        display.close()
    return {"job_id": job.id, "status": job.status, "error": job.error, "result": job.result}


if __name__ == "__main__":
    # `python -m pose_trainer.cli`: run the imported module's main, not this __main__ copy's
    # (whose CliError is another class than the one the commands raise).
    from pose_trainer.cli import main as _main

    raise SystemExit(_main())
