"""Ingest throughput over WebSocket and HTTP, and frame-to-prediction latency at the client."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
import websockets

from bench.environment import BenchEnv
from bench.raw import sample_body, xadd_batched_frames_per_s
from bench.results import Figure
from tests import factories
from tests.processes import free_port, start_service, stop_service, wait_until

FRAMES = 30


def _start_ingest(env: BenchEnv, **extra: str) -> tuple[object, str]:
    port = free_port()
    proc = start_service(
        "pose_ingest",
        env.service_env(
            POSE_INGEST_PORT=str(port), POSE_INGEST_MAX_LAG_ENTRIES="100000000", **extra
        ),
        env.work_dir / "logs",
    )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(base + "/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=60, what="ingest ready")
    return proc, base


def _session(base: str) -> tuple[str, str]:
    body = httpx.post(base + "/v1/sessions", json={"model": "yoga"}, timeout=10).json()
    return body["id"], body["token"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _ws_client(
    url: str, body: bytes, *, seconds: float, window: int, latencies: list[float]
) -> int:
    """Send the same batch repeatedly with `window` in flight; returns frames acknowledged."""
    acked = 0
    async with websockets.connect(url, max_size=2**22, compression=None) as ws:
        sent_at: list[float] = []
        deadline = time.perf_counter() + seconds
        in_flight = 0
        text = body.decode()
        while time.perf_counter() < deadline or in_flight:
            while in_flight < window and time.perf_counter() < deadline:
                sent_at.append(time.perf_counter())
                await ws.send(text)
                in_flight += 1
            message = orjson.loads(await ws.recv())
            if message.get("type") == "ack":
                latencies.append(time.perf_counter() - sent_at.pop(0))
                acked += message["count"]
                in_flight -= 1
            elif message.get("type") == "slow_down":
                sent_at.pop(0)
                in_flight -= 1
    return acked


def ingest_websocket(env: BenchEnv, *, seconds: float = 6.0, connections: int = 4) -> list[Figure]:
    proc, base = _start_ingest(env)
    try:
        sessions = [_session(base) for _ in range(connections)]
        body = sample_body(FRAMES)
        latencies: list[float] = []
        ws_base = base.replace("http", "ws")

        async def run() -> int:
            counts = await asyncio.gather(
                *(
                    _ws_client(
                        f"{ws_base}/v1/sessions/{sid}/stream?token={token}",
                        body,
                        seconds=seconds,
                        window=8,
                        latencies=latencies,
                    )
                    for sid, token in sessions
                )
            )
            return sum(counts)

        start = time.perf_counter()
        frames = asyncio.run(run())
        rate = frames / (time.perf_counter() - start)
    finally:
        stop_service(proc)
    client = env.redis()
    baseline = xadd_batched_frames_per_s(client, env.prefix + "raw:xadd")
    client.close()
    p99 = _percentile(latencies, 0.99) * 1000
    return [
        Figure(
            "ingest_ws_frames_per_s",
            rate,
            "frames/s",
            baseline,
            "pipelined XADD of 30-frame entries",
            ">= 120k",
        ),
        Figure("ingest_ws_ack_p99_ms", p99, "ms", 20.0, "target p99", "< 20 ms"),
    ]


async def _http_client(
    host: str, port: int, path: str, token: str, body: bytes, *, seconds: float
) -> int:
    """HTTP/1.1 keep-alive POSTs on one raw connection (httpx would be the bottleneck)."""
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    frames = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if head.startswith(b"HTTP/1.1 200"):
            frames += FRAMES
    writer.close()
    return frames


def ingest_http(env: BenchEnv, *, seconds: float = 6.0, connections: int = 4) -> Figure:
    proc, base = _start_ingest(env)
    try:
        port = int(base.rsplit(":", 1)[1])
        sessions = [_session(base) for _ in range(connections)]
        body = sample_body(FRAMES)

        async def run() -> int:
            counts = await asyncio.gather(
                *(
                    _http_client(
                        "127.0.0.1",
                        port,
                        f"/v1/sessions/{sid}/frames",
                        token,
                        body,
                        seconds=seconds,
                    )
                    for sid, token in sessions
                )
            )
            return sum(counts)

        start = time.perf_counter()
        frames = asyncio.run(run())
        rate = frames / (time.perf_counter() - start)
    finally:
        stop_service(proc)
    client = env.redis()
    baseline = xadd_batched_frames_per_s(client, env.prefix + "raw:xadd2")
    client.close()
    return Figure(
        "ingest_http_frames_per_s",
        rate,
        "frames/s",
        baseline,
        "pipelined XADD of 30-frame entries",
        ">= 60k",
    )


def _redis_round_trip_ms(env: BenchEnv, *, samples: int = 300) -> float:
    """p50 of XADD then a blocked XREAD on another connection seeing it: the raw hop."""
    writer, reader = env.redis(), env.redis()
    stream = env.prefix + "raw:rtt"
    times = []
    last = "0"
    for _ in range(samples):
        start = time.perf_counter()
        writer.xadd(stream, {"d": b"x"})
        response = reader.xread({stream: last}, block=1000, count=1)
        last = response[0][1][0][0]
        times.append((time.perf_counter() - start) * 1000)
    writer.close()
    reader.close()
    return _percentile(times, 0.5)


def prediction_latency(env: BenchEnv, *, seconds: float = 8.0, fps: int = 3000) -> list[Figure]:
    """Frames at `fps` over one WebSocket; latency from send to the prediction coming back."""
    from pose_ml.model_store import build_mlp, publish_model

    publish_model(
        root=env.work_dir / "models",
        name="yoga",
        model=build_mlp(5, seed=0),
        labels=["chair", "cobra", "dog", "tree", "warrior"],
    )
    inference = start_service("pose_inference", env.service_env(), env.work_dir / "logs")
    proc, base = _start_ingest(env)
    latencies: list[float] = []
    try:
        sid, token = _session(base)
        url = base.replace("http", "ws") + f"/v1/sessions/{sid}/stream?token={token}"
        per_batch = 30
        interval = per_batch / fps

        async def run() -> None:
            async with websockets.connect(url, compression=None) as ws:
                sent_at: dict[int, float] = {}
                # Warm-up: wait until the worker answers (TensorFlow start-up excluded).
                await ws.send(orjson.dumps(factories.batch(0, 1)).decode())
                while orjson.loads(await ws.recv()).get("type") != "prediction":
                    pass

                async def send() -> None:
                    seq = 1000
                    next_at = time.perf_counter()
                    end = next_at + seconds
                    while next_at < end:
                        batch = factories.batch(seq, per_batch)
                        now = time.perf_counter()
                        for i in range(per_batch):
                            sent_at[seq + i] = now
                        await ws.send(orjson.dumps(batch).decode())
                        seq += per_batch
                        next_at += interval
                        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

                sender = asyncio.create_task(send())
                expected = int(seconds * fps) // per_batch * per_batch
                while len(latencies) < expected * 0.99:
                    try:
                        message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    except TimeoutError:
                        break
                    if message.get("type") == "prediction" and message["seq"] in sent_at:
                        latencies.append(time.perf_counter() - sent_at.pop(message["seq"]))
                await sender

        asyncio.run(run())
    finally:
        stop_service(proc)
        stop_service(inference)
    baseline = _redis_round_trip_ms(env)
    return [
        Figure(
            "prediction_latency_p50_ms",
            _percentile(latencies, 0.5) * 1000,
            "ms",
            baseline,
            "Redis XADD->XREAD p50",
            "< 15 ms",
        ),
        Figure(
            "prediction_latency_p99_ms",
            _percentile(latencies, 0.99) * 1000,
            "ms",
            baseline,
            "Redis XADD->XREAD p50",
            "< 50 ms",
        ),
    ]
