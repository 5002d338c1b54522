"""The embedded worker pool: render slots in one process that take queued projects from the database.

Idle slots poll the database every `poll_interval_s`. The claim is a conditional UPDATE, so any
number of pools can poll the same table, on one machine or on several that share PostgreSQL.
"""

import logging
import threading

from darkroom.queue.fetch import UrlFetcher
from darkroom.queue.worker import Worker, new_worker_id
from darkroom.runtime import Runtime

logger = logging.getLogger(__name__)

ALL_QUEUES = ("cpu", "gpu")


def build_worker(runtime: Runtime, queues=ALL_QUEUES) -> Worker:
    settings = runtime.settings
    fetcher = UrlFetcher(timeout_s=settings.url_fetch_timeout_s, max_bytes=settings.url_fetch_max_bytes,
                         allow_hosts=settings.url_allow_hosts)
    return Worker(runtime.work, runtime.storage, fetcher, runtime.models, runtime.limits,
                  queues=queues, progress_interval_s=settings.progress_interval_s)


class EmbeddedPool:
    def __init__(self, runtime: Runtime, slots: int, queues=ALL_QUEUES):
        self.runtime = runtime
        self.slots = slots
        self.worker = build_worker(runtime, queues)
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.slots):
            thread = threading.Thread(target=self._run_slot, args=(index,), name=f"darkroom-slot-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("embedded pool started with %d render slots on queues %s", self.slots, ",".join(self.worker.queues))

    def stop(self, timeout_s: float = 10.0) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout_s)
        logger.info("embedded pool stopped")

    def _run_slot(self, index: int) -> None:
        slot = self.worker.new_slot()
        worker_id = new_worker_id(index)
        poll_interval_s = self.runtime.settings.poll_interval_s
        try:
            while not self.stopping.is_set():
                slot.start()
                try:
                    claimed = self.worker.process(slot, worker_id, stop=self.stopping)
                except Exception:
                    logger.exception("render slot %d failed; it goes on with the next project", index)
                    claimed = False
                if not claimed:
                    self.stopping.wait(poll_interval_s)
        finally:
            slot.close()
