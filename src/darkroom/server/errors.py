"""One place that turns every failure into a JSON body with `message`, and never a traceback."""

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from darkroom import errors
from darkroom.wire.projects import ErrorBody

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.DarkroomError], int] = {
    errors.Unauthorized: 401,
    errors.InsufficientCredits: 402,
    errors.ToolDisabled: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.InvalidInput: 422,
}

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "Missing or unknown API key",
    402: "Not enough credits",
    403: "Tool not enabled, or an invalid URL signature",
    404: "Not found, or owned by another account",
    409: "Conflicts with the project's state",
    413: "Body or file too large",
    422: "An invalid field; `field` names it",
    429: "Rate limited; see Retry-After",
    500: "Internal server error",
}
# Documented on every operation, so clients and schema checkers know each error's body.
ERROR_RESPONSES = {status: {"model": ErrorBody, "description": text} for status, text in ERROR_DESCRIPTIONS.items()}

HTTP_MESSAGES = {
    404: "Not found: no such endpoint",
    405: "Method not allowed on this endpoint",
}


def error_response(status_code: int, message: str, field: str | None = None, headers=None) -> JSONResponse:
    body = {"message": message}
    if field is not None:
        body["field"] = field
    if status_code == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body, status_code=status_code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DarkroomError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _domain_error(request: Request, error: errors.DarkroomError) -> JSONResponse:
    status_code = next(code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind))
    return error_response(status_code, error.message, getattr(error, "field", None))


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    first = problems[0] if problems else {"type": "", "loc": (), "msg": "invalid request"}
    if first["type"] == "json_invalid":
        detail = first.get("ctx", {}).get("error", "")
        return error_response(400, f"The request body is not valid JSON: {detail}".rstrip(": "))
    if first["type"] in ("model_attributes_type", "dict_type") and isinstance(first.get("input"), (bytes, str)) \
            and _field_name(first["loc"]) == "body":
        return error_response(
            422, "The request body must be a JSON object sent with Content-Type: application/json", field="body"
        )
    # A misspelt field shows up twice: as unknown, and as the real field missing. Lead with the typo.
    problems = sorted(problems, key=lambda problem: problem["type"] != "extra_forbidden")
    first = problems[0]
    field = _field_name(first["loc"])
    return JSONResponse(
        {
            "message": _describe(first, field),
            "field": field,
            "errors": [{"field": _field_name(p["loc"]), "message": _describe(p, _field_name(p["loc"]))} for p in problems],
        },
        status_code=422,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    message = error.detail if isinstance(error.detail, str) and error.detail else HTTP_MESSAGES.get(error.status_code, "")
    if error.status_code == 404 and error.detail == "Not Found":
        message = f"Not found: no endpoint {request.method} {request.url.path}"
    headers = getattr(error, "headers", None)
    if error.status_code == 405:
        allowed = _allowed_methods(request)
        message = f"Method {request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    return error_response(error.status_code, message or "Request failed", headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Return every method that some route serves at this path; Starlette names only the first route's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "Internal server error; the server log has the details")


def _field_name(location) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _describe(problem: dict, field: str) -> str:
    kind = problem.get("type", "")
    if kind == "extra_forbidden":
        return f"{field} is not a known field"
    if kind == "missing":
        return f"{field} is required"
    message = problem.get("msg", "is invalid").removeprefix("Value error, ")
    if message.startswith(field.rsplit(".", 1)[-1] + " "):
        # Our own validators already name the field and the value.
        return message
    if "input" in problem and kind not in ("missing",) and not isinstance(problem["input"], (dict, list)):
        shown = json.dumps(problem["input"], default=str)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if shown not in message:
            return f"{field}: {message} (got {shown})"
    return f"{field}: {message}"
