"""A render slot: one render process and the loop that watches it while it renders one project."""

import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from darkroom.queue.render_process import serve_renders
from darkroom.renderers.base import ModelPaths
from darkroom.renderers.images import ImageLimits

logger = logging.getLogger(__name__)

# Seconds a render process gets to exit after its pipe closes, before it is killed.
CHILD_EXIT_GRACE_S = 2.0


@dataclass
class Outcome:
    # "done", "failed", "crashed" (the process died), "abandoned" (no longer ours) or "stopped" (worker shutdown)
    kind: str
    files: dict = field(default_factory=dict)
    code: str = ""
    message: str = ""
    exit_code: int | None = None


def _child_main(connection, models: ModelPaths, limits: ImageLimits) -> None:
    # Ctrl-C reaches the whole process group; the worker decides when its render processes stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s render %(name)s: %(message)s")
    serve_renders(connection, models, limits)


class RenderSlot:
    def __init__(self, models: ModelPaths, limits: ImageLimits):
        self.models = models
        self.limits = limits
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._connection = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def render(self, job: dict, keep_going: Callable[[float | None], bool], interval_s: float) -> Outcome:
        """Run `job` in the render process.

        `keep_going(progress)` is called at least every `interval_s` seconds with the latest progress,
        or None if it did not change. When it returns False, the render process is killed at once.
        """
        self.start()
        self._connection.send(job)
        latest = None
        next_check = time.monotonic() + interval_s
        while True:
            message = self._receive(timeout_s=max(next_check - time.monotonic(), 0.0))
            if message == "dead":
                return self._crashed()
            if message is not None:
                if message[0] == "progress":
                    latest = message[1]
                    continue
                if message[0] == "done":
                    return Outcome("done", files=message[1])
                return Outcome("failed", code=message[1], message=message[2])
            if time.monotonic() >= next_check:
                if not keep_going(latest):
                    self.kill()
                    return Outcome("abandoned")
                latest = None
                next_check = time.monotonic() + interval_s

    def kill(self) -> None:
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.kill()
        self._process.join(CHILD_EXIT_GRACE_S)
        self._discard()

    def close(self) -> None:
        """Ask the render process to exit, and kill it if it does not."""
        if self._process is None:
            return
        try:
            self._connection.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._process.join(CHILD_EXIT_GRACE_S)
        self.kill()

    def start(self) -> None:
        """Start the render process unless it runs; it then imports its libraries while the slot waits for work."""
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_child_main, args=(child, self.models, self.limits), name="darkroom-render", daemon=True
        )
        self._process.start()
        child.close()
        self._connection = parent
        logger.info("render process %s started", self._process.pid)

    def _receive(self, timeout_s: float):
        try:
            if self._connection.poll(timeout_s):
                return self._connection.recv()
        except (EOFError, OSError):
            return "dead"
        if not self._process.is_alive():
            return "dead"
        return None

    def _crashed(self) -> Outcome:
        self._process.join(CHILD_EXIT_GRACE_S)
        exit_code = self._process.exitcode
        self._discard()
        return Outcome("crashed", exit_code=exit_code, message=f"the render process exited with code {exit_code}")

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._process = None
        self._connection = None
