"""Telling workers that a project is queued: nothing to do for polling workers, a Celery message otherwise.

The database row stays the truth either way. A message carries only the project id, and the worker
that receives it claims the project with the same conditional UPDATE that polling workers use, so a
duplicated, redelivered or stale message does nothing.
"""

from abc import ABC, abstractmethod

from darkroom.settings import Settings


class Dispatcher(ABC):
    # True when workers learn of queued projects only from this dispatcher's messages. A broker can
    # lose them (a restart without persistence), so a sweep publishes long-queued projects again.
    needs_redispatch = False

    @abstractmethod
    def publish(self, project_id: str, queue: str) -> None:
        """Send `project_id` to the workers of `queue` ("cpu" or "gpu"); called after the row is committed."""

    def close(self) -> None:
        return None


class PollingDispatcher(Dispatcher):
    """Embedded pool: its slots poll the database for queued rows, so a committed row is all they need."""

    def publish(self, project_id: str, queue: str) -> None:
        return None


def open_dispatcher(settings: Settings) -> Dispatcher:
    if settings.queue == "celery":
        # Imported here so that installs without the [distributed] extra (no Celery) can run the embedded pool.
        from darkroom.queue.celery_app import CeleryDispatcher

        return CeleryDispatcher(settings)
    return PollingDispatcher()
