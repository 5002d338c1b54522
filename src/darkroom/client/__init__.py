"""The Darkroom SDK: a client for the Magic Hour v1 image API as Darkroom serves it.

    from darkroom.client import Client

    client = Client()  # DARKROOM_API_KEY and DARKROOM_BASE_URL
    result = client.v1.ai_image_upscaler.generate(
        assets={"image_file_path": "photo.jpg"}, scale_factor=2, download_directory="out"
    )

It imports only httpx, pydantic and `darkroom.wire`, so it works without the server's extras.
"""

from darkroom.client._client import AsyncClient, Client
from darkroom.client._errors import ApiConnectionError, ApiError, ClientError, ProjectFailed, WaitTimeout
from darkroom.client._models import (
    Account,
    DetectedFace,
    FaceDetection,
    FaceDetectionCreateResponse,
    FaceDetectionResult,
    ImageProjectResult,
)
from darkroom.client._transport import RetryPolicy
from darkroom.wire import CreateResponse, Download, ImageProject, ProjectError, ProjectPage, ProjectStatus
from darkroom.wire.catalog import PriceInfo, ToolInfo, ToolList

__all__ = [
    "Account",
    "ApiConnectionError",
    "ApiError",
    "AsyncClient",
    "Client",
    "ClientError",
    "CreateResponse",
    "DetectedFace",
    "Download",
    "FaceDetection",
    "FaceDetectionCreateResponse",
    "FaceDetectionResult",
    "ImageProject",
    "ImageProjectResult",
    "ProjectError",
    "ProjectFailed",
    "ProjectPage",
    "ProjectStatus",
    "RetryPolicy",
    "PriceInfo",
    "ToolInfo",
    "ToolList",
    "WaitTimeout",
]
