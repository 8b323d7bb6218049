"""Makefile and .ci/run: the commands each target runs, and a failing test failing `make test`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import REPO_ROOT

# Stands in for uv so the test neither syncs nor lints: `sync` does nothing, `run ruff` passes,
# `run pytest ARGS` runs this interpreter's pytest.
FAKE_UV = """#!/usr/bin/env bash
[[ "$1" == "sync" ]] && exit 0
shift
while [[ "$1" == --* ]]; do shift; done
[[ "$1" == "ruff" ]] && exit 0
shift
exec "{python}" -m pytest "$@"
"""


def clean_env() -> dict[str, str]:
    """Our environment without an outer make's flags (`make test` runs these tests)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def dry_run(target: str) -> str:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(REPO_ROOT), target],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    )
    return result.stdout


def test_make_test_lints_then_runs_the_whole_suite() -> None:
    commands = dry_run("test")
    assert " sync --frozen" in commands
    assert "scripts/ensure_system_packages.sh" in commands
    assert commands.index("ruff check .") < commands.index("pytest")
    if not (REPO_ROOT / ".tools" / "bin" / "promtool").exists():
        assert "scripts/install_promtool.sh" in commands


def test_make_run_and_bench_run_the_scripts() -> None:
    assert "scripts/run_stack.py" in dry_run("run")
    assert "bench/run.py" in dry_run("bench")


def test_make_clean_removes_only_the_run_state() -> None:
    assert dry_run("clean").split() == ["rm", "-rf", "var"]


def test_ci_runs_make_test() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    assert script.rstrip().endswith("make test")
    assert os.access(REPO_ROOT / ".ci" / "run", os.X_OK)


def test_a_failing_test_fails_make_test(tmp_path: Path) -> None:
    fake_uv = tmp_path / "uv"
    fake_uv.write_text(FAKE_UV.format(python=sys.executable))
    fake_uv.chmod(0o755)
    failing = tmp_path / "test_failing.py"
    failing.write_text("def test_fails():\n    assert False\n")
    args = f"-q -p no:cacheprovider --rootdir={tmp_path} {failing}"
    result = subprocess.run(
        ["make", "-C", str(REPO_ROOT), "test", f"UV={fake_uv}", f"PYTEST_ARGS={args}"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    assert "1 failed" in result.stdout, result.stdout + result.stderr
    assert result.returncode != 0
