"""Tool resources: `create` posts a request, `generate` uploads, creates, waits and downloads.

Each tool's parameters are written once, in a `*Params` class that is generic in what `create`
and `generate` return. The sync class binds them to results and the async class to awaitables
of the same results, so both have the same method names and signatures.
"""

import copy
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from darkroom.client._errors import ApiError
from darkroom.client._files import AsyncFiles, Files, local_file_name, needs_upload
from darkroom.client._models import ImageProjectResult
from darkroom.client._params import (
    BackgroundRemoverAssets,
    FaceSwapPhotoAssets,
    ImageGeneratorStyle,
    UpscalerAssets,
    UpscalerStyle,
)
from darkroom.client._projects import DEFAULT_WAIT_TIMEOUT_S, AsyncImageProjects, ImageProjects
from darkroom.client._transport import AsyncTransport, SyncTransport, api_path
from darkroom.wire import CreateResponse, ImageProject

CreatedT = TypeVar("CreatedT")
ResultT = TypeVar("ResultT")
RequestOptions = dict[str, Any]
ProgressCallback = Callable[[ImageProject], None]


@dataclass(frozen=True)
class GenerateOptions:
    """Options of `generate` for the steps after the create: wait, download, and raise on a failed project."""

    wait_for_completion: bool = True
    download_outputs: bool = True
    download_directory: str | os.PathLike[str] | None = None
    timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S
    on_progress: ProgressCallback | None = None
    raise_on_error: bool = True
    idempotency_key: str | None = None
    request_options: RequestOptions | None = None


def request_body(**fields: Any) -> dict[str, Any]:
    """Return the JSON body without the fields left at None, as the official SDK leaves out unset ones."""
    return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class UploadSlot:
    """An input of a request body that names a local file, which `generate` uploads first."""

    field: str  # the dotted field name, as a 422 names it: "assets.face_mappings.0.new_face"
    container: dict[str, Any]
    key: str

    @property
    def local_file(self) -> str:
        return local_file_name(self.container[self.key])


def upload_slots(body: dict[str, Any]) -> list[UploadSlot]:
    """Return the inputs in `body` that name a local file to upload first.

    Those are the `assets.*_file_path` fields and `assets.face_mappings[].new_face`, the same
    fields that the official SDK's `generate` uploads.
    """
    assets = body.get("assets") or {}
    slots = [
        UploadSlot(f"assets.{key}", assets, key)
        for key, value in assets.items()
        if key.endswith("_file_path") and needs_upload(value)
    ]
    for index, mapping in enumerate(assets.get("face_mappings") or []):
        if needs_upload(mapping.get("new_face")):
            slots.append(UploadSlot(f"assets.face_mappings.{index}.new_face", mapping, "new_face"))
    return slots


class _ToolParams(Generic[CreatedT, ResultT]):
    """Base of the per-tool parameter classes; the sync and async tool classes implement the two calls."""

    def _create(
        self, body: dict[str, Any], idempotency_key: str | None, request_options: RequestOptions | None
    ) -> CreatedT:
        raise NotImplementedError

    def _generate(self, body: dict[str, Any], options: GenerateOptions) -> ResultT:
        raise NotImplementedError


class _SyncTool:
    slug: str

    def __init__(self, transport: SyncTransport, files: Files, projects: ImageProjects):
        self._transport = transport
        self._files = files
        self._projects = projects

    def _create(
        self, body: dict[str, Any], idempotency_key: str | None, request_options: RequestOptions | None
    ) -> CreateResponse:
        response = self._transport.request(
            "POST",
            api_path(self.slug),
            json=body,
            idempotency_key=idempotency_key,
            request_options=request_options,
        )
        return CreateResponse.model_validate(response.json())

    def _generate(self, body: dict[str, Any], options: GenerateOptions) -> ImageProjectResult:
        body = copy.deepcopy(body)
        uploaded: dict[str, str] = {}
        for slot in upload_slots(body):
            uploaded[slot.field] = slot.local_file
            slot.container[slot.key] = self._files.upload_file(slot.container[slot.key])
        # One key per generate call, so that a retried POST creates and charges the project once.
        key = options.idempotency_key or str(uuid.uuid4())
        try:
            created = self._create(body, key, options.request_options)
        except ApiError as error:
            error.name_local_file(uploaded)
            raise
        return self._projects.check_result(
            created.id,
            options.wait_for_completion,
            options.download_outputs,
            options.download_directory,
            timeout_s=options.timeout_s,
            on_progress=options.on_progress,
            raise_on_error=options.raise_on_error,
        )


class _AsyncTool:
    slug: str

    def __init__(self, transport: AsyncTransport, files: AsyncFiles, projects: AsyncImageProjects):
        self._transport = transport
        self._files = files
        self._projects = projects

    async def _create(
        self, body: dict[str, Any], idempotency_key: str | None, request_options: RequestOptions | None
    ) -> CreateResponse:
        response = await self._transport.request(
            "POST",
            api_path(self.slug),
            json=body,
            idempotency_key=idempotency_key,
            request_options=request_options,
        )
        return CreateResponse.model_validate(response.json())

    async def _generate(self, body: dict[str, Any], options: GenerateOptions) -> ImageProjectResult:
        body = copy.deepcopy(body)
        uploaded: dict[str, str] = {}
        for slot in upload_slots(body):
            uploaded[slot.field] = slot.local_file
            slot.container[slot.key] = await self._files.upload_file(slot.container[slot.key])
        key = options.idempotency_key or str(uuid.uuid4())
        try:
            created = await self._create(body, key, options.request_options)
        except ApiError as error:
            error.name_local_file(uploaded)
            raise
        return await self._projects.check_result(
            created.id,
            options.wait_for_completion,
            options.download_outputs,
            options.download_directory,
            timeout_s=options.timeout_s,
            on_progress=options.on_progress,
            raise_on_error=options.raise_on_error,
        )


# The `generate` arguments below mean the same for every tool:
#   wait_for_completion, download_outputs, download_directory: as in the official SDK; downloads
#       never overwrite a file and the folder is created.
#   timeout_s: seconds to wait before WaitTimeout (None: no limit).
#   on_progress: called with the project whenever its status, progress or queue position changes.
#   raise_on_error: raise ProjectFailed when the project ends in error or canceled (default), or
#       return it as the official SDK does.
#   idempotency_key: sent with the create; a new random key by default, so a retried create is charged once.


class AiImageUpscalerParams(_ToolParams[CreatedT, ResultT]):
    slug = "ai-image-upscaler"

    def create(
        self,
        *,
        assets: UpscalerAssets | Mapping[str, Any],
        scale_factor: float,
        style: UpscalerStyle | Mapping[str, Any] | None = None,
        name: str | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreatedT:
        """Create an upscale project (`POST /v1/ai-image-upscaler`); `scale_factor` is 2 or 4."""
        body = request_body(name=name, assets=dict(assets), scale_factor=scale_factor, style=style)
        return self._create(body, idempotency_key, request_options)

    def generate(
        self,
        *,
        assets: UpscalerAssets | Mapping[str, Any],
        scale_factor: float,
        style: UpscalerStyle | Mapping[str, Any] | None = None,
        name: str | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ResultT:
        """Upload `assets.image_file_path` if it is local, upscale it, wait, and download the result."""
        body = request_body(name=name, assets=dict(assets), scale_factor=scale_factor, style=style)
        return self._generate(
            body,
            GenerateOptions(
                wait_for_completion,
                download_outputs,
                download_directory,
                timeout_s,
                on_progress,
                raise_on_error,
                idempotency_key,
                request_options,
            ),
        )


class ImageBackgroundRemoverParams(_ToolParams[CreatedT, ResultT]):
    slug = "image-background-remover"

    def create(
        self,
        *,
        assets: BackgroundRemoverAssets | Mapping[str, Any],
        name: str | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreatedT:
        """Create a background removal project (`POST /v1/image-background-remover`)."""
        return self._create(request_body(name=name, assets=dict(assets)), idempotency_key, request_options)

    def generate(
        self,
        *,
        assets: BackgroundRemoverAssets | Mapping[str, Any],
        name: str | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ResultT:
        """Upload the local images in `assets`, remove the background, wait, and download the result."""
        return self._generate(
            request_body(name=name, assets=dict(assets)),
            GenerateOptions(
                wait_for_completion,
                download_outputs,
                download_directory,
                timeout_s,
                on_progress,
                raise_on_error,
                idempotency_key,
                request_options,
            ),
        )


class FaceSwapPhotoParams(_ToolParams[CreatedT, ResultT]):
    slug = "face-swap-photo"

    def create(
        self,
        *,
        assets: FaceSwapPhotoAssets | Mapping[str, Any],
        name: str | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreatedT:
        """Create a face swap project (`POST /v1/face-swap-photo`)."""
        return self._create(request_body(name=name, assets=dict(assets)), idempotency_key, request_options)

    def generate(
        self,
        *,
        assets: FaceSwapPhotoAssets | Mapping[str, Any],
        name: str | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ResultT:
        """Upload the local images in `assets` (source, target, new faces), swap, wait, and download."""
        return self._generate(
            request_body(name=name, assets=dict(assets)),
            GenerateOptions(
                wait_for_completion,
                download_outputs,
                download_directory,
                timeout_s,
                on_progress,
                raise_on_error,
                idempotency_key,
                request_options,
            ),
        )


AspectRatio = Literal["1:1", "16:9", "9:16"]
Orientation = Literal["square", "landscape", "portrait"]
Resolution = Literal["640px", "1k", "2k", "4k", "auto"]


class AiImageGeneratorParams(_ToolParams[CreatedT, ResultT]):
    slug = "ai-image-generator"

    def create(
        self,
        *,
        image_count: int,
        style: ImageGeneratorStyle | Mapping[str, Any],
        aspect_ratio: AspectRatio | None = None,
        model: str | None = None,
        name: str | None = None,
        orientation: Orientation | None = None,
        resolution: Resolution | None = None,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreatedT:
        """Create a text-to-image project (`POST /v1/ai-image-generator`); `style.prompt` is the prompt."""
        body = request_body(
            name=name,
            image_count=image_count,
            style=dict(style),
            aspect_ratio=aspect_ratio,
            model=model,
            orientation=orientation,
            resolution=resolution,
        )
        return self._create(body, idempotency_key, request_options)

    def generate(
        self,
        *,
        image_count: int,
        style: ImageGeneratorStyle | Mapping[str, Any],
        aspect_ratio: AspectRatio | None = None,
        model: str | None = None,
        name: str | None = None,
        orientation: Orientation | None = None,
        resolution: Resolution | None = None,
        wait_for_completion: bool = True,
        download_outputs: bool = True,
        download_directory: str | os.PathLike[str] | None = None,
        timeout_s: float | None = DEFAULT_WAIT_TIMEOUT_S,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
        idempotency_key: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ResultT:
        """Generate `image_count` images from `style.prompt`, wait, and download them."""
        body = request_body(
            name=name,
            image_count=image_count,
            style=dict(style),
            aspect_ratio=aspect_ratio,
            model=model,
            orientation=orientation,
            resolution=resolution,
        )
        return self._generate(
            body,
            GenerateOptions(
                wait_for_completion,
                download_outputs,
                download_directory,
                timeout_s,
                on_progress,
                raise_on_error,
                idempotency_key,
                request_options,
            ),
        )


# The sync tool class comes first in each base list, so its _create and _generate win over the stubs.
class AiImageUpscaler(_SyncTool, AiImageUpscalerParams[CreateResponse, ImageProjectResult]):
    """`client.v1.ai_image_upscaler`."""


class AsyncAiImageUpscaler(
    _AsyncTool, AiImageUpscalerParams[Awaitable[CreateResponse], Awaitable[ImageProjectResult]]
):
    """`client.v1.ai_image_upscaler` of the AsyncClient."""


class ImageBackgroundRemover(_SyncTool, ImageBackgroundRemoverParams[CreateResponse, ImageProjectResult]):
    """`client.v1.image_background_remover`."""


class AsyncImageBackgroundRemover(
    _AsyncTool, ImageBackgroundRemoverParams[Awaitable[CreateResponse], Awaitable[ImageProjectResult]]
):
    """`client.v1.image_background_remover` of the AsyncClient."""


class FaceSwapPhoto(_SyncTool, FaceSwapPhotoParams[CreateResponse, ImageProjectResult]):
    """`client.v1.face_swap_photo`."""


class AsyncFaceSwapPhoto(
    _AsyncTool, FaceSwapPhotoParams[Awaitable[CreateResponse], Awaitable[ImageProjectResult]]
):
    """`client.v1.face_swap_photo` of the AsyncClient."""


class AiImageGenerator(_SyncTool, AiImageGeneratorParams[CreateResponse, ImageProjectResult]):
    """`client.v1.ai_image_generator`."""


class AsyncAiImageGenerator(
    _AsyncTool, AiImageGeneratorParams[Awaitable[CreateResponse], Awaitable[ImageProjectResult]]
):
    """`client.v1.ai_image_generator` of the AsyncClient."""
