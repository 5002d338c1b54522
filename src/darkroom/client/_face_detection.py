"""`client.v1.face_detection`: find the faces in an image, for face swaps with `face_mappings`."""

import asyncio
import copy
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from darkroom.client._errors import ApiError
from darkroom.client._files import (
    AsyncFiles,
    Files,
    async_download_files,
    download_files,
    local_file_name,
    needs_upload,
)
from darkroom.client._models import FaceDetection, FaceDetectionCreateResponse, FaceDetectionResult
from darkroom.client._params import FaceDetectionAssets
from darkroom.client._projects import (
    DEFAULT_POLL_INTERVAL_S,
    DEFAULT_WAIT_TIMEOUT_S,
    FINAL_STATUSES,
    WaitState,
    raise_if_failed,
    status_text,
)
from darkroom.client._transport import AsyncTransport, SyncTransport, api_path

RequestOptions = dict[str, Any]
TARGET_FIELD = "assets.target_file_path"
DetectionCallback = Callable[[FaceDetection], None]


def detection_body(
    assets: FaceDetectionAssets | dict[str, Any], confidence_score: float | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"assets": dict(assets)}
    if confidence_score is not None:
        body["confidence_score"] = confidence_score
    return body


def local_target(assets: dict[str, Any]) -> dict[str, str]:
    """Return {field: local path} for the target when it is a local file that `generate` uploads."""
    target = assets.get("target_file_path")
    if not needs_upload(target):
        return {}
    return {TARGET_FIELD: local_file_name(target)}


def with_downloads(
    detection: FaceDetection, downloaded_paths: list[str] | None = None
) -> FaceDetectionResult:
    return FaceDetectionResult(**detection.model_dump(), downloaded_paths=downloaded_paths)


class FaceDetectionResource:
    """`client.v1.face_detection`."""

    def __init__(self, transport: SyncTransport, files: Files):
        self._transport = transport
        self._files = files

    def create(
        self,
        *,
        assets: FaceDetectionAssets | dict[str, Any],
        confidence_score: float | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FaceDetectionCreateResponse:
        """Start a detection (`POST /v1/face-detection`) of `assets.target_file_path`, an uploaded path or URL."""
        response = self._transport.request(
            "POST",
            "/v1/face-detection",
            json=detection_body(assets, confidence_score),
            idempotency_key=idempotency_key,
            request_options=request_options,
        )
        return FaceDetectionCreateResponse.model_validate(response.json())

    def get(self, id: str, *, request_options: RequestOptions | None = None) -> FaceDetection:
        """Return the detection and the faces found so far (`GET /v1/face-detection/{id}`)."""
        response = self._transport.request(
            "GET", api_path("face-detection", id), request_options=request_options
        )
        return FaceDetection.model_validate(response.json())

    def wait(
        self,
        id: str,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        on_progress: DetectionCallback | None = None,
    ) -> FaceDetection:
        """Poll the detection until it is complete or error; raise WaitTimeout if `timeout_s` passes first."""
        state: WaitState[FaceDetection] = WaitState(timeout_s, poll_interval_s, on_progress, FINAL_STATUSES)
        while True:
            detection = self.get(id)
            if state.is_finished(detection):
                return detection
            time.sleep(state.next_delay_s())

    def generate(
        self,
        *,
        assets: FaceDetectionAssets | dict[str, Any],
        confidence_score: float | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: DetectionCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FaceDetectionResult:
        """Upload `assets.target_file_path` if it is local, detect faces, wait, and download the face crops.

        Raises ProjectFailed when the detection ends in error, unless `raise_on_error` is False.
        """
        assets = copy.deepcopy(dict(assets))
        uploaded = local_target(assets)
        if uploaded:
            assets["target_file_path"] = self._files.upload_file(assets["target_file_path"])
        try:
            created = self.create(
                assets=assets,
                confidence_score=confidence_score,
                idempotency_key=idempotency_key or str(uuid.uuid4()),
                request_options=request_options,
            )
        except ApiError as error:
            error.name_local_file(uploaded)
            raise
        if not wait_for_completion:
            return with_downloads(self.get(created.id))
        detection = self.wait(created.id, timeout_s=timeout_s, on_progress=on_progress)
        raise_if_failed(detection, raise_on_error)
        if not download_outputs or status_text(detection) != "complete" or not detection.faces:
            return with_downloads(detection)
        urls = [face.url for face in detection.faces]
        return with_downloads(
            detection, download_files(self._transport, urls, download_directory, detection.id)
        )


class AsyncFaceDetectionResource:
    """`client.v1.face_detection` of the AsyncClient; the same methods as FaceDetectionResource, awaitable."""

    def __init__(self, transport: AsyncTransport, files: AsyncFiles):
        self._transport = transport
        self._files = files

    async def create(
        self,
        *,
        assets: FaceDetectionAssets | dict[str, Any],
        confidence_score: float | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FaceDetectionCreateResponse:
        response = await self._transport.request(
            "POST",
            "/v1/face-detection",
            json=detection_body(assets, confidence_score),
            idempotency_key=idempotency_key,
            request_options=request_options,
        )
        return FaceDetectionCreateResponse.model_validate(response.json())

    async def get(self, id: str, *, request_options: RequestOptions | None = None) -> FaceDetection:
        response = await self._transport.request(
            "GET", api_path("face-detection", id), request_options=request_options
        )
        return FaceDetection.model_validate(response.json())

    async def wait(
        self,
        id: str,
        *,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        on_progress: DetectionCallback | None = None,
    ) -> FaceDetection:
        state: WaitState[FaceDetection] = WaitState(timeout_s, poll_interval_s, on_progress, FINAL_STATUSES)
        while True:
            detection = await self.get(id)
            if state.is_finished(detection):
                return detection
            await asyncio.sleep(state.next_delay_s())

    async def generate(
        self,
        *,
        assets: FaceDetectionAssets | dict[str, Any],
        confidence_score: float | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: DetectionCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FaceDetectionResult:
        assets = copy.deepcopy(dict(assets))
        uploaded = local_target(assets)
        if uploaded:
            assets["target_file_path"] = await self._files.upload_file(assets["target_file_path"])
        try:
            created = await self.create(
                assets=assets,
                confidence_score=confidence_score,
                idempotency_key=idempotency_key or str(uuid.uuid4()),
                request_options=request_options,
            )
        except ApiError as error:
            error.name_local_file(uploaded)
            raise
        if not wait_for_completion:
            return with_downloads(await self.get(created.id))
        detection = await self.wait(created.id, timeout_s=timeout_s, on_progress=on_progress)
        raise_if_failed(detection, raise_on_error)
        if not download_outputs or status_text(detection) != "complete" or not detection.faces:
            return with_downloads(detection)
        urls = [face.url for face in detection.faces]
        return with_downloads(
            detection, await async_download_files(self._transport, urls, download_directory, detection.id)
        )
