"""One small, valid request per tool, in Magic Hour's shapes, for tests that run every enabled tool.

The SDK tests and the conformance tests of the official SDKs iterate over the tools that
`GET /v1/tools` reports as enabled and look their request up here, so a tool added to the
server without a case here fails `test_every_enabled_tool_has_a_case`.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import BIDEN, OBAMA

# Face detection creates a detection task, not an image project, so it is tested on its own.
FACE_DETECTION = "face-detection"


@dataclass(frozen=True)
class ToolCase:
    slug: str
    # Arguments of `create` and `generate`, with local paths where files go.
    arguments: dict[str, Any]
    # The dotted fields (under `assets`) that name a local file to upload.
    file_fields: tuple[str, ...] = field(default=())

    @property
    def resource(self) -> str:
        """The attribute of `client.v1` for this tool, in both the official SDK and Darkroom's."""
        return self.slug.replace("-", "_")

    def with_files(self, uploaded: dict[str, str]) -> dict[str, Any]:
        """Return the arguments with each local file replaced by `uploaded[field]`."""
        arguments = {
            key: (dict(value) if isinstance(value, dict) else value) for key, value in self.arguments.items()
        }
        for name in self.file_fields:
            arguments["assets"][name] = uploaded[name]
        return arguments

    def local_files(self) -> dict[str, Path]:
        return {name: Path(self.arguments["assets"][name]) for name in self.file_fields}


TOOL_CASES = {
    case.slug: case
    for case in (
        ToolCase(
            "ai-image-upscaler",
            {"assets": {"image_file_path": str(OBAMA)}, "scale_factor": 2, "style": {"mode": "preserve"}},
            ("image_file_path",),
        ),
        ToolCase(
            "image-background-remover", {"assets": {"image_file_path": str(OBAMA)}}, ("image_file_path",)
        ),
        ToolCase(
            "face-swap-photo",
            {
                "assets": {
                    "face_swap_mode": "all-faces",
                    "source_file_path": str(BIDEN),
                    "target_file_path": str(OBAMA),
                }
            },
            ("source_file_path", "target_file_path"),
        ),
        ToolCase(
            "ai-image-generator",
            {
                "image_count": 1,
                "style": {"prompt": "a red apple on a table"},
                "aspect_ratio": "1:1",
                "resolution": "640px",
            },
        ),
    )
}


def has_face_detection(api) -> bool:
    """Return whether the server serves `POST /v1/face-detection`, from its OpenAPI document."""
    response = api.get("/openapi.json")
    response.raise_for_status()
    return "/v1/face-detection" in response.json()["paths"]


def enabled_tools(api) -> dict[str, dict]:
    """Return the tools that the server reports as enabled, by slug."""
    response = api.get("/v1/tools")
    response.raise_for_status()
    return {tool["slug"]: tool for tool in response.json()["data"] if tool["enabled"]}
