"""Sentiment work on a real broker (RabbitMQ or Redis), with Dramatiq: ingestion enqueues the ids of the
items it stored; `hotline worker` processes, on as many hosts as needed.

Delivery is at least once: a message is acknowledged only after its items are grouped and committed;
a worker killed mid-batch leaves its message unacknowledged and the broker hands it to another worker
(RabbitMQ at once, Redis once the dead worker's heartbeat has expired). Grouping skips items already
grouped, so a redelivered message is harmless.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)
#: ids per message: a killed worker re-does at most this many items
CHUNK = 100


class SentimentQueue:
    def __init__(self, url: str, queue_name: str, *, heartbeat_ms: int = 60_000) -> None:
        if url.startswith(("redis://", "rediss://")):
            # maintenance (requeueing a dead worker's messages) on 10 % of commands instead of 0.1 %: a killed
            # worker's messages come back soon after its heartbeat expires
            self.broker = RedisBroker(url=url, namespace=queue_name, heartbeat_timeout=heartbeat_ms,
                                      maintenance_chance=100_000)
        else:
            self.broker = RabbitmqBroker(url=url)
        self.queue_name = queue_name
        self._runtime: Runtime | None = None
        self.actor = dramatiq.actor(self._process, broker=self.broker, queue_name=queue_name,
                                    actor_name="process_sentiment_items", max_retries=20, min_backoff=1000)

    def _process(self, ids: list[int]) -> None:
        from hotline.sentiment.pipeline import process_items

        if self._runtime is None:
            raise RuntimeError("this process does not run sentiment workers")
        done = process_items(self._runtime, ids)
        log.info("grouped %s of %s sentiment items", done, len(ids))

    def enqueue(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), CHUNK):
            self.actor.send(list(ids[start : start + CHUNK]))

    def work(self, runtime: Runtime, *, threads: int = 2, stop: threading.Event | None = None) -> None:
        """Process messages until SIGTERM / SIGINT (or ``stop``), then finish the current ones and return."""
        self._runtime = runtime
        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        worker = dramatiq.Worker(self.broker, queues={self.queue_name}, worker_threads=threads, worker_timeout=200)
        worker.start()
        try:
            stop.wait()
        finally:
            worker.stop(timeout=30_000)
            self.broker.close()
