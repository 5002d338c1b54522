"""Exceptions of the SDK. Every error that the SDK raises is a ClientError.

ClientError
 +-- ApiError              the server responded with an error status or a redirect
 +-- ApiConnectionError    no response: the connection failed or timed out, after the retries
 +-- ProjectFailed         the project ended as `error` or `canceled`
 +-- WaitTimeout           the project was not finished when the wait's timeout passed

Input that the SDK checks before any request (a missing file, an unknown extension) raises the
built-in FileNotFoundError or ValueError, as the official `magic-hour` SDK does.
"""

from collections.abc import Mapping
from typing import Any

import httpx

from darkroom.wire import ImageProject

# Characters of a non-JSON error body that an ApiError message shows.
MAX_BODY_EXCERPT = 200


class ClientError(Exception):
    """Root of the SDK's exceptions."""


class ApiError(ClientError):
    """The server responded with a status that is not a success.

    `message` is the server's `message` field when the body is JSON, else an excerpt of the body.
    `body` is the decoded JSON body, or None when the body is not JSON. `field` is the request field
    that the body names (a 422 names the invalid one), else None. `local_file` is the local file that
    `generate` uploaded for that field, else None; the error's text then names it too.
    """

    def __init__(self, response: httpx.Response, message: str | None = None):
        self.response = response
        self.status_code = response.status_code
        self.body = _json_body(response)
        self.message = message or _server_message(response, self.body)
        self.field = _server_field(self.body)
        self.local_file: str | None = None
        self.method = response.request.method
        self.url = str(response.request.url)
        super().__init__(
            f"{self.method} {_without_query(self.url)} failed with {self.status_code}: {self.message}"
        )

    def name_local_file(self, uploaded: Mapping[str, str]) -> None:
        """Record which local file the rejected field was uploaded from, given {field: local path}.

        The server's message names only its copy (`api-assets/...`), which the caller never saw.
        """
        if self.field is None or self.field not in uploaded:
            return
        self.local_file = uploaded[self.field]
        self.args = (f"{self.args[0]} (uploaded from {self.local_file})",)


class ApiConnectionError(ClientError):
    """The request got no response: the connection failed, was closed or timed out."""

    def __init__(self, method: str, url: str, error: httpx.TransportError, attempts: int):
        self.method = method
        self.url = url
        self.attempts = attempts
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        super().__init__(
            f"{method} {_without_query(url)} failed after {tries}: {type(error).__name__}: {error}"
        )


class ProjectFailed(ClientError):
    """The project ended in `error` or `canceled`; `project` is its last state."""

    def __init__(self, project: ImageProject | Any):
        self.project = project
        self.status = str(getattr(project.status, "value", project.status))
        error = getattr(project, "error", None)
        self.code = error.code if error is not None else None
        detail = f": {error.code}: {error.message}" if error is not None else ""
        super().__init__(f"project {project.id} ended with status {self.status}{detail}")


class WaitTimeout(ClientError, TimeoutError):
    """The project did not finish within `timeout_s`; `project` and `status` are its last state and status."""

    def __init__(self, project: ImageProject | Any, timeout_s: float):
        self.project = project
        self.timeout_s = timeout_s
        self.status = str(getattr(project.status, "value", project.status))
        super().__init__(
            f"project {project.id} was still {self.status} after {timeout_s:g} s; "
            "wait again, or cancel it with image_projects.cancel"
        )


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, httpx.ResponseNotRead):
        return None


def _server_field(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("field"), str):
        return body["field"]
    return None


def _server_message(response: httpx.Response, body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    try:
        text = response.text.strip()
    except httpx.ResponseNotRead:
        text = ""
    if text:
        return text[:MAX_BODY_EXCERPT]
    return response.reason_phrase or "no message"


def _without_query(url: str) -> str:
    """Drop the query string, because signed URLs carry their signature there."""
    return url.split("?", 1)[0]
