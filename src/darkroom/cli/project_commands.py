"""`darkroom projects get|list|cancel|delete`: read, download, list, cancel and delete image projects."""

import shlex
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from darkroom.cli.client_options import (
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    TimeoutOption,
    interrupted,
    open_client,
)
from darkroom.cli.client_output import (
    ProgressView,
    describe,
    exit_code_of,
    exit_codes_for_errors,
    note,
    print_json,
    print_project,
    print_projects,
    status_text,
)
from darkroom.client import Client, ImageProject, ImageProjectResult
from darkroom.client._projects import DEFAULT_WAIT_TIMEOUT_S

app_projects = typer.Typer(
    help="Read, download, list, cancel and delete image projects.", no_args_is_help=True
)

ProjectIdArgument = Annotated[str, typer.Argument(metavar="ID", help="Project id.")]


class ListedStatus(str, Enum):
    """The statuses that `--status` filters by. `draft` is left out because Darkroom never produces it."""

    queued = "queued"
    rendering = "rendering"
    complete = "complete"
    error = "error"
    canceled = "canceled"


@app_projects.command("get")
def projects_get(
    project_id: ProjectIdArgument,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the project is finished, with a progress bar.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            show_default=False,
            help="Folder to save the images of a complete project in; created if missing. "
            "Existing files are kept.",
        ),
    ] = None,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT_S,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show a project: status, progress, error and download URLs; with -o, save its images.

    With --wait, the exit code reports how the project ended: 0 complete, 1 error or canceled.
    """
    view = ProgressView("project", enabled=wait and not json_output, first_step="reading")
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output, output=output), client:
        try:
            with view:
                if wait:
                    project = client.v1.image_projects.wait(
                        project_id, timeout_s=timeout, on_progress=view.update
                    )
                else:
                    project = client.v1.image_projects.get(project_id)
            result = save_images(client, project, output)
        except KeyboardInterrupt:
            raise interrupted(project_id) from None

    if json_output:
        print_json(result)
    else:
        print_project(result)
    if wait:
        raise typer.Exit(int(exit_code_of(result)))


def save_images(client: Client, project: ImageProject, output: Path | None) -> ImageProjectResult:
    """Download the images of a complete project into `output`, never overwriting a file.

    Without `output` nothing is saved. When there is nothing to save, a note on stderr gives the reason.
    """
    if output is None:
        return ImageProjectResult(**project.model_dump())
    if not project.enabled:
        note(f"nothing saved: project {project.id} was deleted, so its images are gone")
        return ImageProjectResult(**project.model_dump())
    if status_text(project) != "complete":
        hint = ""
        if not project.status.is_final:
            hint = (
                f". Wait for it with: darkroom projects get {project.id} --wait -o {shlex.quote(str(output))}"
            )
        note(f"nothing saved: project {project.id} is {describe(project)}{hint}")
        return ImageProjectResult(**project.model_dump())
    paths = client.v1.image_projects.download(project, output)
    return ImageProjectResult(**project.model_dump(), downloaded_paths=paths)


@app_projects.command("list")
def projects_list(
    status: Annotated[
        ListedStatus | None, typer.Option("--status", help="Only projects with this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Projects per page.")] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Cursor of the next page, from a previous list.")
    ] = None,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """List your projects, newest first. Deleted projects are marked `, deleted`."""
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output), client:
        page = client.v1.image_projects.list(
            status=status.value if status is not None else None, limit=limit, cursor=cursor
        )
    if json_output:
        print_json(page)
    else:
        print_projects(page.data, page.next_cursor)


@app_projects.command("cancel")
def projects_cancel(
    project_id: ProjectIdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Stop a queued or rendering project; its credits are refunded."""
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output), client:
        project = client.v1.image_projects.cancel(project_id)
    if json_output:
        print_json(project)
    else:
        typer.echo(f"project {project.id} {describe(project)}")


@app_projects.command("delete")
def projects_delete(
    project_id: ProjectIdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Delete a project's images and inputs for good (a running project is canceled first)."""
    client = open_client(api_key, base_url)
    with exit_codes_for_errors(json_output), client:
        client.v1.image_projects.delete(project_id)
    if json_output:
        print_json({"id": project_id, "deleted": True})
    else:
        typer.echo(f"project {project_id} deleted")
