"""A small HTTP server on 127.0.0.1 that responds from a script and counts requests.

Tests use it for what the real server never does on purpose: 429 with Retry-After, 503,
connections closed before a response or in the middle of a body, and redirects.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"
    # "reply" sends the response. "close" closes the connection without a response.
    # "truncate" announces the whole body but sends only its first half, then closes.
    action: str = "reply"


def json_reply(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(value).encode())


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """Responds to each (method, path) with the next scripted Reply, then with its default reply."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[Reply]] = {}
        self.defaults: dict[tuple[str, str], Reply] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def then(self, method: str, path: str, *replies: Reply) -> None:
        """Reply to the next requests to (method, path) with `replies`, in order."""
        self.script.setdefault((method, path), []).extend(replies)

    def always(self, method: str, path: str, reply: Reply) -> None:
        self.defaults[(method, path)] = reply

    def count(self, method: str, path: str) -> int:
        return sum(1 for request in self.received if request.method == method and request.path == path)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_reply(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self.script.get((method, path))
            if queue:
                return queue.pop(0)
            return self.defaults.get(
                (method, path), json_reply({"message": f"nothing scripted for {method} {path}"}, 404)
            )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def handle_any(self) -> None:
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.received.append(Received(self.command, path, dict(self.headers), body))
                reply = server._next_reply(self.command, path)
                if reply.action == "close":
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.action == "truncate":
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        return Handler
