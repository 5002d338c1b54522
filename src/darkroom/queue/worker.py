"""The render worker: claim a project, fetch its inputs, render it in a slot, store the outcome.

The embedded pool and the Celery task both run projects through `Worker.process`.
"""

import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from darkroom.projects.work import Claim, ProjectWork
from darkroom.queue.fetch import UrlFetcher
from darkroom.queue.slot import Outcome, RenderSlot
from darkroom.renderers.base import ModelPaths, RenderError
from darkroom.renderers.images import ImageLimits
from darkroom.storage import Storage

logger = logging.getLogger(__name__)


class ProjectGone(Exception):
    """The project stopped being this worker's (canceled, deleted or taken over) while it prepared the render."""


def output_key(project_id: str, index: int) -> str:
    # The file name is what the official SDKs save downloads under, so it carries the id and index.
    return f"projects/{project_id}/outputs/{project_id}-{index}.png"


def new_worker_id(slot_index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{slot_index}"


class Worker:
    def __init__(
        self,
        work: ProjectWork,
        storage: Storage,
        fetcher: UrlFetcher,
        models: ModelPaths,
        limits: ImageLimits,
        *,
        queues: Sequence[str],
        progress_interval_s: float,
    ):
        self.work = work
        self.storage = storage
        self.fetcher = fetcher
        self.models = models
        self.limits = limits
        self.queues = list(queues)
        self.progress_interval_s = progress_interval_s

    def new_slot(self) -> RenderSlot:
        return RenderSlot(self.models, self.limits)

    def process(
        self, slot: RenderSlot, worker_id: str, project_id: str | None = None, stop: threading.Event | None = None
    ) -> bool:
        """Claim one project (the oldest queued one, or `project_id`) and render it; False if none was claimed.

        When `stop` is set during the render, the render process is killed and the project goes back
        to the queue without counting the attempt.
        """
        claim = self.work.claim(worker_id, self.queues, project_id)
        if claim is None:
            return False
        started = time.monotonic()
        logger.info("project %s rendering", claim.id,
                    extra={"project_id": claim.id, "tool": claim.tool, "attempt": claim.attempt})
        try:
            with tempfile.TemporaryDirectory(prefix=f"darkroom-{claim.id}-") as folder:
                outcome = self._render(slot, worker_id, claim, Path(folder), stop)
                self._record(worker_id, claim, outcome)
        except Exception as error:
            # A fault of the worker itself (storage, database): end the project rather than leave it
            # rendering until its lease expires. If this write fails too, the lease reaper requeues it.
            logger.exception("worker failed on project %s", claim.id, extra={"project_id": claim.id})
            self.work.fail(claim.id, worker_id, "unknown_error", f"the render worker failed: {type(error).__name__}")
            outcome = Outcome("failed")
        logger.info("project %s render ended: %s", claim.id, outcome.kind,
                    extra={"project_id": claim.id, "tool": claim.tool, "attempt": claim.attempt,
                           "duration_s": round(time.monotonic() - started, 3)})
        return True

    def _render(self, slot: RenderSlot, worker_id: str, claim: Claim, folder: Path, stop) -> Outcome:
        try:
            input_files = self._fetch_inputs(worker_id, claim, folder)
        except RenderError as error:
            return Outcome("failed", code=error.code, message=error.message)
        except ProjectGone:
            return Outcome("abandoned")
        output_dir = folder / "outputs"
        output_dir.mkdir()
        job = {
            "project_id": claim.id,
            "tool": claim.tool,
            "inputs": claim.inputs,
            "input_files": input_files,
            "output_dir": str(output_dir),
        }

        def keep_going(progress: float | None) -> bool:
            if stop is not None and stop.is_set():
                return False
            return self.work.heartbeat(claim.id, worker_id, progress)

        outcome = slot.render(job, keep_going, self.progress_interval_s)
        if outcome.kind == "abandoned" and stop is not None and stop.is_set():
            return Outcome("stopped")
        return outcome

    def _fetch_inputs(self, worker_id: str, claim: Claim, folder: Path) -> dict[str, str]:
        """Bring every input to a local file: copies from storage, URLs through the guarded fetcher."""
        files = {}
        for index, (field, key) in enumerate(claim.input_keys.items()):
            target = folder / f"input-{index}"
            if key.lower().startswith(("http://", "https://")):
                self.fetcher.fetch(key, target, field=field)
                stored_key = f"projects/{claim.id}/inputs/{index}-fetched"
                self.storage.put_file(stored_key, target)
                if not self.work.set_input_key(claim.id, worker_id, field, stored_key):
                    # Deleted or canceled during the fetch: its folder may already be gone, so the copy must go too.
                    self.storage.delete_prefix(stored_key)
                    raise ProjectGone(claim.id)
            else:
                self.storage.download_to(key, target)
            files[field] = str(target)
        return files

    def _record(self, worker_id: str, claim: Claim, outcome: Outcome) -> None:
        if outcome.kind == "done":
            self._store_outputs(worker_id, claim, outcome.files)
        elif outcome.kind == "failed":
            self.work.fail(claim.id, worker_id, outcome.code, outcome.message)
        elif outcome.kind == "crashed":
            self.work.lose(claim.id, worker_id, outcome.message)
        elif outcome.kind == "stopped":
            self.work.release(claim.id, worker_id)
        # "abandoned": canceled, deleted or taken over; the project is no longer ours to write.

    def _store_outputs(self, worker_id: str, claim: Claim, files: dict) -> None:
        keys = [output_key(claim.id, index) for index in range(len(files["images"]))]
        for key, path in zip(keys, files["images"]):
            self.storage.put_file(key, Path(path))
        if not self.work.complete(claim.id, worker_id, keys, files.get("result")):
            # Canceled or deleted while the files were written: take them away again.
            self.storage.delete_prefix(f"projects/{claim.id}/outputs/")
            logger.info("project %s was canceled or deleted during its render; outputs removed", claim.id,
                        extra={"project_id": claim.id})
