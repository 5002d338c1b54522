"""`client.v1.image_projects`: read, list, wait for, cancel, delete and download image projects."""

# Postponed annotations, because the method `list` shadows the built-in in the class bodies.
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Collection
from typing import Any, Generic, TypeVar

from darkroom.client._errors import ProjectFailed, WaitTimeout
from darkroom.client._files import async_download_files, download_files
from darkroom.client._models import ImageProjectResult
from darkroom.client._transport import AsyncTransport, SyncTransport, api_path
from darkroom.wire import ImageProject, ProjectPage

# Seconds `wait` polls before it raises WaitTimeout, unless the caller passes timeout_s (None: no limit).
DEFAULT_WAIT_TIMEOUT_S = 600.0
DEFAULT_POLL_INTERVAL_S = 0.5
FINAL_STATUSES = frozenset({"complete", "error", "canceled"})
FAILED_STATUSES = frozenset({"error", "canceled"})

Polled = TypeVar("Polled")
ProgressCallback = Callable[[Any], None]


def status_text(item: Any) -> str:
    return str(getattr(item.status, "value", item.status))


class WaitState(Generic[Polled]):
    """The bookkeeping of one wait: the deadline, and which changes were reported to `on_progress`.

    The sync and async waits share it, so that both poll, report and time out the same way.
    """

    def __init__(
        self,
        timeout_s: float | None,
        poll_interval_s: float,
        on_progress: ProgressCallback | None,
        final_statuses: Collection[str] = FINAL_STATUSES,
    ):
        if timeout_s is not None and timeout_s < 0:
            raise ValueError(f"timeout_s must be 0 or more, or None for no limit; got {timeout_s}")
        if poll_interval_s <= 0:
            raise ValueError(f"poll_interval_s must be more than 0, got {poll_interval_s}")
        self.timeout_s = timeout_s
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.poll_interval_s = poll_interval_s
        self.on_progress = on_progress
        self.final_statuses = final_statuses
        self._reported: tuple | None = None

    def is_finished(self, item: Polled) -> bool:
        """Report `item` if it changed and return whether it is final; raise WaitTimeout past the deadline."""
        snapshot = (status_text(item), getattr(item, "progress", None), getattr(item, "queue_position", None))
        if self.on_progress is not None and snapshot != self._reported:
            self.on_progress(item)
        self._reported = snapshot
        if snapshot[0] in self.final_statuses:
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise WaitTimeout(item, self.timeout_s)
        return False

    def next_delay_s(self) -> float:
        """Return how long to sleep before the next poll; the last poll happens at the deadline."""
        if self.deadline is None:
            return self.poll_interval_s
        return max(min(self.poll_interval_s, self.deadline - time.monotonic()), 0.0)


def with_downloads(project: ImageProject, downloaded_paths: list[str] | None = None) -> ImageProjectResult:
    return ImageProjectResult(**project.model_dump(), downloaded_paths=downloaded_paths)


def raise_if_failed(project: Any, raise_on_error: bool) -> None:
    if raise_on_error and status_text(project) in FAILED_STATUSES:
        raise ProjectFailed(project)


class ImageProjects:
    """`client.v1.image_projects`."""

    def __init__(self, transport: SyncTransport):
        self._transport = transport

    def get(self, id: str, *, request_options: dict[str, Any] | None = None) -> ImageProject:
        """Return the project (`GET /v1/image-projects/{id}`)."""
        response = self._transport.request(
            "GET", api_path("image-projects", id), request_options=request_options
        )
        return ImageProject.model_validate(response.json())

    def delete(self, id: str, *, request_options: dict[str, Any] | None = None) -> None:
        """Delete the project's images and inputs for good, canceling it first if it is queued or rendering."""
        self._transport.request("DELETE", api_path("image-projects", id), request_options=request_options)

    def cancel(self, id: str, *, request_options: dict[str, Any] | None = None) -> ImageProject:
        """Stop a queued or rendering project and refund it (a Darkroom extension); 409 once it is finished."""
        response = self._transport.request(
            "POST", api_path("image-projects", id, "cancel"), request_options=request_options
        )
        return ImageProject.model_validate(response.json())

    def list(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_options: dict[str, Any] | None = None,
    ) -> ProjectPage:
        """Return one page of the caller's projects, newest first (a Darkroom extension).

        Pass `next_cursor` of a page as `cursor` to get the next one; it is None on the last page.
        """
        response = self._transport.request(
            "GET",
            "/v1/image-projects",
            params={"status": status, "limit": limit, "cursor": cursor},
            request_options=request_options,
        )
        return ProjectPage.model_validate(response.json())

    def wait(
        self,
        id: str,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        on_progress: Callable[[ImageProject], None] | None = None,
    ) -> ImageProject:
        """Poll the project until it is complete, error or canceled, and return its final state.

        `on_progress(project)` runs whenever the status, progress or queue position changes.
        Raises WaitTimeout, which carries the last state, when `timeout_s` passes first.
        """
        state: WaitState[ImageProject] = WaitState(timeout_s, poll_interval_s, on_progress)
        while True:
            project = self.get(id)
            if state.is_finished(project):
                return project
            time.sleep(state.next_delay_s())

    def download(
        self, project: ImageProject, download_directory: str | os.PathLike[str] | None = None
    ) -> list[str]:
        """Save the project's downloads as new files in `download_directory` (default: the current folder)."""
        urls = [download.url for download in project.downloads]
        return download_files(self._transport, urls, download_directory, fallback_stem=project.id)

    def check_result(
        self,
        id: str,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: Callable[[ImageProject], None] | None = None,
        raise_on_error: bool = False,
    ) -> ImageProjectResult:
        """Return the project after waiting for it and downloading its images when asked, like the official SDK.

        Unlike the official SDK, the wait ends with WaitTimeout after `timeout_s`, and downloads never
        overwrite files. A project that ends in error or canceled is returned, unless `raise_on_error`
        is set, which raises ProjectFailed instead.
        """
        if not wait_for_completion:
            return with_downloads(self.get(id))
        project = self.wait(id, timeout_s=timeout_s, on_progress=on_progress)
        raise_if_failed(project, raise_on_error)
        if not download_outputs or status_text(project) != "complete":
            return with_downloads(project)
        return with_downloads(project, self.download(project, download_directory))


class AsyncImageProjects:
    """`client.v1.image_projects` of the AsyncClient; the same methods as ImageProjects, awaitable."""

    def __init__(self, transport: AsyncTransport):
        self._transport = transport

    async def get(self, id: str, *, request_options: dict[str, Any] | None = None) -> ImageProject:
        response = await self._transport.request(
            "GET", api_path("image-projects", id), request_options=request_options
        )
        return ImageProject.model_validate(response.json())

    async def delete(self, id: str, *, request_options: dict[str, Any] | None = None) -> None:
        await self._transport.request(
            "DELETE", api_path("image-projects", id), request_options=request_options
        )

    async def cancel(self, id: str, *, request_options: dict[str, Any] | None = None) -> ImageProject:
        response = await self._transport.request(
            "POST", api_path("image-projects", id, "cancel"), request_options=request_options
        )
        return ImageProject.model_validate(response.json())

    async def list(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_options: dict[str, Any] | None = None,
    ) -> ProjectPage:
        response = await self._transport.request(
            "GET",
            "/v1/image-projects",
            params={"status": status, "limit": limit, "cursor": cursor},
            request_options=request_options,
        )
        return ProjectPage.model_validate(response.json())

    async def wait(
        self,
        id: str,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        on_progress: Callable[[ImageProject], None] | None = None,
    ) -> ImageProject:
        state: WaitState[ImageProject] = WaitState(timeout_s, poll_interval_s, on_progress)
        while True:
            project = await self.get(id)
            if state.is_finished(project):
                return project
            await asyncio.sleep(state.next_delay_s())

    async def download(
        self, project: ImageProject, download_directory: str | os.PathLike[str] | None = None
    ) -> list[str]:
        urls = [download.url for download in project.downloads]
        return await async_download_files(self._transport, urls, download_directory, fallback_stem=project.id)

    async def check_result(
        self,
        id: str,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: Callable[[ImageProject], None] | None = None,
        raise_on_error: bool = False,
    ) -> ImageProjectResult:
        if not wait_for_completion:
            return with_downloads(await self.get(id))
        project = await self.wait(id, timeout_s=timeout_s, on_progress=on_progress)
        raise_if_failed(project, raise_on_error)
        if not download_outputs or status_text(project) != "complete":
            return with_downloads(project)
        return with_downloads(project, await self.download(project, download_directory))
