"""The inference worker: consumer group "inference" on the frames stream -> predictions.

main() opens everything (Redis, metrics server, signal handlers) and runs the loop until
SIGTERM; InferenceWorker is what tests build and run in a thread.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

import redis

from pose_common import metrics as common_metrics
from pose_common.consumer import ConsumerConfig, StreamConsumer
from pose_common.health import Heartbeat
from pose_common.logs import configure_logging
from pose_common.metrics import serve_metrics
from pose_common.redis_client import connect
from pose_common.shutdown import on_termination
from pose_common.streams import GROUP_INFERENCE, StreamKeys
from pose_inference.feature_history import FeatureHistory
from pose_inference.handler import PredictionHandler
from pose_inference.registry import ModelEvents, ModelRegistry
from pose_inference.settings import InferenceSettings, get_settings

log = logging.getLogger(__name__)

SERVICE = "inference"


@dataclass(slots=True)
class InferenceWorker:
    """A stream consumer wired to the model registry, the handler and the heartbeat."""

    consumer: StreamConsumer
    registry: ModelRegistry
    events: ModelEvents
    heartbeat: Heartbeat

    def idle(self) -> None:
        """Between batches: follow model events and aliases, then beat."""
        self.follow_models()
        self.beat()

    def follow_models(self) -> None:
        """Swap in the versions announced on the models stream (and poll aliases when due)."""
        try:
            announced = self.events.read()
        except redis.RedisError as exc:  # the next read of frames will surface a real outage
            log.warning("could not read model events: %s", exc)
            announced = set()
        self.registry.reload(announced=announced)

    def beat(self, *, force: bool = False) -> None:
        status = {
            "service": SERVICE,
            "consumer": self.consumer.config.consumer,
            "processed": self.consumer.processed,
            **self.registry.status(),
        }
        try:
            self.heartbeat.beat(status, force=force)
        except OSError as exc:  # a full or read-only disk must not stop classification
            log.warning("could not write the heartbeat file: %s", exc)

    def run(self) -> None:
        """Consume until stop() (SIGTERM): the batch in hand is finished and acked first."""
        common_metrics.UP.labels(SERVICE).set(1)
        try:
            self.beat(force=True)
            self.consumer.run(idle_hook=self.idle)
        finally:
            common_metrics.UP.labels(SERVICE).set(0)
        log.info("inference worker stopped after %d entries", self.consumer.processed)

    def stop(self) -> None:
        self.consumer.stop()


def build_worker(*, settings: InferenceSettings, client: redis.Redis) -> InferenceWorker:
    """Wire a worker from settings; opens nothing but what it is given."""
    keys = StreamKeys(settings.key_prefix)
    registry = ModelRegistry(
        root=settings.model_dir, reload_every_s=settings.inference_reload_every_s
    )
    history = FeatureHistory(
        client,
        keys,
        ttl_s=settings.inference_history_ttl_s,
        keep_frames=settings.inference_history_frames,
    )
    handler = PredictionHandler(
        client=client, registry=registry, predictions_stream=keys.predictions, history=history
    )
    config = ConsumerConfig(
        stream=keys.frames,
        group=GROUP_INFERENCE,
        batch_entries=settings.inference_batch_entries,
        block_ms=settings.inference_block_ms,
        reclaim_idle_ms=settings.inference_reclaim_idle_ms,
        max_deliveries=settings.inference_max_deliveries,
        dead_letter_stream=keys.dead_letter(keys.frames),
        service=SERVICE,
    )
    consumer = StreamConsumer(client, config, handler)
    heartbeat = Heartbeat(
        client,
        keys.heartbeat(SERVICE, config.consumer),
        file=settings.heartbeat_path,
        every_s=settings.inference_heartbeat_every_s,
    )
    events = ModelEvents(client, keys.models)
    events.start()  # before any load, so no publication falls between the two
    registry.get(settings.default_model)  # warm the default model before the first frame
    worker = InferenceWorker(consumer, registry, events, heartbeat)
    handler.before_batch = worker.follow_models
    return worker


def configure_tensorflow(*, threads: int) -> None:
    """Few intra-op threads: a small MLP gains nothing from more on 2 cores, Redis I/O loses."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already started (e.g. in tests): keep its settings
        log.debug("TensorFlow threading already fixed")


def main() -> None:
    """Entry point of `python -m pose_inference`."""
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    configure_tensorflow(threads=settings.inference_tf_threads)
    client = connect(settings.redis_url)
    worker = build_worker(settings=settings, client=client)
    # TensorFlow leaves ~300k long-lived objects; freezing them keeps every full collection
    # (triggered by the many short-lived JSON objects per batch) from rescanning them.
    gc.collect()
    gc.freeze()
    serve_metrics(settings.metrics_port)
    on_termination(worker.stop)
    log.info(
        "inference worker %s reading %s (models in %s)",
        worker.consumer.config.consumer,
        worker.consumer.config.stream,
        settings.model_dir,
    )
    try:
        worker.run()
    finally:
        client.close()
