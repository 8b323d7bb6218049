"""Read-only view of the model store on shared storage (no TensorFlow needed).

Layout (versions written by pose_ml.model_store, aliases by pose_common.model_aliases,
atomically):
    {root}/{name}/versions/{version:06d}/model.keras, manifest.json, report.json
    {root}/{name}/aliases/{alias}      text file holding a version number, e.g. "3"
A version directory appears by an atomic rename of a fully written temp directory, and an
alias changes by an atomic os.replace, so a reader never sees half of either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRODUCTION = "production"
CANDIDATE = "candidate"
MODEL_FILE = "model.keras"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.json"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One named model: its versions and where its aliases point."""

    name: str
    versions: list[int]
    aliases: dict[str, int] = field(default_factory=dict)

    @property
    def production(self) -> int | None:
        return self.aliases.get(PRODUCTION)


def model_root(root: Path, name: str) -> Path:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"invalid model name {name!r}: use lowercase letters, digits, - and _")
    return root / name


def version_dir(root: Path, name: str, version: int) -> Path:
    return model_root(root, name) / "versions" / f"{version:06d}"


def alias_file(root: Path, name: str, alias: str) -> Path:
    return model_root(root, name) / "aliases" / alias


def list_versions(root: Path, name: str) -> list[int]:
    """Published versions of a model, ascending."""
    directory = model_root(root, name) / "versions"
    if not directory.is_dir():
        return []
    return sorted(int(p.name) for p in directory.iterdir() if p.name.isdigit() and p.is_dir())


def resolve_alias(root: Path, name: str, alias: str = PRODUCTION) -> int | None:
    """The version an alias points at, or None when unset."""
    try:
        return int(alias_file(root, name, alias).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def read_aliases(root: Path, name: str) -> dict[str, int]:
    directory = model_root(root, name) / "aliases"
    if not directory.is_dir():
        return {}
    out: dict[str, int] = {}
    for path in directory.iterdir():
        if path.name.startswith("."):
            continue
        version = resolve_alias(root, name, path.name)
        if version is not None:
            out[path.name] = version
    return out


def list_models(root: Path) -> list[ModelInfo]:
    """Every named model with at least one published version."""
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.iterdir()):
        if not path.is_dir() or not NAME_PATTERN.match(path.name):
            continue
        versions = list_versions(root, path.name)
        if versions:
            out.append(ModelInfo(path.name, versions, read_aliases(root, path.name)))
    return out


def read_manifest(root: Path, name: str, version: int) -> dict[str, Any]:
    return json.loads((version_dir(root, name, version) / MANIFEST_FILE).read_text())
