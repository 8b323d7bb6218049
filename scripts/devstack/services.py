"""Service specs from deploy/services.toml, turned into the processes `make run` starts."""

from __future__ import annotations

import os
import signal
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack import SERVICES_FILE

# Environment every child gets unless the caller already set it: BLAS pinned (DESIGN.md section 4),
# TensorFlow's C++ chatter off, output unbuffered so logs arrive line by line.
CHILD_DEFAULTS = {
    "OPENBLAS_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One entry of deploy/services.toml."""

    name: str
    command: tuple[str, ...]
    health: str
    port: int | None = None
    port_env: str | None = None
    metrics_port: int | None = None
    health_path: str = "/healthz"
    metrics_path: str = "/metrics"
    heartbeat_max_age_s: float = 30.0
    package: str = ""  # the workspace package it runs; default pose-<name>

    @property
    def python_package(self) -> str:
        return self.package or f"pose-{self.name}"

    @property
    def image(self) -> str:
        """The image its Dockerfile stage builds on: services of one package share it."""
        return self.python_package.removeprefix("pose-")

    @property
    def metrics_port_env(self) -> str:
        """Env var that overrides this worker's metrics port under `make run`."""
        return f"POSE_{self.name.upper().replace('-', '_')}_METRICS_PORT"


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    """A resolved child process: what to run, with which environment, logging where."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    log_file: Path
    health_url: str | None = None
    heartbeat_file: Path | None = None
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    dirs: tuple[Path, ...] = ()


def load_services(path: Path = SERVICES_FILE) -> list[ServiceSpec]:
    """The services in start order."""
    with path.open("rb") as handle:
        table = tomllib.load(handle)["services"]
    return [
        ServiceSpec(name=name, command=tuple(entry.pop("command")), **entry)
        for name, entry in table.items()
    ]


def local_argv(command: tuple[str, ...], *, python: str = sys.executable) -> tuple[str, ...]:
    """The compose command made runnable here: "python" is this workspace's interpreter."""
    if command and command[0] == "python":
        return (python, *command[1:])
    return command


def resolve_port(spec: ServiceSpec, env: Mapping[str, str]) -> int | None:
    """The port a service listens on here: its env override, else the spec's default."""
    if spec.port is not None:
        return int(env.get(spec.port_env or "", spec.port))
    if spec.metrics_port is not None:
        return int(env.get(spec.metrics_port_env, spec.metrics_port))
    return None


def build_process(
    spec: ServiceSpec, *, base_env: Mapping[str, str], state_dir: Path, python: str
) -> ProcessSpec:
    """The child process for one service, with its own port, heartbeat file and log file."""
    env = {**CHILD_DEFAULTS, **base_env}
    port = resolve_port(spec, base_env)
    health_url = heartbeat = None
    if spec.health == "http":
        if spec.port_env and port is not None:
            env[spec.port_env] = str(port)
        health_url = f"http://127.0.0.1:{port}{spec.health_path}" if port else None
    else:
        heartbeat = state_dir / "run" / f"{spec.name}.heartbeat"
        env["POSE_HEARTBEAT_FILE"] = str(heartbeat)
        env["POSE_METRICS_PORT"] = str(port if port is not None else 0)
    return ProcessSpec(
        name=spec.name,
        argv=local_argv(spec.command, python=python),
        env=env,
        log_file=state_dir / "log" / f"{spec.name}.log",
        health_url=health_url,
        heartbeat_file=heartbeat,
    )


def base_environment(
    *, redis_url: str, database_url: str, state_dir: Path, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What every service shares: the servers found, dev mode and storage under var/ by default."""
    env = dict(os.environ if environ is None else environ)
    env["REDIS_URL"] = redis_url
    env["DATABASE_URL"] = database_url
    env.pop("POSE_REDIS_URL", None)  # REDIS_URL wins in the settings; drop the stale alias
    env.pop("POSE_DATABASE_URL", None)
    env.setdefault("POSE_ENV", "dev")
    env.setdefault("POSE_DATA_DIR", str(state_dir / "data"))
    env.setdefault("POSE_MODEL_DIR", str(state_dir / "models"))
    return env
