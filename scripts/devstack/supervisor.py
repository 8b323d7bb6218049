"""A tiny process supervisor: start children, restart crashed ones with backoff, stop in order.

Children run in their own session so a Ctrl-C in the terminal reaches only the supervisor,
which then stops the services before the servers they use (tier by tier, highest first).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devstack.services import ProcessSpec

Say = Callable[[str], None]


@dataclass(slots=True)
class Backoff:
    """Exponential restart delay, reset once a child has stayed up for `stable_after_s`."""

    initial_s: float = 1.0
    max_s: float = 30.0
    stable_after_s: float = 60.0
    current_s: float = field(init=False, default=0.0)

    def next_delay(self, *, uptime_s: float) -> float:
        """The wait before the next start, given how long the last run lasted."""
        if uptime_s >= self.stable_after_s or self.current_s == 0.0:
            self.current_s = self.initial_s
        else:
            self.current_s = min(self.current_s * 2, self.max_s)
        return self.current_s


@dataclass(slots=True)
class Child:
    """A supervised process and its restart state."""

    spec: ProcessSpec
    tier: int
    backoff: Backoff
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    log_offset: int = 0


def tail(path: Path, *, lines: int = 5, since: int = 0) -> list[str]:
    """The last lines of a log file written after byte offset `since` (empty when none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(since, handle.tell() - 8192))
            return handle.read().decode(errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        return []


class Supervisor:
    """Owns every child process of `make run`."""

    def __init__(self, *, say: Say = print, backoff: Callable[[], Backoff] = Backoff) -> None:
        self.children: list[Child] = []
        self.say = say
        self.make_backoff = backoff
        self.stopping = False

    def start(self, spec: ProcessSpec, *, tier: int) -> Child:
        """Start one child and keep it running until stop_all()."""
        child = Child(spec=spec, tier=tier, backoff=self.make_backoff())
        self.children.append(child)
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        spec = child.spec
        for directory in (spec.log_file.parent, *spec.dirs):
            directory.mkdir(parents=True, exist_ok=True)
        with spec.log_file.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"=== {stamp} starting: {' '.join(spec.argv)}\n".encode())
            log.flush()
            child.log_offset = log.tell()
            child.process = subprocess.Popen(
                spec.argv,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=spec.user,
                group=spec.user,
                extra_groups=[] if spec.user else None,
            )
        child.started_at = time.monotonic()
        child.restart_at = None

    def poll(self) -> None:
        """Notice exited children and restart those whose backoff has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at and not self.stopping:
                    child.restarts += 1
                    self.say(f"[{child.spec.name}] restarting (restart #{child.restarts})")
                    self._spawn(child)
                continue
            code = child.process.poll() if child.process else None
            if code is None or self.stopping:
                continue
            self._schedule_restart(child, code=code, now=now)

    def _schedule_restart(self, child: Child, *, code: int, now: float) -> None:
        uptime = now - child.started_at
        delay = child.backoff.next_delay(uptime_s=uptime)
        child.restart_at = now + delay
        self.say(
            f"[{child.spec.name}] exited with code {code} after {uptime:.1f} s; "
            f"restarting in {delay:g} s (log: {child.spec.log_file})"
        )
        for line in tail(child.spec.log_file, since=child.log_offset):
            self.say(f"[{child.spec.name}]   {line}")

    def running(self, name: str) -> bool:
        """True while the named child's process is alive."""
        return any(
            c.spec.name == name and c.process is not None and c.process.poll() is None
            for c in self.children
        )

    def stop_all(self, *, grace_s: float = 20.0) -> None:
        """SIGTERM (or the child's stop signal) tier by tier, highest first; SIGKILL laggards."""
        self.stopping = True
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            group = [c for c in self.children if c.tier == tier and c.process is not None]
            for child in group:
                self._signal(child, child.spec.stop_signal)
            deadline = time.monotonic() + grace_s
            for child in group:
                self._wait(child, deadline=deadline)

    def _signal(self, child: Child, signum: int) -> None:
        if child.process is not None and child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signum)

    def _wait(self, child: Child, *, deadline: float) -> None:
        assert child.process is not None
        try:
            code = child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            self.say(f"[{child.spec.name}] stopped (exit code {code})")
        except subprocess.TimeoutExpired:
            self.say(f"[{child.spec.name}] did not stop in time: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)  # its own session: take helpers too
            child.process.wait()
