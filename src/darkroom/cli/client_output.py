"""Output of the client commands: exit codes, the progress bar, JSON and tables, and error messages.

Results go to stdout; progress bars and errors go to stderr, so `--json` output can be piped.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
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

from darkroom.client import ApiConnectionError, ApiError, ImageProject, ProjectFailed, WaitTimeout


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


@contextmanager
def exit_codes_for_errors() -> Iterator[None]:
    """Turn the SDK's exceptions into a message on stderr and the documented exit code."""
    try:
        yield
    except ApiError as error:
        raise fail(str(error), ExitCode.API_ERROR) from None
    except ApiConnectionError as error:
        raise fail(f"{error}; is the server running at that URL?", ExitCode.CONNECTION_FAILED) from None
    except WaitTimeout as error:
        raise fail(f"{error} (darkroom projects cancel {error.project.id})", ExitCode.TIMED_OUT) from None
    except ProjectFailed as error:
        raise fail(str(error), ExitCode.RENDER_FAILED) from None
    except pydantic.ValidationError as error:
        # A ValidationError is a ValueError, so it is caught first: the response had an unexpected shape.
        raise fail(
            f"the server's response did not have the expected shape: {error}", ExitCode.API_ERROR
        ) from None
    except (FileNotFoundError, ValueError) as error:
        raise fail(str(error), ExitCode.USAGE) from None


def describe(project: Any) -> str:
    """Return a project's state in a few words: `queued, 2 ahead`, `rendering`, `error: no_target_face`."""
    status = str(getattr(project.status, "value", project.status))
    if status == "queued":
        position = getattr(project, "queue_position", None)
        if position is None:
            return "queued"
        return "queued, next in line" if position == 0 else f"queued, {position} ahead"
    if status == "error" and getattr(project, "error", None) is not None:
        return f"error: {project.error.code}"
    return status


class ProgressView:
    """A progress bar on stderr that follows one project: status, queue position and render progress.

    It is silent when `enabled` is False (for `--json`). Use it as a context manager and pass
    `update` as the SDK's `on_progress`.
    """

    def __init__(self, label: str, enabled: bool = True):
        self.label = label
        self.enabled = enabled
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
            self._task = self._progress.add_task(f"{self.label}: uploading and creating", total=1.0)
        return self

    def update(self, project: ImageProject) -> None:
        self.project_id = project.id
        if self._progress is None or self._task is None:
            return
        description = f"{self.label} {project.id}: {describe(project)}"
        self._progress.update(
            self._task, completed=getattr(project, "progress", 0.0), description=description
        )

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_json(value: Any) -> None:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json")
    typer.echo(json.dumps(value, indent=2))


def print_project(project: ImageProject) -> None:
    fields = project.model_dump(mode="json")
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
    status = str(getattr(project.status, "value", project.status))
    return ExitCode.RENDER_FAILED if status in ("error", "canceled") else ExitCode.OK
