"""The heartbeat file is replaced in one step: a reader never sees it empty or half written."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pose_common.health import write_atomically


def test_reader_never_sees_a_partial_heartbeat(tmp_path: Path) -> None:
    path = tmp_path / "hb" / "worker.json"
    write_atomically(path, json.dumps({"n": -1}))
    done = threading.Event()
    bad: list[str] = []

    def reader() -> None:
        while not done.is_set():
            text = path.read_text()
            try:
                json.loads(text)
            except ValueError:
                bad.append(text)

    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(3000):
        write_atomically(path, json.dumps({"n": n, "pad": "x" * 2000}))
    done.set()
    thread.join()
    assert bad == []
    assert json.loads(path.read_text())["n"] == 2999
    assert [p.name for p in path.parent.iterdir()] == ["worker.json"]
