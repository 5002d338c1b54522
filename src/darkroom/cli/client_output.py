"""Output of the client commands: exit codes, the progress bar, JSON and tables, and error messages.

Results go to stdout; progress bars and errors go to stderr, so `--json` output can be piped.
"""

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, Self

import pydantic
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from darkroom.client import (
    ApiConnectionError,
    ApiError,
    FaceDetection,
    ImageProject,
    ProjectFailed,
    WaitTimeout,
)


class ExitCode(IntEnum):
    OK = 0
    RENDER_FAILED = 1  # the project ended in error or canceled
    USAGE = 2  # invalid options or arguments, a missing input file, or no API key
    API_ERROR = 3  # the server rejected the request: bad key, not enough credits, unknown id, invalid field
    CONNECTION_FAILED = 4  # the server could not be reached, after retries
    TIMED_OUT = 5  # the project did not finish within --timeout, and it keeps rendering on the server
    INTERRUPTED = 130  # Ctrl-C; a project that was already created keeps rendering on the server


stderr = Console(stderr=True)

# The fields of a project that `projects get` shows, in this order.
PROJECT_FIELDS = (
    "id",
    "name",
    "status",
    "type",
    "image_count",
    "credits_charged",
    "progress",
    "queue_position",
    "created_at",
    "started_at",
    "completed_at",
    "enabled",
)


def fail(message: str, code: ExitCode) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(int(code))


def note(message: str) -> None:
    """Print a remark that is not an error on stderr, so that stdout keeps only the result."""
    stderr.print(escape(message), highlight=False, soft_wrap=True)


@contextmanager
def exit_codes_for_errors(
    json_output: bool = False,
    file_options: Mapping[str, str] | None = None,
    output: Path | None = None,
) -> Iterator[None]:
    """Turn the SDK's exceptions into a message on stderr and the documented exit code.

    With `json_output`, a rejected request is printed as JSON on stdout too. `file_options` maps a
    request field to the option that named its local file, so a 422 names the user's file and option.
    `output` is the folder that the timeout message's `projects get --wait -o` command saves to.
    """
    try:
        yield
    except ApiError as error:
        if json_output:
            print_json(api_error_json(error))
        raise fail(api_error_text(error, file_options or {}), ExitCode.API_ERROR) from None
    except ApiConnectionError as error:
        raise fail(f"{error}; is the server running at that URL?", ExitCode.CONNECTION_FAILED) from None
    except WaitTimeout as error:
        raise fail(timeout_text(error, output), ExitCode.TIMED_OUT) from None
    except ProjectFailed as error:
        raise fail(str(error), ExitCode.RENDER_FAILED) from None
    except pydantic.ValidationError as error:
        # A ValidationError is a ValueError, so it is caught first: the response had an unexpected shape.
        raise fail(
            f"the server's response did not have the expected shape: {error}", ExitCode.API_ERROR
        ) from None
    except (FileNotFoundError, ValueError) as error:
        raise fail(str(error), ExitCode.USAGE) from None


def api_error_json(error: ApiError) -> dict[str, Any]:
    """Return `{"error": {"status_code", "message", "field"}}` with the server's message unchanged."""
    body: dict[str, Any] = {"status_code": error.status_code, "message": error.message}
    if error.field is not None:
        body["field"] = error.field
    return {"error": body}


def api_error_text(error: ApiError, file_options: Mapping[str, str]) -> str:
    """Return the error's text, naming the local file and its option when the CLI filled the rejected field.

    The server names its copy of the upload (`assets.target_file_path 'api-assets/...': ...`), so
    that prefix is replaced with `photo.jpg (--target)`.
    """
    option = file_options.get(error.field) if error.field is not None else None
    if error.local_file is None or option is None:
        return str(error)
    uploaded_copy = re.match(rf"{re.escape(error.field)} '[^']*'", error.message)
    detail = error.message[uploaded_copy.end() :] if uploaded_copy else f": {error.message}"
    return f"{error.local_file} ({option}){detail}"


def timeout_text(error: WaitTimeout, output: Path | None) -> str:
    """Return the timeout message with the CLI commands that wait again or cancel."""
    waited = f"was still {error.status} after {error.timeout_s:g} s"
    if isinstance(error.project, FaceDetection):
        return f"face detection {error.project.id} {waited}. Run detect-faces again with a longer --timeout."
    project_id = error.project.id
    wait_again = f"darkroom projects get {project_id} --wait"
    if output is not None:
        wait_again += f" -o {shlex.quote(str(output))}"
    return (
        f"project {project_id} {waited}, and it stays on the server.\n"
        f"  wait again: {wait_again}\n"
        f"  cancel it:  darkroom projects cancel {project_id}"
    )


def status_text(project: Any) -> str:
    """Return the status value (`complete`), never the enum's name (`ProjectStatus.COMPLETE`)."""
    return str(getattr(project.status, "value", project.status))


def with_deleted_mark(text: str, project: Any) -> str:
    """Append `, deleted` when the project was deleted (`enabled` is false) and its images are gone."""
    return f"{text}, deleted" if getattr(project, "enabled", True) is False else text


def describe(project: Any) -> str:
    """Return a project's state in a few words: `queued, 2 ahead`, `error: no_target_face`, `complete, deleted`."""
    status = status_text(project)
    if status == "queued":
        position = getattr(project, "queue_position", None)
        if position is None:
            return "queued"
        return "queued, next in line" if position == 0 else f"queued, {position} ahead"
    if status == "error" and getattr(project, "error", None) is not None:
        return with_deleted_mark(f"error: {project.error.code}", project)
    return with_deleted_mark(status, project)


class ProgressView:
    """A progress bar on stderr that follows one project: status, queue position and render progress.

    It is silent when `enabled` is False (for `--json`). Use it as a context manager and pass
    `update` as the SDK's `on_progress`. `first_step` is shown until the project is first read.
    """

    def __init__(self, label: str, enabled: bool = True, first_step: str = "uploading and creating"):
        self.label = label
        self.enabled = enabled
        self.first_step = first_step
        self.project_id: str | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=stderr,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"{self.label}: {self.first_step}", total=1.0)
        return self

    def update(self, project: ImageProject | FaceDetection) -> None:
        self.project_id = project.id
        if self._progress is None or self._task is None:
            return
        description = f"{self.label} {project.id}: {describe(project)}"
        # A face detection reports no progress, so its bar is full once it is complete.
        progress = getattr(project, "progress", 1.0 if status_text(project) == "complete" else 0.0)
        self._progress.update(self._task, completed=progress, description=description)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_json(value: Any) -> None:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json")
    typer.echo(json.dumps(value, indent=2))


def print_project(project: ImageProject) -> None:
    fields = project.model_dump(mode="json")
    fields["status"] = with_deleted_mark(status_text(project), project)
    rows = [(key, fields[key]) for key in PROJECT_FIELDS if key in fields]
    if project.error is not None:
        rows.append(("error", f"{project.error.code}: {project.error.message}"))
    rows += [("download", download.url) for download in project.downloads]
    rows += [("saved", path) for path in getattr(project, "downloaded_paths", None) or []]
    for key, value in rows:
        typer.echo(f"{key + ':':17} {'' if value is None else value}")


def print_projects(projects: list[ImageProject], next_cursor: str | None) -> None:
    # Plain columns rather than a rich table, so that piped output is never cut to 80 characters.
    line = "{:25}  {:18}  {:18}  {:24}  {:>7}  {}"
    typer.echo(line.format("id", "status", "type", "created_at", "credits", "name"))
    for project in projects:
        typer.echo(
            line.format(
                project.id,
                describe(project),
                project.type,
                project.created_at,
                project.credits_charged,
                project.name or "",
            )
        )
    if next_cursor:
        typer.echo(f"next page: --cursor {next_cursor}")


def print_tools(tools: list[Any]) -> None:
    for tool in tools:
        state = "enabled" if tool.enabled else f"disabled: {tool.disabled_reason}"
        typer.echo(f"{tool.slug:26}  {state}\n{'':26}  price: {tool.price}")


def exit_code_of(project: Any) -> ExitCode:
    return ExitCode.RENDER_FAILED if status_text(project) in ("error", "canceled") else ExitCode.OK
