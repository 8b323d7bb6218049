"""The local process stack behind `make run`: service specs, Redis/PostgreSQL, a supervisor."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_FILE = REPO_ROOT / "deploy" / "services.toml"
