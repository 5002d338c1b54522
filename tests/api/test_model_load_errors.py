"""Model files that fail to load end their project in `error` with a refund, and the render process goes on."""

import io
import re
import sqlite3

from PIL import Image

from support import OBAMA, start_server, upload, wait_for_status
from tiny_models import write_esrgan


def account_balance(server) -> int:
    with sqlite3.connect(server.data_dir / "darkroom.db") as connection:
        return connection.execute("SELECT balance FROM accounts WHERE name = 'default'").fetchone()[0]


def small_photo() -> bytes:
    buffer = io.BytesIO()
    Image.open(OBAMA).convert("RGB").resize((120, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def create(api, slug: str, body: dict) -> dict:
    created = api.post(f"/v1/{slug}", json=body)
    assert created.status_code == 200, created.text
    return wait_for_status(api, created.json()["id"])


def test_load_errors_refund_and_render_process_goes_on(tmp_path):
    broken_weights = tmp_path / "models" / "broken.pth"
    broken_weights.parent.mkdir()
    broken_weights.write_bytes(b"these bytes are not a pickled state dict")
    missing_onnx = tmp_path / "models" / "missing.onnx"
    not_a_pipeline = tmp_path / "models" / "not-a-pipeline"
    not_a_pipeline.mkdir()
    (not_a_pipeline / "README.txt").write_text("no model_index.json here")

    server = start_server(tmp_path / "server", workers=1, env={
        "DARKROOM_UPSCALER_MODEL": str(broken_weights),
        "DARKROOM_BACKGROUND_MODEL": str(missing_onnx),
        "DARKROOM_IMAGE_MODEL": str(not_a_pipeline),
        "HF_HUB_OFFLINE": "1",
    })
    try:
        with server.client() as api:
            balance = account_balance(server)
            file_path = upload(api, small_photo(), "png")
            upscale = {"assets": {"image_file_path": file_path}, "scale_factor": 2, "style": {"mode": "balanced"}}

            project = create(api, "ai-image-upscaler", upscale)
            assert project["status"] == "error", project
            assert project["credits_charged"] == 0
            assert project["error"]["code"] == "unknown_error"
            assert str(broken_weights) in project["error"]["message"]
            assert "could not be loaded" in project["error"]["message"]

            project = create(api, "image-background-remover", {"assets": {"image_file_path": file_path}})
            assert project["status"] == "error", project
            assert project["error"]["message"] == (
                f"the background model {missing_onnx} does not exist; check DARKROOM_BACKGROUND_MODEL"
            )

            project = create(api, "ai-image-generator", {"image_count": 1, "style": {"prompt": "a boat"}})
            assert project["status"] == "error", project
            assert str(not_a_pipeline) in project["error"]["message"]
            assert account_balance(server) == balance, "every failed project is refunded"

            preserve = create(api, "ai-image-upscaler", {**upscale, "style": {"mode": "preserve"}})
            assert preserve["status"] == "complete", preserve

            # A failed load is not cached: once the file is fixed, the same render process loads it.
            write_esrgan(broken_weights, scale=2)
            fixed = create(api, "ai-image-upscaler", {**upscale, "assets": {"image_file_path": upload(api, small_photo(), "png")}})
            assert fixed["status"] == "complete", fixed
            assert account_balance(server) == balance - 25 - 50

        started = re.findall(r"render process \d+ started", server.log())
        assert len(started) == 1, "every project ran in the one render process"
    finally:
        server.stop()
