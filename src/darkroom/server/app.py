"""The FastAPI application: routers, error handlers, the body size limit and the lease reaper."""

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from darkroom import __version__
from darkroom.runtime import Runtime
from darkroom.server import errors
from darkroom.server.deps import KeyCache, reject_unknown_query
from darkroom.server.limits import BodySizeLimit, RejectEncodedSlash
from darkroom.server.routes import account, face_detection, files, image_projects, storage, tools
from darkroom.settings import Settings

logger = logging.getLogger(__name__)


class LeaseReaper:
    """Requeues projects whose worker stopped renewing its lease, in a background thread.

    A requeued project is published to the broker when its transaction commits (projects/dispatch.py).
    With a broker, the same thread also publishes again projects whose message may have been lost.
    """

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.interval_s = max(runtime.settings.lease_s / 3, 0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="darkroom-lease-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.runtime.work.reap_expired_leases()
            except Exception:
                logger.exception("lease reaper failed; it tries again in %.1f s", self.interval_s)
            try:
                self.runtime.redispatch_stale()
            except Exception:
                logger.exception("redispatch sweep failed; it tries again in %.1f s", self.interval_s)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        reaper = LeaseReaper(runtime)
        reaper.start()
        try:
            yield
        finally:
            reaper.stop()

    app = FastAPI(
        title="Darkroom",
        version=__version__,
        description="Self-hosted image rendering server that speaks the Magic Hour v1 image API.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.key_cache = KeyCache()
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_request_bytes)
    app.add_middleware(RejectEncodedSlash)
    for module in (account, image_projects, files, tools, face_detection):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES, dependencies=[Depends(reject_unknown_query)])
    # Signed file URLs carry their own query (expires, signature) and stay out of the schema.
    app.include_router(storage.router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
