"""The official Magic Hour Node SDK (npm `magic-hour`, pinned below) against Darkroom, unchanged.

The test installs the package with npm into `.cache/` of the checkout (ignored by git) once,
then runs `node/magic_hour_node_check.js`, which uploads, creates, waits, downloads, gets and
deletes through the SDK and writes what each step returned to a JSON file.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from support import OBAMA, REPO_ROOT

NODE_SDK_VERSION = "0.43.1"
NODE_SDK_FOLDER = REPO_ROOT / ".cache" / f"node-magic-hour-{NODE_SDK_VERSION}"
CHECK_SCRIPT = Path(__file__).parent / "node" / "magic_hour_node_check.js"
NPM_INSTALL_TIMEOUT_S = 300
NODE_RUN_TIMEOUT_S = 120


def installed_version(folder: Path) -> str | None:
    package = folder / "node_modules" / "magic-hour" / "package.json"
    if not package.is_file():
        return None
    return json.loads(package.read_text())["version"]


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """Return the folder where magic-hour@NODE_SDK_VERSION is installed, installing it on first use."""
    for program in ("node", "npm"):
        if shutil.which(program) is None:
            pytest.fail(
                f"{program} is not on PATH: the Node SDK conformance test needs Node.js 20 or later "
                f"with npm, to install magic-hour@{NODE_SDK_VERSION} from the npm registry"
            )
    if installed_version(NODE_SDK_FOLDER) == NODE_SDK_VERSION:
        return NODE_SDK_FOLDER

    # Install into a fresh folder and move it into place, so that a failed install leaves no half cache.
    NODE_SDK_FOLDER.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="node-magic-hour-", dir=NODE_SDK_FOLDER.parent))
    command = [
        "npm",
        "install",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--prefix",
        str(staging),
        f"magic-hour@{NODE_SDK_VERSION}",
    ]
    installed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=NPM_INSTALL_TIMEOUT_S
    )
    if installed.returncode != 0 or installed_version(staging) != NODE_SDK_VERSION:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(
            f"`{' '.join(command)}` failed with exit code {installed.returncode}:\n"
            f"{installed.stdout}\n{installed.stderr}"
        )
    shutil.rmtree(NODE_SDK_FOLDER, ignore_errors=True)
    os.replace(staging, NODE_SDK_FOLDER)
    return NODE_SDK_FOLDER


def test_official_node_sdk_creates_gets_deletes(server, node_sdk, tmp_path):
    report_file = tmp_path / "report.json"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    env = {**os.environ, "MAGIC_HOUR_POLL_INTERVAL": "0.1"}

    ran = subprocess.run(
        [
            "node",
            str(CHECK_SCRIPT),
            str(node_sdk),
            server.url,
            server.api_key,
            str(OBAMA),
            str(downloads),
            str(report_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=NODE_RUN_TIMEOUT_S,
        env=env,
    )

    assert ran.returncode == 0, f"node failed:\n{ran.stdout}\n{ran.stderr}"
    report = json.loads(report_file.read_text())
    assert report["filePath"].startswith("api-assets/")

    created = report["created"]
    assert created["creditsCharged"] == 25
    assert created["frameCost"] == 25

    result = report["result"]
    assert result["status"] == "complete"
    assert [Path(path).name for path in result["downloadedPaths"]] == [f"{created['id']}-0.png"]
    with Image.open(result["downloadedPaths"][0]) as image:
        assert image.size == (1820, 2274)

    got = report["got"]
    assert got["id"] == created["id"]
    assert got["type"] == "IMAGE_UPSCALER"
    assert got["enabled"] is True
    assert len(got["downloads"]) == 1

    assert report["deleteResult"] is None
    assert report["afterDelete"]["enabled"] is False
    assert report["afterDelete"]["downloads"] == []

    assert report["invalidCreate"]["raised"] is True
    assert report["invalidCreate"]["status"] == 422
