"""The shared stream consumer against the real Redis: ack after handling, dead-letter, reclaim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis

from pose_common.consumer import ConsumerConfig, Entry, Invalid, StreamConsumer, ensure_group
from pose_common.streams import StreamKeys


def _config(keys: StreamKeys, **kw: object) -> ConsumerConfig:
    return ConsumerConfig(stream=keys.frames, group="g", block_ms=50, **kw)  # type: ignore[arg-type]


def test_handles_and_acks_every_entry(redis_client: redis.Redis, keys: StreamKeys) -> None:
    for i in range(10):
        redis_client.xadd(keys.frames, {"n": str(i)})
    seen: list[int] = []

    def handler(entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        seen.extend(int(e.fields[b"n"]) for e in entries)
        return {}

    consumer = StreamConsumer(redis_client, _config(keys, batch_entries=4), handler)
    ensure_group(redis_client, keys.frames, "g")
    while consumer.poll_once():
        pass
    assert seen == list(range(10))
    assert redis_client.xpending(keys.frames, "g")["pending"] == 0


def test_poison_entry_is_dead_lettered_with_reason_and_others_flow(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    for i in range(5):
        redis_client.xadd(keys.frames, {"n": str(i)})
    ok: list[int] = []

    def handler(entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        out = {}
        for e in entries:
            if e.fields[b"n"] == b"2":
                out[e.id] = Invalid("n=2 is poison")
            else:
                ok.append(int(e.fields[b"n"]))
        return out

    consumer = StreamConsumer(redis_client, _config(keys), handler)
    ensure_group(redis_client, keys.frames, "g")
    consumer.poll_once()
    assert ok == [0, 1, 3, 4]
    dead = redis_client.xrange(keys.dead_letter(keys.frames))
    assert len(dead) == 1
    assert dead[0][1][b"reason"] == b"n=2 is poison"
    assert dead[0][1][b"orig_n"] == b"2"
    assert redis_client.xpending(keys.frames, "g")["pending"] == 0


def test_crashing_entry_is_isolated_retried_then_dead_lettered(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    for i in range(3):
        redis_client.xadd(keys.frames, {"n": str(i)})
    ok: list[int] = []

    def handler(entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        if any(e.fields[b"n"] == b"1" for e in entries):
            raise RuntimeError("boom on 1")
        ok.extend(int(e.fields[b"n"]) for e in entries)
        return {}

    consumer = StreamConsumer(
        redis_client,
        _config(keys, reclaim_idle_ms=0, reclaim_every_s=0.0, max_deliveries=3),
        handler,
    )
    ensure_group(redis_client, keys.frames, "g")
    for _ in range(10):
        consumer.poll_once()
    assert ok == [0, 2]
    dead = redis_client.xrange(keys.dead_letter(keys.frames))
    assert len(dead) == 1 and dead[0][1][b"orig_n"] == b"1"
    assert b"boom on 1" in dead[0][1][b"reason"]
    assert redis_client.xpending(keys.frames, "g")["pending"] == 0


def test_entries_of_a_dead_consumer_are_reclaimed(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    ensure_group(redis_client, keys.frames, "g")
    for i in range(4):
        redis_client.xadd(keys.frames, {"n": str(i)})
    # A peer reads them and dies before acknowledging.
    redis_client.xreadgroup("g", "dead-peer", {keys.frames: ">"}, count=10)
    seen: list[int] = []

    def handler(entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        seen.extend(int(e.fields[b"n"]) for e in entries)
        return {}

    consumer = StreamConsumer(
        redis_client, _config(keys, reclaim_idle_ms=0, reclaim_every_s=0.0), handler
    )
    consumer.poll_once()
    assert sorted(seen) == [0, 1, 2, 3]
    assert redis_client.xpending(keys.frames, "g")["pending"] == 0


def test_restart_with_same_name_rehandles_own_pending(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    ensure_group(redis_client, keys.frames, "g")
    for i in range(3):
        redis_client.xadd(keys.frames, {"n": str(i)})
    redis_client.xreadgroup("g", "me", {keys.frames: ">"}, count=10)
    seen: list[int] = []

    def handler(entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        seen.extend(int(e.fields[b"n"]) for e in entries)
        return {}

    consumer = StreamConsumer(redis_client, _config(keys, consumer="me"), handler)
    consumer.stop()  # run() drains own pending before checking stop in the main loop
    consumer._stop.clear()
    consumer._drain_own_pending()
    assert seen == [0, 1, 2]
    assert redis_client.xpending(keys.frames, "g")["pending"] == 0
