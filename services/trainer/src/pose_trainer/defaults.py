"""The default models shipped in this package, installed where the store has none of a name.

default_models/<name>/ holds one complete version directory (model, manifest, report, plots,
evaluation split) made by `posestream build-defaults`, i.e. by this very pipeline. The
control worker installs each at start (and `posestream seed-defaults` does on demand) when the
store has no version of that name, so a fresh stack classifies out of the box.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from pose_common import model_catalog as catalog
from pose_common.redis_client import connect as connect_redis
from pose_common.streams import StreamKeys
from pose_trainer.registry import record_event, record_version
from pose_trainer.settings import TrainerSettings

log = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).with_name("default_models")
_SEED_LOCK = 0x706F7365 + 1  # serialises seeding across control workers


def shipped_models(directory: Path = DEFAULTS_DIR) -> dict[str, Path]:
    """Name -> version directory of each shipped model."""
    if not directory.is_dir():
        return {}
    return {
        path.name: path
        for path in sorted(directory.iterdir())
        if (path / catalog.MANIFEST_FILE).is_file() and (path / catalog.MODEL_FILE).is_file()
    }


def seed_default_models(
    *, settings: TrainerSettings, actor: str = "seed", directory: Path = DEFAULTS_DIR
) -> dict[str, int]:
    """Install each shipped model whose name has no version yet; returns name -> version."""
    from pose_ml.model_store import import_version

    installed: dict[str, int] = {}
    client = connect_redis(settings.redis_url)
    try:
        with psycopg.connect(settings.psycopg_url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_SEED_LOCK,))
            try:
                for name, source in shipped_models(directory).items():
                    if catalog.list_versions(settings.model_dir, name):
                        continue
                    version = import_version(
                        root=settings.model_dir,
                        name=name,
                        source=source,
                        redis=client,
                        models_stream=StreamKeys(settings.key_prefix).models,
                    )
                    manifest = catalog.read_manifest(settings.model_dir, name, version)
                    record_version(
                        conn,
                        model=name,
                        version=version,
                        job_id=None,
                        config=str((manifest.get("config") or {}).get("name", "")),
                        metrics=manifest.get("metrics", {}),
                        training_data=manifest.get("training_data", {}),
                        parent_version=None,
                    )
                    record_event(
                        conn,
                        model=name,
                        version=version,
                        event="seeded",
                        alias=catalog.PRODUCTION,
                        actor=actor,
                        detail={"source": source.name},
                    )
                    installed[name] = version
                    log.info("installed the default model %s as version %d", name, version)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SEED_LOCK,))
    finally:
        client.close()
    return installed
