"""Request and response models shared by the SDK and the server. Pydantic only."""

from darkroom.wire.files import UploadUrlItem, UploadUrlRequestItem, UploadUrlsRequest, UploadUrlsResponse
from darkroom.wire.projects import (
    CreateResponse,
    Download,
    ErrorBody,
    ImageProject,
    ProjectError,
    ProjectPage,
    ProjectStatus,
)
from darkroom.wire.tools import (
    BackgroundRemoverAssets,
    BackgroundRemoverRequest,
    ImageGeneratorRequest,
    ImageGeneratorStyle,
    UpscalerAssets,
    UpscalerRequest,
    UpscalerStyle,
)

__all__ = [
    "BackgroundRemoverAssets",
    "BackgroundRemoverRequest",
    "CreateResponse",
    "Download",
    "ErrorBody",
    "ImageGeneratorRequest",
    "ImageGeneratorStyle",
    "ImageProject",
    "ProjectError",
    "ProjectPage",
    "ProjectStatus",
    "UploadUrlItem",
    "UploadUrlRequestItem",
    "UploadUrlsRequest",
    "UploadUrlsResponse",
    "UpscalerAssets",
    "UpscalerRequest",
    "UpscalerStyle",
]
