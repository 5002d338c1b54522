"""The Darkroom SDK's `generate` for every tool that the server has enabled, and face detection."""

import pytest
from PIL import Image

from support import BIDEN, OBAMA
from tool_cases import FACE_DETECTION, TOOL_CASES, enabled_tools, has_face_detection


def test_every_enabled_tool_has_a_case(api):
    missing = set(enabled_tools(api)) - set(TOOL_CASES) - {FACE_DETECTION}

    assert not missing, f"add a request for {sorted(missing)} to tests/tool_cases.py"


@pytest.mark.parametrize("slug", sorted(TOOL_CASES))
def test_generate_runs_tool(slug, api, sdk, tmp_path):
    tools = enabled_tools(api)
    if slug not in tools:
        pytest.skip(f"{slug} is not enabled on this server")
    case = TOOL_CASES[slug]

    result = getattr(sdk.v1, case.resource).generate(**case.arguments, download_directory=tmp_path)

    assert result.status == "complete", result.error
    assert result.type == tools[slug]["type"]
    assert len(result.downloaded_paths) == result.image_count
    for path in result.downloaded_paths:
        with Image.open(path) as image:
            image.verify()
    sdk.v1.image_projects.delete(result.id)
    assert sdk.v1.image_projects.get(result.id).downloads == []


def test_face_detection_finds_both_faces(api, sdk, tmp_path):
    if not has_face_detection(api):
        pytest.skip("this server has no /v1/face-detection")
    with Image.open(OBAMA) as left, Image.open(BIDEN) as right:
        pair = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
        pair.paste(left, (0, 0))
        pair.paste(right, (left.width, 0))
        pair.save(tmp_path / "pair.png")

    result = sdk.v1.face_detection.generate(
        assets={"target_file_path": tmp_path / "pair.png"}, download_directory=tmp_path / "faces"
    )

    assert result.status == "complete"
    assert [face.path for face in result.faces] == [
        f"api-assets/{result.id}/0-0.png",
        f"api-assets/{result.id}/0-1.png",
    ]
    assert len(result.downloaded_paths) == 2
    assert sdk.v1.face_detection.get(result.id).faces == result.faces
