"""Client commands: run tools on a Darkroom server with progress bars, and save the images.

The `projects` commands are in `project_commands`. They all use only the SDK (`darkroom.client`), Typer and rich, so they work with the base install.
The server and API key come from --base-url and --api-key, else DARKROOM_BASE_URL and DARKROOM_API_KEY.

Exit codes:
  0    success
  1    the project ended in error or canceled
  2    usage error: invalid options, a missing file, or no API key
  3    the server rejected the request
  4    the server could not be reached
  5    --timeout passed before the project finished
  130  interrupted
"""

from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from darkroom.cli.client_options import (
    EXIT_CODES_HELP,
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    OutputOption,
    TimeoutOption,
    existing_file,
    interrupted,
    open_client,
)
from darkroom.cli.client_output import (
    ExitCode,
    ProgressView,
    describe,
    exit_code_of,
    exit_codes_for_errors,
    note,
    print_json,
    print_tools,
)
from darkroom.cli.project_commands import app_projects
from darkroom.client import Client, FaceDetectionResult, ImageProjectResult
from darkroom.client._projects import DEFAULT_WAIT_TIMEOUT_S
from darkroom.wire.faces import DEFAULT_CONFIDENCE_SCORE, MAX_FACE_MAPPINGS

NameOption = Annotated[str | None, typer.Option("--name", help="Name of the project.")]
NoDownloadOption = Annotated[
    bool, typer.Option("--no-download", help="Wait for the project but save no files.")
]


class UpscaleMode(str, Enum):
    preserve = "preserve"
    balanced = "balanced"
    creative = "creative"


class AspectRatio(str, Enum):
    square = "1:1"
    landscape = "16:9"
    portrait = "9:16"


class Resolution(str, Enum):
    px640 = "640px"
    k1 = "1k"
    k2 = "2k"
    k4 = "4k"


def run_tool(
    label: str,
    json_output: bool,
    api_key: str | None,
    base_url: str | None,
    call: Callable[[Client, ProgressView], Any],
    *,
    file_options: Mapping[str, str],
    output: Path | None,
    first_step: str = "uploading and creating",
    report: Callable[[str, Any], None] | None = None,
    task_name: str = "project",
) -> None:
    """Run one tool's `generate` with a progress bar, print the result, and exit with its code.

    `file_options` maps each request field filled from a local file to the argument or option that
    named it. `output` is where the images are saved (None with --no-download). `task_name` names
    what the tool creates in messages: "project", or "face detection", which `projects cancel` cannot stop.
    """
    view = ProgressView(label, enabled=not json_output, first_step=first_step)
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output, file_options, output):
        try:
            with client, view:
                result = call(client, view)
        except KeyboardInterrupt:
            raise interrupted(view.project_id, task_name) from None

    if json_output:
        print_json(result)
    else:
        (report or report_project)(label, result)
    raise typer.Exit(int(exit_code_of(result)))


def report_failure(label: str, result: Any) -> None:
    detail = f" ({result.error.message})" if result.error is not None else ""
    typer.echo(f"{label} {result.id} ended with {describe(result)}{detail}", err=True)


def report_project(label: str, result: ImageProjectResult) -> None:
    if exit_code_of(result) != ExitCode.OK:
        report_failure(label, result)
        return
    typer.echo(f"{label} {result.id} {describe(result)}: {result.credits_charged} credits")
    for path in result.downloaded_paths or []:
        typer.echo(f"saved {path}")


def report_faces(label: str, result: FaceDetectionResult) -> None:
    """Print one `face PATH` line per face, left to right, each followed by `saved FILE` when saved."""
    if exit_code_of(result) != ExitCode.OK:
        report_failure(label, result)
        return
    count = len(result.faces)
    typer.echo(f"{label} {result.id} {describe(result)}: {count} face{'' if count == 1 else 's'}")
    saved = result.downloaded_paths or []
    for index, face in enumerate(result.faces):
        typer.echo(f"face {face.path}")
        if index < len(saved):
            typer.echo(f"saved {saved[index]}")
    if count == 0:
        note("no faces found. A lower --confidence also reports faces that the detector is less sure of.")


def upscale(
    image: Annotated[Path, typer.Argument(help="Image to upscale.", callback=existing_file)],
    scale: Annotated[int, typer.Option("--scale", help="Scale factor: 2 or 4.")] = 2,
    mode: Annotated[UpscaleMode, typer.Option("--mode", help="Upscale mode.")] = UpscaleMode.balanced,
    output: OutputOption = Path("."),
    name: NameOption = None,
    no_download: NoDownloadOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Upscale an image 2x or 4x and save the result."""
    if scale not in (2, 4):
        raise typer.BadParameter(f"must be 2 or 4, got {scale}", param_hint="--scale")
    run_tool(
        "upscale",
        json_output,
        api_key,
        base_url,
        lambda client, view: client.v1.ai_image_upscaler.generate(
            assets={"image_file_path": str(image)},
            scale_factor=scale,
            style={"mode": mode.value},
            name=name,
            download_outputs=not no_download,
            download_directory=output,
            timeout_s=timeout,
            on_progress=view.update,
            raise_on_error=False,
        ),
        file_options={"assets.image_file_path": "IMAGE"},
        output=None if no_download else output,
    )


def remove_background(
    image: Annotated[Path, typer.Argument(help="Image to cut out.", callback=existing_file)],
    background: Annotated[
        Path | None,
        typer.Option("--background", help="Image to put behind the subject.", callback=existing_file),
    ] = None,
    output: OutputOption = Path("."),
    name: NameOption = None,
    no_download: NoDownloadOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Remove the background of an image (transparent PNG), or replace it with --background."""
    assets = {"image_file_path": str(image)}
    if background is not None:
        assets["background_image_file_path"] = str(background)
    run_tool(
        "remove-background",
        json_output,
        api_key,
        base_url,
        lambda client, view: client.v1.image_background_remover.generate(
            assets=assets,
            name=name,
            download_outputs=not no_download,
            download_directory=output,
            timeout_s=timeout,
            on_progress=view.update,
            raise_on_error=False,
        ),
        file_options={
            "assets.image_file_path": "IMAGE",
            "assets.background_image_file_path": "--background",
        },
        output=None if no_download else output,
    )


def face_swap(
    target: Annotated[
        Path, typer.Option("--target", help="Image whose faces are replaced.", callback=existing_file)
    ],
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Image with the face to put on every face.", callback=existing_file),
    ] = None,
    face_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="ORIGINAL_FACE=NEW_FACE_FILE",
            show_default=False,
            help="Replace one face of --target: ORIGINAL_FACE is a path that `darkroom detect-faces` "
            f"printed for --target, NEW_FACE_FILE an image with the new face. Repeat for up to "
            f"{MAX_FACE_MAPPINGS} faces. Faces that are not mapped stay as they are. Use instead of --source.",
        ),
    ] = None,
    output: OutputOption = Path("."),
    name: NameOption = None,
    no_download: NoDownloadOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Put the face of --source on every face in --target, or with --map, new faces on chosen faces."""
    assets, file_options = face_swap_assets(target, source, face_map or [])
    run_tool(
        "face-swap",
        json_output,
        api_key,
        base_url,
        lambda client, view: client.v1.face_swap_photo.generate(
            assets=assets,
            name=name,
            download_outputs=not no_download,
            download_directory=output,
            timeout_s=timeout,
            on_progress=view.update,
            raise_on_error=False,
        ),
        file_options=file_options,
        output=None if no_download else output,
    )


def face_swap_assets(
    target: Path, source: Path | None, face_map: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the face swap's `assets` (all-faces with --source, individual-faces with --map) and file options."""
    if source is not None and face_map:
        raise typer.BadParameter("use either --source (every face) or --map (chosen faces), not both")
    if source is not None:
        assets = {
            "face_swap_mode": "all-faces",
            "source_file_path": str(source),
            "target_file_path": str(target),
        }
        return assets, {"assets.source_file_path": "--source", "assets.target_file_path": "--target"}
    if not face_map:
        raise typer.BadParameter("pass --source to replace every face, or --map to replace chosen faces")
    if len(face_map) > MAX_FACE_MAPPINGS:
        raise typer.BadParameter(
            f"at most {MAX_FACE_MAPPINGS} faces can be mapped, got {len(face_map)}", param_hint="--map"
        )

    mappings = [face_mapping(value) for value in face_map]
    file_options = {"assets.target_file_path": "--target"}
    for index, mapping in enumerate(mappings):
        file_options[f"assets.face_mappings.{index}.new_face"] = f"--map {mapping['original_face']}"
    assets = {
        "face_swap_mode": "individual-faces",
        "target_file_path": str(target),
        "face_mappings": mappings,
    }
    return assets, file_options


def face_mapping(value: str) -> dict[str, str]:
    """Parse one --map value at its first `=`, because a file name may contain `=` and a face path does not."""
    original_face, separator, new_face = value.partition("=")
    if not separator or not original_face.strip() or not new_face:
        raise typer.BadParameter(f"expected ORIGINAL_FACE=NEW_FACE_FILE, got {value!r}", param_hint="--map")
    if not Path(new_face).is_file():
        raise typer.BadParameter(f"{new_face} is not a file", param_hint="--map")
    return {"original_face": original_face, "new_face": new_face}


def detect_faces(
    image: Annotated[Path, typer.Argument(help="Image to find faces in.", callback=existing_file)],
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence",
            min=0.0,
            max=1.0,
            help="Minimum detector confidence, from 0 to 1. Faces the detector is less sure of are left out.",
        ),
    ] = DEFAULT_CONFIDENCE_SCORE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            show_default=False,
            help="Folder to save the face crops in; created if missing. Existing files are kept. "
            "Without it, nothing is saved.",
        ),
    ] = None,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Find the faces in an image and print their paths, left to right, for `face-swap --map`. Free."""
    run_tool(
        "detect-faces",
        json_output,
        api_key,
        base_url,
        lambda client, view: client.v1.face_detection.generate(
            assets={"target_file_path": str(image)},
            confidence_score=confidence,
            download_outputs=output is not None,
            download_directory=output,
            timeout_s=timeout,
            on_progress=view.update,
            raise_on_error=False,
        ),
        file_options={"assets.target_file_path": "IMAGE"},
        output=output,
        report=report_faces,
        task_name="face detection",
    )


def generate(
    prompt: Annotated[str, typer.Argument(help="What the image should show.")],
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Number of images.")] = 1,
    aspect_ratio: Annotated[
        AspectRatio, typer.Option("--aspect-ratio", help="Shape of the images.")
    ] = AspectRatio.square,
    resolution: Annotated[
        Resolution | None, typer.Option("--resolution", help="Maximum length of the longest side.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model name, as Magic Hour names them.")
    ] = None,
    output: OutputOption = Path("."),
    name: NameOption = None,
    no_download: NoDownloadOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Generate images from a text prompt."""
    if not prompt.strip():
        raise typer.BadParameter("the prompt is empty", param_hint="PROMPT")
    run_tool(
        "generate",
        json_output,
        api_key,
        base_url,
        lambda client, view: client.v1.ai_image_generator.generate(
            image_count=count,
            style={"prompt": prompt},
            aspect_ratio=aspect_ratio.value,
            resolution=resolution.value if resolution else None,
            model=model,
            name=name,
            download_outputs=not no_download,
            download_directory=output,
            timeout_s=timeout,
            on_progress=view.update,
            raise_on_error=False,
        ),
        file_options={},
        output=None if no_download else output,
        first_step="creating",
    )


def tools(
    json_output: JsonOption = False, api_key: ApiKeyOption = None, base_url: BaseUrlOption = None
) -> None:
    """List the server's tools, whether each is enabled, and its price."""
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output), client:
        listed = client.v1.tools.list()
    if json_output:
        print_json(listed)
    else:
        print_tools(listed.data)


def register(app: typer.Typer) -> None:
    for name, command in (
        ("upscale", upscale),
        ("remove-background", remove_background),
        ("face-swap", face_swap),
        ("detect-faces", detect_faces),
        ("generate", generate),
        ("tools", tools),
    ):
        app.command(name, epilog=EXIT_CODES_HELP)(command)
    app.add_typer(app_projects, name="projects", epilog=EXIT_CODES_HELP)
