"""scripts/devstack/supervisor.py: restarts with backoff, ordered stop, kill on timeout."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from devstack.services import ProcessSpec
from devstack.supervisor import Backoff, Supervisor

from tests.processes import wait_until


def python_child(name: str, code: str, tmp_path: Path) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=(sys.executable, "-c", code),
        env={"PATH": "/usr/bin:/bin"},
        log_file=tmp_path / "log" / f"{name}.log",
    )


def test_backoff_doubles_up_to_its_cap_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(initial_s=1, max_s=5, stable_after_s=60)
    delays = [backoff.next_delay(uptime_s=0.1) for _ in range(5)]
    assert delays == [1, 2, 4, 5, 5]
    assert backoff.next_delay(uptime_s=120) == 1


def test_a_crashed_child_is_restarted_and_its_log_tail_shown(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(say=said.append, backoff=lambda: Backoff(initial_s=0.05, max_s=0.1))
    child = supervisor.start(
        python_child("crasher", "print('boom'); raise SystemExit(3)", tmp_path), tier=1
    )

    def restarted_twice() -> bool:
        supervisor.poll()
        return child.restarts >= 2

    wait_until(restarted_twice, timeout=20, what="two restarts")
    supervisor.stop_all(grace_s=5)
    assert any("exited with code 3" in line for line in said)
    assert any(line.endswith("boom") for line in said)
    assert (tmp_path / "log" / "crasher.log").read_text().count("starting:") >= 3


def test_stop_all_stops_services_before_the_servers_they_use(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(say=said.append)
    sleeper = "import time; time.sleep(60)"
    supervisor.start(python_child("server", sleeper, tmp_path), tier=0)
    supervisor.start(python_child("service", sleeper, tmp_path), tier=1)
    supervisor.stop_all(grace_s=10)
    stopped = [line.split("]")[0].lstrip("[") for line in said if "stopped" in line]
    assert stopped == ["service", "server"]
    assert not supervisor.running("server") and not supervisor.running("service")


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(say=said.append)
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    spec = python_child("stubborn", stubborn, tmp_path)
    supervisor.start(spec, tier=1)
    # The log's first line echoes the command, so look for the child's own line.
    wait_until(
        lambda: "ready" in spec.log_file.read_text().splitlines(), timeout=10, what="child ready"
    )
    started = time.monotonic()
    supervisor.stop_all(grace_s=0.5)
    assert time.monotonic() - started < 5
    assert not supervisor.running("stubborn")
    assert any("killing" in line for line in said), said


def test_a_stopping_supervisor_restarts_nothing(tmp_path: Path) -> None:
    supervisor = Supervisor(say=lambda _line: None, backoff=lambda: Backoff(initial_s=0.01))
    child = supervisor.start(python_child("quick", "pass", tmp_path), tier=1)
    assert child.process is not None
    child.process.wait(timeout=10)
    supervisor.stop_all(grace_s=1)
    supervisor.poll()
    time.sleep(0.05)
    supervisor.poll()
    assert child.restarts == 0
