"""Fixtures for the deployment-file tests: the repo's files parsed, scripts/ importable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "scripts"
if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))

from devstack.services import ServiceSpec, load_services  # noqa: E402


@pytest.fixture(scope="session")
def services() -> list[ServiceSpec]:
    """deploy/services.toml: the one definition of each service's command."""
    return load_services()


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """docker-compose.yml as YAML (anchors and merge keys resolved)."""
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
