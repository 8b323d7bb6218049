"""The `posestream` command as a user runs it: help, import, train with a progress bar,
evaluate, promote, roll back, export, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pose_common.skeleton import keypoint_columns
from pose_common.trainer_contract import celery_prefix
from pose_trainer.settings import TrainerSettings
from tests.conftest import REPO_ROOT, YOGA_CSV, run_python_reporting_heavy, shared_path
from tests.trainer.conftest import job_row

POSESTREAM = Path(sys.executable).with_name("posestream")
COMMANDS = [
    "import",
    "train",
    "tune",
    "evaluate",
    "promote",
    "rollback",
    "export",
    "models",
    "jobs",
    "configs",
    "cancel",
    "seed-defaults",
    "build-defaults",
]
QUICK_ARGS = [
    "--set",
    "training.epochs=3",
    "--set",
    "architecture.ensemble=1",
    "--set",
    "architecture.hidden=[16]",
    "--set",
    "augment.copies=0",
    "--set",
    "evaluation.cross_validation=null",
    "--data",
    "source_prefix=import:yoga",
]


@pytest.fixture
def cli_env(service_env: dict[str, str], trainer_settings: TrainerSettings) -> dict[str, str]:
    return {
        **service_env,
        "POSE_MODEL_DIR": str(trainer_settings.model_dir),
        "POSE_DATA_DIR": str(trainer_settings.data_dir),
    }


def posestream(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(POSESTREAM), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_lists_every_command_and_each_has_its_own() -> None:
    top = subprocess.run([str(POSESTREAM), "--help"], capture_output=True, text=True, check=True)
    for command in COMMANDS:
        assert command in top.stdout
        sub = subprocess.run(
            [str(POSESTREAM), command, "--help"], capture_output=True, text=True, check=False
        )
        assert sub.returncode == 0 and "usage: posestream " + command in sub.stdout


def test_import_is_idempotent_and_bad_files_get_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    csv = shared_path(*YOGA_CSV)
    first = posestream(cli_env, "import", str(csv), "--format", "yoga", "--model", "yoga")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["sessions"] == 5 and summary["frames"] == 734
    assert summary["subjects"] == ["girl1", "girl2", "girl3", "guy1", "guy2"]
    again = json.loads(
        posestream(cli_env, "import", str(csv), "--format", "yoga", "--model", "yoga").stdout
    )
    assert again["frames_inserted"] == 0
    broken = tmp_path / "broken.csv"
    broken.write_text(csv.read_text().splitlines()[0] + "\nchair/x_1.jpg,1,2\n")
    for args, reason in (
        (
            ["import", str(tmp_path / "nope.csv"), "--format", "yoga", "--model", "yoga"],
            "no such file",
        ),
        (["import", str(broken), "--format", "yoga", "--model", "yoga"], "line 2: 3 fields"),
        (
            ["import", str(csv), "--format", "mlkit", "--model", "yoga"],
            "line 1: 54 fields; a 33-landmark row has 101",
        ),
    ):
        result = posestream(cli_env, *args)
        assert result.returncode == 2 and reason in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("yoga_imported")
def test_train_locally_with_a_progress_bar_then_evaluate_promote_rollback_export(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    trained = posestream(cli_env, "train", "yoga", *QUICK_ARGS, "--local")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert result["version"] == 1 and result["promotion"]["promoted"]
    # stderr is a pipe here: one line per epoch (pose_trainer.progress_display), no bar
    assert "\r" not in trained.stderr
    lines = trained.stderr.splitlines()
    assert any(line.startswith("training: epoch 3/3 loss=") for line in lines), lines
    late = posestream(cli_env, "cancel", result["job_id"])
    assert late.returncode == 2 and "has already succeeded; nothing to cancel" in late.stderr
    second = posestream(
        cli_env,
        "train",
        "yoga",
        *QUICK_ARGS,
        "--set",
        "training.seed=3",
        "--promote",
        "never",
        "--local",
    )
    assert json.loads(second.stdout)["version"] == 2

    evaluated = json.loads(posestream(cli_env, "evaluate", "yoga").stdout)
    assert evaluated["version"] == 1 and evaluated["frames"] == 76
    assert evaluated["accuracy"] == pytest.approx(result["metrics"]["accuracy"])

    already = posestream(cli_env, "promote", "yoga", "1")
    assert already.returncode == 2 and "production already" in already.stderr
    forced = posestream(cli_env, "promote", "yoga", "2", "--force")
    assert forced.returncode == 0 and json.loads(forced.stdout)["production"] == 2
    back, heavy = run_python_reporting_heavy(
        f"from pose_trainer.cli import main\nraise SystemExit(main({['rollback', 'yoga']!r}))",
        env=cli_env,
    )
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout) == {
        "model": "yoga",
        "production": 1,
        "previous": 2,
        "event": "rolled_back",
    }
    assert heavy == []  # a roll back in an incident never waits for TensorFlow to import
    models = json.loads(posestream(cli_env, "models").stdout)["models"]
    yoga = next(m for m in models if m["name"] == "yoga")
    assert yoga["aliases"]["production"] == 1
    # As GET /v1/admin/models lists them: newest first, with the job and config of each.
    assert [v["version"] for v in yoga["versions"]] == [2, 1]
    assert yoga["versions"][1]["job_id"] == result["job_id"]
    assert yoga["versions"][1]["config"] == "yoga" and "warrior" in yoga["versions"][1]["labels"]
    page = json.loads(posestream(cli_env, "jobs", "--limit", "1").stdout)
    latest = page["jobs"]
    assert len(latest) == 1 and latest[0]["version"] == 2 and latest[0]["finished_at"]
    older = json.loads(posestream(cli_env, "jobs", "--before", page["next"]).stdout)["jobs"]
    assert latest[0]["id"] not in [j["id"] for j in older] and older[0]["version"] == 1
    done = json.loads(posestream(cli_env, "jobs", "--status", "succeeded").stdout)["jobs"]
    assert {j["status"] for j in done} == {"succeeded"}
    unknown = posestream(cli_env, "jobs", "--before", "no-such-job")
    assert unknown.returncode == 2 and "--before: no job 'no-such-job'" in unknown.stderr
    no_jobs = posestream(cli_env, "jobs", "--limit", "0")
    assert no_jobs.returncode == 2 and "limit must be between 1 and 200" in no_jobs.stderr

    out = tmp_path / "yoga.csv"
    exported = posestream(cli_env, "export", "yoga", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["session", "group", "seq", "label", *keypoint_columns()]
    assert len(frame) >= 734 and set(frame["label"]) >= {"chair", "cobra", "dog", "tree"}


@pytest.mark.usefixtures("yoga_imported")
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["train", "nope", "--local"], "unknown config 'nope'"),
        (["train", "yoga", "--set", "training.epochs=-1", "--local"], "training.epochs"),
        (["train", "yoga", "--set", "epochs", "--local"], "--set wants KEY=VALUE"),
        (
            ["train", "yoga", "--data", "labels=[chair,levitate]", "--local"],
            "unknown label(s) ['levitate']",
        ),
        (["train", "yoga", "--data", "since=2099-01-01", "--local"], "the dataset is empty"),
        (["promote", "yoga", "7"], "has no version 7"),
        (["export", "yoga", "--out", "x.parquet"], "must end in .csv or .json"),
        (["export", "yoga", "--out", "/nonexistent/dir/x.csv"], "cannot write"),
        (["train", "yoga", "--set", "tuning.time_budget_s=.inf", "--detach"], "NaN or Infinity"),
        (["tune", "yoga", "--time-budget", "inf", "--detach"], "NaN or Infinity"),
        (["train", "yoga", "--job-id", "bad id", "--detach"], "invalid job id"),
        (["train", "yoga", "--job-id", "x" * 200, "--detach"], "invalid job id"),
        (["train", "yoga", "--local", "--detach"], "not allowed with argument --local"),
        (["cancel", "no-such-job"], "unknown job 'no-such-job'"),
    ],
)
def test_bad_requests_print_one_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], reason: str
) -> None:
    result = posestream(cli_env, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in result.stderr and "Traceback" not in result.stderr


def test_python_dash_m_prints_the_same_one_line_errors(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pose_trainer.cli", "cancel", "no-such-job"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "unknown job 'no-such-job'" in result.stderr and "Traceback" not in result.stderr


def test_servers_out_of_reach_get_one_line_not_a_traceback(cli_env: dict[str, str]) -> None:
    no_db = posestream({**cli_env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}, "jobs")
    assert no_db.returncode == 2 and "Traceback" not in no_db.stderr
    assert "cannot use PostgreSQL (DATABASE_URL)" in no_db.stderr
    no_broker = posestream(
        {**cli_env, "REDIS_URL": "redis://127.0.0.1:1/0"}, "cancel", "no-such-job"
    )
    assert no_broker.returncode == 2 and "unknown job" in no_broker.stderr  # PostgreSQL first


@pytest.mark.usefixtures("yoga_imported")
def test_a_job_whose_send_failed_is_sent_when_its_id_is_given_again(
    cli_env: dict[str, str], database_url: str, redis_client: object
) -> None:
    """Dates in --data travel as ISO text; the job row is kept when Redis is away, and the
    same --job-id sends it once Redis is back."""
    args = ["train", "yoga", *QUICK_ARGS, "--data", "since=2020-01-01", "--job-id", "cli-unsent"]
    away = posestream({**cli_env, "REDIS_URL": "redis://127.0.0.1:1/0"}, *args, "--detach")
    assert away.returncode == 2 and "Traceback" not in away.stderr, away.stderr
    assert "cannot reach Redis (REDIS_URL)" in away.stderr
    row = job_row(database_url, "cli-unsent")
    assert row["status"] == "queued" and row["request"]["dataset"]["since"] == "2020-01-01"

    again = posestream(cli_env, *args, "--detach")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"job_id": "cli-unsent", "queued": False}
    assert "exists already" in again.stderr
    prefix = cli_env["POSE_KEY_PREFIX"]
    queue = celery_prefix(prefix) + "pose-trainer"
    sent = [json.loads(m)["headers"]["id"] for m in redis_client.lrange(queue, 0, -1)]
    assert sent == ["cli-unsent"]


@pytest.mark.usefixtures("yoga_imported")
def test_a_yaml_config_file_travels_in_the_request_to_a_worker_elsewhere(
    cli_env: dict[str, str], trainer_settings: TrainerSettings, database_url: str, tmp_path: Path
) -> None:
    from pose_trainer.runner import run_job

    source = REPO_ROOT / "packages/pose-ml/src/pose_ml/experiments/yoga.yaml"
    mine = tmp_path / "my-yoga.yaml"
    mine.write_text(source.read_text())
    queued = posestream(
        cli_env, "train", str(mine), *QUICK_ARGS, "--job-id", "cli-yaml-file", "--detach"
    )
    assert queued.returncode == 0, queued.stderr
    request = job_row(database_url, "cli-yaml-file")["request"]
    assert request["config"]["name"] == "my-yoga" and request["config"]["model"] == "yoga"
    mine.unlink()  # the worker runs where this file is not
    result = run_job("cli-yaml-file", settings=trainer_settings)
    assert result["status"] == "succeeded" and result["config"] == "my-yoga"


def test_following_a_job_nobody_takes_says_so_once(
    trainer_settings: TrainerSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    from pose_trainer import jobs
    from pose_trainer.cli import follow_job
    from pose_trainer.runner import connect_db

    with connect_db(trainer_settings) as conn:
        jobs.create_job(conn, job_id="cli-nobody", kind="train", model="yoga", request={})

    def cancel_later() -> None:
        with connect_db(trainer_settings) as conn:
            jobs.request_cancel(conn, "cli-nobody")

    timer = threading.Timer(1.5, cancel_later)
    timer.start()
    outcome = follow_job(trainer_settings, "cli-nobody", poll_s=0.1, hint_after_s=0.5)
    timer.join()
    assert outcome["status"] == "cancelled"
    hints = [line for line in capsys.readouterr().err.splitlines() if "still queued" in line]
    assert len(hints) == 1 and "no trainer worker has taken it" in hints[0]
