"""Request body size limit for JSON endpoints.

The middleware reads the whole body before the app runs, because JSON bodies are small. An oversized
body then gets a 413 whether or not it declared its length, and chunked bodies are counted as they arrive.
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
