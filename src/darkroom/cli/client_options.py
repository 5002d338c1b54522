"""Options and helpers that every client command shares: the server, the API key, output and waiting."""

from pathlib import Path
from typing import Annotated

import typer

from darkroom.cli.client_output import ExitCode, fail
from darkroom.client import Client
from darkroom.client._client import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 1 the project ended in error or canceled, 2 usage error, 3 the server rejected "
    "the request, 4 the server could not be reached, 5 --timeout passed, 130 interrupted."
)

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
    bool,
    typer.Option(
        "--json",
        help="Print the result, or the server's error, as JSON on stdout, without progress bars.",
    ),
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


def open_client(api_key: str | None, base_url: str | None) -> Client:
    """Return an SDK client, or exit with a usage error that names --api-key when no key is set."""
    if not api_key:
        raise fail(f"no API key: pass --api-key or set {API_KEY_ENV}", ExitCode.USAGE)
    return Client(token=api_key, base_url=base_url)


def existing_file(path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise typer.BadParameter(f"{path} is not a file")
    return path


def interrupted(project_id: str | None, task_name: str = "project") -> typer.Exit:
    """Print what Ctrl-C left on the server, and return the exit to raise.

    Only a task named "project" gets the `projects cancel` command, because only projects can be canceled.
    """
    if project_id is None:
        typer.echo("interrupted", err=True)
    elif task_name != "project":
        typer.echo(f"stopped waiting; {task_name} {project_id} keeps running on the server", err=True)
    else:
        typer.echo(
            f"stopped waiting; project {project_id} is still on the server. "
            f"Cancel it with: darkroom projects cancel {project_id}",
            err=True,
        )
    return typer.Exit(int(ExitCode.INTERRUPTED))
