"""Client commands: run tools on a Darkroom server and manage its projects, with progress bars.

They use only the SDK (`darkroom.client`), Typer and rich, so they work with the base install.
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

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from darkroom.cli.client_output import (
    ExitCode,
    ProgressView,
    describe,
    exit_code_of,
    exit_codes_for_errors,
    print_json,
    print_project,
    print_projects,
    print_tools,
)
from darkroom.client import Client, ImageProjectResult
from darkroom.client._client import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from darkroom.client._projects import DEFAULT_WAIT_TIMEOUT_S

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 1 the project ended in error or canceled, 2 usage error, 3 the server rejected "
    "the request, 4 the server could not be reached, 5 --timeout passed, 130 interrupted."
)

app_projects = typer.Typer(help="Read, list, cancel and delete image projects.", no_args_is_help=True)

ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar=API_KEY_ENV, show_default=False, help="API key of your Darkroom account."
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_ENV,
        show_default=False,
        help=f"URL of the Darkroom server; {DEFAULT_BASE_URL} when unset.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON on stdout, without progress bars.")
]
OutputOption = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="Folder to save the images in; created if missing. Existing files are kept."
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=0, help="Seconds to wait for the project before giving up (exit code 5)."),
]
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


def existing_file(path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise typer.BadParameter(f"{path} is not a file")
    return path


def run_tool(
    label: str,
    json_output: bool,
    api_key: str | None,
    base_url: str | None,
    call: Callable[[Client, ProgressView], ImageProjectResult],
) -> None:
    """Run one tool's `generate` with a progress bar, print the result, and exit with its code."""
    view = ProgressView(label, enabled=not json_output)
    with exit_codes_for_errors():
        client = Client(token=api_key, base_url=base_url)
        try:
            with client, view:
                result = call(client, view)
        except KeyboardInterrupt:
            raise interrupted(view.project_id) from None

    if json_output:
        print_json(result)
    else:
        report(label, result)
    raise typer.Exit(int(exit_code_of(result)))


def interrupted(project_id: str | None) -> typer.Exit:
    if project_id is None:
        typer.echo("interrupted", err=True)
    else:
        typer.echo(
            f"stopped waiting; project {project_id} is still on the server. "
            f"Cancel it with: darkroom projects cancel {project_id}",
            err=True,
        )
    return typer.Exit(int(ExitCode.INTERRUPTED))


def report(label: str, result: ImageProjectResult) -> None:
    if exit_code_of(result) != ExitCode.OK:
        detail = f" ({result.error.message})" if result.error is not None else ""
        typer.echo(f"{label} {result.id} ended with {describe(result)}{detail}", err=True)
        return
    typer.echo(f"{label} {result.id} {describe(result)}: {result.credits_charged} credits")
    for path in result.downloaded_paths or []:
        typer.echo(f"saved {path}")


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
    )


def face_swap(
    source: Annotated[
        Path, typer.Option("--source", help="Image with the face to use.", callback=existing_file)
    ],
    target: Annotated[
        Path, typer.Option("--target", help="Image whose faces are replaced.", callback=existing_file)
    ],
    output: OutputOption = Path("."),
    name: NameOption = None,
    no_download: NoDownloadOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Put the face of --source on every face in --target."""
    assets = {"face_swap_mode": "all-faces", "source_file_path": str(source), "target_file_path": str(target)}
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
    )


def tools(
    json_output: JsonOption = False, api_key: ApiKeyOption = None, base_url: BaseUrlOption = None
) -> None:
    """List the server's tools, whether each is enabled, and its price."""
    with exit_codes_for_errors(), Client(token=api_key, base_url=base_url) as client:
        listed = client.v1.tools.list()
    if json_output:
        print_json(listed)
    else:
        print_tools(listed.data)


@app_projects.command("get")
def projects_get(
    project_id: Annotated[str, typer.Argument(metavar="ID", help="Project id.")],
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the project is finished, with a progress bar.")
    ] = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show a project: status, progress, error and download URLs.

    With --wait, the exit code reports how the project ended: 0 complete, 1 error or canceled.
    """
    view = ProgressView("project", enabled=wait and not json_output)
    with exit_codes_for_errors(), Client(token=api_key, base_url=base_url) as client:
        try:
            with view:
                if wait:
                    project = client.v1.image_projects.wait(
                        project_id, timeout_s=timeout, on_progress=view.update
                    )
                else:
                    project = client.v1.image_projects.get(project_id)
        except KeyboardInterrupt:
            raise interrupted(project_id) from None
    if json_output:
        print_json(project)
    else:
        print_project(project)
    if wait:
        raise typer.Exit(int(exit_code_of(project)))


@app_projects.command("list")
def projects_list(
    status: Annotated[str | None, typer.Option("--status", help="Only projects with this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Projects per page.")] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Cursor of the next page, from a previous list.")
    ] = None,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """List your projects, newest first."""
    with exit_codes_for_errors(), Client(token=api_key, base_url=base_url) as client:
        page = client.v1.image_projects.list(status=status, limit=limit, cursor=cursor)
    if json_output:
        print_json(page)
    else:
        print_projects(page.data, page.next_cursor)


@app_projects.command("cancel")
def projects_cancel(
    project_id: Annotated[str, typer.Argument(metavar="ID", help="Project id.")],
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Stop a queued or rendering project; its credits are refunded."""
    with exit_codes_for_errors(), Client(token=api_key, base_url=base_url) as client:
        project = client.v1.image_projects.cancel(project_id)
    if json_output:
        print_json(project)
    else:
        typer.echo(f"project {project.id} {describe(project)}")


@app_projects.command("delete")
def projects_delete(
    project_id: Annotated[str, typer.Argument(metavar="ID", help="Project id.")],
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Delete a project's images and inputs for good (a running project is canceled first)."""
    with exit_codes_for_errors(), Client(token=api_key, base_url=base_url) as client:
        client.v1.image_projects.delete(project_id)
    if json_output:
        print_json({"id": project_id, "deleted": True})
    else:
        typer.echo(f"project {project_id} deleted")


def register(app: typer.Typer) -> None:
    for name, command in (
        ("upscale", upscale),
        ("remove-background", remove_background),
        ("face-swap", face_swap),
        ("generate", generate),
        ("tools", tools),
    ):
        app.command(name, epilog=EXIT_CODES_HELP)(command)
    app.add_typer(app_projects, name="projects", epilog=EXIT_CODES_HELP)
