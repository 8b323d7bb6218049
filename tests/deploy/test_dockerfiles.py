"""deploy/docker/Dockerfile: multi-stage, one target per service with only its own dependencies,
`uv sync --frozen`, a non-root user, and the same command as deploy/services.toml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from devstack.services import ServiceSpec

from tests.deploy.conftest import REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages with their instructions (continuation lines joined, comments dropped)."""
    logical, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name=name, base=words[0]))
        elif stages:
            stages[-1].instructions.append((keyword, " ".join(rest.split())))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {stage.name: stage for stage in parse_dockerfile(DOCKERFILE)}


def lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    """The stage and every stage it is built FROM, nearest first."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def test_build_is_multi_stage(stages: dict[str, Stage]) -> None:
    assert len(stages) >= 3
    assert "builder" in stages and "runtime" in stages


def test_each_service_has_a_target_running_its_command(
    stages: dict[str, Stage], services: list[ServiceSpec]
) -> None:
    for spec in services:
        cmd = stages[spec.name].args("CMD")
        assert cmd, f"target {spec.name} has no CMD"
        assert json.loads(cmd[-1]) == list(spec.command)
        assert not stages[spec.name].args("ENTRYPOINT")


def test_each_service_syncs_only_its_own_package_from_the_lock(
    stages: dict[str, Stage], services: list[ServiceSpec]
) -> None:
    for spec in services:
        build = stages[f"build-{spec.image}"]
        syncs = [run for run in build.args("RUN") if "uv sync" in run]
        assert syncs, f"build-{spec.image} never runs uv sync"
        for run in syncs:
            assert "uv sync --frozen" in run
            assert "--no-dev" in run
            assert f"--package {spec.python_package}" in run
        copied = [c for stage in lineage(stages, spec.name) for c in stage.args("COPY")]
        assert f"--from=build-{spec.image} /app/.venv /app/.venv" in copied


def test_runtime_images_run_as_a_non_root_user(
    stages: dict[str, Stage], services: list[ServiceSpec]
) -> None:
    for spec in services:
        users = [u for stage in lineage(stages, spec.name) for u in stage.args("USER")]
        assert users, f"{spec.name} runs as root"
        assert users[0].split(":")[0] not in ("root", "0")


def test_image_healthchecks_match_compose(
    stages: dict[str, Stage], services: list[ServiceSpec], compose: dict
) -> None:
    for spec in services:
        healthcheck = [h for stage in lineage(stages, spec.name) for h in stage.args("HEALTHCHECK")]
        assert healthcheck, spec.name
        command = json.loads(healthcheck[0].split(" CMD ", 1)[1])
        assert command == compose["services"][spec.name]["healthcheck"]["test"][1:]


def dockerignored() -> set[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_copied_path_exists_and_is_in_the_build_context(stages: dict[str, Stage]) -> None:
    ignored = dockerignored()
    for stage in stages.values():
        for copy in stage.args("COPY"):
            if copy.startswith("--from="):
                continue
            *sources, _dest = copy.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the repo"
                assert source.split("/")[0] not in ignored, f"COPY {source}: .dockerignore'd"


def locked_requirements(package: str) -> str:
    """What `uv sync --frozen --no-dev --package <package>` installs, per uv.lock."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    result = subprocess.run(
        [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--package", package],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.lower()


@pytest.mark.parametrize("service", ["ingest", "exporter"])
def test_light_images_do_not_contain_tensorflow(service: str) -> None:
    requirements = locked_requirements(f"pose-{service}")
    assert "pose-common" in requirements  # the export really resolved the package
    assert "tensorflow" not in requirements
    assert "keras" not in requirements


@pytest.mark.parametrize("service", ["inference", "trainer"])
def test_model_images_do_contain_tensorflow(service: str) -> None:
    assert "tensorflow" in locked_requirements(f"pose-{service}")


def test_the_trainer_roles_share_the_trainer_image(
    stages: dict[str, Stage], services: list[ServiceSpec]
) -> None:
    roles = [spec for spec in services if spec.python_package == "pose-trainer"]
    assert {spec.name for spec in roles} == {"trainer", "trainer-control", "trainer-beat"}
    for spec in roles:
        assert "trainer" in [stage.name for stage in lineage(stages, spec.name)], spec.name


def test_ingest_image_serves_the_built_frontend(stages: dict[str, Stage]) -> None:
    build = stages["build-frontend"]
    assert any("npm ci" in arg for arg in build.args("RUN"))
    assert any("npm run build" in arg for arg in build.args("RUN"))
    ingest = stages["ingest"]
    copied = [arg for arg in ingest.args("COPY") if "--from=build-frontend" in arg]
    assert copied and copied[0].endswith("/app/frontend/dist")
    assert any("POSE_INGEST_FRONTEND_DIR=/app/frontend/dist" in arg for arg in ingest.args("ENV"))
