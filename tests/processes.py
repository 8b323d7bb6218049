"""Start the real services as subprocesses in tests, and wait for things with a deadline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(
    module: str,
    env: dict[str, str],
    log_dir: Path,
    *,
    tag: str = "",
    args: tuple[str, ...] = (),
) -> subprocess.Popen:
    """Run `python -m module [args]` with env; its output goes to log_dir/<module><tag>.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"{module}{tag}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def stop_service(proc: subprocess.Popen, *, timeout: float = 20.0) -> int:
    """SIGTERM, wait, then SIGKILL if it will not go; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return int(proc.returncode)


def kill_hard(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait_until(
    check: Callable[[], T], *, timeout: float, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll check() until it returns a truthy value; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    last: T = check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})"
            )
        time.sleep(interval)
        last = check()
    return last


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"
