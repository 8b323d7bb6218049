"""The per-connection send queue: replies kept in order, predictions dropped oldest first."""

from __future__ import annotations

import asyncio

from pose_ingest.outbox import Outbox


async def test_replies_come_before_predictions_and_keep_their_order() -> None:
    outbox = Outbox(max_replies=10, max_predictions=10)
    outbox.offer_prediction("p1")
    await outbox.put_reply("a1")
    await outbox.put_reply("a2")
    assert await outbox.take() == ["a1", "a2", "p1"]


async def test_predictions_past_the_bound_push_out_the_oldest() -> None:
    outbox = Outbox(max_replies=10, max_predictions=2)
    assert outbox.offer_prediction("p1")
    assert outbox.offer_prediction("p2")
    assert not outbox.offer_prediction("p3")
    assert await outbox.take() == ["p2", "p3"]


async def test_a_full_reply_queue_makes_the_reader_wait_until_the_writer_drains() -> None:
    outbox = Outbox(max_replies=1, max_predictions=1)
    await outbox.put_reply("a1")
    waiting = asyncio.create_task(outbox.put_reply("a2"))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert await outbox.take() == ["a1"]
    assert await asyncio.wait_for(waiting, 1.0)
    assert await outbox.take() == ["a2"]


async def test_finish_releases_a_waiting_reader_and_ends_the_writer() -> None:
    outbox = Outbox(max_replies=1, max_predictions=1)
    await outbox.put_reply("a1")
    waiting = asyncio.create_task(outbox.put_reply("a2"))
    await asyncio.sleep(0.01)
    outbox.finish()
    assert await asyncio.wait_for(waiting, 1.0) is False
    assert await outbox.take() is None


async def test_close_sends_what_is_queued_first() -> None:
    outbox = Outbox(max_replies=5, max_predictions=5)
    await outbox.put_reply("a1")
    outbox.close(1007, "bad")
    assert await outbox.take() == ["a1"]
    assert await outbox.take() is None
    assert (outbox.close_code, outbox.close_reason) == (1007, "bad")


async def test_a_waiting_writer_wakes_for_new_messages() -> None:
    outbox = Outbox(max_replies=5, max_predictions=5)
    taking = asyncio.create_task(outbox.take())
    await asyncio.sleep(0.01)
    assert not taking.done()
    outbox.offer_prediction("p1")
    assert await asyncio.wait_for(taking, 1.0) == ["p1"]
