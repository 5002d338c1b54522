"""Guards that run before routing: the request body size limit, and no encoded slashes in paths.

The body size limit reads the whole JSON body before the app runs, because JSON bodies are small.
An oversized body then gets a 413 whether or not it declared its length, and chunked bodies are
counted as they arrive.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from darkroom.server.errors import error_response

# Signed uploads stream files and check their own, larger limit.
UNLIMITED_PREFIXES = ("/v1/uploads/",)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return

        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"The request body is larger than the limit of {self.max_bytes} bytes")
        await response(scope, receive, send)


class RejectEncodedSlash:
    """Return 404 for paths with an encoded slash (%2F).

    The router decodes %2F before matching, so an id such as `abc%2Fevents` would otherwise reach
    another route than the one the client meant. No Darkroom id or storage key contains a slash
    inside one path segment.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%2f" in scope.get("raw_path", b"").lower():
            response = error_response(404, f"Not found: {scope['path']!r} has an encoded slash (%2F) in one path segment")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
