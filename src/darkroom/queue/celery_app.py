"""Celery dispatch for many machines: the API publishes project ids, `darkroom worker` processes render them.

A message carries only a project id. The task hands it to `Worker.process`, as the embedded pool does,
which claims the project with a conditional UPDATE. A message for a project that is no longer queued
(canceled, deleted, or already rendered after a redelivery) is acknowledged and does nothing.

Long renders shape the settings. A message is acknowledged only after its render (late acks), and it
goes back to the broker when the pool process running it dies (reject on worker lost). With a
prefetch multiplier of 1, a worker reserves at most one unacknowledged message per pool process
(Celery's "Optimizing" guide), so a busy worker holds back no message that an idle one could take.
"""

import logging
import multiprocessing
import multiprocessing.process
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from celery import Celery, signals
from kombu import Exchange, Queue

from darkroom.queue.dispatch import Dispatcher
from darkroom.renderers.registry import CPU_QUEUE, GPU_QUEUE
from darkroom.settings import Settings

if TYPE_CHECKING:
    from darkroom.queue.slot import RenderSlot
    from darkroom.queue.worker import Worker
    from darkroom.runtime import Runtime

logger = logging.getLogger(__name__)

RENDER_TASK = "darkroom.render"
QUEUES = (CPU_QUEUE, GPU_QUEUE)
# Maximum length of a project id in a message; ids are 25-character cuids.
MAX_PROJECT_ID_LENGTH = 64
# Publishing retries while the broker is unreachable, before the failure is logged and left to the
# redispatch sweep (seconds between tries: 0, 0.5, 1).
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def broker_queue_name(prefix: str, queue: str) -> str:
    return f"{prefix}.{queue}"


def celery_for(settings: Settings) -> Celery:
    """Return this process's Celery app for the settings' broker and queue prefix."""
    return _celery_app(settings.broker_url, settings.queue_prefix)


@cache
def _celery_app(broker_url: str, queue_prefix: str) -> Celery:
    app = Celery("darkroom", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_queues=[_broker_queue(queue_prefix, name) for name in QUEUES],
        task_default_queue=broker_queue_name(queue_prefix, CPU_QUEUE),
        # Logging is configured by the `darkroom` command, the same way for every mode.
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # A render goes on while the worker reconnects; if its message is redelivered meanwhile, the
        # conditional claim turns the second delivery into a no-op.
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    app.task(name=RENDER_TASK, ignore_result=True)(render_project)
    return app


def _broker_queue(prefix: str, queue: str) -> Queue:
    # One direct exchange per queue, named like it, so that installations with other prefixes never share one.
    name = broker_queue_name(prefix, queue)
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


def send_render(app: Celery, queue_prefix: str, project_id: str, queue: str) -> None:
    app.send_task(
        RENDER_TASK, args=[project_id], queue=broker_queue_name(queue_prefix, queue),
        retry=True, retry_policy=PUBLISH_RETRY_POLICY,
    )


class CeleryDispatcher(Dispatcher):
    """Publishes the render task with the project id to the broker queue of the project's queue."""

    needs_redispatch = True

    def __init__(self, settings: Settings):
        self.app = celery_for(settings)
        self.queue_prefix = settings.queue_prefix

    def publish(self, project_id: str, queue: str) -> None:
        send_render(self.app, self.queue_prefix, project_id, queue)
        logger.debug("project %s published to queue %s", project_id, queue, extra={"project_id": project_id})


# The worker side. Each pool process renders one project at a time in its own render slot, made when
# the pool process starts from the settings that `run_worker` left here before the fork.

@dataclass
class _PoolProcess:
    runtime: "Runtime"
    worker: "Worker"
    slot: "RenderSlot"
    worker_id: str


_worker_settings: Settings | None = None
_worker_queues: tuple[str, ...] = QUEUES
_pool_process: _PoolProcess | None = None


def render_project(project_id: str) -> None:
    """Claim and render `project_id` if it is still queued; otherwise acknowledge and do nothing."""
    if not isinstance(project_id, str) or not 0 < len(project_id) <= MAX_PROJECT_ID_LENGTH:
        logger.warning("render message with an invalid project id %r acknowledged and ignored", project_id)
        return
    state = _pool_process_state()
    claimed = state.worker.process(state.slot, state.worker_id, project_id=project_id)
    # A canceled render kills the render process; start the next one while the pool process waits.
    state.slot.start()
    if not claimed:
        logger.info("project %s is not queued any more; its message is acknowledged without a render", project_id,
                    extra={"project_id": project_id})


def _pool_process_state() -> _PoolProcess:
    global _pool_process
    if _pool_process is None:
        from darkroom.queue.embedded import build_worker
        from darkroom.queue.worker import new_worker_id
        from darkroom.runtime import Runtime

        if _worker_settings is None:
            raise RuntimeError("render tasks run only in `darkroom worker` processes")
        runtime = Runtime(_worker_settings)
        worker = build_worker(runtime, _worker_queues)
        _pool_process = _PoolProcess(runtime, worker, worker.new_slot(), new_worker_id(0))
    return _pool_process


def _start_pool_process(**_) -> None:
    """Prepare a new pool process: allow it render processes, and start its render slot's now."""
    _allow_render_processes()
    _pool_process_state().slot.start()


def _allow_render_processes() -> None:
    """Let this pool process start render processes with Python's multiprocessing.

    billiard marks its pool processes daemonic and puts its own process object, whose authkey type
    multiprocessing cannot pickle, where multiprocessing looks for the current process. So
    multiprocessing would refuse to start a render process ("daemonic processes are not allowed to
    have children"), then fail to pickle the authkey for it. The flag guards against children left
    behind at exit, and here `_close_pool_process` closes the render slot when the pool process shuts down.
    """
    # NOTE: these are private attributes of multiprocessing; checked with Python 3.11, Celery 5.7, billiard 4.3.
    current = multiprocessing.current_process()
    current._config["daemon"] = False
    current._config["authkey"] = multiprocessing.process.AuthenticationString(bytes(current.authkey))


def _close_pool_process(**_) -> None:
    global _pool_process
    if _pool_process is not None:
        _pool_process.slot.close()
        _pool_process.runtime.close()
        _pool_process = None


def _log_ready(sender=None, **_) -> None:
    logger.info("celery worker %s ready on queues %s", getattr(sender, "hostname", "?"), ",".join(_worker_queues))


def run_worker(settings: Settings, queues: Sequence[str], concurrency: int, log_level: str) -> int:
    """Run a Celery worker with `concurrency` pool processes on `queues` until it is stopped; return its exit code."""
    global _worker_settings, _worker_queues
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue {unknown[0]!r}: use {', '.join(QUEUES)}")
    _worker_settings, _worker_queues = settings, tuple(queues)

    signals.worker_process_init.connect(_start_pool_process, weak=False)
    signals.worker_process_shutdown.connect(_close_pool_process, weak=False)
    signals.worker_ready.connect(_log_ready, weak=False)

    app = celery_for(settings)
    worker = app.Worker(
        hostname=f"darkroom-{os.getpid()}@{socket.gethostname()}",
        queues=[broker_queue_name(settings.queue_prefix, name) for name in queues],
        concurrency=concurrency,
        pool="prefork",
        loglevel=log_level.upper(),
        # Workers coordinate only through the database and the broker; these broadcasts would only slow the start.
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
    )
    worker.start()
    return worker.exitcode or 0
