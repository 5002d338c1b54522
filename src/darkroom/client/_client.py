"""Client and AsyncClient: the entry points of the SDK, shaped like the official `magic_hour.Client`."""

import os
from typing import Any, Self

import httpx

from darkroom.client._face_detection import AsyncFaceDetectionResource, FaceDetectionResource
from darkroom.client._files import AsyncFiles, Files
from darkroom.client._models import Account
from darkroom.wire.catalog import ToolList
from darkroom.client._projects import AsyncImageProjects, ImageProjects
from darkroom.client._tools import (
    AiImageGenerator,
    AiImageUpscaler,
    AsyncAiImageGenerator,
    AsyncAiImageUpscaler,
    AsyncFaceSwapPhoto,
    AsyncImageBackgroundRemover,
    FaceSwapPhoto,
    ImageBackgroundRemover,
)
from darkroom.client._transport import DEFAULT_TIMEOUT_S, AsyncTransport, RetryPolicy, SyncTransport

API_KEY_ENV = "DARKROOM_API_KEY"
BASE_URL_ENV = "DARKROOM_BASE_URL"
# `darkroom serve` listens here unless configured otherwise.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_RETRY_POLICY = RetryPolicy()


def resolve_settings(token: str | None, base_url: str | None) -> tuple[str, str]:
    """Return the API key and base URL: the arguments, else DARKROOM_API_KEY and DARKROOM_BASE_URL."""
    token = token or os.environ.get(API_KEY_ENV)
    if not token:
        raise ValueError(f"no API key: pass token=... or set {API_KEY_ENV}")
    return token, base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


class AccountResource:
    """`client.v1.account`: the caller's account and credit balance, as in the official SDK."""

    def __init__(self, transport: SyncTransport):
        self._transport = transport

    def list(self, *, request_options: dict[str, Any] | None = None) -> Account:
        """Return the caller's account (`GET /v1/account`); the official SDK names this call `list` too."""
        response = self._transport.request("GET", "/v1/account", request_options=request_options)
        return Account.model_validate(response.json())


class AsyncAccountResource:
    def __init__(self, transport: AsyncTransport):
        self._transport = transport

    async def list(self, *, request_options: dict[str, Any] | None = None) -> Account:
        response = await self._transport.request("GET", "/v1/account", request_options=request_options)
        return Account.model_validate(response.json())


class Tools:
    """`client.v1.tools` (a Darkroom extension): the server's tools, whether each is enabled, and its price."""

    def __init__(self, transport: SyncTransport):
        self._transport = transport

    def list(self, *, request_options: dict[str, Any] | None = None) -> ToolList:
        return ToolList.model_validate(
            self._transport.request("GET", "/v1/tools", request_options=request_options).json()
        )


class AsyncTools:
    def __init__(self, transport: AsyncTransport):
        self._transport = transport

    async def list(self, *, request_options: dict[str, Any] | None = None) -> ToolList:
        response = await self._transport.request("GET", "/v1/tools", request_options=request_options)
        return ToolList.model_validate(response.json())


class V1:
    """`client.v1`: the resources of the v1 API."""

    def __init__(self, transport: SyncTransport):
        self.account = AccountResource(transport)
        self.files = Files(transport)
        self.image_projects = ImageProjects(transport)
        self.face_detection = FaceDetectionResource(transport, self.files)
        self.ai_image_upscaler = AiImageUpscaler(transport, self.files, self.image_projects)
        self.image_background_remover = ImageBackgroundRemover(transport, self.files, self.image_projects)
        self.face_swap_photo = FaceSwapPhoto(transport, self.files, self.image_projects)
        self.ai_image_generator = AiImageGenerator(transport, self.files, self.image_projects)
        self.tools = Tools(transport)


class AsyncV1:
    """`client.v1` of the AsyncClient."""

    def __init__(self, transport: AsyncTransport):
        self.account = AsyncAccountResource(transport)
        self.files = AsyncFiles(transport)
        self.image_projects = AsyncImageProjects(transport)
        self.face_detection = AsyncFaceDetectionResource(transport, self.files)
        self.ai_image_upscaler = AsyncAiImageUpscaler(transport, self.files, self.image_projects)
        self.image_background_remover = AsyncImageBackgroundRemover(
            transport, self.files, self.image_projects
        )
        self.face_swap_photo = AsyncFaceSwapPhoto(transport, self.files, self.image_projects)
        self.ai_image_generator = AsyncAiImageGenerator(transport, self.files, self.image_projects)
        self.tools = AsyncTools(transport)


class Client:
    """A Darkroom client: `client.v1.<resource>.<method>(...)`, as in the official `magic_hour.Client`.

    `token` and `base_url` default to DARKROOM_API_KEY and DARKROOM_BASE_URL (else
    http://127.0.0.1:8000). `timeout` is the seconds one HTTP request may take. `retry_policy`
    sets when and how often a failed request is sent again; RetryPolicy(max_retries=0) turns retries off.
    `httpx_client` replaces the client's own httpx.Client, and is then not closed by `close`.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        httpx_client: httpx.Client | None = None,
    ):
        token, base_url = resolve_settings(token, base_url)
        self._transport = SyncTransport(
            base_url=base_url,
            token=token,
            policy=retry_policy,
            timeout_s=timeout,
            httpx_client=httpx_client,
        )
        self.v1 = V1(self._transport)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient:
    """The async Darkroom client: the same resources and method names as Client, awaitable."""

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        httpx_client: httpx.AsyncClient | None = None,
    ):
        token, base_url = resolve_settings(token, base_url)
        self._transport = AsyncTransport(
            base_url=base_url,
            token=token,
            policy=retry_policy,
            timeout_s=timeout,
            httpx_client=httpx_client,
        )
        self.v1 = AsyncV1(self._transport)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
