"""The client commands of `darkroom` against the real server: output, saved files and exit codes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from support import BIDEN, OBAMA, REPO_ROOT, start_server
from tool_cases import enabled_tools

BLOCKER = REPO_ROOT / "tests" / "server_packages_blocked.py"
# Exit codes documented in `darkroom.cli.client_commands`.
OK, RENDER_FAILED, USAGE, API_ERROR, CONNECTION_FAILED, TIMED_OUT = 0, 1, 2, 3, 4, 5


def run_darkroom(
    server,
    *args: str,
    api_key: str | None = None,
    env: dict | None = None,
    blocked: bool = False,
    timeout_s: float = 120,
) -> subprocess.CompletedProcess:
    """Run `darkroom ARGS` with the server's URL and key in the environment."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("DARKROOM_")}
    full_env.update({"DARKROOM_BASE_URL": server.url, "DARKROOM_API_KEY": api_key or server.api_key})
    full_env.update(env or {})
    launcher = [sys.executable, str(BLOCKER), "-m"] if blocked else [sys.executable, "-m"]
    return subprocess.run(
        [*launcher, "darkroom", *args],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
        cwd=REPO_ROOT,
    )


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory):
    """A server without render workers, where every project stays queued until canceled."""
    running = start_server(tmp_path_factory.mktemp("idle-cli-server"), workers=0)
    yield running
    running.stop()


@pytest.fixture
def truncated_jpeg(tmp_path) -> Path:
    """A JPEG whose header is whole but whose data stops early: accepted at create, fails to decode."""
    path = tmp_path / "cut.jpg"
    path.write_bytes(OBAMA.read_bytes()[:40_000])
    return path


def test_upscale_saves_into_new_folder(server, tmp_path):
    output = tmp_path / "new" / "folder"

    ran = run_darkroom(server, "upscale", str(OBAMA), "--scale", "2", "--mode", "preserve", "-o", str(output))

    assert ran.returncode == OK, ran.stderr
    saved = re.findall(r"^saved (.+)$", ran.stdout, re.MULTILINE)
    assert len(saved) == 1
    assert Path(saved[0]).parent == output
    with Image.open(saved[0]) as image:
        assert image.size == (1820, 2274)
    assert "complete: 25 credits" in ran.stdout


def test_upscale_json_for_scripts(server, tmp_path):
    (tmp_path / "taken.png").write_bytes(b"keep me")

    first = run_darkroom(server, "upscale", str(OBAMA), "--mode", "preserve", "-o", str(tmp_path), "--json")
    second = run_darkroom(server, "upscale", str(OBAMA), "--mode", "preserve", "-o", str(tmp_path), "--json")

    assert first.returncode == OK, first.stderr
    first_result, second_result = json.loads(first.stdout), json.loads(second.stdout)
    assert first_result["status"] == "complete"
    assert first_result["type"] == "IMAGE_UPSCALER"
    assert len(first_result["downloaded_paths"]) == 1
    assert first_result["downloaded_paths"] != second_result["downloaded_paths"]
    assert len(list(tmp_path.iterdir())) == 3
    assert (tmp_path / "taken.png").read_bytes() == b"keep me"


def test_render_error_exits_1(server, truncated_jpeg, tmp_path):
    ran = run_darkroom(server, "upscale", str(truncated_jpeg), "-o", str(tmp_path / "out"), "--json")

    assert ran.returncode == RENDER_FAILED, ran.stderr
    result = json.loads(ran.stdout)
    assert result["status"] == "error"
    assert result["error"]["code"] == "invalid_image_file"
    assert result["credits_charged"] == 0
    assert not (tmp_path / "out").exists()

    waited = run_darkroom(server, "projects", "get", result["id"], "--wait")
    assert waited.returncode == RENDER_FAILED
    assert "invalid_image_file" in waited.stdout


def test_render_error_message(server, truncated_jpeg):
    ran = run_darkroom(server, "upscale", str(truncated_jpeg))

    assert ran.returncode == RENDER_FAILED
    assert "ended with error: invalid_image_file" in " ".join(ran.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["upscale", "/no/such/photo.jpg"], "is not a file"),
        (["upscale", str(OBAMA), "--scale", "3"], "must be 2 or 4, got 3"),
        (["upscale", str(OBAMA), "--mode", "sharp"], "sharp"),
        (["upscale", str(OBAMA), "--timeout", "-1"], "--timeout"),
        (["face-swap", "--source", str(OBAMA)], "--target"),
        (["generate", "  "], "the prompt is empty"),
        (["generate", "a cat", "--count", "0"], "--count"),
        (["projects", "list", "--limit", "0"], "--limit"),
        (["projects", "frobnicate"], "frobnicate"),
    ],
)
def test_usage_errors_exit_2(server, args, message):
    ran = run_darkroom(server, *args)

    assert ran.returncode == USAGE, ran.stderr
    assert message in " ".join(ran.stderr.split())


def test_missing_api_key_exits_2(server):
    ran = run_darkroom(server, "projects", "list", env={"DARKROOM_API_KEY": ""})

    assert ran.returncode == USAGE
    assert "no API key" in ran.stderr


def test_unsupported_file_type_exits_2(server, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")

    ran = run_darkroom(server, "upscale", str(notes))

    assert ran.returncode == USAGE
    assert "extension 'txt' is not an image type" in " ".join(ran.stderr.split())


def test_rejected_requests_exit_3(server):
    wrong_key = run_darkroom(server, "projects", "list", api_key="dk_wrong")
    unknown = run_darkroom(server, "projects", "get", "cnotaprojectid000000000000")

    assert wrong_key.returncode == API_ERROR
    assert "401: Unauthorized" in " ".join(wrong_key.stderr.split())
    assert unknown.returncode == API_ERROR
    assert "404" in unknown.stderr


def test_disabled_tool_exits_3(server, api):
    if "ai-image-generator" in enabled_tools(api):
        pytest.skip("this server has the image generator enabled")

    ran = run_darkroom(server, "generate", "a red apple", "--count", "2")

    assert ran.returncode == API_ERROR
    assert "/v1/ai-image-generator failed with" in " ".join(ran.stderr.split())


def test_unreachable_server_exits_4(server):
    ran = run_darkroom(server, "projects", "list", env={"DARKROOM_BASE_URL": "http://127.0.0.1:9"})

    assert ran.returncode == CONNECTION_FAILED
    assert "is the server running" in " ".join(ran.stderr.split())


def test_timeout_exits_5_and_shows_queue(idle_server, tmp_path):
    # Rich draws live progress only on a terminal; these variables make it draw into the pipe.
    terminal = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "200"}

    ran = run_darkroom(
        idle_server, "upscale", str(OBAMA), "--timeout", "1", "-o", str(tmp_path), env=terminal
    )

    assert ran.returncode == TIMED_OUT
    assert re.search(r"queued, (next in line|\d+ ahead)", ran.stderr)
    project_id = re.search(r"darkroom projects cancel (\w+)", ran.stderr).group(1)
    assert "was still queued after 1 s" in " ".join(ran.stderr.split())
    assert list(tmp_path.iterdir()) == []

    canceled = run_darkroom(idle_server, "projects", "cancel", project_id)
    assert canceled.returncode == OK
    assert f"project {project_id} canceled" in canceled.stdout


def test_projects_commands(idle_server, api):
    created = run_darkroom(idle_server, "upscale", str(OBAMA), "--timeout", "0", "--json")
    project_id = re.search(r"darkroom projects cancel (\w+)", created.stderr).group(1)

    got = run_darkroom(idle_server, "projects", "get", project_id, "--json")
    listed = run_darkroom(idle_server, "projects", "list", "--status", "queued", "--limit", "100", "--json")
    table = run_darkroom(idle_server, "projects", "list", "--limit", "5")
    canceled = run_darkroom(idle_server, "projects", "cancel", project_id, "--json")
    canceled_again = run_darkroom(idle_server, "projects", "cancel", project_id)
    deleted = run_darkroom(idle_server, "projects", "delete", project_id)
    after_delete = run_darkroom(idle_server, "projects", "get", project_id)

    assert got.returncode == OK
    assert json.loads(got.stdout)["status"] == "queued"
    assert project_id in [project["id"] for project in json.loads(listed.stdout)["data"]]
    assert table.stdout.splitlines()[0].split() == ["id", "status", "type", "created_at", "credits", "name"]
    assert json.loads(canceled.stdout)["status"] == "canceled"
    assert canceled_again.returncode == API_ERROR
    assert "409" in canceled_again.stderr
    assert deleted.returncode == OK
    assert f"project {project_id} deleted" in deleted.stdout
    assert re.search(r"^enabled:\s+False$", after_delete.stdout, re.MULTILINE)


def test_tools_lists_upscaler(server):
    ran = run_darkroom(server, "tools", "--json")

    assert ran.returncode == OK
    tools = {tool["slug"]: tool for tool in json.loads(ran.stdout)["data"]}
    assert tools["ai-image-upscaler"]["enabled"] is True


@pytest.mark.parametrize(
    ("slug", "args"),
    [
        ("image-background-remover", ["remove-background", str(OBAMA)]),
        ("image-background-remover", ["remove-background", str(OBAMA), "--background", str(BIDEN)]),
        ("face-swap-photo", ["face-swap", "--source", str(BIDEN), "--target", str(OBAMA)]),
        (
            "ai-image-generator",
            ["generate", "a red apple on a table", "--count", "2", "--resolution", "640px"],
        ),
    ],
)
def test_tool_command_saves_images(slug, args, server, api, tmp_path):
    if slug not in enabled_tools(api):
        pytest.skip(f"{slug} is not enabled on this server")

    ran = run_darkroom(server, *args, "-o", str(tmp_path), "--json")

    assert ran.returncode == OK, ran.stderr
    result = json.loads(ran.stdout)
    assert len(result["downloaded_paths"]) == result["image_count"]
    for path in result["downloaded_paths"]:
        with Image.open(path) as image:
            image.verify()


@pytest.mark.slow
def test_generate_saves_count_images(generator_server, tmp_path):
    # Two images of the tiny pipeline took 80 to 120 s on two busy CPU cores.
    ran = run_darkroom(
        generator_server,
        "generate",
        "a red apple on a table",
        "--count",
        "2",
        "--resolution",
        "640px",
        "-o",
        str(tmp_path),
        timeout_s=280,
    )

    assert ran.returncode == OK, ran.stderr
    saved = re.findall(r"^saved (.+)$", ran.stdout, re.MULTILINE)
    assert len(saved) == 2
    for path in saved:
        with Image.open(path) as image:
            image.verify()


def test_client_commands_need_no_server_packages(server, tmp_path):
    listed = run_darkroom(server, "projects", "list", "--json", blocked=True)
    upscaled = run_darkroom(server, "upscale", str(OBAMA), "-o", str(tmp_path), "--json", blocked=True)
    serve = run_darkroom(server, "serve", "--port", "9", blocked=True)

    assert listed.returncode == OK, listed.stderr
    assert upscaled.returncode == OK, upscaled.stderr
    assert json.loads(upscaled.stdout)["status"] == "complete"
    # The blocker works: the server command cannot start without its packages.
    assert serve.returncode != OK
    assert "is blocked" in serve.stderr
