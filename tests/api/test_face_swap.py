"""Face swap photo over HTTP: swap quality on real portraits, chosen faces, faceless photos, bad input."""

import io

import pytest
import skimage.data
from PIL import Image, ImageOps

from face_support import (
    changed_pixels,
    descriptor,
    distance,
    download_image,
    encode,
    face_boxes,
    new_account,
    outside,
    photo,
    portraits_side_by_side,
)
from support import BIDEN, OBAMA, upload, wait_for_status

SWAP = "/v1/face-swap-photo"
# Pixels this far (a share of the face box) outside dlib's face box must not change.
UNCHANGED_BEYOND = 0.35


def swap(api, **assets) -> dict:
    created = api.post(SWAP, json={"assets": assets})
    assert created.status_code == 200, created.text
    assert created.json()["credits_charged"] == 10
    assert created.json()["frame_cost"] == 10
    return wait_for_status(api, created.json()["id"])


def detect(api, file_path: str) -> list[str]:
    created = api.post("/v1/face-detection", json={"assets": {"target_file_path": file_path}})
    assert created.status_code == 200, created.text
    detection = wait_for_status(api, created.json()["id"], path="/v1/face-detection/")
    assert detection["status"] == "complete", detection
    return [face["path"] for face in detection["faces"]]


@pytest.mark.parametrize(("source_path", "target_path"), [(BIDEN, OBAMA), (OBAMA, BIDEN)], ids=["biden-onto-obama", "obama-onto-biden"])
def test_swap_gives_target_the_source_identity(api, source_path, target_path):
    project = swap(api, face_swap_mode="all-faces", source_file_path=upload(api, source_path),
                   target_file_path=upload(api, target_path))
    assert project["status"] == "complete", project
    assert project["type"] == "FACE_SWAP"
    output = download_image(project["downloads"][0]["url"])

    source, target = photo(source_path), photo(target_path)
    assert output.size == target.size
    swapped = descriptor(output)
    assert distance(swapped, descriptor(source)) < distance(swapped, descriptor(target))

    target_face = face_boxes(target)[0]
    away_from_face = outside(target_face, (target.height, target.width), UNCHANGED_BEYOND)
    assert not changed_pixels(target, output)[away_from_face].any()
    inside_face = ~outside(target_face, (target.height, target.width), 0.0)
    assert changed_pixels(target, output, tolerance=10)[inside_face].mean() > 0.3


def test_individual_faces_swap_only_mapped_face(api):
    pair = portraits_side_by_side()
    target_path = upload(api, encode(pair, "PNG"), "png")
    faces = detect(api, target_path)
    assert len(faces) == 2
    astronaut_path = upload(api, encode(Image.fromarray(skimage.data.astronaut()), "PNG"), "png")

    project = swap(api, face_swap_mode="individual-faces", target_file_path=target_path,
                   face_mappings=[{"original_face": faces[1], "new_face": astronaut_path}])
    assert project["status"] == "complete", project
    output = download_image(project["downloads"][0]["url"])
    assert output.size == pair.size

    left_face, right_face = face_boxes(pair)
    changed = changed_pixels(pair, output)
    assert not changed[:, : pair.width // 2].any(), "the unmapped face on the left must stay as it was"
    assert not changed[outside(right_face, (pair.height, pair.width), UNCHANGED_BEYOND)].any()
    new_right = descriptor(output, face_boxes(output)[1])
    astronaut = descriptor(Image.fromarray(skimage.data.astronaut()))
    assert distance(new_right, astronaut) < distance(new_right, descriptor(pair, right_face))


def test_mapping_follows_face_not_index(api):
    """A crop names a person: in a mirrored target the right-hand face of the detection is on the left.

    The target is also smaller and JPEG-encoded, as a photo often is after the detection.
    """
    pair = portraits_side_by_side()
    faces = detect(api, upload(api, encode(pair, "PNG"), "png"))
    smaller = ImageOps.mirror(pair).resize((pair.width * 4 // 5, pair.height * 4 // 5), Image.Resampling.LANCZOS)
    content = encode(smaller, "JPEG", quality=90)
    mirrored = Image.open(io.BytesIO(content)).convert("RGB")
    target_path = upload(api, content, "jpg")
    astronaut_path = upload(api, encode(Image.fromarray(skimage.data.astronaut()), "PNG"), "png")

    project = swap(api, face_swap_mode="individual-faces", target_file_path=target_path,
                   face_mappings=[{"original_face": faces[1], "new_face": astronaut_path}])
    assert project["status"] == "complete", project
    output = download_image(project["downloads"][0]["url"])
    changed = changed_pixels(mirrored, output)
    assert changed[:, : mirrored.width // 2].any(), "Biden, now on the left, must be swapped"
    assert not changed[:, mirrored.width // 2 :].any(), "Obama, now on the right, must stay as he was"


def test_two_mappings_swap_both_faces(api):
    pair = portraits_side_by_side(height=400)
    target_path = upload(api, encode(pair, "PNG"), "png")
    faces = detect(api, target_path)
    obama_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    biden_path = upload(api, encode(photo(BIDEN, width=485), "JPEG"), "jpg")

    project = swap(api, face_swap_mode="individual-faces", target_file_path=target_path, face_mappings=[
        {"original_face": faces[0], "new_face": biden_path},
        {"original_face": faces[1], "new_face": obama_path},
    ])
    assert project["status"] == "complete", project
    output = download_image(project["downloads"][0]["url"])
    changed = changed_pixels(pair, output)
    assert changed[:, : pair.width // 2].any()
    assert changed[:, pair.width // 2 :].any()


def test_mapping_of_face_from_other_photo_fails(api):
    target_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    astronaut_path = upload(api, encode(Image.fromarray(skimage.data.astronaut()), "PNG"), "png")
    foreign_face = detect(api, astronaut_path)[0]

    project = swap(api, face_swap_mode="individual-faces", target_file_path=target_path,
                   face_mappings=[{"original_face": foreign_face, "new_face": astronaut_path}])
    assert project["status"] == "error", project
    assert project["error"]["code"] == "no_target_face"
    assert "assets.face_mappings.0.original_face" in project["error"]["message"]
    assert project["credits_charged"] == 0


def test_source_without_face_fails_and_refunds(server, api):
    key = new_account(server, credits=10)
    chelsea = encode(Image.fromarray(skimage.data.chelsea()), "PNG")
    with server.client(api_key=key) as client:
        source_path = upload(client, chelsea, "png")
        target_path = upload(client, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
        project = swap(client, source_file_path=source_path, target_file_path=target_path)
        assert project["status"] == "error", project
        assert project["error"]["code"] == "no_source_face"
        assert project["error"]["message"].startswith("Please use an image with a detectable face")
        assert "assets.source_file_path" in project["error"]["message"]
        assert project["credits_charged"] == 0
        assert project["downloads"] == []
        # The refund makes the 10 credits available again.
        assert client.post(SWAP, json={"assets": {"source_file_path": source_path,
                                                  "target_file_path": target_path}}).status_code == 200


def test_target_without_face_fails_and_refunds(api):
    project = swap(api, face_swap_mode="all-faces", source_file_path=upload(api, encode(photo(BIDEN, width=485), "JPEG"), "jpg"),
                   target_file_path=upload(api, encode(Image.fromarray(skimage.data.chelsea()), "PNG"), "png"))
    assert project["status"] == "error", project
    assert project["error"]["code"] == "no_target_face"
    assert "assets.target_file_path" in project["error"]["message"]
    assert project["credits_charged"] == 0


def test_new_face_without_face_fails(api):
    target_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    faces = detect(api, target_path)
    project = swap(api, face_swap_mode="individual-faces", target_file_path=target_path, face_mappings=[
        {"original_face": faces[0], "new_face": upload(api, encode(Image.fromarray(skimage.data.coffee()), "PNG"), "png")},
    ])
    assert project["status"] == "error", project
    assert project["error"]["code"] == "no_source_face"
    assert "assets.face_mappings.0.new_face" in project["error"]["message"]


def _mapping(index: int) -> dict:
    return {"original_face": f"api-assets/x/0-{index}.png", "new_face": "api-assets/y.png"}


@pytest.mark.parametrize(
    ("assets", "field", "words"),
    [
        ({"target_file_path": "t.png"}, "assets", "source_file_path is required"),
        ({"face_swap_mode": "all-faces", "target_file_path": "t.png"}, "assets", "source_file_path is required"),
        ({"face_swap_mode": "individual-faces", "target_file_path": "t.png"}, "assets", "face_mappings"),
        ({"face_swap_mode": "individual-faces", "target_file_path": "t.png", "face_mappings": []}, "assets", "face_mappings"),
        ({"face_swap_mode": "individual-faces", "target_file_path": "t.png",
          "face_mappings": [_mapping(index) for index in range(6)]}, "assets", "maximum is 5"),
        ({"face_swap_mode": "individual-faces", "target_file_path": "t.png",
          "face_mappings": [_mapping(0), _mapping(0)]}, "assets", "already mapped"),
        ({"face_swap_mode": "individual-faces", "target_file_path": "t.png",
          "face_mappings": [{"original_face": "api-assets/x/0-0.png"}]}, "assets.face_mappings.0.new_face", "required"),
        ({"face_swap_mode": "some-faces", "source_file_path": "s.png", "target_file_path": "t.png"},
         "assets.face_swap_mode", "some-faces"),
        ({"source_file_path": "s.png"}, "assets.target_file_path", "required"),
        ({"source_file_path": "", "target_file_path": "t.png"}, "assets.source_file_path", ""),
        ({"source_file_path": "s.png", "target_file_path": "t.png", "mode": "x"}, "assets.mode", "not a known field"),
        ({"source_file_path": "api-assets/unknown.png", "target_file_path": "api-assets/unknown2.png"},
         "assets.target_file_path", "not a file_path of this account"),
    ],
)
def test_swap_rejects_bad_body_without_charge(server, assets, field, words):
    key = new_account(server, credits=10)
    with server.client(api_key=key) as client:
        response = client.post(SWAP, json={"assets": assets})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert words in response.json()["message"]
        # Nothing was charged: the account can still pay for a swap.
        small = encode(photo(OBAMA, width=200), "JPEG")
        good = {"source_file_path": upload(client, small, "jpg"), "target_file_path": upload(client, small, "jpg")}
        assert client.post(SWAP, json={"assets": good}).json()["credits_charged"] == 10


def test_original_face_of_other_account_rejected(server, api):
    target_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    face = detect(api, target_path)[0]
    with server.client(api_key=new_account(server, credits=10)) as other:
        own_target = upload(other, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
        response = other.post(SWAP, json={"assets": {
            "face_swap_mode": "individual-faces", "target_file_path": own_target,
            "face_mappings": [{"original_face": face, "new_face": own_target}],
        }})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "assets.face_mappings.0.original_face"


def test_official_sdk_swaps_faces(server, tmp_path):
    from magic_hour import Client

    source, target = tmp_path / "source.jpg", tmp_path / "target.jpg"
    source.write_bytes(encode(photo(BIDEN, width=485), "JPEG"))
    target.write_bytes(encode(photo(OBAMA, width=455), "JPEG"))
    client = Client(token=server.api_key, base_url=server.url)
    result = client.v1.face_swap_photo.generate(
        assets={"face_swap_mode": "all-faces", "source_file_path": str(source), "target_file_path": str(target)},
        name="SDK face swap", download_directory=str(tmp_path),
    )
    assert result.status == "complete"
    assert result.credits_charged == 10
    assert result.name == "SDK face swap"
    assert Image.open(result.downloaded_paths[0]).size == photo(OBAMA, width=455).size
