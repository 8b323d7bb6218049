"""`posestream build-defaults`: rebuild the shipped models by the training pipeline itself.

1. import ../shared/data/yoga-train and ../shared/data/mlkit-fitness into the configured
   PostgreSQL (idempotent: importing twice adds nothing);
2. run the "yoga" and "fitness" configs as local training jobs (the same job code the Celery
   workers run) into a scratch model store;
3. copy each published version directory to default_models/<name>/.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pose_common import model_catalog as catalog
from pose_ml.datasets.formats import read_sessions
from pose_ml.datasets.store import import_sessions
from pose_trainer.runner import connect_db, run_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job

SOURCES = {
    "yoga": ("data/yoga-train/train_data.csv", "yoga"),
    "fitness": ("data/mlkit-fitness/fitness_pose_samples.csv", "mlkit"),
}


def build_default_models(
    *,
    shared: Path,
    out: Path,
    settings: TrainerSettings | None = None,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Import, train and copy each default model; returns its figures."""
    from pose_common.db.migrate import ensure_database, upgrade_database
    from pose_trainer.settings import get_settings

    settings = settings or get_settings()
    ensure_database(settings.database_url)
    upgrade_database(settings.database_url)
    built: dict[str, Any] = {}
    for config, (relative, format) in SOURCES.items():
        path = Path(shared) / relative
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (pass --shared DIR)")
        with connect_db(settings) as conn:
            summary = import_sessions(
                conn, sessions=read_sessions(path, format=format), model=config
            )
        progress(f"{config}: {summary.frames_seen} frames in {len(summary.sessions)} sessions")
        with tempfile.TemporaryDirectory(prefix="pose-defaults-") as scratch:
            local = settings.model_copy(update={"model_dir": Path(scratch)})
            request = {"config": config, "promote": "force", "actor": "build-defaults"}
            with connect_db(local) as conn:
                job_id, _ = create_checked_job(
                    conn,
                    kind="train",
                    request=request,
                    job_id=f"build-defaults-{config}-{uuid.uuid4().hex[:8]}",
                )
            result = run_job(job_id, settings=local, worker="build-defaults")
            source = catalog.version_dir(Path(scratch), result["model"], result["version"])
            target = Path(out) / result["model"]
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
        built[config] = {"dir": str(target), "metrics": result["metrics"]}
        progress(f"{config}: {result['metrics']}")
    return built
