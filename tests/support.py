"""Helpers for tests that run the real server as a subprocess and talk HTTP to it."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = REPO_ROOT.parent / "shared" / "testdata"
FACES = TESTDATA / "faces"
OBAMA = FACES / "obama.jpg"
BIDEN = FACES / "biden.jpg"

STARTUP_TIMEOUT_S = 60.0
FINAL_STATUSES = ("complete", "error", "canceled")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    api_key: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path
    env: dict = field(default_factory=dict)

    def client(self, api_key: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key or self.api_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def new_account(self, credits: int = 10_000, name: str = "test") -> str:
        """Create an account with a unique name from `name`; return its API key."""
        unique_name = f"{name}-{uuid.uuid4().hex[:8]}"
        result = self.run_cli("accounts", "create", "--name", unique_name, "--credits", str(credits))
        return re.search(r"API key: (\S+)", result.stdout).group(1)

    def run_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a `darkroom` command against this server's data folder and settings."""
        return subprocess.run(
            [sys.executable, "-m", "darkroom", *args], env=self.env, capture_output=True, text=True,
            check=check, timeout=120,
        )


def start_server(data_dir: Path, *, workers: int = 1, env: dict | None = None, extra_args=()) -> Server:
    """Start `darkroom serve` on a free loopback port and wait until /health returns 200."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("DARKROOM_")}
    full_env.update({"DARKROOM_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    full_env.update(env or {})
    log_path = data_dir / f"server-{port}.log"
    log = log_path.open("w")
    command = [sys.executable, "-m", "darkroom", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), *extra_args]
    process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(url, process, log_path)
    match = re.search(r"API key \(shown once, keep it\): (\S+)", log_path.read_text())
    api_key = match.group(1) if match else ""
    return Server(url=url, api_key=api_key, data_dir=data_dir, process=process, log_path=log_path, env=full_env)


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start within {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()}")


def upload(client: httpx.Client, path: Path | bytes, extension: str | None = None) -> str:
    """Upload a file through upload-urls and PUT; return its file_path."""
    if isinstance(path, Path):
        extension = extension or path.suffix.lstrip(".")
        content = path.read_bytes()
    else:
        content = path
    response = client.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": extension}]})
    response.raise_for_status()
    item = response.json()["items"][0]
    put = httpx.put(item["upload_url"], content=content, timeout=60.0)
    put.raise_for_status()
    return item["file_path"]


def wait_for_status(client: httpx.Client, project_id: str, statuses=FINAL_STATUSES, timeout_s: float = 120.0,
                    path: str = "/v1/image-projects/") -> dict:
    """Poll a project until its status is one of `statuses`; return the last body."""
    deadline = time.monotonic() + timeout_s
    body = {}
    while time.monotonic() < deadline:
        response = client.get(f"{path}{project_id}")
        response.raise_for_status()
        body = response.json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"project {project_id} still {body.get('status')} after {timeout_s} s: {body}")
